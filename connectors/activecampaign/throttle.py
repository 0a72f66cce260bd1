"""The client-side rate limit: at most 5 requests per second per ActiveCampaign account.

AC's limit is per *account*, shared by every key and integration using it, so one throttle per account
base URL lives in a process-wide registry: every thread, connector instance and organization that talks
to the same account draws from the same permits.

A permit is taken before a request is sent and handed back `window_s` seconds after its response came
back (or the call failed). That makes the guarantee hold at the server, not only at our clock: any
request that arrives at AC started after some earlier one of the same window had *finished* plus
`window_s`, so no `window_s`-long window at the server ever sees more than `limit` arrivals, whatever
the network latency or thread scheduling. A 429/503 `Retry-After` holds the whole account back.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol


class Clock(Protocol):
    """Monotonic time and sleep; injected so tests can run Retry-After waits on a fake clock."""

    def monotonic(self) -> float: ...
    def sleep(self, seconds: float) -> None: ...


class SystemClock:
    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


class AccountThrottle:
    """`limit` permits per `window_s`, each returned `window_s` after its request completed."""

    _POLL_S = 0.05  # while every permit is in flight, look again this often

    def __init__(self, limit: int = 5, window_s: float = 1.0):
        if limit < 1 or window_s <= 0:
            raise ValueError("throttle needs limit >= 1 and a positive window")
        self.limit = limit
        self.window_s = window_s
        self._lock = threading.Lock()
        self._in_flight = 0
        self._returning: list[float] = []  # when each recently returned permit becomes usable again
        self._held_until = 0.0  # a Retry-After from AC pauses the whole account until then

    @contextmanager
    def permit(self, clock: Clock) -> Iterator[None]:
        """Hold one permit for the duration of one HTTP request."""
        self._acquire(clock)
        try:
            yield
        finally:
            with self._lock:
                self._in_flight -= 1
                self._returning.append(clock.monotonic() + self.window_s)

    def hold_off(self, seconds: float, clock: Clock) -> None:
        """AC said "Retry-After": no request for this account before then."""
        with self._lock:
            self._held_until = max(self._held_until, clock.monotonic() + max(0.0, seconds))

    def _acquire(self, clock: Clock) -> None:
        while True:
            with self._lock:
                now = clock.monotonic()
                self._returning = [t for t in self._returning if t > now]
                wait = self._held_until - now
                if self._in_flight + len(self._returning) >= self.limit:
                    if self._in_flight >= self.limit:
                        wait = max(wait, self._POLL_S)
                    else:
                        wait = max(wait, min(self._returning) - now)
                if wait <= 0:
                    self._in_flight += 1
                    return
            clock.sleep(min(wait, 0.25))


_REGISTRY: dict[str, AccountThrottle] = {}
_REGISTRY_LOCK = threading.Lock()


def account_key(base_url: str) -> str:
    """Accounts are identified by their API base URL (case-insensitive host, no trailing slash)."""
    return base_url.strip().rstrip("/").lower()


def throttle_for(base_url: str, limit: int = 5, window_s: float = 1.0) -> AccountThrottle:
    """The process-wide throttle of one AC account (created on first use)."""
    key = account_key(base_url)
    with _REGISTRY_LOCK:
        throttle = _REGISTRY.get(key)
        if throttle is None:
            throttle = _REGISTRY[key] = AccountThrottle(limit, window_s)
        return throttle
