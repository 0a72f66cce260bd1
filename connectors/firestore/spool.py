"""The outbox's spool in Firestore, for the gcp backend: batches the actions log refused wait here.

A Cloud Functions instance has no durable disk (its /tmp is memory that disappears with the instance),
so when BigQuery refuses a write-ahead row the row must land somewhere that outlives the instance: the
same Firestore database that holds the state. A segment is one batch, split into documents
`outbox/{segment}-{part}` of at most ~800 kB (a document holds 1 MiB) written in one atomic batch, so a
segment is either wholly there or not at all. Segment ids start with the write time in nanoseconds, so
they sort in spool order.

Reads cost a Firestore query, and most of the time the spool is empty: once this process has seen it
empty (or flushed it) it answers "empty" without asking for `EMPTY_RECHECK_S`, unless it spooled
something itself meanwhile. Another instance's segments are therefore seen at most that much later; every
run starts with a flush that reads the spool anyway. Within a process a lock serialises writers and
flushers. Across instances two flushers may send the same
segment twice; the actions log's reads collapse a repeated `event_id` (docs/storage.md), so that is
harmless. A segment that no longer parses is moved to `outbox_corrupt` and logged, never deleted.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Sequence
from typing import Any

from google.cloud import firestore

from connectors.firestore.common import Collections, call_options, store_call
from schemas.records import ActionRecord

logger = logging.getLogger(__name__)

MAX_PART_BYTES = 800_000
EMPTY_RECHECK_S = 30.0


def _parts(records: Sequence[ActionRecord]) -> list[list[str]]:
    parts: list[list[str]] = [[]]
    size = 0
    for record in records:
        line = record.model_dump_json()
        if parts[-1] and size + len(line) > MAX_PART_BYTES:
            parts.append([])
            size = 0
        parts[-1].append(line)
        size += len(line)
    return parts


class FirestoreSpool:
    """`connectors.outbox.Spool` on Firestore (`outbox` collection, prefixed like the state store's)."""

    def __init__(self, client: Any, *, prefix: str = "", timeout_s: float = 10.0, deadline_s: float = 30.0):
        self.client = client
        self.names = Collections(prefix)
        self.calls = call_options(timeout_s, deadline_s)
        self.where = f"Firestore collection {self.names.name('outbox')}"
        self._lock = threading.RLock()
        self._ids: dict[str, list[str]] = {}  # segment -> its document ids, from the last read
        self._empty_until = 0.0  # monotonic time until which the spool is known to be empty

    def _known_empty(self) -> bool:
        return time.monotonic() < self._empty_until

    def _seen_empty(self) -> None:
        self._empty_until = time.monotonic() + EMPTY_RECHECK_S

    def _col(self, base: str = "outbox") -> Any:
        return self.client.collection(self.names.name(base))

    def lock(self) -> threading.RLock:
        return self._lock

    @store_call("outbox has_segments")
    def has_segments(self) -> bool:
        if self._known_empty():
            return False
        found = any(True for _ in self._col().limit(1).stream(**self.calls))
        if not found:
            self._seen_empty()
        return found

    @store_call("outbox write")
    def write(self, records: Sequence[ActionRecord]) -> None:
        """One atomic batch: the segment is durable in Firestore when this returns."""
        self._empty_until = 0.0
        segment = f"{time.time_ns():020d}-{uuid.uuid4().hex[:8]}"
        parts = _parts(records)
        batch = self.client.batch()
        for number, lines in enumerate(parts):
            batch.set(self._col().document(f"{segment}-{number:04d}"),
                      {"segment": segment, "part": number, "parts": len(parts), "records": lines,
                       "spooled_at": firestore.SERVER_TIMESTAMP})
        batch.commit(**self.calls)

    @store_call("outbox read")
    def read(self) -> list[tuple[str, list[ActionRecord]]]:
        with self._lock:  # never "seen empty" while this process writes a segment
            return self._read()

    def _read(self) -> list[tuple[str, list[ActionRecord]]]:
        if self._known_empty():
            return []
        documents: dict[str, list[Any]] = {}
        for snap in self._col().stream(**self.calls):
            documents.setdefault(str(snap.get("segment")), []).append(snap)
        segments: list[tuple[str, list[ActionRecord]]] = []
        self._ids = {}
        for segment in sorted(documents):
            snaps = sorted(documents[segment], key=lambda s: s.id)
            try:
                records = [ActionRecord.model_validate_json(line) for snap in snaps for line in snap.get("records")]
            except (ValueError, KeyError, TypeError):
                self._quarantine(segment, snaps)
                continue
            self._ids[segment] = [snap.id for snap in snaps]
            segments.append((segment, records))
        if not segments:
            self._seen_empty()
        return segments

    @store_call("outbox delete")
    def delete(self, key: str) -> None:
        batch = self.client.batch()
        for document_id in self._ids.pop(key, []):
            batch.delete(self._col().document(document_id))
        batch.commit(**self.calls)
        if not self._ids:
            self._seen_empty()

    def _quarantine(self, segment: str, snaps: list[Any]) -> None:
        logger.error("outbox segment %s does not parse; moved to %s", segment, self.names.name("outbox_corrupt"))
        batch = self.client.batch()
        for snap in snaps:
            batch.set(self._col("outbox_corrupt").document(snap.id), snap.to_dict())
            batch.delete(snap.reference)
        batch.commit(**self.calls)
