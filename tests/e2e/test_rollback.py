"""Rollback end to end on the bundled samples (spec §7): every executed action is undone on the sandbox,
drift is refused unless forced, `--since` goes newest first, the kill switch applies, and what cannot be
undone is reported."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from operator_ai.approvals import decide
from operator_ai.orchestrator import new_run_id
from rollback.executor import RollbackExecutor, RollbackOutcome
from schemas.common import ActionStatus, Platform
from schemas.records import ActionRecord, Reversibility
from tests.e2e.harness import ACME, ACME_ADS, ACME_MAIL, APPROVER, Env, active_runs, as_json, observed_now

ACTOR = "ops@acme.example"


@pytest.fixture
def ran(env: Env) -> Env:
    env.run()
    return env


def executor(env: Env) -> RollbackExecutor:
    return RollbackExecutor(env.services.log, env.services.state, env.services.connectors, env.services.clock)


def undo(env: Env, action_id: str, **flags: object) -> RollbackOutcome:
    return executor(env).rollback(action_id, actor=ACTOR, run_id=new_run_id(env.clock()), **flags)  # type: ignore[arg-type]


def executed(env: Env, org: str | None = None) -> list[ActionRecord]:
    return env.log.query(organization_id=org, statuses=[ActionStatus.EXECUTED], limit=10_000)


def test_every_executed_sample_is_rolled_back_to_the_state_before(ran: Env) -> None:
    done = executed(ran)
    assert len(done) >= 13
    for record in done:
        assert record.rollback_plan is not None
        outcome = undo(ran, record.action_id)
        assert outcome.status == "rolled_back", (record.action_type, outcome.message)
        assert observed_now(ran, record) == as_json(record.rollback_plan.before_state), record.action_type
        events = [e.status for e in ran.events(record.action_id)]
        assert events[-2:] == [ActionStatus.ROLLING_BACK, ActionStatus.ROLLED_BACK]
        latest = ran.record(record.opportunity_id or "")
        assert latest.rolled_back_at == ran.clock() and latest.result is not None
        assert latest.result["rollback"]["by"] == ACTOR
    assert ran.campaign("111")["status"] == "ENABLED" and ran.budget_of("117") == "250.00"
    assert ran.entity(Platform.GOOGLE_ADS, ACME_ADS, "keyword", "2001~3001")["cpc_bid"] == "1.20"
    assert ran.entity(Platform.ACTIVECAMPAIGN, ACME_MAIL, "email_campaign", "23")["status"] == 2
    assert active_runs(ran, "101") == active_runs(ran, "102") == []
    assert ran.services.artifacts.list_artifacts(ACME) == []  # archived, not deleted
    assert len(ran.services.artifacts.list_artifacts(ACME, include_archived=True)) == 2
    assert not ran.services.artifacts.get_refresh_flag(ACME, "https://www.acme.example/blog/widget-buying-guide-2019")[0]
    rows = ran.row_count()
    ran.clock.advance(hours=1)
    ran.run()  # a rolled-back action is not executed again by later runs
    assert ran.row_count() == rows


def test_an_enrolment_rollback_reports_what_cannot_be_undone(ran: Env) -> None:
    [record] = [r for r in executed(ran, ACME) if r.action_type == "trigger_automation"]
    assert record.rollback_plan is not None and record.rollback_plan.reversibility == Reversibility.PARTIAL
    outcome = undo(ran, record.action_id)
    assert outcome.status == "rolled_back"
    assert outcome.irreversible_parts == record.rollback_plan.irreversible_parts != ()
    assert "not undone" in outcome.message
    assert ran.record(record.opportunity_id or "").result["rollback"]["irreversible_parts"]


def test_drift_is_refused_with_a_diff_unless_forced(ran: Env) -> None:
    record = ran.record("opp-acme-002")  # budget 117: 250.00 -> 287.50
    ran.world.set_budget_amount(ACME_ADS, "506", "300.00")  # someone changed it in the platform UI
    rows = ran.row_count()
    refused = undo(ran, record.action_id)
    assert refused.status == "refused" and refused.diff
    [(key, change)] = refused.diff.items()
    assert change == {"expected": "287.50", "found": "300.00"}, key
    assert ran.budget_of("117") == "300.00" and ran.row_count() == rows
    assert ran.record("opp-acme-002").status == ActionStatus.EXECUTED
    forced = undo(ran, record.action_id, force=True)
    assert forced.status == "rolled_back" and forced.diff == refused.diff
    assert ran.budget_of("117") == "250.00"
    assert ran.record("opp-acme-002").result["rollback"]["forced"] is True


def test_a_dry_run_rollback_changes_nothing(ran: Env) -> None:
    record = ran.record("opp-acme-001")
    rows = ran.row_count()
    outcome = undo(ran, record.action_id, dry_run=True)
    assert outcome.status == "dry_run" and [op.op for op in outcome.inverse_ops] == ["set_campaign_status"]
    assert ran.campaign("111")["status"] == "PAUSED" and ran.row_count() == rows


def test_rollback_passes_the_kill_switch(ran: Env) -> None:
    record = ran.record("opp-acme-001")
    ran.stop(ACME, reason="incident")
    refused = undo(ran, record.action_id)
    assert refused.status == "refused" and "emergency stop" in refused.message
    assert ran.campaign("111")["status"] == "PAUSED"
    allowed = undo(ran, record.action_id, allow_during_stop=True)  # a person's explicit override
    assert allowed.status == "rolled_back" and ran.campaign("111")["status"] == "ENABLED"


def test_what_did_not_execute_or_was_undone_is_not_rolled_back(ran: Env) -> None:
    blocked = ran.record("opp-acme-017")
    assert undo(ran, blocked.action_id).status == "refused"
    assert undo(ran, "act-000000000000000000000000").status == "refused"
    record = ran.record("opp-acme-001")
    assert undo(ran, record.action_id).status == "rolled_back"
    again = undo(ran, record.action_id)
    assert again.status == "skipped" and ran.campaign("111")["status"] == "ENABLED"
    assert [e.status for e in ran.events(record.action_id)].count(ActionStatus.ROLLED_BACK) == 1


def test_rollback_since_goes_newest_first_and_reports_each_outcome(ran: Env) -> None:
    first_run = ran.clock()
    ran.clock.advance(minutes=61)  # past the hourly action limit the first run used up
    assert decide(ran.services, ran.record("opp-acme-011").action_id, approve=True,
                  approver=APPROVER).status == "EXECUTED"  # content brief
    ran.clock.advance(minutes=10)
    assert decide(ran.services, ran.record("opp-acme-015").action_id, approve=True,
                  approver=APPROVER).status == "EXECUTED"  # keyword bid
    ran.world.set_budget_amount(ACME_ADS, "506", "300.00")  # one of the earlier actions drifted
    since: datetime = first_run + timedelta(minutes=5)
    recent = executor(ran).rollback_since(ACME, since, actor=ACTOR, run_id=new_run_id(ran.clock()))
    assert [o.action_id for o in recent] == [ran.record("opp-acme-015").action_id,
                                              ran.record("opp-acme-011").action_id]
    assert {o.status for o in recent} == {"rolled_back"}
    everything = executor(ran).rollback_since(ACME, first_run - timedelta(minutes=1), actor=ACTOR,
                                              run_id=new_run_id(ran.clock()))
    by_id = {o.action_id: o for o in everything}
    assert by_id[ran.record("opp-acme-002").action_id].status == "refused"  # drift: reported, not fatal
    others = [o for o in everything if o.action_id != ran.record("opp-acme-002").action_id]
    assert others and {o.status for o in others} == {"rolled_back"}
    assert ran.campaign("111")["status"] == "ENABLED"
