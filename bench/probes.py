"""What the benchmark puts around the real adapters: a remote-like platform (fixed latency per call,
calls counted) and an actions log that counts its writes."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


class Fixed:
    """A clock stopped at one moment (a class, not a lambda, so worker processes get a copy)."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


class Slow:
    """A platform connector that takes `latency` seconds per call, as a remote API would, and counts calls."""

    _lock = threading.Lock()  # the counter is shared by the connectors of a process

    def __init__(self, inner: Any, latency: float, calls: Counter[str]) -> None:
        self.inner, self.latency, self.calls = inner, latency, calls
        self.platform, self.mode = inner.platform, inner.mode

    def _call(self, name: str) -> None:
        with self._lock:
            self.calls[name] += 1
        time.sleep(self.latency)

    def check_connection(self, account_id: str) -> None:
        self._call("check_connection")
        self.inner.check_connection(account_id)

    def snapshot(self, account_id: str, requests: Sequence[Any], now: datetime) -> Any:
        self._call("snapshot")
        return self.inner.snapshot(account_id, requests, now)

    def apply(self, account_id: str, batches: Sequence[Any], *, validate_only: bool = False) -> Any:
        self._call("apply")
        return self.inner.apply(account_id, batches, validate_only=validate_only)


class CountingLog:
    """The actions log, counting writes (each one transaction) and rows."""

    def __init__(self, inner: Any) -> None:
        self.inner, self.writes, self.rows = inner, 0, 0
        self._lock = threading.Lock()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def append(self, records: Sequence[Any]) -> None:
        if records:  # an empty append writes nothing
            with self._lock:
                self.writes += 1
                self.rows += len(records)
        self.inner.append(records)
