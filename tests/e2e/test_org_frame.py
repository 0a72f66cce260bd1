"""Issue 13.8: one loader builds what an org is judged on, with a history that reaches back as far as the
org's longest time-based limit — in the scheduled run, the approval re-check and `operator plan` alike —
and an adapter's own error is never mistaken for a missing connector."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from operator_ai.approvals import decide
from operator_ai.preview import preview
from operator_ai.settings import SAMPLES_DIR
from schemas.common import ActionStatus, Outcome, Platform
from tests.e2e.harness import ACME, ACME_ADS, APPROVER, Env, opportunity, samples_dir


def _acme_orgs(**limits: str) -> str:
    orgs = yaml.safe_load((SAMPLES_DIR / "orgs.yaml").read_text(encoding="utf-8"))
    acme = next(o for o in orgs["organizations"] if o["organization_id"] == ACME)
    acme["limits"] = {**acme.get("limits", {}), **limits}
    return str(yaml.safe_dump(orgs))


def _raise_117(pct: str) -> dict[str, Any]:
    return {"type": "adjust_campaign_budget", "target": {"customer_id": ACME_ADS, "campaign_id": "117"},
            "params": {"change_pct": pct}}


def _load(env: Env, *opportunities: dict[str, Any]) -> None:
    env.services.extras["store"].load_opportunities(list(opportunities))


def _failed_checks(env: Env, opp_id: str) -> list[str]:
    return [c.check_id for c in env.record(opp_id).checks if not c.passed]


@pytest.fixture
def tightened(make_env: Callable[..., Env], scratch: Path) -> Env:
    """org-acme with `similar_failure_hours` and `cooldown_hours` tightened to 72 h (default 24 h and 48 h)."""
    samples = samples_dir(scratch / "samples", [], orgs_yaml=_acme_orgs(similar_failure_hours="72",
                                                                         cooldown_hours="72"))
    return make_env(samples=samples)


def test_a_tightened_similar_failure_window_holds_in_the_run_and_the_approval_recheck(tightened: Env) -> None:
    env = tightened
    _load(env, opportunity("opp-first", _raise_117("10"), now=env.clock()))
    env.faults.add({"phase": "apply_before", "kind": "permanent", "platform": "google_ads", "count": 1})
    env.run([ACME])
    assert env.record("opp-first").status == ActionStatus.FAILED  # a permanent failure: nothing landed

    env.clock.advance(hours=49)  # past the old 48 h history window, inside the org's 72 h
    _load(env, opportunity("opp-again", _raise_117("10"), now=env.clock()))
    env.run([ACME])
    assert env.record("opp-again").status == ActionStatus.BLOCKED
    assert _failed_checks(env, "opp-again") == ["no_similar_failure"]

    env.clock.advance(hours=11)  # 60 h: judged again (the block is deferred), blocked again
    _load(env, opportunity("opp-asks", _raise_117("30"), now=env.clock()))  # +30 %: a person approves
    env.run([ACME])
    assert env.record("opp-again").status == ActionStatus.BLOCKED
    assert _failed_checks(env, "opp-again") == ["no_similar_failure"]
    asks = env.record("opp-asks")
    assert asks.status == ActionStatus.PENDING_APPROVAL
    decision = decide(env.services, asks.action_id, approve=True, approver=APPROVER)
    assert decision.status == "BLOCKED" and "no_similar_failure" in decision.message
    assert env.budget_of("117") == "250.00"  # nothing was sent

    env.clock.advance(hours=13)  # 73 h: the failure is out of the org's window
    env.run([ACME])
    assert env.record("opp-again").status == ActionStatus.EXECUTED


def test_a_tightened_cooldown_holds_in_plan_and_the_approval_recheck(tightened: Env) -> None:
    env = tightened
    _load(env, opportunity("opp-first", _raise_117("10"), now=env.clock()))
    env.run([ACME])
    assert env.record("opp-first").status == ActionStatus.EXECUTED

    env.clock.advance(hours=60)  # inside the org's 72 h cooldown, outside the old 48 h history window
    _load(env, opportunity("opp-next", _raise_117("5"), now=env.clock()))
    [item] = [i for i in preview(env.services, [ACME]) if i["opportunity_id"] == "opp-next"]
    assert item["would_be"] == "PENDING_APPROVAL" and item["rules"] == ["cooldown"]
    env.run([ACME])
    pending = env.record("opp-next")
    assert pending.status == ActionStatus.PENDING_APPROVAL
    assert pending.verdict is not None and pending.verdict.rule_ids(Outcome.NEEDS_APPROVAL) == ["cooldown"]
    # The re-check at approval sees the same history: cooldown only asks for a person, who is here.
    decision = decide(env.services, pending.action_id, approve=True, approver=APPROVER)
    assert decision.status == "EXECUTED"
    assert decision.record is not None and decision.record.verdict is not None
    assert "cooldown" in decision.record.verdict.rule_ids(Outcome.NEEDS_APPROVAL)


def test_a_key_error_inside_an_adapter_is_not_a_missing_connector(make_env: Callable[..., Env], scratch: Path,
                                                                  caplog: pytest.LogCaptureFixture) -> None:
    """A defect in an adapter is logged with its traceback and the action is judged again next run —
    never recorded for good as "no connector configured"."""
    env = make_env(samples=samples_dir(scratch / "samples", []))
    _load(env, opportunity("opp-key", _raise_117("10"), now=env.clock()))
    spy = env.spy(Platform.GOOGLE_ADS)
    spy.snapshot_error, spy.fail_snapshot_calls = KeyError("campaign_budget"), {1}
    summary = env.run([ACME])
    row = env.record("opp-key")
    assert row.status == ActionStatus.BLOCKED and row.result == {"deferred": True}
    assert row.verdict is not None and summary.errors == ()
    [target] = [r for r in row.verdict.rules if r.rule_id == "target_state"]
    assert "KeyError" in target.message and "no connector configured" not in target.message
    assert any(r.exc_info and r.exc_info[0] is KeyError for r in caplog.records)
    env.run([ACME])  # the adapter works again: the action is judged afresh and executes
    assert env.record("opp-key").status == ActionStatus.EXECUTED


def test_organizations_sharing_an_account_are_not_run(make_env: Callable[..., Env], scratch: Path) -> None:
    """Issue 13.7: however two stored organizations came to share an account, neither is run."""
    from schemas.policy import ConnectedAccounts, OrgPolicy

    env = make_env(samples=samples_dir(scratch / "samples", [opportunity("opp-pause", {
        "type": "pause_campaign", "target": {"customer_id": ACME_ADS, "campaign_id": "111"}, "params": {}})]))
    env.services.state.put_org(OrgPolicy(organization_id="org-rogue",
                                         connected=ConnectedAccounts(google_ads_customer_ids=(ACME_ADS,))))
    summary = env.run()
    refused = [e for e in summary.errors if "not run" in e]
    assert {e.split(":")[0] for e in refused} == {ACME, "org-rogue"}
    assert f"Google Ads customer {ACME_ADS} is connected to org-acme, org-rogue" in refused[0]
    assert env.spy(Platform.GOOGLE_ADS).applied_keys() == [] and env.campaign("111")["status"] == "ENABLED"
