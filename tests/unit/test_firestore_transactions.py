"""`in_transaction`: a transaction the client could not commit in its own attempts is started over, in a
fresh transaction, a bounded number of times; any other failure is not retried. (The five-way approval
race in tests/ports/test_approvals.py is the emulator-backed proof that this resolves real contention.)"""

from __future__ import annotations

from typing import Any

import pytest

from connectors.base import StoreError
from connectors.firestore.common import TRANSACTION_RESTARTS, in_transaction, store_call

CONTENDED = "Failed to commit transaction in 5 attempts."


class Client:
    """Hands out distinguishable transactions; only `transaction()` is what `in_transaction` uses."""

    def __init__(self) -> None:
        self.opened: list[int] = []

    def transaction(self) -> int:
        self.opened.append(len(self.opened))
        return self.opened[-1]


def _body(failures: int, error: str = CONTENDED) -> tuple[list[Any], Any]:
    seen: list[Any] = []

    def body(tx: int, arg: str) -> str:
        seen.append(tx)
        if len(seen) <= failures:
            raise ValueError(error)
        return f"decided {arg} in transaction {tx}"

    return seen, body


def test_contention_is_started_over_in_a_fresh_transaction():
    client = Client()
    seen, body = _body(failures=2)
    assert in_transaction(client, body, "a-1") == "decided a-1 in transaction 2"
    assert seen == [0, 1, 2]


def test_contention_that_never_clears_becomes_a_store_error_after_the_bounded_restarts():
    client = Client()
    seen, body = _body(failures=99)

    @store_call("decide")
    def decide() -> str:
        return in_transaction(client, body, "a-1")

    with pytest.raises(StoreError, match="transaction contended"):
        decide()
    assert len(seen) == TRANSACTION_RESTARTS


def test_other_errors_are_not_retried():
    client = Client()
    seen, body = _body(failures=1, error="Cannot convert to a Firestore Value")
    with pytest.raises(ValueError, match="Cannot convert"):
        in_transaction(client, body, "a-1")
    assert seen == [0]
