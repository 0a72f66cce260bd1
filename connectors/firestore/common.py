"""What the Firestore adapters share: collection names, timestamps, timeouts and error translation."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ParamSpec, TypeVar

from google.api_core import exceptions as gexc
from google.api_core.exceptions import GoogleAPIError
from google.api_core.retry import Retry, if_exception_type
from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_random

from connectors.base import StoreError

P = ParamSpec("P")
R = TypeVar("R")


@dataclass(frozen=True)
class Collections:
    """Top-level collection names (docs/storage.md). `prefix` isolates tenants of one database, e.g.
    tests on an emulator that has no reset endpoint."""

    prefix: str = ""

    def name(self, base: str) -> str:
        return f"{self.prefix}{base}"


class OrgCollections:
    """For the state store's parts (holds, outside changes, history): an organization's sub-collection
    `organizations/{org}/{name}`. `client`, `calls` and `_col` come from the state store."""

    client: Any
    calls: dict[str, Any]

    def _col(self, base: str) -> Any:  # provided by the state store
        raise NotImplementedError

    def _org_collection(self, organization_id: str, name: str) -> Any:
        return self._col("organizations").document(organization_id).collection(name)


_TRANSIENT = if_exception_type(gexc.ServiceUnavailable, gexc.InternalServerError, gexc.TooManyRequests,
                               gexc.DeadlineExceeded)


TRANSACTION_RESTARTS = 4  # fresh transactions per call, each with the client's own 5 commit attempts


def _contended(error: BaseException) -> bool:
    return isinstance(error, ValueError) and "Failed to commit transaction" in str(error)


def in_transaction(client: Any, body: Callable[..., R], *args: Any) -> R:
    """Run a `@firestore.transactional` body in a fresh transaction; when it could not commit in the
    client's attempts, start over after a random pause, a few times.

    Contention is expected here (five people opening one approval link, overlapping runs claiming one
    action). The client retries an aborted commit at once, so racers that deadlocked on the same document
    abort in lockstep until they all run out of attempts ("Transaction lock timeout" on the emulator lost
    one of five deciders in ~1 run in 20). A random pause breaks the lockstep; the body re-reads the
    document each time, so a retry decides on fresh state (a loser then sees the winner's decision)."""
    retrying = Retrying(retry=retry_if_exception(_contended), wait=wait_random(0.0, 1.0),
                        stop=stop_after_attempt(TRANSACTION_RESTARTS), reraise=True)
    return retrying(lambda: body(client.transaction(), *args))


def call_options(timeout_s: float, deadline_s: float) -> dict[str, Any]:
    """`retry` and `timeout` for every Firestore call: `timeout_s` per attempt, `deadline_s` in total.
    Without an explicit retry the client keeps retrying an unreachable server for minutes."""
    return {"retry": Retry(predicate=_TRANSIENT, initial=0.1, maximum=2.0, timeout=deadline_s),
            "timeout": timeout_s}


def utc(value: Any) -> datetime | None:
    """A Firestore timestamp (DatetimeWithNanoseconds) as a plain aware UTC datetime."""
    if value is None:
        return None
    if not isinstance(value, datetime):
        raise StoreError(f"expected a timestamp in Firestore, found {type(value).__name__}")
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    value = value.astimezone(UTC)
    return datetime(value.year, value.month, value.day, value.hour, value.minute, value.second,
                    value.microsecond, tzinfo=UTC)


def store_call(what: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Translate Firestore failures (RPC errors, a transaction that could not commit in its attempts)
    into the port's `StoreError`; every other exception (ApprovalError, bugs) passes through."""

    def wrap(fn: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(fn)
        def call(*args: P.args, **kwargs: P.kwargs) -> R:
            try:
                return fn(*args, **kwargs)
            except GoogleAPIError as error:
                raise StoreError(f"Firestore {what} failed: {type(error).__name__}: {str(error)[:500]}") from error
            except ValueError as error:
                if "Failed to commit transaction" not in str(error):
                    raise
                raise StoreError(f"Firestore {what}: transaction contended: {error}") from error

        return call

    return wrap
