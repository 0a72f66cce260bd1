"""Faults on the way to the platform, end to end: nothing is ever sent twice, and an ambiguous outcome
is settled by reading the platform, never by sending again.

Faults are injected by the sandbox's `FaultPlan` (before the change lands, or after it landed with the
response lost) and by spies around the sandbox connectors (a read failing at one precise moment, the
process dying between the write-ahead row and the result).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest

from connectors.base import RetryableError
from connectors.sandbox import FaultPlan
from operator_ai.orchestrator import new_run_id
from rollback.executor import RollbackExecutor
from schemas.common import ActionStatus, Platform
from schemas.records import ActionRecord
from tests.e2e.harness import (
    ACME,
    ACME_ADS,
    ACME_MAIL,
    ApplyCall,
    Env,
    ProcessDied,
    Spy,
    executed_transitions,
    opportunity,
    samples_dir,
)

PAUSE = opportunity("opp-f-pause", {"type": "pause_campaign",
                                    "target": {"customer_id": ACME_ADS, "campaign_id": "111"}, "params": {}})
BUDGET = opportunity("opp-f-budget", {"type": "adjust_campaign_budget",
                                      "target": {"customer_id": ACME_ADS, "campaign_id": "117"},
                                      "params": {"change_pct": "15"}})  # 250.00 -> 287.50; sent twice: 330.63
EMAIL = opportunity("opp-f-email", {"type": "pause_email_campaign",
                                    "target": {"account_id": ACME_MAIL, "campaign_id": "23"}, "params": {}},
                    platform="activecampaign")
LEASE_S = 900  # Settings.claim_lease_s default


@pytest.fixture
def samples(tmp_path: Path) -> Path:
    return samples_dir(tmp_path / "samples", [PAUSE, BUDGET, EMAIL])


@pytest.fixture
def make(make_env: Callable[..., Env], samples: Path) -> Callable[..., Env]:
    def build(**kwargs: object) -> Env:
        return make_env(samples=samples, **kwargs)

    return build


def rec(env: Env, opp_id: str) -> ActionRecord:
    return env.record(opp_id)


def statuses(env: Env, record: ActionRecord) -> list[ActionStatus]:
    return [e.status for e in env.events(record.action_id)]


def ads_sends(env: Env, record: ActionRecord) -> int:
    return env.spy(Platform.GOOGLE_ADS).applied_keys().count(record.action_id)


# --------------------------------------------------------------------------- the apply fails before landing


def test_a_permanent_failure_before_landing_is_final_changes_nothing_and_is_not_resent(
        make: Callable[..., Env]) -> None:
    env = make(faults=FaultPlan([{"phase": "apply_before", "kind": "permanent", "op": "set_budget_amount"}]))
    summary = env.run([ACME])
    assert summary.errors == ()
    budget = rec(env, "opp-f-budget")
    assert budget.status == ActionStatus.FAILED
    assert statuses(env, budget) == [ActionStatus.EXECUTING, ActionStatus.FAILED]
    assert budget.result is not None and budget.result["error"]["kind"] == "permanent"
    assert env.budget_of("117") == "250.00"
    # The failure is per action: the other actions of the same batched call went through.
    assert rec(env, "opp-f-pause").status == ActionStatus.EXECUTED
    assert env.campaign("111")["status"] == "PAUSED"
    rows = env.row_count()
    env.clock.advance(hours=1)
    env.run([ACME])
    assert ads_sends(env, budget) == 1 and env.budget_of("117") == "250.00"
    assert env.row_count() == rows  # a failed action is final: not re-judged, not re-sent


@pytest.mark.parametrize("kind", ["retryable", "rate_limited", "quota"])
def test_a_transient_failure_before_landing_is_retried_by_a_later_run(make: Callable[..., Env], kind: str) -> None:
    env = make(faults=FaultPlan([{"phase": "apply_before", "kind": kind, "op": "set_budget_amount", "count": 1}]))
    assert env.run([ACME]).errors == ()
    budget = rec(env, "opp-f-budget")
    assert budget.status == ActionStatus.FAILED
    assert budget.result is not None and budget.result["error"]["kind"] == kind and budget.result["retry_later"]
    assert env.budget_of("117") == "250.00"
    assert rec(env, "opp-f-pause").status == ActionStatus.EXECUTED
    env.clock.advance(hours=1)
    env.run([ACME])
    # Nothing landed the first time, so sending again is safe; the similar-failure check does not hold it back.
    assert statuses(env, budget) == [ActionStatus.EXECUTING, ActionStatus.FAILED, ActionStatus.EXECUTING,
                                     ActionStatus.EXECUTED]
    assert ads_sends(env, budget) == 2 and env.budget_of("117") == "287.50"
    rows = env.row_count()
    env.clock.advance(hours=1)
    env.run([ACME])
    assert ads_sends(env, budget) == 2 and env.row_count() == rows


def test_a_whole_call_failure_fails_every_action_of_the_account(make: Callable[..., Env]) -> None:
    class Refusing(Spy):
        def apply(self, account_id, batches, *, validate_only=False):  # type: ignore[no-untyped-def]
            raise RetryableError("503 from the platform", code="UNAVAILABLE")

    env = make()
    ads = env.spy(Platform.GOOGLE_ADS)
    env.services.connectors[Platform.GOOGLE_ADS] = Refusing(ads.inner, env.clock)  # type: ignore[assignment]
    env.run([ACME])
    for opp in ("opp-f-pause", "opp-f-budget"):
        assert rec(env, opp).status == ActionStatus.FAILED
    assert env.campaign("111")["status"] == "ENABLED" and env.budget_of("117") == "250.00"
    assert rec(env, "opp-f-email").status == ActionStatus.EXECUTED  # another account is unaffected


# --------------------------------------------------------------------------- the response is lost


def test_a_lost_response_is_uncertain_and_settled_by_reading_never_by_resending(make: Callable[..., Env]) -> None:
    env = make(faults=FaultPlan([{"phase": "apply_after", "kind": "timeout", "op": "set_budget_amount"}]))
    env.run([ACME])
    budget = rec(env, "opp-f-budget")
    assert budget.status == ActionStatus.UNCERTAIN
    assert env.budget_of("117") == "287.50"  # it landed; we just never heard
    assert ads_sends(env, budget) == 1
    env.clock.advance(minutes=10)
    summary = env.run([ACME])
    settled = rec(env, "opp-f-budget")
    assert settled.status == ActionStatus.EXECUTED
    assert settled.result is not None and settled.result["settled_by_read"] is True
    assert statuses(env, settled) == [ActionStatus.EXECUTING, ActionStatus.UNCERTAIN, ActionStatus.EXECUTED]
    assert ads_sends(env, settled) == 1 and env.budget_of("117") == "287.50"
    assert settled.rollback_plan is not None and settled.measurement_checkpoints
    assert any(line["action_id"] == settled.action_id and line["status"] == "EXECUTED" for line in summary.actions)
    assert env.services.opportunities.current_status("opp-f-budget")[0] == "actioned"
    rows = env.row_count()
    env.clock.advance(minutes=10)
    env.run([ACME])
    assert env.row_count() == rows and ads_sends(env, settled) == 1


def test_an_ambiguous_failure_that_did_not_land_is_settled_as_failed(make: Callable[..., Env]) -> None:
    env = make(faults=FaultPlan([{"phase": "apply_before", "kind": "reset", "op": "set_budget_amount"}]))
    env.run([ACME])
    budget = rec(env, "opp-f-budget")
    assert budget.status == ActionStatus.UNCERTAIN and env.budget_of("117") == "250.00"
    env.clock.advance(minutes=10)
    env.run([ACME])
    settled = rec(env, "opp-f-budget")
    assert settled.status == ActionStatus.FAILED and "did not land" in (settled.error_message or "")
    assert ads_sends(env, settled) == 1 and env.budget_of("117") == "250.00"


def test_an_uncertain_action_whose_state_cannot_be_read_is_left_alone_until_it_can(make: Callable[..., Env]) -> None:
    """The settling read fails: the action stays UNCERTAIN, and is neither re-planned nor re-sent."""
    faults = FaultPlan([{"phase": "apply_after", "kind": "timeout", "op": "set_budget_amount"}])
    env = make(faults=faults)
    env.run([ACME])
    budget = rec(env, "opp-f-budget")
    assert budget.status == ActionStatus.UNCERTAIN
    env.clock.advance(minutes=10)
    faults.add({"phase": "snapshot", "kind": "retryable", "platform": "google_ads", "count": 1})
    env.run([ACME])
    assert rec(env, "opp-f-budget").status == ActionStatus.UNCERTAIN
    assert ads_sends(env, budget) == 1 and env.budget_of("117") == "287.50"
    env.clock.advance(minutes=10)
    env.run([ACME])
    assert rec(env, "opp-f-budget").status == ActionStatus.EXECUTED
    assert ads_sends(env, budget) == 1 and env.budget_of("117") == "287.50"


def test_a_dry_run_leaves_an_uncertain_action_for_the_real_run_to_settle(make: Callable[..., Env]) -> None:
    env = make(faults=FaultPlan([{"phase": "apply_after", "kind": "timeout", "op": "set_budget_amount"}]))
    env.run([ACME])
    budget = rec(env, "opp-f-budget")
    env.clock.advance(minutes=5)
    env.run([ACME], dry_run=True)
    assert rec(env, "opp-f-budget").status == ActionStatus.UNCERTAIN
    env.clock.advance(minutes=5)
    env.run([ACME])
    assert rec(env, "opp-f-budget").status == ActionStatus.EXECUTED
    assert ads_sends(env, budget) == 1 and env.budget_of("117") == "287.50"


# --------------------------------------------------------------------------- reads fail


def test_a_failed_planning_read_defers_the_account_s_actions_to_the_next_run(make: Callable[..., Env]) -> None:
    env = make(faults=FaultPlan([{"phase": "snapshot", "kind": "retryable", "platform": "google_ads"}]))
    env.run([ACME])
    for opp in ("opp-f-pause", "opp-f-budget"):
        record = rec(env, opp)
        assert record.status == ActionStatus.BLOCKED and record.result == {"deferred": True}
        assert "target_state" in (record.error_message or "")
    assert env.spy(Platform.GOOGLE_ADS).applies == []
    assert rec(env, "opp-f-email").status == ActionStatus.EXECUTED
    env.clock.advance(minutes=10)
    env.run([ACME])
    assert rec(env, "opp-f-pause").status == rec(env, "opp-f-budget").status == ActionStatus.EXECUTED
    assert env.budget_of("117") == "287.50"


def test_a_failed_read_right_before_the_platform_call_sends_nothing(make: Callable[..., Env]) -> None:
    env = make()
    ads = env.spy(Platform.GOOGLE_ADS)
    ads.fail_snapshot_calls, ads.snapshot_error = {2}, RetryableError("read timed out", code="DEADLINE_EXCEEDED")
    summary = env.run([ACME])
    assert summary.errors == ()
    for opp in ("opp-f-pause", "opp-f-budget"):
        record = rec(env, opp)
        assert record.status == ActionStatus.BLOCKED and record.result == {"deferred": True}
        assert "plan_fresh" in (record.error_message or "")
    assert ads.applies == [] and env.budget_of("117") == "250.00"
    env.clock.advance(minutes=10)
    env.run([ACME])
    assert rec(env, "opp-f-budget").status == ActionStatus.EXECUTED and env.budget_of("117") == "287.50"


def test_a_failed_connection_check_defers_and_the_next_run_executes(make: Callable[..., Env]) -> None:
    env = make(faults=FaultPlan([{"phase": "connect", "kind": "auth", "platform": "google_ads"}]))
    env.run([ACME])
    record = rec(env, "opp-f-budget")
    assert record.status == ActionStatus.BLOCKED and "platform_connected" in (record.error_message or "")
    assert env.spy(Platform.GOOGLE_ADS).applies == []
    env.clock.advance(minutes=10)
    env.run([ACME])
    assert rec(env, "opp-f-budget").status == ActionStatus.EXECUTED


# --------------------------------------------------------------------------- the process dies mid-call


@pytest.mark.parametrize("landed", [True, False])
def test_a_run_that_died_after_the_write_ahead_row_is_settled_after_its_lease(make: Callable[..., Env],
                                                                               landed: bool) -> None:
    class Dying(Spy):
        def apply(self, account_id, batches, *, validate_only=False):  # type: ignore[no-untyped-def]
            if landed:
                self.inner.apply(account_id, batches, validate_only=validate_only)
            raise ProcessDied

    env = make()
    env.services.connectors[Platform.GOOGLE_ADS] = Dying(env.spy(Platform.GOOGLE_ADS).inner,  # type: ignore[assignment]
                                                         env.clock)
    with pytest.raises(ProcessDied):
        env.run([ACME])
    budget = rec(env, "opp-f-budget")
    assert budget.status == ActionStatus.EXECUTING and budget.rollback_plan is not None
    assert env.budget_of("117") == ("287.50" if landed else "250.00")

    # Another process, while the dead run's lease still holds: it must not touch the action.
    other = make()
    env.clock.advance(seconds=LEASE_S - 60)
    other.run([ACME])
    assert rec(other, "opp-f-budget").status == ActionStatus.EXECUTING
    assert other.spy(Platform.GOOGLE_ADS).applies == []

    env.clock.advance(seconds=120)  # the lease ran out: the next run settles by reading
    other.run([ACME])
    settled = rec(other, "opp-f-budget")
    assert settled.status == ActionStatus.EXECUTED
    assert env.budget_of("117") == "287.50"
    assert all(n == 1 for n in executed_transitions(other.all_rows()).values())
    assert rec(other, "opp-f-email").status == ActionStatus.EXECUTED
    if landed:  # settled by reading, never re-sent
        assert other.spy(Platform.GOOGLE_ADS).applied_keys() == []
        assert statuses(other, settled) == [ActionStatus.EXECUTING, ActionStatus.EXECUTED]
    else:  # nothing landed: planned afresh by the settling run (guardrails and checks again), sent once
        sent = other.spy(Platform.GOOGLE_ADS).applied_keys()
        assert settled.action_id in sent and len(sent) == len(set(sent))
        assert statuses(other, settled) == [ActionStatus.EXECUTING, ActionStatus.FAILED, ActionStatus.EXECUTING,
                                            ActionStatus.EXECUTED]
        failed = other.events(settled.action_id)[1]
        assert failed.result is not None and failed.result["replanned"] is True
        assert failed.result["settled_by_read"] is True


def test_an_unsettled_change_counts_against_the_hourly_limit(make: Callable[..., Env]) -> None:
    """It may be on the platform: until a read says otherwise it counts, so the limit holds on the platform."""
    faults = FaultPlan([{"phase": "apply_after", "kind": "timeout", "op": "set_budget_amount"}])
    env = make(faults=faults)
    policy = env.services.state.get_org(ACME)
    assert policy is not None
    env.services.state.put_org(policy.model_copy(update={"limits": {**policy.limits, "hourly_action_limit": Decimal(2)}}))
    env.run([ACME])
    assert rec(env, "opp-f-budget").status == ActionStatus.UNCERTAIN  # landed, unheard
    email = rec(env, "opp-f-email")
    assert email.status == ActionStatus.BLOCKED and "hourly_rate" in (email.error_message or "")
    env.clock.advance(minutes=10)
    faults.add({"phase": "snapshot", "kind": "retryable", "platform": "google_ads"})  # the settling read fails
    env.run([ACME])
    assert rec(env, "opp-f-budget").status == ActionStatus.UNCERTAIN
    assert rec(env, "opp-f-email").status == ActionStatus.BLOCKED  # two changes landed this hour already
    assert env.spy(Platform.ACTIVECAMPAIGN).applied_keys() == []
    env.clock.advance(hours=1)
    env.run([ACME])
    assert rec(env, "opp-f-budget").status == rec(env, "opp-f-email").status == ActionStatus.EXECUTED


def test_after_a_crash_only_the_actions_in_flight_are_taken_up_again(make_env: Callable[..., Env]) -> None:
    """What the dead run had already decided (blocked, pending, rejected) is not decided again."""
    def die(spy: Spy, call: ApplyCall) -> None:
        raise ProcessDied

    env = make_env(after_apply={Platform.GOOGLE_ADS: die})  # the bundled samples
    with pytest.raises(ProcessDied):
        env.run([ACME])
    decided = {r.action_id: r for r in env.log.query(organization_id=ACME, limit=1000)
               if r.status not in (ActionStatus.EXECUTING,)}
    approvals = {p.action_id: p.expires_at for p in env.services.state.list_pending()}
    assert decided and approvals
    other = make_env(env.home)
    env.clock.advance(seconds=LEASE_S + 60)
    other.run([ACME])
    for action_id, record in decided.items():
        assert other.events(action_id)[-1] == record, record.opportunity_id  # no new row
    assert {p.action_id: p.expires_at for p in other.services.state.list_pending()} == approvals
    in_flight = [r for r in other.log.query(organization_id=ACME, limit=1000) if r.action_type == "pause_campaign"
                 and r.opportunity_id == "opp-acme-001"]
    assert in_flight[0].status == ActionStatus.EXECUTED  # settled by reading
    assert other.spy(Platform.GOOGLE_ADS).applied_keys() == []


def test_rollback_waits_for_an_uncertain_action_and_settles_its_own_lost_response(make: Callable[..., Env]) -> None:
    faults = FaultPlan([{"phase": "apply_after", "kind": "timeout", "op": "set_budget_amount"}])
    env = make(faults=faults)
    env.run([ACME])
    executor = RollbackExecutor(env.log, env.services.state, env.services.connectors, env.clock)
    budget = rec(env, "opp-f-budget")
    refused = executor.rollback(budget.action_id, actor="ops@acme.example", run_id=new_run_id(env.clock()))
    assert refused.status == "refused" and "uncertain" in refused.message
    env.clock.advance(minutes=10)
    env.run([ACME])
    assert rec(env, "opp-f-budget").status == ActionStatus.EXECUTED
    faults.add({"phase": "apply_after", "kind": "reset", "op": "set_budget_amount"})  # the undo's answer is lost
    outcome = executor.rollback(budget.action_id, actor="ops@acme.example", run_id=new_run_id(env.clock()))
    assert outcome.status == "rolled_back" and "landed" in outcome.message
    assert env.budget_of("117") == "250.00" and ads_sends(env, budget) == 2  # the change and its undo, once each
