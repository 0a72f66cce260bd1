"""The durable outbox in front of an actions log (here the real SQLite log behind a switch that makes
its writes fail like an unreachable store): spool on failure, flush in order, merge on read, drop nothing."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

import pytest

from connectors.base import StoreError
from connectors.local import LocalStore
from connectors.outbox import OutboxActionsLog
from schemas.common import ActionStatus
from schemas.records import ActionRecord
from tests.integration.records import T0, history, record

S = ActionStatus
A1, A2, A3 = (f"act-{i:024x}" for i in (1, 2, 3))


class SwitchableLog:
    """A real log whose writes can be made to fail as an unreachable store's do; it remembers the
    batches it accepted, in order."""

    def __init__(self, inner: LocalStore):
        self.inner = inner
        self.down = False
        self.error: Exception = StoreError("log store unreachable")
        self.accepted: list[list[ActionRecord]] = []

    def append(self, records: Sequence[ActionRecord]) -> None:
        if self.down:
            raise self.error
        self.inner.append(records)
        self.accepted.append(list(records))

    def __getattr__(self, name: str):
        return getattr(self.inner, name)


@pytest.fixture
def store(tmp_path: Path):
    local = LocalStore.open(tmp_path / "log.sqlite")
    yield SwitchableLog(local)
    local.close()


@pytest.fixture
def outbox(store, tmp_path: Path) -> OutboxActionsLog:
    return OutboxActionsLog(store, tmp_path / "outbox", cooldown_s=0)  # the cooldown has a test of its own


def spool_files(outbox: OutboxActionsLog) -> list[Path]:
    return sorted(outbox.directory.glob("*.jsonl"))


def test_a_healthy_store_gets_every_batch_directly(outbox, store):
    rows = history(A1, [S.PLANNED, S.EXECUTING])
    outbox.append(rows)
    assert store.accepted == [rows]
    assert spool_files(outbox) == [] and outbox.pending == 0
    assert outbox.flush_outbox() == 0


def test_a_failed_write_is_spooled_durably_and_reads_still_see_it(outbox, store):
    before = history(A1, [S.PLANNED, S.EXECUTING])
    outbox.append(before)
    store.down = True
    executed = record(A1, seq=2, status=S.EXECUTED, at=T0 + timedelta(minutes=2))
    other = record(A2, seq=0, status=S.PLANNED, at=T0 + timedelta(minutes=3), org="org-beta")

    outbox.append([executed, other])

    assert outbox.pending == 2 and len(spool_files(outbox)) == 1
    assert store.inner.latest([A1, A2]) == {A1: before[-1]}  # the store has not seen them
    assert outbox.latest([A1, A2]) == {A1: executed, A2: other}
    assert outbox.events(A1) == [*before, executed]
    assert outbox.query() == [other, executed]
    assert outbox.query(statuses=[S.EXECUTING]) == []  # the stored row is superseded by the spooled one
    assert outbox.query(statuses=[S.EXECUTED]) == [executed]
    assert outbox.query(organization_id="org-beta") == [other]
    assert outbox.query(limit=1) == [other]


def test_spooled_batches_reach_the_store_in_order_before_anything_newer(outbox, store):
    store.down = True
    first, second = history(A1, [S.PLANNED, S.EXECUTING]), [record(A2)]
    outbox.append(first)
    outbox.append(second)
    assert store.accepted == [] and len(spool_files(outbox)) == 2
    store.down = False
    third = [record(A1, seq=2, status=S.EXECUTED)]

    outbox.append(third)  # flushes the backlog first

    assert store.accepted == [first, second, third]
    assert spool_files(outbox) == []


def test_flush_outbox_counts_what_it_sent_and_stops_at_a_refusal(outbox, store):
    store.down = True
    outbox.append(history(A1, [S.PLANNED, S.EXECUTING]))
    outbox.append([record(A2)])
    assert outbox.flush_outbox() == 0 and outbox.pending == 3

    store.down = False
    assert outbox.flush_outbox() == 3
    assert outbox.flush_outbox() == 0
    assert outbox.pending == 0
    assert set(store.inner.latest([A1, A2])) == {A1, A2}


def test_a_resent_segment_leaves_no_duplicate(outbox, store, tmp_path):
    """A crash after the store accepted a segment but before it was deleted sends it again."""
    store.down = True
    rows = history(A1, [S.PLANNED, S.EXECUTING, S.EXECUTED])
    outbox.append(rows)
    saved = tmp_path / "saved.jsonl"
    shutil.copy(spool_files(outbox)[0], saved)
    store.down = False
    assert outbox.flush_outbox() == 3
    shutil.copy(saved, outbox.directory / saved.name)

    assert outbox.flush_outbox() == 3

    assert outbox.events(A1) == rows
    assert outbox.query() == [rows[-1]]


def test_after_a_failure_appends_spool_at_once_until_the_cooldown_ends(store, tmp_path):
    clock = [100.0]
    outbox = OutboxActionsLog(store, tmp_path / "outbox", cooldown_s=30, monotonic=lambda: clock[0])
    attempts: list[int] = []
    real_append = store.append
    store.append = lambda records: (attempts.append(len(records)), real_append(records))
    store.down = True
    outbox.append([record(A1)])
    store.down = False  # the store is back, but the outbox does not know yet
    clock[0] += 10
    outbox.append([record(A2)])
    assert attempts == [1] and outbox.pending == 2  # no second wait on a store that just failed

    clock[0] += 21
    outbox.append([record(A3)])
    assert attempts == [1, 1, 1, 1] and outbox.pending == 0  # backlog first, in order, then the new batch
    assert [r[0].action_id for r in store.accepted] == [A1, A2, A3]


def test_an_explicit_flush_ignores_the_cooldown(store, tmp_path):
    outbox = OutboxActionsLog(store, tmp_path / "outbox", cooldown_s=3600)
    store.down = True
    outbox.append([record(A1)])
    store.down = False
    assert outbox.flush_outbox() == 1
    outbox.append([record(A2)])  # a successful flush ends the cooldown
    assert outbox.pending == 0 and [r[0].action_id for r in store.accepted] == [A1, A2]


def test_google_client_errors_and_network_errors_are_spooled_too(outbox, store):
    from google.api_core.exceptions import ServiceUnavailable

    store.down = True
    for error in (ServiceUnavailable("503"), ConnectionError("reset"), TimeoutError("read timeout")):
        store.error = error
        outbox.append([record(A1)])
    assert outbox.pending == 3


def test_a_bug_is_not_mistaken_for_an_outage(outbox, store):
    store.down, store.error = True, TypeError("not a store failure")
    with pytest.raises(TypeError):
        outbox.append([record(A1)])
    assert outbox.pending == 0


def test_a_segment_that_no_longer_parses_is_kept_aside_not_dropped(outbox, store):
    store.down = True
    outbox.append([record(A1)])
    outbox.append([record(A2)])
    broken = spool_files(outbox)[0]
    broken.write_text("{not json\n")
    store.down = False

    assert outbox.flush_outbox() == 1

    assert (outbox.directory / (broken.name + ".corrupt")).read_text() == "{not json\n"
    assert set(store.inner.latest([A1, A2])) == {A2}


def test_concurrent_writers_while_down_lose_nothing(outbox, store):
    store.down = True
    ids = [f"act-{i:024x}" for i in range(40)]

    def write(chunk: list[str]) -> None:
        for action_id in chunk:
            outbox.append(history(action_id, [S.PLANNED, S.EXECUTING]))

    threads = [threading.Thread(target=write, args=(ids[i::4],)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    store.down = False

    assert outbox.flush_outbox() == 80
    latest = store.inner.latest(ids)
    assert {a: r.status for a, r in latest.items()} == {a: S.EXECUTING for a in ids}
