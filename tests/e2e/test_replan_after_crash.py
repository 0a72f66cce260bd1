"""Issue 13.6: a write-ahead row whose platform call never took effect (the process died first; a read
shows nothing landed) is planned afresh by the next run — never left FAILED for a person to re-issue,
and never sent twice."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from operator_ai.approvals import decide
from operator_ai.settings import Settings
from schemas.common import ActionStatus, Platform
from schemas.operations import ApplyResult, OpBatch
from tests.e2e.harness import ACME, ACME_ADS, APPROVER, Env, ProcessDied, Spy, opportunity, samples_dir

LEASE_S = Settings.model_fields["claim_lease_s"].default


class DiesBeforeSending(Spy):
    def apply(self, account_id: str, batches: Sequence[OpBatch], *, validate_only: bool = False) -> list[ApplyResult]:
        raise ProcessDied


def _statuses(env: Env, action_id: str) -> list[ActionStatus]:
    return [e.status for e in env.events(action_id)]


def test_an_approved_action_whose_run_died_before_the_call_is_asked_again(make_env: Callable[..., Env],
                                                                          scratch: Path) -> None:
    raise_30: dict[str, Any] = {"type": "adjust_campaign_budget", "params": {"change_pct": "30"},
                                "target": {"customer_id": ACME_ADS, "campaign_id": "117"}}
    env = make_env(samples=samples_dir(scratch / "samples", [opportunity("opp-raise", raise_30)]))
    env.run([ACME])
    pending = env.record("opp-raise")
    assert pending.status == ActionStatus.PENDING_APPROVAL  # +30 %: a person decides

    env.services.connectors[Platform.GOOGLE_ADS] = DiesBeforeSending(  # type: ignore[assignment]
        env.spy(Platform.GOOGLE_ADS).inner, env.clock)
    with pytest.raises(ProcessDied):
        decide(env.services, pending.action_id, approve=True, approver=APPROVER)
    assert env.record("opp-raise").status == ActionStatus.EXECUTING and env.budget_of("117") == "250.00"

    later = make_env(env.home, samples=env.samples)  # another process, after the dead one's lease
    env.clock.advance(seconds=LEASE_S + 60)
    later.run([ACME])
    again = later.record("opp-raise")
    assert again.status == ActionStatus.PENDING_APPROVAL  # a new decision, not FAILED for good
    assert _statuses(later, again.action_id)[-3:] == [ActionStatus.EXECUTING, ActionStatus.FAILED,
                                                      ActionStatus.PENDING_APPROVAL]
    decision = decide(later.services, again.action_id, approve=True, approver=APPROVER)
    assert decision.status == "EXECUTED" and later.budget_of("117") == "325.00"
    assert later.spy(Platform.GOOGLE_ADS).applied_keys() == [again.action_id]  # sent once


def test_a_crash_before_the_call_is_not_held_against_the_action(make_env: Callable[..., Env], scratch: Path) -> None:
    """The settled row is no "similar failure": the re-planned action passes its checks and executes."""
    pause: dict[str, Any] = {"type": "pause_campaign", "params": {},
                             "target": {"customer_id": ACME_ADS, "campaign_id": "111"}}
    env = make_env(samples=samples_dir(scratch / "samples", [opportunity("opp-pause", pause)]))
    env.services.connectors[Platform.GOOGLE_ADS] = DiesBeforeSending(  # type: ignore[assignment]
        env.spy(Platform.GOOGLE_ADS).inner, env.clock)
    with pytest.raises(ProcessDied):
        env.run([ACME])
    later = make_env(env.home, samples=env.samples)
    env.clock.advance(seconds=LEASE_S + 60)
    later.run([ACME])
    row = later.record("opp-pause")
    assert row.status == ActionStatus.EXECUTED, row.error_message
    assert later.campaign("111")["status"] == "PAUSED"
    assert later.spy(Platform.GOOGLE_ADS).applied_keys() == [row.action_id]
