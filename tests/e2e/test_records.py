"""Issue 13.9: records say what happened — when the platform call was sent, and who caused each row."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from operator_ai.approvals import decide
from operator_ai.orchestrator import new_run_id
from rollback.executor import RollbackExecutor
from schemas.common import ActionStatus, Platform
from tests.e2e.harness import ACME, ACME_ADS, APPROVER, ApplyCall, Env, Spy, opportunity, samples_dir

RAISE_30: dict[str, Any] = {"type": "adjust_campaign_budget", "params": {"change_pct": "30"},
                            "target": {"customer_id": ACME_ADS, "campaign_id": "117"}}


def test_executed_at_is_when_the_call_was_sent(make_env: Callable[..., Env], scratch: Path) -> None:
    def slow(spy: Spy, call: ApplyCall) -> None:
        spy.clock.advance(minutes=7)  # the platform took seven minutes to answer

    pause = {"type": "pause_campaign", "params": {}, "target": {"customer_id": ACME_ADS, "campaign_id": "111"}}
    env = make_env(samples=samples_dir(scratch / "samples", [opportunity("opp-pause", pause)]),
                   after_apply={Platform.GOOGLE_ADS: slow})
    sent = env.clock()
    env.run([ACME])
    row = env.record("opp-pause")
    assert row.status == ActionStatus.EXECUTED
    assert env.spy(Platform.GOOGLE_ADS).applies[0].at == sent
    assert row.executed_at == sent
    assert (row.event_time - sent).total_seconds() == 7 * 60  # recorded when the answer came


def test_a_rollback_is_credited_to_the_person_who_rolled_back(make_env: Callable[..., Env], scratch: Path) -> None:
    env = make_env(samples=samples_dir(scratch / "samples", [opportunity("opp-raise", RAISE_30)]))
    env.run([ACME])
    pending = env.record("opp-raise")
    assert decide(env.services, pending.action_id, approve=True, approver=APPROVER).status == "EXECUTED"
    executor = RollbackExecutor(env.log, env.services.state, env.services.connectors, env.clock)
    outcome = executor.rollback(pending.action_id, actor="ops@acme.example", run_id=new_run_id(env.clock()))
    assert outcome.status == "rolled_back"
    rows = env.events(pending.action_id)
    by = {r.status: r.executed_by for r in rows}
    assert by[ActionStatus.EXECUTED] == APPROVER
    assert by[ActionStatus.ROLLING_BACK] == by[ActionStatus.ROLLED_BACK] == "ops@acme.example"


def test_a_since_preview_undoes_the_sequence_as_the_real_rollback_does(make_env: Callable[..., Env],
                                                                      scratch: Path) -> None:
    """Two changes to one budget: the preview of `rollback --since` must not call the older one drifted —
    by the time the real rollback reaches it, the newer one has been undone."""
    raise_10: dict[str, Any] = {**RAISE_30, "params": {"change_pct": "10"}}
    env = make_env(samples=samples_dir(scratch / "samples", [opportunity("opp-first", raise_10)]))
    start = env.clock()
    env.run([ACME])
    env.clock.advance(hours=1)
    env.services.extras["store"].load_opportunities([opportunity("opp-second", {
        **raise_10, "params": {"new_daily_budget": "280.00"}}, now=env.clock())])
    env.run([ACME])
    second = env.record("opp-second")  # the same budget again within the cooldown: a person approves
    assert decide(env.services, second.action_id, approve=True, approver=APPROVER).status == "EXECUTED"
    assert env.record("opp-first").status == ActionStatus.EXECUTED and env.budget_of("117") == "280.00"
    executor = RollbackExecutor(env.log, env.services.state, env.services.connectors, env.clock)
    preview = executor.rollback_since(ACME, start, actor="ops@acme.example", run_id="run-preview", dry_run=True)
    assert [o.status for o in preview] == ["dry_run", "dry_run"], [o.message for o in preview]
    real = executor.rollback_since(ACME, start, actor="ops@acme.example", run_id=new_run_id(env.clock()))
    assert [o.status for o in real] == ["rolled_back", "rolled_back"]
    assert env.budget_of("117") == "250.00"


def test_every_row_names_who_caused_it(make_env: Callable[..., Env], scratch: Path) -> None:
    """Rows a run decides (blocked, pending, dry run, rejected input) name the Operator; a decision and
    what follows from it name the person."""
    env = make_env()  # the bundled samples: executed, blocked, pending, rejected input, manual
    env.run()
    env.run(dry_run=True)
    rows = env.all_rows()
    statuses = {r.status for r in rows}
    assert {ActionStatus.BLOCKED, ActionStatus.PENDING_APPROVAL, ActionStatus.REJECTED_INPUT,
            ActionStatus.EXECUTED} <= statuses
    assert [(r.status, r.action_id) for r in rows if not r.executed_by] == []
    decided = next(r for r in env.latest_by_opportunity().values() if r.status == ActionStatus.PENDING_APPROVAL)
    decide(env.services, decided.action_id, approve=False, approver=APPROVER)
    assert env.events(decided.action_id)[-1].executed_by == APPROVER
