"""Two runs at once against Firestore: every action is claimed by exactly one of them, whether the runs
are threads or separate processes; two simultaneous approvals of one action, one wins."""

from __future__ import annotations

import multiprocessing
import os
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from connectors.base import ApprovalError, PendingApproval
from connectors.firestore import FirestoreStateStore

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
ACTIONS = [f"act-{i:024x}" for i in range(30)]


def _run(store: FirestoreStateStore, run_id: str, start: threading.Barrier | None, now: datetime) -> list[str]:
    """What a run does per action before executing it: claim, and if it won, finish and release."""
    if start is not None:
        start.wait()
    won = []
    for action_id in ACTIONS:
        if store.claim(action_id, run_id, now, 300):
            won.append(action_id)
            store.record_execution("org-acme", action_id, now)
            store.release(action_id, run_id, done=True)
    return won


def _process_run(host: str, prefix: str, run_id: str, start: Any, results: Any) -> None:
    from google.cloud import firestore

    os.environ["FIRESTORE_EMULATOR_HOST"] = host
    store = FirestoreStateStore(firestore.Client(project="test-project"), prefix=prefix, timeout_s=5, deadline_s=30)
    store.claim_state("warm-up")  # connect before the start line, so both really start together
    start.wait(60)
    results.put((run_id, _run(store, run_id, None, NOW)))


def test_two_threaded_runs_claim_each_action_exactly_once(fs_client, fs_prefix):
    store = FirestoreStateStore(fs_client, prefix=fs_prefix, timeout_s=5, deadline_s=30)
    start = threading.Barrier(2)
    won: dict[str, list[str]] = {}
    threads = [threading.Thread(target=lambda r=r: won.__setitem__(r, _run(store, r, start, NOW)))
               for r in ("run-a", "run-b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)

    assert sorted(won["run-a"] + won["run-b"]) == ACTIONS
    assert store.count_executions("org-acme", NOW) == len(ACTIONS)
    assert _run(store, "run-c", None, NOW + timedelta(hours=1)) == []  # done actions stay done


def test_two_process_runs_claim_each_action_exactly_once(firestore_emulator, fs_client, fs_prefix):
    context = multiprocessing.get_context("spawn")
    start, results = context.Barrier(2), context.Queue()
    procs = [context.Process(target=_process_run, args=(firestore_emulator.host, fs_prefix, run_id, start, results))
             for run_id in ("run-a", "run-b")]
    for proc in procs:
        proc.start()
    won = dict(results.get(timeout=120) for _ in procs)
    for proc in procs:
        proc.join(30)

    assert sorted(won["run-a"] + won["run-b"]) == ACTIONS
    store = FirestoreStateStore(fs_client, prefix=fs_prefix)
    assert store.count_executions("org-acme", NOW) == len(ACTIONS)


@pytest.mark.official_firestore
def test_two_runs_taking_over_an_expired_lease_at_once_only_one_wins(fs_client, fs_prefix):
    """The takeover path is a read-check-write transaction (not a create): only transaction isolation
    keeps both racers from winning, hence the official emulator."""
    store = FirestoreStateStore(fs_client, prefix=fs_prefix, timeout_s=5, deadline_s=60)
    assert store.claim(ACTIONS[0], "crashed-run", NOW, 60)
    later = NOW + timedelta(minutes=5)
    start = threading.Barrier(2)
    outcomes: dict[str, bool] = {}

    def take(run_id: str) -> None:
        start.wait()
        outcomes[run_id] = store.claim(ACTIONS[0], run_id, later, 60)

    threads = [threading.Thread(target=take, args=(r,)) for r in ("run-a", "run-b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)

    assert sorted(outcomes.values()) == [False, True]
    winner = next(r for r, ok in outcomes.items() if ok)
    assert store.claim_state(ACTIONS[0])["run_id"] == winner


@pytest.mark.official_firestore
def test_two_simultaneous_decisions_on_one_approval_one_wins(fs_client, fs_prefix):
    store = FirestoreStateStore(fs_client, prefix=fs_prefix, timeout_s=5, deadline_s=60)
    store.put_pending(PendingApproval(action_id=ACTIONS[0], organization_id="org-acme", plan_hash="h" * 64,
                                      requested_at=NOW, expires_at=NOW + timedelta(hours=4), summary="s"))
    start = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def decide(who: str, approve: bool) -> None:
        start.wait()
        try:
            outcomes[who] = store.decide(ACTIONS[0], organization_id="org-acme", plan_hash="h" * 64,
                                         approve=approve, decided_by=who, now=NOW).status
        except ApprovalError:
            outcomes[who] = "refused"

    threads = [threading.Thread(target=decide, args=("jane", True)), threading.Thread(target=decide, args=("joe", False))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)

    assert sorted(outcomes.values()) in (["approved", "refused"], ["refused", "rejected"])
    final = store.get_approval(ACTIONS[0])
    winner = next(who for who, status in outcomes.items() if status != "refused")
    assert (final.decided_by, final.status) == (winner, outcomes[winner])
