"""Every entry of the bad-input corpus, loaded through the real opportunity source (as values through
`LocalStore.load_opportunities`, and as lines of a JSONL file through the embedded default's seeding),
then run: each gets a clear REJECTED_INPUT row (or, hostile text in a valid action, is recorded with its
text intact), the runs complete, and nothing reaches a platform."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from operator_ai.planner import Planner
from operator_ai.settings import SAMPLES_DIR
from schemas.common import ActionStatus
from schemas.records import ActionRecord
from tests.faults.harness import Clock, Env, build_env, changed, fingerprint
from tests.fuzz.corpus import NOW, Bad, Line, corpus, valid

CORPUS = corpus()
ORGS = ("org-acme", "org-globex", "org-initech")
# Words that would mean an internal failure leaked into a person-facing reason.
LEAKS = ("Traceback", "Error(", "object at 0x", "RecursionError", "KeyError")


def _samples(root: Path, lines: list[str]) -> Path:
    root.mkdir(parents=True)
    for name in ("orgs.yaml", "sandbox.json"):
        (root / name).write_text((SAMPLES_DIR / name).read_text(encoding="utf-8"), encoding="utf-8")
    (root / "opportunities.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return root


def _as_pulled(entry: Bad) -> Any:
    """The raw value as the source hands it back (JSON round trip; text that is not JSON stays text)."""
    text = entry.line()
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return text


class Outcome:
    """One installation that loaded the whole corpus one way, and ran once."""

    def __init__(self, root: Path, via: str) -> None:
        lines = [e.line() for e in CORPUS]
        self.env: Env = build_env(root / "home", Clock(NOW), samples=_samples(root / "samples", lines if via == "file"
                                                                               else []))
        self.before = fingerprint(self.env.ledger.db)
        if via == "values":
            store = self.env.services.extras["store"]
            store.load_opportunities([e.raw for e in CORPUS if not isinstance(e.raw, Line)])
            store.load_opportunities(Path(_samples(root / "lines", [e.line() for e in CORPUS
                                                                   if isinstance(e.raw, Line)])
                                          / "opportunities.jsonl"))
        self.summary = self.env.run()
        self.latest = self.env.latest()
        self.planner = Planner()

    def rows(self, entry: Bad) -> dict[str, ActionRecord]:
        """The latest row of the entry in each organization that pulled it."""
        raw = _as_pulled(entry)
        found = {}
        for org in ORGS:
            policy = self.env.services.state.get_org(org)
            assert policy is not None
            action_id = self.planner.plan(raw, policy, NOW).action_id
            if action_id in self.latest:
                found[org] = self.latest[action_id]
        return found


@pytest.fixture(scope="module", params=["values", "file"])
def outcome(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Outcome]:
    result = Outcome(tmp_path_factory.mktemp(request.param), request.param)
    yield result
    result.env.close()
    result.env.ledger.close()


def test_nothing_reaches_a_platform_and_the_run_completes(outcome: Outcome) -> None:
    assert outcome.summary.errors == ()
    assert sum(outcome.env.ledger.sends.values()) == 0
    assert changed(outcome.before, fingerprint(outcome.env.ledger.db)) == []
    statuses = {r.status for r in outcome.latest.values()}
    assert statuses <= {ActionStatus.REJECTED_INPUT, ActionStatus.DRY_RUN, ActionStatus.BLOCKED}, statuses


@pytest.mark.parametrize("entry", CORPUS, ids=[e.name for e in CORPUS])
def test_each_bad_input_is_recorded_with_a_clear_reason(outcome: Outcome, entry: Bad) -> None:
    rows = outcome.rows(entry)
    if entry.expect == "ignored":
        assert rows == {}
        return
    assert entry.org in rows, f"no log row for {entry.name}"
    row = rows[entry.org]
    if entry.expect == "accepted":
        assert row.status == ActionStatus.BLOCKED and row.verdict is not None, row.status
        return
    if entry.expect == "dry_run":
        assert row.status == ActionStatus.DRY_RUN
        recorded = row.payload["opportunity"]
        for field in entry.verbatim:  # stored as text, never interpreted (markup, SQL, templates, prompts)
            assert recorded[field] == entry.raw[field].strip()
        return
    assert row.status == ActionStatus.REJECTED_INPUT
    message = row.error_message or ""
    assert entry.reason.lower() in message.lower(), message
    assert len(message) < 2000 and not any(leak in message for leak in LEAKS), message


def test_a_bad_row_naming_no_valid_organization_is_reported_to_every_organization(outcome: Outcome) -> None:
    entry = next(e for e in CORPUS if e.name == "Cyrillic homoglyph organization")
    assert set(outcome.rows(entry)) == set(ORGS)


def test_a_line_that_is_not_utf8_is_rejected_alone(tmp_path: Path) -> None:
    """One undecodable line in a JSONL file must not take the file's other opportunities with it."""
    good = json.dumps(valid("opp-utf8-good", action={
        "type": "pause_campaign", "target": {"customer_id": "1234567890", "campaign_id": "113"}, "params": {}}))
    bad = b'{"schema_version": 1, "opportunity_id": "opp-utf8-bad", "title": "caf\xe9 \xff"}'
    path = tmp_path / "opportunities.jsonl"
    path.write_bytes(good.encode() + b"\n" + bad + b"\n")
    env = build_env(tmp_path / "home", Clock(NOW), samples=_samples(tmp_path / "samples", []))
    try:
        assert env.services.extras["store"].load_opportunities(path) == 2
        summary = env.run(["org-acme"])
        assert summary.errors == ()
        statuses = sorted(line["status"] for line in summary.actions)
        assert statuses == ["BLOCKED", "REJECTED_INPUT"]  # the good one judged (a winner: blocked), the bad refused
        assert sum(env.ledger.sends.values()) == 0
    finally:
        env.close()
        env.ledger.close()
