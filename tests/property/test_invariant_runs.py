"""Invariant runs (spec §3, §5, §9): random sequences of opportunities, runs, approvals, emergency stops,
outside edits, rollbacks and platform faults against the sandbox — each sequence its own organization
with its own accounts — checked after every sequence against a ledger of what really landed on the
platforms (the invariants are in tests/faults/invariants.py).

The CI version runs 180 seeded sequences (10–40 s); `--slow` runs 10,000 sequences with over
25,000 opportunities on two processes.
"""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest

pytest.register_assert_rewrite("tests.faults.invariants")

from tests.faults.invariants import Tally, merge, run_batch  # noqa: E402

BATCH = 100  # sequences per installation (one SQLite file)


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith(("OPERATOR_", "ANTHROPIC_")):
            monkeypatch.delenv(name)


def _proves_something(tally: Tally) -> None:
    """The sequences reached every interesting outcome, so the invariants were tested, not skipped."""
    for status in ("EXECUTED", "BLOCKED", "PENDING_APPROVAL", "REJECTED_INPUT", "ROLLED_BACK", "DRY_RUN"):
        assert tally.statuses[status] > 0, (status, tally.statuses)
    assert set(tally.steps) >= {"stop", "approve", "reject", "fault", "outside_edit", "rollback", "advance"}


def test_invariants_hold_over_random_sequences(tmp_path: Path) -> None:
    tally = merge([run_batch(tmp_path, seed, 60) for seed in (1, 2, 3)])
    assert tally.sequences == 180
    _proves_something(tally)


@pytest.mark.slow
@pytest.mark.timeout(3600)
def test_invariants_hold_over_ten_thousand_sequences(tmp_path: Path) -> None:
    seeds = range(1000, 1000 + 10_000 // BATCH)
    with ProcessPoolExecutor(max_workers=2) as pool:
        tally = merge(list(pool.map(run_batch, [tmp_path] * len(seeds), seeds, [BATCH] * len(seeds))))
    assert tally.sequences == 10_000 and tally.opportunities >= 25_000
    _proves_something(tally)
