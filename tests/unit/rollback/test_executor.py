"""The rollback executor against in-memory ports: write-ahead rows, drift, force, dry run, kill switch,
settling ambiguous applies, and saga order for `rollback_since`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from connectors.base import RetryableError
from rollback.executor import RollbackExecutor
from schemas.actions import ACTION_TYPES, Action
from schemas.common import ActionStatus, Platform
from schemas.operations import ErrorKind, OpBatch
from schemas.policy import KillSwitch
from tests.unit.rollback.fakes import FakeLog, FakePlatform, FakeState, FakeWorld, connectors_for
from tests.unit.rollback.scenarios import NOW, ORG, action_id, execute, full_world, observed, scenario


@dataclass
class Env:
    world: FakeWorld
    connectors: dict[Platform, FakePlatform]
    log: FakeLog
    state: FakeState
    executor: RollbackExecutor
    now: list[datetime] = field(default_factory=lambda: [NOW + timedelta(hours=1)])

    def run(self, action_type: str, n: int = 1, at: datetime = NOW) -> tuple[str, Action]:
        _, action = scenario(action_type)
        act = action_id(n)
        execute(self.connectors, self.log, action, act, at=at)
        return act, action

    def statuses(self, act: str) -> list[ActionStatus]:
        return [r.status for r in self.log.events(act)]

    def applies(self) -> int:
        return sum(len(c.apply_calls) for c in self.connectors.values())

    def stop(self, scope: str = ORG) -> None:
        self.state.set_kill_switch(KillSwitch(scope=scope, active=True, set_by="ops@acme.example", set_at=NOW,
                                              reason="incident"))


@pytest.fixture
def env() -> Env:
    world = full_world()
    connectors = connectors_for(world)
    log, state = FakeLog(), FakeState()
    holder: list[datetime] = [NOW + timedelta(hours=1)]
    executor = RollbackExecutor(log, state, connectors, lambda: holder[0])
    return Env(world, connectors, log, state, executor, holder)


def rollback(env: Env, act: str, **flags: Any):  # type: ignore[no-untyped-def]
    return env.executor.rollback(act, actor="jane@acme.example", run_id="rb-1", **flags)


# --------------------------------------------------------------------------- the happy path


@pytest.mark.parametrize("action_type", ACTION_TYPES)
def test_rollback_restores_every_type_through_the_log(env: Env, action_type: str) -> None:
    act, action = env.run(action_type)
    before = env.log.latest([act])[act].rollback_plan.before_state  # type: ignore[union-attr]
    outcome = rollback(env, act)
    assert outcome.status == "rolled_back", outcome.message
    assert observed(env.connectors, action) == before
    assert env.statuses(act) == [ActionStatus.EXECUTED, ActionStatus.ROLLING_BACK, ActionStatus.ROLLED_BACK]


def test_write_ahead_row_precedes_the_platform_call(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    act, _ = env.run("pause_campaign")
    platform = env.connectors[Platform.GOOGLE_ADS]
    seen: list[ActionStatus] = []
    real_apply = platform.apply

    def spy(account_id: str, batches: Sequence[OpBatch], *, validate_only: bool = False) -> Any:
        seen.append(env.log.latest([act])[act].status)
        return real_apply(account_id, batches, validate_only=validate_only)

    monkeypatch.setattr(platform, "apply", spy)
    outcome = rollback(env, act, reason="measured: failed")
    assert seen == [ActionStatus.ROLLING_BACK]
    assert env.world.campaigns["111"]["status"] == "ENABLED"
    final = env.log.latest([act])[act]
    assert (final.seq, final.rolled_back_at) == (4, env.now[0])
    assert final.result is not None and final.result["rollback"]["by"] == "jane@acme.example"
    assert final.result["rollback"]["reason"] == "measured: failed"
    assert final.result["details"] == {}  # the forward result is kept next to the rollback's
    assert [op.op for op in outcome.inverse_ops] == ["set_campaign_status"]
    assert env.state.claims == {}  # the rollback claim is released


def test_irreversible_parts_are_reported(env: Env) -> None:
    act, _ = env.run("trigger_automation")
    outcome = rollback(env, act)
    assert outcome.status == "rolled_back"
    assert outcome.irreversible_parts == ("emails already sent by the automation stay sent",)
    assert "not undone: emails already sent by the automation stay sent" in outcome.message
    final = env.log.latest([act])[act]
    assert final.result["rollback"]["irreversible_parts"] == list(outcome.irreversible_parts)  # type: ignore[index]
    assert env.world.automations["42"]["runs"] == {"101": ["5"], "102": [], "103": []}


# --------------------------------------------------------------------------- drift and force


def test_drift_is_refused_with_a_diff_and_nothing_changes(env: Env) -> None:
    act, _ = env.run("adjust_campaign_budget")
    env.world.budgets["501"] = Decimal("150.00")
    outcome = rollback(env, act)
    assert outcome.status == "refused"
    assert outcome.diff == {"amount": {"expected": "110.00", "found": "150.00"}}
    assert "amount: expected '110.00', found '150.00'" in outcome.message
    assert env.statuses(act) == [ActionStatus.EXECUTED]
    assert env.world.budgets["501"] == Decimal("150.00") and env.applies() == 1


def test_force_undoes_despite_drift_and_records_it(env: Env) -> None:
    act, _ = env.run("adjust_campaign_budget")
    env.world.budgets["501"] = Decimal("150.00")
    outcome = rollback(env, act, force=True)
    assert outcome.status == "rolled_back"
    assert env.world.budgets["501"] == Decimal("100.00")
    rolling = env.log.events(act)[1]
    assert rolling.result["rollback"]["forced"] is True  # type: ignore[index]
    assert rolling.result["rollback"]["drift"] == outcome.diff  # type: ignore[index]


def test_drift_back_to_the_old_state_says_so(env: Env) -> None:
    act, _ = env.run("pause_campaign")
    env.world.campaigns["111"]["status"] = "ENABLED"
    outcome = rollback(env, act)
    assert outcome.status == "refused" and "already matches the state before" in outcome.message


def test_inverse_that_cannot_apply_any_more_is_refused_even_with_force(env: Env) -> None:
    act, _ = env.run("create_subject_line_test")
    env.world.email_campaigns["7"]["status"] = 2
    outcome = rollback(env, act, force=True)
    assert outcome.status == "refused" and "can no longer be removed" in outcome.message
    assert env.statuses(act) == [ActionStatus.EXECUTED]


# --------------------------------------------------------------------------- dry run and kill switch


def test_dry_run_reports_the_inverse_and_writes_nothing(env: Env) -> None:
    act, _ = env.run("add_negative_keywords")
    negatives = list(env.world.negatives["111"])
    outcome = rollback(env, act, dry_run=True)
    assert outcome.status == "dry_run"
    assert [op.op for op in outcome.inverse_ops] == ["remove_negative_keywords"]
    assert "remove_negative_keywords" in outcome.message
    assert env.statuses(act) == [ActionStatus.EXECUTED]
    assert env.world.negatives["111"] == negatives and env.applies() == 1 and env.state.claim_calls == 0


def test_dry_run_of_a_drifted_action_says_it_would_be_refused(env: Env) -> None:
    act, _ = env.run("pause_campaign")
    env.world.campaigns["111"]["status"] = "ENABLED"
    assert rollback(env, act, dry_run=True).status == "refused"


@pytest.mark.parametrize("scope", [ORG, "global"])
def test_kill_switch_refuses_unless_a_person_allows_it(env: Env, scope: str) -> None:
    act, _ = env.run("pause_campaign")
    env.stop(scope)
    outcome = rollback(env, act)
    assert outcome.status == "refused" and "emergency stop" in outcome.message and "incident" in outcome.message
    assert env.statuses(act) == [ActionStatus.EXECUTED] and env.applies() == 1
    preview = rollback(env, act, dry_run=True)
    assert preview.status == "dry_run" and "allow_during_stop" in preview.message
    assert rollback(env, act, allow_during_stop=True).status == "rolled_back"


def test_kill_switch_pulled_during_the_rollback_stops_it_before_the_write(env: Env,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    act, _ = env.run("pause_campaign")
    platform = env.connectors[Platform.GOOGLE_ADS]
    real_snapshot = platform.snapshot

    def read_then_stop(*args: Any, **kwargs: Any) -> Any:
        env.stop()
        return real_snapshot(*args, **kwargs)

    monkeypatch.setattr(platform, "snapshot", read_then_stop)
    assert rollback(env, act).status == "refused"
    assert env.statuses(act) == [ActionStatus.EXECUTED] and env.applies() == 1
    assert env.state.claims == {}


# --------------------------------------------------------------------------- status gate


def test_only_executed_actions_roll_back(env: Env) -> None:
    assert rollback(env, action_id(99)).status == "refused"
    act, _ = env.run("pause_campaign")
    record = env.log.latest([act])[act]
    for status, expected in ((ActionStatus.UNCERTAIN, "uncertain"), (ActionStatus.BLOCKED, "nothing to undo"),
                             (ActionStatus.PENDING_APPROVAL, "nothing to undo")):
        env.log.rows = [record.model_copy(update={"status": status})]
        outcome = rollback(env, act)
        assert outcome.status == "refused" and expected in outcome.message
    env.log.rows = [record.model_copy(update={"status": ActionStatus.MEASURED})]
    assert rollback(env, act).status == "rolled_back"
    again = rollback(env, act)
    assert again.status == "skipped" and "already rolled back" in again.message
    assert env.applies() == 2


# --------------------------------------------------------------------------- failures and settlement


def test_failed_apply_is_recorded_and_can_be_retried(env: Env) -> None:
    act, _ = env.run("pause_campaign")
    env.connectors[Platform.GOOGLE_ADS].fail_with = ErrorKind.PERMANENT
    outcome = rollback(env, act)
    assert outcome.status == "failed" and "platform said no" in outcome.message
    final = env.log.latest([act])[act]
    assert final.status == ActionStatus.ROLLBACK_FAILED and "platform said no" in (final.error_message or "")
    assert env.world.campaigns["111"]["status"] == "PAUSED"
    assert rollback(env, act).status == "rolled_back"
    assert env.world.campaigns["111"]["status"] == "ENABLED"


@pytest.mark.parametrize(("landed", "status"), [(True, ActionStatus.ROLLED_BACK),
                                                (False, ActionStatus.ROLLBACK_FAILED)])
def test_uncertain_apply_is_settled_by_reading(env: Env, landed: bool, status: ActionStatus) -> None:
    act, _ = env.run("adjust_campaign_budget")
    platform = env.connectors[Platform.GOOGLE_ADS]
    platform.uncertain = landed
    outcome = rollback(env, act)
    assert env.log.latest([act])[act].status == status
    assert len(platform.apply_calls) == 2  # never re-sent blindly
    assert outcome.status == ("rolled_back" if landed else "failed")
    if not landed:
        assert "uncertain" in outcome.message and "timeout after send" in outcome.message


def test_interrupted_rollback_that_landed_is_settled_without_applying_again(env: Env) -> None:
    act, _ = env.run("pause_campaign")
    record = env.log.latest([act])[act]
    env.log.append([record.next(ActionStatus.ROLLING_BACK, NOW, "rb-0")])
    env.world.campaigns["111"]["status"] = "ENABLED"  # the crashed attempt had landed
    outcome = rollback(env, act)
    assert outcome.status == "rolled_back" and "earlier rollback attempt had landed" in outcome.message
    assert env.log.latest([act])[act].status == ActionStatus.ROLLED_BACK and env.applies() == 1


def test_read_failure_and_log_outage_change_nothing(env: Env) -> None:
    act, _ = env.run("pause_campaign")
    env.connectors[Platform.GOOGLE_ADS].read_error = RetryableError("503 backend")
    outcome = rollback(env, act)
    assert outcome.status == "failed" and "503 backend" in outcome.message
    env.connectors[Platform.GOOGLE_ADS].read_error = None
    env.log.down = True
    outcome = rollback(env, act)
    assert outcome.status == "failed" and "log is unavailable" in outcome.message
    assert env.applies() == 1 and env.world.campaigns["111"]["status"] == "PAUSED"


def test_a_concurrent_rollback_of_the_same_action_is_refused(env: Env) -> None:
    act, _ = env.run("pause_campaign")
    env.state.claims[f"{act}:rollback"] = "other-run"
    outcome = rollback(env, act)
    assert outcome.status == "refused" and "in progress" in outcome.message and env.applies() == 1


# --------------------------------------------------------------------------- rollback_since


def test_rollback_since_goes_newest_first_and_isolates_failures(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    old, _ = env.run("flag_content_refresh", 1, at=NOW - timedelta(days=2))
    ads, _ = env.run("pause_campaign", 2, at=NOW)
    email, _ = env.run("pause_email_campaign", 3, at=NOW + timedelta(minutes=1))
    budget, _ = env.run("adjust_campaign_budget", 4, at=NOW + timedelta(minutes=2))
    brief, _ = env.run("generate_content_brief", 5, at=NOW + timedelta(minutes=3))
    blocked = env.log.latest([ads])[ads].model_copy(update={"action_id": action_id(6),
                                                           "status": ActionStatus.BLOCKED})
    env.log.append([blocked])
    env.connectors[Platform.ACTIVECAMPAIGN].fail_with = ErrorKind.PERMANENT

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("adapter bug")

    monkeypatch.setattr(env.connectors[Platform.CONTENT], "apply", broken)
    outcomes = env.executor.rollback_since(ORG, NOW - timedelta(hours=24), actor="jane@acme.example",
                                           run_id="rb-since")
    assert [o.action_id for o in outcomes] == [brief, budget, email, ads]
    assert [o.status for o in outcomes] == ["failed", "rolled_back", "failed", "rolled_back"]
    assert "adapter bug" in outcomes[0].message
    assert env.world.campaigns["111"]["status"] == "ENABLED" and env.world.budgets["501"] == Decimal("100.00")
    assert env.statuses(old) == [ActionStatus.EXECUTED]
    assert env.executor.rollback_since("org-other", NOW - timedelta(hours=24), actor="x", run_id="r") == []


def test_rollback_since_dry_run_writes_nothing(env: Env) -> None:
    first, _ = env.run("pause_campaign", 1, at=NOW)
    second, _ = env.run("adjust_campaign_budget", 2, at=NOW + timedelta(minutes=1))
    rows = len(env.log.rows)
    outcomes = env.executor.rollback_since(ORG, NOW - timedelta(hours=1), actor="a", run_id="r", dry_run=True)
    assert [(o.action_id, o.status) for o in outcomes] == [(second, "dry_run"), (first, "dry_run")]
    assert len(env.log.rows) == rows and env.applies() == 2
