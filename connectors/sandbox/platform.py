"""What both sandbox platforms share: the allowlist, fault injection, atomic batches, validate_only.

A subclass supplies the platform, a reader (request -> Snapshot) and an operation registry
(op name -> handler). Every batch runs in one `BEGIN IMMEDIATE` transaction: a handler raising a
`PlatformError` rolls the whole batch back (all ops or none), exactly like a Google Ads mutate without
partial failure. The sandbox raises and reports the same error taxonomy as the real connectors.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, ClassVar, Literal

from connectors.base import PermanentError, PlatformError
from connectors.local.db import Database
from connectors.sandbox.entities import Entities, require_account
from connectors.sandbox.faults import FaultPlan, FaultRule
from schemas.common import Platform
from schemas.metrics import MetricReading, MetricRequest, not_measurable
from schemas.operations import ApplyOutcome, ApplyResult, ErrorInfo, ErrorKind, OpBatch
from schemas.snapshots import Snapshot, SnapshotRequest


@dataclass
class ApplyContext:
    """What an operation handler sees: the account's entities (inside the batch's transaction), the
    clock, and the details it reports back (created resource names, run ids, message ids)."""

    ents: Entities
    now: datetime
    details: dict[str, Any] = field(default_factory=dict)

    def report(self, key: str, values: list[Any] | dict[str, Any]) -> None:
        if isinstance(values, dict):
            self.details.setdefault(key, {}).update(values)
        else:
            self.details.setdefault(key, []).extend(values)


OpHandler = Callable[[ApplyContext, Any], None]


class _ValidatedOnly(Exception):
    """Raised inside a validate_only batch after every op passed, to roll the transaction back."""


class SandboxPlatform:
    """Base of the sandbox `PlatformConnector`s (mode SANDBOX)."""

    platform: ClassVar[Platform]
    operations: ClassVar[dict[str, OpHandler]]
    mode: Literal["SANDBOX", "LIVE"] = "SANDBOX"

    def __init__(self, db: Database, *, faults: FaultPlan | None = None,
                 clock: Callable[[], datetime] | None = None):
        self.db = db
        self.faults = faults if faults is not None else FaultPlan.from_env()
        self.clock = clock or (lambda: datetime.now(UTC))

    # ------------------------------------------------------------------ subclass hooks

    def advance(self, ents: Entities, today: date) -> None:
        """Bring simulated state (metrics) up to `today` before reading or changing it."""

    def read(self, ents: Entities, request: SnapshotRequest, now: datetime) -> Snapshot:
        """Answer one request from the account's entities (subclasses: one reader per part)."""
        raise NotImplementedError

    def measure(self, ents: Entities, request: MetricRequest, now: datetime) -> MetricReading:
        """Answer one metric request (subclasses with metrics override this)."""
        return not_measurable(request.key, now, f"the {self.platform.value} sandbox keeps no metrics")

    # ------------------------------------------------------------------ port

    def check_connection(self, account_id: str) -> None:
        """NotConnectedError unless the sandbox has this account (there are no credentials to check)."""
        self._inject("connect", account_id)
        with self.db.read() as conn:
            require_account(conn, self.platform.value, account_id)

    def snapshot(self, account_id: str, requests: Sequence[SnapshotRequest], now: datetime) -> dict[str, Snapshot]:
        """One consistent read of the account for all requests. NotConnectedError if any request's
        organization does not own the account; metrics cover complete UTC days before `now`."""
        for request in requests:
            if request.platform != self.platform or request.account_id != account_id:
                raise PermanentError(f"request {request.key} is for {request.platform.value}:{request.account_id}, "
                                     f"not {self.platform.value}:{account_id}", code="WRONG_ACCOUNT")
        self._inject("snapshot", account_id, ops={p.value for r in requests for p in r.parts},
                     keys={r.key for r in requests})
        with self.db.write() as tx:  # a write: reading materialises the metric days up to yesterday
            require_account(tx, self.platform.value, account_id, {r.organization_id for r in requests})
            ents = Entities(tx, self.platform.value, account_id)
            self.advance(ents, now.astimezone(UTC).date())
            return {request.key: self.read(ents, request, now) for request in requests}

    def read_metrics(self, account_id: str, requests: Sequence[MetricRequest],
                     now: datetime) -> dict[str, MetricReading]:
        """`MetricReader` port: one consistent read of the account, with the same allowlist and fault
        injection (phase "snapshot", op "metrics") as a snapshot."""
        for request in requests:
            if request.platform != self.platform or request.account_id != account_id:
                raise PermanentError(f"request {request.key} is for {request.platform.value}:{request.account_id}, "
                                     f"not {self.platform.value}:{account_id}", code="WRONG_ACCOUNT")
        self._inject("snapshot", account_id, ops={"metrics"}, keys={r.key for r in requests})
        with self.db.write() as tx:  # reading materialises the metric days up to yesterday
            require_account(tx, self.platform.value, account_id, {r.organization_id for r in requests})
            ents = Entities(tx, self.platform.value, account_id)
            self.advance(ents, now.astimezone(UTC).date())
            return {request.key: self.measure(ents, request, now) for request in requests}

    def apply(self, account_id: str, batches: Sequence[OpBatch], *, validate_only: bool = False) -> list[ApplyResult]:
        """One result per batch, in order; each batch is its own transaction. The allowlist is checked
        for every batch before anything is sent (NotConnectedError: nothing applied)."""
        with self.db.read() as conn:
            require_account(conn, self.platform.value, account_id, {b.organization_id for b in batches})
        return [self._apply_batch(account_id, batch, validate_only) for batch in batches]

    # ------------------------------------------------------------------ internals

    def _inject(self, phase: Literal["connect", "snapshot"], account_id: str, *, ops: set[str] | None = None,
                keys: set[str] | None = None) -> None:
        rule = self.faults.take(phase, platform=self.platform.value, account_id=account_id, ops=ops or set(),
                                keys=keys or set())
        if rule is not None:
            raise rule.error()

    def _take_batch_fault(self, phase: Literal["apply_before", "apply_after"], account_id: str, batch: OpBatch,
                          validate_only: bool) -> FaultRule | None:
        return self.faults.take(phase, platform=self.platform.value, account_id=account_id,
                                ops={op.op for op in batch.ops}, keys={batch.key}, validate_only=validate_only)

    def _apply_batch(self, account_id: str, batch: OpBatch, validate_only: bool) -> ApplyResult:
        request_id = f"sandbox-{uuid.uuid4().hex[:16]}"
        if batch.platform != self.platform or batch.account_id != account_id:
            return _failed(batch.key, request_id, PermanentError(
                f"batch {batch.key} is for {batch.platform.value}:{batch.account_id}, "
                f"not {self.platform.value}:{account_id}", code="WRONG_ACCOUNT"))
        before = self._take_batch_fault("apply_before", account_id, batch, validate_only)
        if before is not None:
            return _failed(batch.key, request_id, before.error())
        now = self.clock()
        try:
            with self.db.write() as tx:
                ctx = ApplyContext(Entities(tx, self.platform.value, account_id), now)
                self.advance(ctx.ents, now.astimezone(UTC).date())
                for op in batch.ops:
                    handler = self.operations.get(op.op)
                    if handler is None:
                        raise PermanentError(f"{self.platform.value} does not support operation {op.op}",
                                             code="UNSUPPORTED_OPERATION")
                    handler(ctx, op)
                if validate_only:
                    raise _ValidatedOnly
        except _ValidatedOnly:
            return ApplyResult(key=batch.key, outcome=ApplyOutcome.VALIDATED, request_ids=(request_id,))
        except PlatformError as error:
            return _failed(batch.key, request_id, error)
        after = None if validate_only else self._take_batch_fault("apply_after", account_id, batch, validate_only)
        if after is not None:  # the change landed; the caller never hears about it
            lost = after.error()
            return ApplyResult(key=batch.key, outcome=ApplyOutcome.UNCERTAIN, request_ids=(request_id,),
                               error=ErrorInfo(kind=ErrorKind.UNCERTAIN, message=lost.message, code=lost.code,
                                               request_id=request_id))
        return ApplyResult(key=batch.key, outcome=ApplyOutcome.APPLIED, details=ctx.details,
                           request_ids=(request_id,))


def _failed(key: str, request_id: str, error: PlatformError) -> ApplyResult:
    """Nothing landed. An ambiguous error (timeout, reset) is still UNCERTAIN to the caller: it cannot
    know that nothing landed, and must settle by reading."""
    error.request_id = error.request_id or request_id
    outcome = ApplyOutcome.UNCERTAIN if error.kind == ErrorKind.UNCERTAIN else ApplyOutcome.FAILED
    return ApplyResult(key=key, outcome=outcome, request_ids=(request_id,), error=error.info())
