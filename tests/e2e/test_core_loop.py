"""The core loop end to end on the embedded default (SQLite + sandbox platforms + bundled samples):
the documented verdict of every sample, the write-ahead log, idempotent re-runs, dry runs and the
emergency stop. Approvals are in `test_approvals.py`, rollback in `test_rollback.py`, faults in
`test_faults.py`."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from schemas.common import ActionStatus, Platform
from schemas.records import ActionRecord
from tests.e2e.harness import (
    ACME,
    ACME_ADS,
    ACME_MAIL,
    GLOBEX,
    GLOBEX_ADS,
    ApplyCall,
    Env,
    Spy,
    active_runs,
    as_json,
    executed_transitions,
    observed_now,
)

FORMATS_DOC = Path(__file__).resolve().parents[2] / "docs" / "formats.md"
LIST_LINE = '["pause", "everything"]'

# The rule ids each judged sample is expected to fire (from its rationale in opportunities.jsonl).
EXPECTED_RULES = {
    "opp-acme-010": {"budget_increase_pct"},
    "opp-acme-011": {"confidence"},
    "opp-acme-012": {"approval_only_type"},
    "opp-acme-013": {"brand_protection", "pause_has_conversions"},
    "opp-acme-014": {"shared_budget"},
    "opp-acme-015": {"bid_increase_pct"},
    "opp-globex-004": {"rollout_phase"},
    "opp-acme-016": {"pause_min_runtime", "pause_min_spend"},
    "opp-acme-017": {"winner_protection"},
    "opp-acme-018": {"budget_increase_pct"},
    "opp-acme-019": {"negatives_protect_converters"},
    "opp-acme-020": {"automation_volume"},
    "opp-acme-021": {"daily_spend_cap"},
    "opp-initech-001": {"autonomy"},  # advisory: recorded as a dry run
    "opp-initech-002": {"autonomy"},
}
# What the rejection reason of each bad sample must say.
EXPECTED_REASONS = {
    "opp-acme-022": "unknown action type",
    "opp-acme-023": "new_daily_budget",
    "opp-acme-024": "timezone",
    "opp-acme-025": "does not belong to organization org-acme",
    LIST_LINE: "JSON object",
}
OUTCOME_STATUS = {
    "allow": ActionStatus.EXECUTED,
    "needs_approval": ActionStatus.PENDING_APPROVAL,
    "block": ActionStatus.BLOCKED,
    "rejected input": ActionStatus.REJECTED_INPUT,
    "dry run": ActionStatus.DRY_RUN,
    "expired": ActionStatus.EXPIRED,
    "not pulled": None,
}


def documented_outcomes() -> dict[str, ActionStatus | None]:
    """Parse the samples table of docs/formats.md: opportunity (or raw line) -> expected status."""
    text = FORMATS_DOC.read_text(encoding="utf-8")
    table = text.split("**The bundled samples**", 1)[1].split("\n\n", 2)[1]
    expected: dict[str, ActionStatus | None] = {}
    for line in table.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        outcome = next((key for key in OUTCOME_STATUS if cells[0].startswith(key)), None)
        if outcome is None:
            continue
        prefix = ""
        for token in re.findall(r"`([^`]+)`", cells[1]):
            if re.fullmatch(r"opp-[a-z]+-\d{3}", token):
                prefix = token.rsplit("-", 1)[0]
                expected[token] = OUTCOME_STATUS[outcome]
            elif re.fullmatch(r"\d{3}", token):
                expected[f"{prefix}-{token}"] = OUTCOME_STATUS[outcome]
            elif token.startswith("["):
                expected[token] = OUTCOME_STATUS[outcome]
    return expected


DOCUMENTED = documented_outcomes()


def documented(status: ActionStatus, org: str | None = None) -> set[str]:
    """The samples the doc gives this outcome (of one organization)."""
    return {k for k, v in DOCUMENTED.items() if v == status and k.startswith(f"opp-{(org or '').removeprefix('org-')}")}


N_EXECUTED = len(documented(ActionStatus.EXECUTED))
N_PENDING = len(documented(ActionStatus.PENDING_APPROVAL))
N_ADVISORY = len(documented(ActionStatus.DRY_RUN))
N_BLOCKED = len(documented(ActionStatus.BLOCKED))


def by_opportunity(env: Env) -> dict[str, ActionRecord]:
    return {r.opportunity_id: r for r in env.log.query(limit=10_000) if r.opportunity_id}


def raw_line_records(env: Env) -> list[ActionRecord]:
    return [r for r in env.log.query(limit=10_000) if r.opportunity_id is None]


def executed(env: Env) -> list[ActionRecord]:
    return env.log.query(statuses=[ActionStatus.EXECUTED], limit=10_000)


# --------------------------------------------------------------------------- the bundled samples


def test_the_documented_table_covers_every_sample() -> None:
    expected = documented_outcomes()
    samples = (Path(__file__).resolve().parents[2] / "operator_ai" / "samples" / "opportunities.jsonl")
    ids = set(re.findall(r'"opportunity_id": "(opp-[a-z]+-\d{3})"', samples.read_text(encoding="utf-8")))
    assert {k for k in expected if k.startswith("opp-")} == ids
    assert expected[LIST_LINE] == ActionStatus.REJECTED_INPUT
    assert set(OUTCOME_STATUS.values()) == set(expected.values())


def test_sample_run_matches_the_documented_outcomes(env: Env) -> None:
    summary = env.run()
    assert summary.errors == ()
    assert summary.mode == "SANDBOX"
    records = by_opportunity(env)
    for opp_id, status in DOCUMENTED.items():
        if opp_id == LIST_LINE:
            rows = raw_line_records(env)
            orgs = {o.organization_id for o in env.services.state.list_orgs()}
            assert {r.organization_id for r in rows} == orgs  # names no organization: reported in each
            assert {r.status for r in rows} == {ActionStatus.REJECTED_INPUT}
            assert all(EXPECTED_REASONS[LIST_LINE] in (r.error_message or "") for r in rows)
        elif status is None:
            assert opp_id not in records, f"{opp_id} must not be pulled"
        else:
            assert records[opp_id].status == status, (opp_id, records[opp_id].error_message)
    for opp_id, rules in EXPECTED_RULES.items():
        verdict = records[opp_id].verdict
        assert verdict is not None
        fired = set(verdict.rule_ids(verdict.outcome))
        assert rules <= fired, (opp_id, fired)
    for opp_id, reason in EXPECTED_REASONS.items():
        if opp_id != LIST_LINE:
            assert reason in (records[opp_id].error_message or ""), (opp_id, records[opp_id].error_message)
    assert "approval-only" in (records["opp-acme-028"].payload.get("reason") or "")
    # The summary reports every line it logged, with the rule ids of blocked and pending actions.
    lines = {line["action_id"]: line for line in summary.actions}
    for opp_id in ("opp-acme-017", "opp-acme-010"):
        record = records[opp_id]
        rules = lines[record.action_id]["rules"]
        assert EXPECTED_RULES[opp_id] <= set(rules["block"] or rules["needs_approval"])
    assert sum(summary.counts.values()) == len(summary.actions) == len(env.log.query(limit=10_000))


def test_blocked_and_pending_actions_never_reach_the_platform(env: Env) -> None:
    env.run()
    sent = set(env.applied_keys())
    assert sent == {r.action_id for r in executed(env)}
    records = by_opportunity(env)
    untouched = [r for r in records.values() if r.status != ActionStatus.EXECUTED]
    assert untouched and not sent & {r.action_id for r in untouched}
    assert env.campaign("113")["status"] == "ENABLED"  # the winner
    assert env.campaign("112")["status"] == "ENABLED"  # the brand campaign
    assert env.campaign("114")["status"] == "ENABLED"  # the young campaign
    assert env.budget_of("113") == "200.00" and env.budget_of("120") == "1500.00"
    assert active_runs(env, "103") == []  # the unsubscribed contact


def test_every_executed_action_was_written_ahead_with_its_rollback_plan(env: Env) -> None:
    env.run()
    done = executed(env)
    assert len(done) == N_EXECUTED
    for record in done:
        events = env.events(record.action_id)
        statuses = [e.status for e in events]
        assert statuses.count(ActionStatus.EXECUTED) == 1
        ahead = [e for e in events if e.status == ActionStatus.EXECUTING]
        assert len(ahead) == 1 and ahead[0].seq < record.seq, statuses
        assert record.rollback_plan is not None and ahead[0].rollback_plan is not None
        plan, planned = record.rollback_plan, ahead[0].rollback_plan
        # Finalising may only add what the platform returned (created resource names, a note).
        assert (plan.before_state, plan.expected_state, plan.reversibility) == (
            planned.before_state, planned.expected_state, planned.reversibility)
        assert [op.op for op in plan.inverse_ops] == [op.op for op in planned.inverse_ops]
        assert record.executed_by == "operator" and record.executed_at is not None
        assert record.measurement_checkpoints
        assert record.plan_hash == ahead[0].plan_hash


def test_the_sandbox_changed_exactly_as_the_operations_say(env: Env) -> None:
    env.run()
    for record in executed(env):
        assert record.rollback_plan is not None
        assert observed_now(env, record) == as_json(record.rollback_plan.expected_state), record.action_type
        assert as_json(record.rollback_plan.before_state) != as_json(record.rollback_plan.expected_state)
    assert env.campaign("111")["status"] == "PAUSED"
    assert env.budget_of("117") == "287.50"
    assert env.entity(Platform.GOOGLE_ADS, ACME_ADS, "keyword", "2001~3001")["cpc_bid"] == "1.32"
    assert env.entity(Platform.ACTIVECAMPAIGN, ACME_MAIL, "email_campaign", "23")["status"] == 3
    send_at = env.entity(Platform.ACTIVECAMPAIGN, ACME_MAIL, "email_campaign", "21")["scheduled_at"]
    assert datetime.fromisoformat(send_at) == datetime(2099, 11, 26, 19, 0, tzinfo=UTC)
    assert len(active_runs(env, "101")) == len(active_runs(env, "102")) == 1
    assert env.campaign("211", GLOBEX_ADS)["status"] == "PAUSED"
    assert env.campaign("212", GLOBEX_ADS)["status"] == "PAUSED"  # planned from the title by the rules planner
    negatives = {n["text"] for n in env.world.entities(Platform.GOOGLE_ADS, GLOBEX_ADS, "negative")
                 if n["campaign_id"] == "213"}
    assert {"free", "diy"} <= negatives
    artifacts = env.services.artifacts.list_artifacts(ACME)
    assert sorted(a.kind for a in artifacts) == ["content_brief", "internal_links"]
    flagged, reason = env.services.artifacts.get_refresh_flag(
        ACME, "https://www.acme.example/blog/widget-buying-guide-2019")
    assert flagged and "2019" in (reason or "")


# --------------------------------------------------------------------------- idempotency


def test_a_second_run_executes_nothing_and_appends_no_rows(env: Env) -> None:
    env.run()
    rows, sent = env.row_count(), list(env.applied_keys())
    again = env.run()
    assert again.errors == () and again.actions == ()
    assert env.row_count() == rows
    assert env.applied_keys() == sent
    assert all(n == 1 for n in executed_transitions(env.all_rows()).values())


def test_a_second_process_on_the_same_home_executes_nothing_new(env: Env, make_env: Callable[..., Env]) -> None:
    env.run()
    rows = env.row_count()
    other = make_env(env.home)
    other.run()
    assert other.applied_keys() == [] and env.row_count() == rows


def test_overlapping_runs_never_execute_an_action_twice(make_env: Callable[..., Env]) -> None:
    """A second process starts while the first is between its decisions and its platform calls."""
    holder: dict[str, Env] = {}

    def overlap(spy: Spy, call: ApplyCall) -> None:
        if "second" not in holder:
            holder["second"] = second = make_env(holder["first"].home)
            second.run()

    first = holder["first"] = make_env(after_apply={Platform.GOOGLE_ADS: overlap})
    first.run()
    second = holder["second"]
    assert second.applied_keys() == []
    counts = executed_transitions(first.all_rows())
    assert len(counts) == N_EXECUTED and set(counts.values()) == {1}
    sent = first.applied_keys()
    assert len(sent) == len(set(sent)) == N_EXECUTED


# --------------------------------------------------------------------------- dry runs


def test_a_dry_run_executes_nothing_and_a_later_real_run_still_executes(env: Env) -> None:
    summary = env.run(dry_run=True)
    assert summary.dry_run and summary.errors == ()
    assert env.applied_keys() == []
    # Every judged action is a DRY_RUN row saying what would have happened — blocked ones too (issue 13.9:
    # they were BLOCKED rows marked deferred, as if a real run had decided them).
    assert summary.counts.get("DRY_RUN") == N_EXECUTED + N_PENDING + N_ADVISORY + N_BLOCKED
    assert not {"EXECUTED", "EXECUTING", "PENDING_APPROVAL", "BLOCKED"} & set(summary.counts)
    would_block = [line for line in summary.actions if "otherwise blocked by" in line["detail"]]
    assert len(would_block) == N_BLOCKED
    assert env.services.state.list_pending() == []  # a dry run queues nothing for a person
    assert env.campaign("111")["status"] == "ENABLED"
    real = env.run()
    assert real.counts.get("EXECUTED") == N_EXECUTED
    assert env.campaign("111")["status"] == "PAUSED"


def test_dry_run_rows_say_why_and_what_would_otherwise_happen(env: Env) -> None:
    summary = env.run()
    advisory = [line for line in summary.actions if line["status"] == "DRY_RUN"]
    assert advisory and all(line["organization_id"] == "org-initech" for line in advisory)
    assert all(line["detail"] == "dry run (advisory mode); otherwise would execute" for line in advisory)
    for line in advisory:
        [record] = env.log.latest([line["action_id"]]).values()
        assert record.result == {"dry_run": True, "otherwise": "would execute"}  # sandbox: no platform validation
    requested = [line for line in env.run(dry_run=True).actions if line["status"] == "DRY_RUN"]
    assert requested == []  # the advisory ones are decided for good; nothing else is left to dry-run


def test_a_dry_run_after_a_real_run_leaves_every_decided_action_as_it_was(env: Env) -> None:
    env.run()
    latest = {r.action_id: r.status for r in env.log.query(limit=10_000)}
    rows = env.row_count()
    pending = {p.action_id for p in env.services.state.list_pending()}
    env.run(dry_run=True)
    assert {r.action_id: r.status for r in env.log.query(limit=10_000)} == latest
    assert env.row_count() == rows
    assert {p.action_id for p in env.services.state.list_pending()} == pending
    assert env.applied_keys().count(next(iter(executed(env))).action_id) == 1


# --------------------------------------------------------------------------- the emergency stop


@pytest.mark.parametrize("scope", ["global", ACME])
def test_stop_then_run_executes_nothing_and_resume_restores(env: Env, scope: str) -> None:
    env.stop(scope, reason="investigating spend spike")
    stopped = env.run()
    lines = {line["organization_id"]: line for line in stopped.actions if line["status"] == "STOPPED"}
    assert ACME in lines and "investigating spend spike" in lines[ACME]["detail"]
    acme_sent = [k for k in env.applied_keys() if k in {r.action_id for r in env.log.query(organization_id=ACME)}]
    assert acme_sent == []
    assert env.log.query(organization_id=ACME) == []  # nothing was even decided for a stopped org
    assert env.campaign("111")["status"] == "ENABLED"
    if scope == "global":
        assert env.applied_keys() == [] and GLOBEX in lines
    else:  # another organization carries on
        assert GLOBEX not in lines and len(env.applied_keys()) == len(documented(ActionStatus.EXECUTED, GLOBEX))
    env.resume(scope)
    resumed = env.run()
    assert resumed.counts.get("EXECUTED") == len(documented(ActionStatus.EXECUTED, None if scope == "global" else ACME))
    assert env.campaign("111")["status"] == "PAUSED"


def test_a_stop_pulled_mid_run_halts_the_run_before_its_next_platform_call(make_env: Callable[..., Env]) -> None:
    """The kill switch goes on right after the first account's apply: nothing else is sent."""
    holder: dict[str, Env] = {}

    def pull_the_switch(spy: Spy, call: ApplyCall) -> None:
        holder["env"].stop(ACME, reason="pulled mid-run")

    env = holder["env"] = make_env(after_apply={Platform.GOOGLE_ADS: pull_the_switch})
    summary = env.run([ACME])
    ads_keys = env.spy(Platform.GOOGLE_ADS).applied_keys()
    assert len(ads_keys) == 3 and len(env.spy(Platform.GOOGLE_ADS).applies) == 1  # one batched call
    assert env.spy(Platform.ACTIVECAMPAIGN).applies == [] and env.spy(Platform.CONTENT).applies == []
    later = [line for line in summary.actions if line["action_id"] not in ads_keys and line["status"] == "BLOCKED"
             and "kill_switch" in line["detail"]]
    assert len(later) == 6  # 3 email + 3 content actions: deferred, not dropped
    for line in later:
        record = env.log.latest([line["action_id"]])[line["action_id"]]
        assert record.result == {"deferred": True}
    env.resume(ACME)
    again = env.run([ACME])
    assert again.counts.get("EXECUTED") == 6
    assert len(env.applied_keys()) == 9 == len(set(env.applied_keys()))
