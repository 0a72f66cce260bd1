"""The fault matrix: every step of an action × every way it fails, on the bundled samples (13 actions
over Google Ads, ActiveCampaign and content; approvals pending; an advisory org's dry runs).

Each scenario arms one fault in one process, lets it run (or die), restarts on the same SQLite file after
the claim leases ran out, and then checks the same things: the next runs complete normally, nothing is
left EXECUTING or UNCERTAIN, no action was sent or landed twice, every landed change was written ahead
with its rollback plan and ends EXECUTED (and every EXECUTED action landed), and rolling everything back
restores the platforms exactly.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from connectors.base import StoreError
from operator_ai.approvals import decide
from schemas.common import ActionStatus
from tests.faults.harness import PLATFORM_KINDS, Crash, Fault, FlakyStore, fingerprint, has_status
from tests.faults.scenario import APPROVER, Scenario

STORE_KINDS = ("unavailable", "timeout", "crash")  # nothing written / written then an error / the process dies
PLATFORM_STEPS = ("connect", "snapshot", "fresh_read", "validate", "apply_before", "apply_after")
# (store, method, which calls fail)
STORE_STEPS = {
    "log_write_ahead": ("log", "append", has_status(ActionStatus.EXECUTING)),
    "log_result": ("log", "append", has_status(ActionStatus.EXECUTED, ActionStatus.FAILED, ActionStatus.UNCERTAIN)),
    "state_claim": ("state", "claim", None),
    "state_release": ("state", "release", None),
    "state_record_execution": ("state", "record_execution", None),
}


@pytest.fixture(scope="module")
def baseline(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, set[str]]]:
    """What a run without faults executes, what approving every pending action then executes, and
    what could execute at most (every judged action waiting for a person approved)."""
    sc = Scenario(tmp_path_factory.mktemp("baseline") / "home")
    env = sc.env()
    env.run()
    run = set(sc.executed(env).values())
    approvable = run | {r.opportunity_id for r in env.latest().values()
                        if r.status == ActionStatus.PENDING_APPROVAL and r.verdict is not None}
    sc.approve_all(env)
    approved = set(sc.executed(env).values())
    sc.close()
    yield {"run": run, "approved": approved, "approvable": approvable}


def _expect_all(step: str, kind: str) -> bool:
    """Whether every action still executes in the end. A definite "nothing landed" (5xx, 429) is retried
    by a later run; only a failure that may have reached the platform (timeout, reset, a death after the
    write-ahead row) is settled by reading — as FAILED, since nothing landed — and not sent again."""
    if step == "apply_before":
        return kind in ("retryable", "rate_limited")
    return not (step == "log_write_ahead" and kind == "timeout")


def _check(sc: Scenario, executed_expected: set[str], expect_all: bool) -> None:
    env = sc.recover()
    executed = set(sc.check_ledger(env).values())
    assert executed <= executed_expected
    if expect_all:
        assert executed == executed_expected
    sc.check_undoable(env)


def _check_approvals(sc: Scenario, baseline: dict[str, set[str]]) -> None:
    """Approvals are judged again when they execute (the hourly limit, a re-read that failed: a new
    approval is requested), so which of them end executed depends on the fault; the rest must hold."""
    env = sc.recover()
    executed = set(sc.check_ledger(env).values())
    assert baseline["run"] <= executed <= baseline["approvable"]
    stranded = [aid for aid, r in env.latest().items() if r.status == ActionStatus.APPROVED]
    assert stranded == [], "approved, then neither executed, blocked nor asked again"
    sc.check_undoable(env)


@pytest.mark.parametrize("kind", PLATFORM_KINDS)
@pytest.mark.parametrize("step", PLATFORM_STEPS)
def test_platform_fault_during_a_run(scenario: Scenario, baseline: dict[str, set[str]], step: str, kind: str) -> None:
    env = scenario.env(fault=Fault(step, kind), live=step == "validate")
    crashed = scenario.run_until_crash(env)
    assert crashed == (kind == "crash")
    ledger = scenario.ledger
    assert ledger is not None
    if step in ("connect", "snapshot", "fresh_read"):
        assert sum(ledger.sends.values()) == 0, "a failed read or connection check let a write through"
    if step == "validate" and kind != "crash":  # the dry runs record the failed validation; the rest runs
        assert sum(ledger.landings.values()) == len(baseline["run"])
        dry = [r for r in env.latest().values() if r.status == ActionStatus.DRY_RUN and r.verdict is not None]
        assert dry and all((r.result or {}).get("platform_validation", {}).get("outcome") == "failed" for r in dry)
    _check(scenario, baseline["run"], _expect_all(step, kind))


@pytest.mark.parametrize("kind", STORE_KINDS)
@pytest.mark.parametrize("step", list(STORE_STEPS))
def test_store_fault_during_a_run(scenario: Scenario, baseline: dict[str, set[str]], step: str, kind: str) -> None:
    env = scenario.env()
    port, method, when = STORE_STEPS[step]
    flaky = FlakyStore(getattr(env.services, port), method, kind, when)
    setattr(env.services, port, flaky)
    crashed = scenario.run_until_crash(env)
    assert flaky.failures > 0 and crashed == (kind == "crash")
    if step == "log_write_ahead" and kind != "timeout":
        ledger = scenario.ledger
        assert ledger is not None and sum(ledger.sends.values()) == 0, "sent without a durable write-ahead row"
    _check(scenario, baseline["run"], _expect_all(step, kind))


@pytest.mark.parametrize("fault", [Fault(step, kind) for step in ("apply_before", "apply_after")
                                   for kind in PLATFORM_KINDS] + [Fault(step, kind) for step in ("snapshot", "fresh_read")
                                                                  for kind in ("crash", "retryable")],
                         ids=str)
def test_platform_fault_while_executing_approvals(scenario: Scenario, baseline: dict[str, set[str]],
                                                  fault: Fault) -> None:
    scenario.env().run()
    env = scenario.env(fault=fault)
    assert scenario.approve_all(env) == (fault.kind == "crash")
    scenario.approve_all(scenario.restart())  # whatever the dead process did not get to
    _check_approvals(scenario, baseline)


@pytest.mark.parametrize("kind", STORE_KINDS)
@pytest.mark.parametrize("step", ["log_write_ahead", "log_result", "state_record_execution"])
def test_store_fault_while_executing_approvals(scenario: Scenario, baseline: dict[str, set[str]], step: str,
                                               kind: str) -> None:
    scenario.env().run()
    env = scenario.env()
    port, method, when = STORE_STEPS[step]
    setattr(env.services, port, FlakyStore(getattr(env.services, port), method, kind, when))
    try:
        scenario.approve_all(env)
    except Exception as error:  # a store failure surfaces to the person approving; nothing is lost
        assert "injected" in str(error)
    scenario.approve_all(scenario.restart())
    _check_approvals(scenario, baseline)


@pytest.mark.parametrize("kind", STORE_KINDS)
@pytest.mark.parametrize("status", [ActionStatus.APPROVED, ActionStatus.REJECTED])
def test_a_decision_whose_log_row_fails_is_not_consumed(scenario: Scenario, baseline: dict[str, set[str]],
                                                        status: ActionStatus, kind: str) -> None:
    """The decision and its log row land together or not at all: a decision whose row failed stays
    pending, so the person's retry decides it (not "already approved" with nothing executed)."""
    scenario.env().run()
    env = scenario.env()
    env.services.log = FlakyStore(env.services.log, "append", kind, has_status(status))
    pending = sorted(p.action_id for p in env.services.state.list_pending())
    for action_id in pending:
        with pytest.raises((StoreError, Crash)):
            decide(env.services, action_id, approve=status == ActionStatus.APPROVED, approver=APPROVER)
    retry = scenario.restart()
    assert sorted(p.action_id for p in retry.services.state.list_pending()) == pending
    if status == ActionStatus.APPROVED:
        scenario.approve_all(retry)
        _check(scenario, baseline["approved"], expect_all=True)
    else:
        for action_id in pending:
            assert decide(retry.services, action_id, approve=False, approver=APPROVER).status == "REJECTED"


ROLLBACK_FAULTS = [Fault(step, kind) for step in ("snapshot", "apply_before", "apply_after") for kind in PLATFORM_KINDS]


@pytest.mark.parametrize("fault", ROLLBACK_FAULTS, ids=str)
def test_platform_fault_during_rollback(scenario: Scenario, baseline: dict[str, set[str]], fault: Fault) -> None:
    scenario.env().run()
    env = scenario.env(fault=fault)
    assert scenario.ledger is not None
    scenario.ledger.phase = "rollback"
    try:
        env.rollback_all()
    except BaseException as error:  # only the simulated death escapes
        assert fault.kind == "crash" and type(error).__name__ == "Crash"
    _finish_rollback(scenario, baseline)


@pytest.mark.parametrize("kind", STORE_KINDS)
@pytest.mark.parametrize("status", [ActionStatus.ROLLING_BACK, ActionStatus.ROLLED_BACK])
def test_log_fault_during_rollback(scenario: Scenario, baseline: dict[str, set[str]], status: ActionStatus,
                                   kind: str) -> None:
    scenario.env().run()
    env = scenario.env()
    env.services.log = FlakyStore(env.services.log, "append", kind, has_status(status))
    assert scenario.ledger is not None
    scenario.ledger.phase = "rollback"
    try:
        outcomes = env.rollback_all()
    except BaseException as error:
        assert kind == "crash" and type(error).__name__ == "Crash"
    else:
        assert all(o.status != "rolled_back" or status == ActionStatus.ROLLED_BACK for o in outcomes)
    if status == ActionStatus.ROLLING_BACK and kind == "unavailable":
        assert sum(scenario.ledger.sent("rollback").values()) == 0, "undone without a durable write-ahead row"
    _finish_rollback(scenario, baseline)


def _finish_rollback(sc: Scenario, baseline: dict[str, set[str]]) -> None:
    """A later process finishes the rollback: everything is undone exactly once, the platforms are as
    they were, and no inverse landed without its ROLLING_BACK row."""
    env = sc.restart()
    assert sc.ledger is not None and sc.before is not None
    sc.ledger.phase = "rollback"
    outcomes = env.rollback_all()
    assert all(o.status == "rolled_back" for o in outcomes), [o.message for o in outcomes]
    latest = env.latest()
    undone = {r.opportunity_id for r in latest.values() if r.status == ActionStatus.ROLLED_BACK}
    assert undone == baseline["run"]
    landed = sc.ledger.landed("rollback")
    assert set(landed) == {aid for aid, r in latest.items() if r.status == ActionStatus.ROLLED_BACK}
    assert all(n == 1 for n in landed.values()), "an inverse landed twice"
    assert sc.ledger.unlogged == []
    assert fingerprint(sc.ledger.db) == sc.before


def test_the_matrix_runs_against_the_real_samples(baseline: dict[str, set[str]]) -> None:
    """Guard against a matrix that proves nothing: the samples execute on all three platforms."""
    assert len(baseline["run"]) >= 10 and baseline["run"] < baseline["approved"] <= baseline["approvable"]
