"""Human approvals end to end on the bundled samples (spec §6): a named person approves one specific
plan, once; the Operator re-reads state and re-runs the guardrails before executing; an approval never
lifts a block; stale plans are refused and re-planned; approvals expire."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from connectors.base import ApprovalError
from operator_ai.approvals import Decision, decide, list_pending
from schemas.common import ActionStatus, Platform
from schemas.records import ActionRecord
from tests.e2e.harness import ACME_ADS, APPROVER, ApplyCall, Env, ProcessDied, Spy, executed_transitions

BUDGET_30 = "opp-acme-010"  # campaign 118, budget 507: 70.00 -> 91.00, needs approval (+30 %)
BID_40 = "opp-acme-015"  # keyword 2001~3002: inherits the ad group's 1.00 -> 1.40, needs approval (+40 %)
BRAND_PAUSE = "opp-acme-013"
APPROVAL_ONLY = "opp-acme-028"
WINNER_PAUSE = "opp-acme-017"  # blocked: never pending


@pytest.fixture
def ran(env: Env) -> Env:
    """The samples after one run: eight actions wait for a person."""
    env.run()
    return env


def pending_id(env: Env, opp_id: str) -> str:
    record = env.record(opp_id)
    assert record.status == ActionStatus.PENDING_APPROVAL, (opp_id, record.status)
    return record.action_id


def approve(env: Env, opp_id: str, approver: str = APPROVER, **kwargs: object) -> Decision:
    return decide(env.services, pending_id(env, opp_id), approve=True, approver=approver, **kwargs)  # type: ignore[arg-type]


def statuses(env: Env, record: ActionRecord) -> list[ActionStatus]:
    return [e.status for e in env.events(record.action_id)]


def test_approve_executes_after_re_checking_and_records_the_approver(ran: Env) -> None:
    decision = approve(ran, BUDGET_30)
    assert decision.status == "EXECUTED", decision.message
    record = ran.record(BUDGET_30)
    assert statuses(ran, record) == [ActionStatus.PENDING_APPROVAL, ActionStatus.APPROVED, ActionStatus.EXECUTING,
                                     ActionStatus.EXECUTED]
    assert record.executed_by == APPROVER
    assert record.verdict is not None and record.verdict.approved_by == APPROVER
    assert {c.check_id for c in record.checks if c.passed} >= {"kill_switch", "opportunity_current", "plan_fresh"}
    assert record.rollback_plan is not None
    assert Decimal(ran.budget_of("118")) == Decimal("91.00")
    assert record.action_id not in {p.action_id for p, _ in list_pending(ran.services)}
    rows, sent = ran.row_count(), ran.applied_keys()
    ran.run()  # the next run leaves a decided action alone
    assert ran.row_count() == rows and ran.applied_keys() == sent
    assert executed_transitions(ran.events(record.action_id)) == {record.action_id: 1}


def test_reject_records_the_person_and_nothing_executes(ran: Env) -> None:
    action_id = pending_id(ran, BRAND_PAUSE)
    decision = decide(ran.services, action_id, approve=False, approver=APPROVER)
    assert decision.status == "REJECTED"
    record = ran.record(BRAND_PAUSE)
    assert record.status == ActionStatus.REJECTED and record.executed_by == APPROVER
    ran.clock.advance(hours=2)
    ran.run()
    assert ran.record(BRAND_PAUSE).status == ActionStatus.REJECTED
    assert action_id not in ran.applied_keys() and ran.campaign("112")["status"] == "ENABLED"


def test_a_decision_is_single_use(ran: Env) -> None:
    action_id = pending_id(ran, BID_40)
    assert approve(ran, BID_40).status == "EXECUTED"
    rows = ran.row_count()
    for again in (True, False):
        with pytest.raises(ApprovalError, match="single-use"):
            decide(ran.services, action_id, approve=again, approver="li@globex.example")
    assert ran.row_count() == rows and ran.applied_keys().count(action_id) == 1


@pytest.mark.parametrize("approver", ["", "operator", "Claude", "not an identity <x@y>"])
def test_only_a_human_identity_can_decide(ran: Env, approver: str) -> None:
    with pytest.raises(ApprovalError, match="human"):
        approve(ran, BUDGET_30, approver=approver)
    assert ran.record(BUDGET_30).status == ActionStatus.PENDING_APPROVAL


def test_another_organization_or_a_forged_plan_hash_is_refused_and_the_approval_survives(ran: Env) -> None:
    with pytest.raises(ApprovalError):
        approve(ran, BUDGET_30, organization_id="org-globex")
    with pytest.raises(ApprovalError, match="plan hash"):
        approve(ran, BUDGET_30, plan_hash="0" * 64)
    assert approve(ran, BUDGET_30).status == "EXECUTED"


def test_nothing_that_is_not_pending_can_be_approved(ran: Env) -> None:
    blocked = ran.record(WINNER_PAUSE)
    with pytest.raises(ApprovalError, match="no approval is pending"):
        decide(ran.services, blocked.action_id, approve=True, approver=APPROVER)
    with pytest.raises(ApprovalError):
        decide(ran.services, "act-000000000000000000000000", approve=True, approver=APPROVER)
    assert ran.campaign("113")["status"] == "ENABLED"


def test_an_approval_only_kind_is_marked_for_a_person_and_never_executed(ran: Env) -> None:
    decision = approve(ran, APPROVAL_ONLY)
    assert decision.status == "MANUAL"
    assert ran.record(APPROVAL_ONLY).status == ActionStatus.MANUAL
    assert ran.record(APPROVAL_ONLY).action_id not in ran.applied_keys()


def test_approvals_expire_after_their_ttl(ran: Env) -> None:
    action_id = pending_id(ran, BUDGET_30)
    ran.clock.advance(hours=4, minutes=1)
    ran.run()
    record = ran.record(BUDGET_30)
    assert record.status == ActionStatus.EXPIRED and "expired" in (record.error_message or "")
    assert list_pending(ran.services) == []
    with pytest.raises(ApprovalError):
        decide(ran.services, action_id, approve=True, approver=APPROVER)
    assert ran.budget_of("118") == "70.00"
    ran.run()
    assert ran.record(BUDGET_30).status == ActionStatus.EXPIRED  # not queued again


def test_a_late_approval_is_refused_and_the_log_says_expired(ran: Env) -> None:
    """Nobody ran in between: the refused approval itself records the expiry."""
    action_id = pending_id(ran, BUDGET_30)
    ran.clock.advance(hours=5)
    with pytest.raises(ApprovalError, match="expired"):
        decide(ran.services, action_id, approve=True, approver=APPROVER)
    assert ran.record(BUDGET_30).status == ActionStatus.EXPIRED
    ran.run()
    assert ran.record(BUDGET_30).status == ActionStatus.EXPIRED and ran.budget_of("118") == "70.00"


def test_an_approval_never_lifts_a_block(ran: Env) -> None:
    """Between planning and approval the org's budgets grew: the increase would now break the org cap."""
    ran.world.set_budget_amount(ACME_ADS, "501", "350.00")  # the brand budget, raised by a person
    decision = approve(ran, BUDGET_30)
    assert decision.status == "BLOCKED"
    assert "daily_spend_cap" in decision.message and "never lifts a block" in decision.message
    record = ran.record(BUDGET_30)
    assert record.status == ActionStatus.BLOCKED and record.verdict is not None
    assert "daily_spend_cap" in record.verdict.rule_ids(record.verdict.outcome)
    assert ran.budget_of("118") == "70.00" and record.action_id not in ran.applied_keys()


def test_a_stale_plan_is_refused_and_re_planned_on_the_next_run(ran: Env) -> None:
    old = ran.services.state.get_approval(pending_id(ran, BUDGET_30))
    assert old is not None
    ran.world.set_budget_amount(ACME_ADS, "507", "80.00")  # the budget itself moved
    decision = approve(ran, BUDGET_30)
    assert decision.status == "BLOCKED" and "stale plan" in decision.message
    assert ran.budget_of("118") == "80.00"
    ran.clock.advance(minutes=5)
    ran.run()
    record = ran.record(BUDGET_30)
    assert record.status == ActionStatus.PENDING_APPROVAL
    fresh = ran.services.state.get_approval(record.action_id)
    assert fresh is not None and fresh.status == "pending" and fresh.plan_hash != old.plan_hash
    assert record.payload["facts"]["budget_before"] == "80.00"
    assert approve(ran, BUDGET_30).status == "EXECUTED"
    assert ran.budget_of("118") == "104.00"


def test_an_approval_that_cannot_run_now_is_refused_and_stays_pending(ran: Env) -> None:
    """The org used its hourly budget of actions: approving is refused up front with when it could run,
    and the approval is not used up (issue 13.5)."""
    first_execution = ran.clock()  # the run's executions and this approval happen at the same (frozen) time
    assert approve(ran, BUDGET_30).status == "EXECUTED"  # the tenth action this hour
    with pytest.raises(ApprovalError, match=r"10 actions executed in the last hour \(limit 10\); it can run from"
                       ) as refused:
        approve(ran, BID_40)
    when = re.search(r"from (\S+ \S+) UTC", str(refused.value))
    assert when is not None
    frees = datetime.strptime(when.group(1), "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
    assert timedelta(0) <= frees - (first_execution + timedelta(hours=1)) <= timedelta(seconds=1)
    assert ran.record(BID_40).status == ActionStatus.PENDING_APPROVAL
    assert pending_id(ran, BID_40) in {p.action_id for p, _ in list_pending(ran.services)}
    assert ran.clock() <= first_execution + timedelta(hours=1)
    ran.clock.advance(hours=1, minutes=1)  # the oldest counted executions left the window
    assert approve(ran, BID_40).status == "EXECUTED"


def test_an_approved_execution_that_died_is_settled_after_its_lease(env: Env, make_env: Callable[..., Env]) -> None:
    def die(spy: Spy, call: ApplyCall) -> None:
        raise ProcessDied

    env.run()
    dying = make_env(env.home, after_apply={Platform.GOOGLE_ADS: die})
    with pytest.raises(ProcessDied):
        approve(dying, BUDGET_30)
    assert env.record(BUDGET_30).status == ActionStatus.EXECUTING and env.budget_of("118") == "91.00"
    env.clock.advance(minutes=20)
    env.run()
    record = env.record(BUDGET_30)
    assert record.status == ActionStatus.EXECUTED and record.result is not None and record.result["settled_by_read"]
    assert env.applied_keys().count(record.action_id) == 0  # settled by reading, not sent again


def test_an_approval_while_another_run_holds_the_action_waits_and_is_asked_again(ran: Env) -> None:
    action_id = pending_id(ran, BUDGET_30)
    ran.services.state.reopen(action_id)
    assert ran.services.state.claim(action_id, "run-elsewhere", ran.clock(), 900)  # a run that then died
    decision = approve(ran, BUDGET_30)
    assert decision.status == "BLOCKED" and "another run is processing" in decision.message
    assert statuses(ran, ran.record(BUDGET_30)) == [ActionStatus.PENDING_APPROVAL, ActionStatus.APPROVED,
                                                    ActionStatus.BLOCKED]
    assert ran.budget_of("118") == "70.00" and action_id not in ran.applied_keys()
    ran.clock.advance(minutes=20)  # its lease ran out: the next run plans the action afresh
    ran.run()
    assert ran.record(BUDGET_30).status == ActionStatus.PENDING_APPROVAL
    assert approve(ran, BUDGET_30).status == "EXECUTED" and ran.budget_of("118") == "91.00"
