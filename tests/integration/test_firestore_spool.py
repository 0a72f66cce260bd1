"""FirestoreSpool (the gcp outbox's spool) on the Firestore emulator, behind the real outbox: big batches
split into parts and read back whole and in order, a broken segment quarantined, and a refused spool
write refused to the caller."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from connectors.base import StoreError
from connectors.firestore.spool import MAX_PART_BYTES, FirestoreSpool
from connectors.local import LocalStore
from connectors.outbox import OutboxActionsLog
from schemas.common import ActionStatus
from schemas.records import ActionRecord
from tests.integration.records import history, record

S = ActionStatus


class DownLog:
    """A real SQLite log that refuses writes like an unreachable store while `down`."""

    def __init__(self, inner: LocalStore):
        self.inner = inner
        self.down = True

    def append(self, records: Sequence[ActionRecord]) -> None:
        if self.down:
            raise StoreError("log store unreachable")
        self.inner.append(records)

    def __getattr__(self, name: str):  # type: ignore[no-untyped-def]
        return getattr(self.inner, name)


@pytest.fixture
def log(tmp_path: Path):  # type: ignore[no-untyped-def]
    local = LocalStore.open(tmp_path / "log.sqlite")
    yield DownLog(local)
    local.close()


@pytest.fixture
def spool(fs_client, fs_prefix) -> FirestoreSpool:  # type: ignore[no-untyped-def]
    return FirestoreSpool(fs_client, prefix=fs_prefix, timeout_s=5, deadline_s=10)


def test_batches_wait_in_firestore_in_order_and_flush_whole(log, spool) -> None:
    outbox = OutboxActionsLog(log, spool, cooldown_s=0)
    big = [record(f"act-{i:024x}", seq=0, status=S.EXECUTING, error_message="x" * 4000) for i in range(1, 400)]
    assert sum(len(r.model_dump_json()) for r in big) > 2 * MAX_PART_BYTES  # more than one document
    later = history("act-" + "f" * 24, [S.PLANNED, S.EXECUTING])

    outbox.append(big)
    outbox.append(later)

    assert [k for k, _ in spool.read()] == sorted(k for k, _ in spool.read())
    assert outbox.spooled() == [*big, *later]
    reread = OutboxActionsLog(log, FirestoreSpool(spool.client, prefix=spool.names.prefix), cooldown_s=0)
    assert reread.pending == len(big) + 2  # another instance sees the same spool

    log.down = False
    assert reread.flush_outbox() == len(big) + 2
    assert outbox.pending == 0 and not spool.has_segments()
    assert log.inner.latest(["act-" + "f" * 24])["act-" + "f" * 24].status == S.EXECUTING


def test_a_segment_that_does_not_parse_is_quarantined_not_blocking(log, spool, fs_client) -> None:
    outbox = OutboxActionsLog(log, spool, cooldown_s=0)
    outbox.append([record("act-" + "1" * 24)])
    broken = next(iter(spool._col().stream()))
    broken.reference.update({"records": ["{not json"]})
    outbox.append([record("act-" + "2" * 24)])

    assert [r.action_id for r in outbox.spooled()] == ["act-" + "2" * 24]
    kept = list(spool._col("outbox_corrupt").stream())
    assert [d.get("records") for d in kept] == [["{not json"]]


class RefusingSpool(FirestoreSpool):
    def write(self, records: Sequence[ActionRecord]) -> None:
        raise StoreError("firestore unreachable")


def test_when_the_spool_refuses_too_append_raises(log, fs_client, fs_prefix) -> None:
    outbox = OutboxActionsLog(log, RefusingSpool(fs_client, prefix=fs_prefix), cooldown_s=0)
    with pytest.raises(StoreError, match="neither the actions log nor the outbox"):
        outbox.append([record(status=S.EXECUTING)])
