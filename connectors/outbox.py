"""A durable local outbox in front of any `ActionsLog`: a failed log write is spooled, never dropped.

The write-ahead rule says an action's EXECUTING row is durable before the platform call. When the log
store is down that durability comes from here: the batch is written to a JSONL segment file (fsync'd,
then atomically renamed into place) under the outbox directory, and flushed to the store on the next
append or `flush_outbox()`, segment by segment in the order they were spooled. While anything is
spooled, new batches queue behind it so the store receives transitions in order.

A crash between a successful flush and the segment's deletion re-sends that segment; the stores
collapse a repeated `event_id` (SQLite ignores it, BigQuery reads de-duplicate it), so the latest-state
view never shows duplicates. Reads merge spooled records with the store's, so the Operator keeps seeing
an in-flight action while its rows wait here. One `flock` on the directory serialises writers across
threads and processes.
"""

from __future__ import annotations

import fcntl
import logging
import os
import sqlite3
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, suppress
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

import requests
from google.api_core.exceptions import GoogleAPIError

from connectors.base import ActionsLog, StoreError
from schemas.common import ActionStatus
from schemas.records import ActionRecord

logger = logging.getLogger(__name__)

# Failures of the store (not of our own code): these are spooled. Anything else is a bug and is raised.
WRITE_FAILURES: tuple[type[BaseException], ...] = (
    StoreError, GoogleAPIError, requests.RequestException, OSError, sqlite3.Error,
)
_SUFFIX = ".jsonl"


def _order_key(record: ActionRecord) -> tuple[int, datetime]:
    return record.seq, record.event_time


class Spool(Protocol):
    """Where failed batches wait, durably: a directory (`FileSpool`, the embedded default and tests) or
    Firestore (`connectors.firestore.spool.FirestoreSpool`, the gcp backend: nothing on a Cloud Functions
    instance survives it). `write` returns only once the batch is durable, else raises."""

    where: str

    def lock(self) -> AbstractContextManager[Any]: ...
    def has_segments(self) -> bool: ...
    def write(self, records: Sequence[ActionRecord]) -> None: ...
    def read(self) -> list[tuple[str, list[ActionRecord]]]: ...
    def delete(self, key: str) -> None: ...


class OutboxActionsLog:
    """`ActionsLog` port: delegates to `inner`, spooling to `spool` (a directory or a `Spool`) whenever a
    write fails. When the spool fails too, `append` raises: the write-ahead row is not durable anywhere,
    so the caller must not make the platform call."""

    def __init__(self, inner: ActionsLog, spool: Path | str | Spool, *, cooldown_s: float = 30.0,
                 monotonic: Callable[[], float] = time.monotonic):
        self.inner = inner
        self.spool: Spool = FileSpool(Path(spool)) if isinstance(spool, (str, Path)) else spool
        self.directory: Path | None = getattr(self.spool, "directory", None)  # a FileSpool's (tests, tools)
        # After a failed write, appends spool straight away for `cooldown_s` instead of each waiting out
        # the store's retry deadline again; `flush_outbox()` always tries.
        self.cooldown_s = cooldown_s
        self._monotonic = monotonic
        self._down_until = 0.0

    # ------------------------------------------------------------------ writes

    def append(self, records: Sequence[ActionRecord]) -> None:
        if not records:
            return
        with self.spool.lock():
            if self._monotonic() < self._down_until:  # the store failed moments ago: do not wait again
                self._spool(records)
                return
            if self.spool.has_segments():
                self._flush_locked()
            if self.spool.has_segments():  # the store is still down: queue behind what is already waiting
                self._spool(records)
                return
            try:
                self.inner.append(records)
            except WRITE_FAILURES as error:
                self._failed(error)
                self._spool(records)

    def _spool(self, records: Sequence[ActionRecord]) -> None:
        try:
            self.spool.write(records)
        except WRITE_FAILURES as error:
            logger.error("outbox %s refused %d record(s) too (%s): they are durable nowhere",
                         self.spool.where, len(records), type(error).__name__)
            raise StoreError(f"neither the actions log nor the outbox ({self.spool.where}) accepted "
                             f"{len(records)} record(s): {type(error).__name__}") from error

    def flush_outbox(self) -> int:
        """Send spooled records to the store in order; answer how many went. Stops at the first segment
        the store refuses (it stays spooled for the next run)."""
        with self.spool.lock():
            return self._flush_locked() + self.inner.flush_outbox()

    @property
    def pending(self) -> int:
        """How many records wait in the outbox."""
        return len(self.spooled())

    def spooled(self) -> list[ActionRecord]:
        """The records waiting in the outbox, in the order they will be sent."""
        return [record for _, records in self.spool.read() for record in records]

    # ------------------------------------------------------------------ reads (store + spool)

    def latest(self, action_ids: Sequence[str]) -> dict[str, ActionRecord]:
        wanted = set(action_ids)
        spooled = {k: v for k, v in self._spooled_latest().items() if k in wanted}  # read spool first: a
        found = self.inner.latest(action_ids)  # concurrent flush then shows the rows in the store instead
        for action_id, record in spooled.items():
            stored = found.get(action_id)
            if stored is None or _order_key(record) >= _order_key(stored):
                found[action_id] = record
        return found

    def events(self, action_id: str) -> list[ActionRecord]:
        spooled = [r for _, records in self.spool.read() for r in records if r.action_id == action_id]
        merged = {r.event_id: r for r in self.inner.events(action_id)}
        for record in spooled:
            merged.setdefault(record.event_id, record)
        return sorted(merged.values(), key=_order_key)

    def query(
        self,
        *,
        organization_id: str | None = None,
        since: datetime | None = None,
        statuses: Sequence[ActionStatus] | None = None,
        opportunity_id: str | None = None,
        limit: int = 1000,
    ) -> list[ActionRecord]:
        """The store's answer, corrected for spooled actions: their true latest row (spool or store,
        whichever is newer) replaces the store's and is filtered like any other."""
        spooled = self._spooled_latest()
        stored = self.inner.query(organization_id=organization_id, since=since, statuses=statuses,
                                  opportunity_id=opportunity_id, limit=limit + len(spooled))
        if not spooled:
            return stored
        current = self.inner.latest(list(spooled))
        for action_id, record in spooled.items():
            if action_id not in current or _order_key(record) >= _order_key(current[action_id]):
                current[action_id] = record
        rows = [r for r in stored if r.action_id not in spooled]
        rows += [r for r in current.values() if _matches(r, organization_id, since, statuses, opportunity_id)]
        rows.sort(key=lambda r: r.event_time, reverse=True)
        return rows[: max(0, limit)]

    # ------------------------------------------------------------------ flushing

    def _flush_locked(self) -> int:
        flushed = 0
        for key, records in self.spool.read():
            try:
                self.inner.append(records)
            except WRITE_FAILURES as error:
                self._failed(error)
                logger.warning("outbox flush stopped at %s: it stays spooled", key)
                break
            self.spool.delete(key)
            flushed += len(records)
        else:
            self._down_until = 0.0  # everything went through: the store is back
        if flushed:
            logger.info("outbox flushed %d record(s) from %s", flushed, self.spool.where)
        return flushed

    def _failed(self, error: BaseException) -> None:
        self._down_until = self._monotonic() + self.cooldown_s
        logger.warning("actions log write failed (%s); spooling to %s for the next %.0f s",
                       type(error).__name__, self.spool.where, self.cooldown_s)

    def _spooled_latest(self) -> dict[str, ActionRecord]:
        latest: dict[str, ActionRecord] = {}
        for _, records in self.spool.read():
            for record in records:
                held = latest.get(record.action_id)
                if held is None or _order_key(record) >= _order_key(held):
                    latest[record.action_id] = record
        return latest

def _matches(record: ActionRecord, organization_id: str | None, since: datetime | None,
             statuses: Sequence[ActionStatus] | None, opportunity_id: str | None) -> bool:
    return ((organization_id is None or record.organization_id == organization_id)
            and (since is None or record.event_time >= since)
            and (statuses is None or record.status in {ActionStatus(s) for s in statuses})
            and (opportunity_id is None or record.opportunity_id == opportunity_id))


class FileSpool:
    """Segments in a directory: `000000000001-<rand>.jsonl`, one ActionRecord JSON per line, written to a
    hidden temp file, fsync'd, renamed into place, directory fsync'd. A `flock` on `.lock` serialises
    writers across threads and processes. Not for the gcp backend: a Cloud Functions instance's disk is
    memory that disappears with it."""

    def __init__(self, directory: Path):
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.where = str(self.directory)

    @contextmanager
    def lock(self) -> Iterator[None]:
        with (self.directory / ".lock").open("a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _segments(self) -> list[Path]:
        return sorted(self.directory.glob(f"*{_SUFFIX}"))

    def has_segments(self) -> bool:
        return bool(self._segments())

    def write(self, records: Sequence[ActionRecord]) -> None:
        """Write one segment durably: temp file, fsync, rename, fsync the directory."""
        segments = self._segments()
        number = int(segments[-1].name.split("-", 1)[0]) + 1 if segments else 1
        final = self.directory / f"{number:012d}-{uuid.uuid4().hex[:8]}{_SUFFIX}"
        temp = self.directory / f".{final.name}.tmp"
        with temp.open("w", encoding="utf-8") as handle:
            for record in records:
                handle.write(record.model_dump_json() + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        temp.rename(final)
        self._sync_directory()

    def read(self) -> list[tuple[str, list[ActionRecord]]]:
        """Every readable segment in order. A segment that no longer parses is renamed `.corrupt` and
        reported (kept for a person, never deleted) so it cannot block the ones behind it."""
        segments: list[tuple[str, list[ActionRecord]]] = []
        for path in self._segments():
            try:
                lines = path.read_text(encoding="utf-8").splitlines()
            except FileNotFoundError:  # flushed by another process meanwhile
                continue
            try:
                segments.append((path.name, [ActionRecord.model_validate_json(line) for line in lines if line]))
            except ValueError:
                logger.error("outbox segment %s does not parse; kept as %s.corrupt", path, path.name)
                with suppress(FileNotFoundError):
                    path.rename(path.with_name(path.name + ".corrupt"))
        return segments

    def delete(self, key: str) -> None:
        (self.directory / key).unlink()
        self._sync_directory()

    def _sync_directory(self) -> None:
        fd = os.open(self.directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
