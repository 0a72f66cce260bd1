"""Shared machinery for the per-type specs: typing the action, building requests and plans.

A concrete spec says *what* (parts to read, the state slice, forward and inverse operations); this base
turns that into the `ActionSpec` protocol so every type builds its snapshot request and rollback plan the
same way (before_state is always `observed_state` of the snapshot the plan was made from).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, ClassVar, Generic, TypeVar

from schemas.actions import Action
from schemas.common import Platform
from schemas.facts import ChangeFacts
from schemas.operations import ApplyResult, Operation
from schemas.records import Reversibility, RollbackPlan
from schemas.snapshots import Snapshot, SnapshotPart, SnapshotRequest

A = TypeVar("A")

CENT = Decimal("0.01")


class SpecError(ValueError):
    """The spec was asked to plan against a snapshot that cannot support the action (call
    `validate_against` first: it names the problem as a blocking reason instead)."""


def money(value: Decimal | None) -> str | None:
    """Money as a canonical string, so `50`, `50.0` and `50.000000` (micros) compare equal."""
    return None if value is None else str(value.quantize(CENT))


def number(value: Decimal | None) -> str | None:
    """A ratio (e.g. target ROAS) as a canonical plain string: `4.0` and `4.00` both become `4`."""
    return None if value is None else format(value.normalize(), "f")


def when(value: datetime | None) -> str | None:
    """A timestamp in UTC to the second: platforms store send times to the second, in their own zone."""
    return None if value is None else value.astimezone(UTC).replace(microsecond=0).isoformat()


def require(value: A | None, what: str) -> A:
    if value is None:
        raise SpecError(f"{what} is missing from the snapshot")
    return value


def missing_reason(snapshot: Snapshot, part: object, what: str) -> str | None:
    """The blocking reason when the entity a spec needs was not found (or not answered)."""
    if snapshot.missing:
        return f"{what} not found: {', '.join(snapshot.missing)}"
    if part is None:
        return f"{what} not found (the snapshot has no {what} state)"
    return None


def append_note(plan: RollbackPlan, text: str) -> RollbackPlan:
    note = f"{plan.note} {text}".strip()
    return plan.model_copy(update={"note": note})


def detail_ids(result: ApplyResult, key: str) -> tuple[str, ...]:
    """A list of ids from the apply result's details, as strings (absent → empty)."""
    raw = result.details.get(key)
    if not isinstance(raw, Iterable) or isinstance(raw, str | bytes):
        return ()
    return tuple(str(item) for item in raw)


class BaseSpec(ABC, Generic[A]):
    """Common protocol plumbing; subclasses fill in the per-type knowledge."""

    action_type: str
    platform: Platform
    model: type[A]
    parts: ClassVar[frozenset[SnapshotPart]]
    reversibility: ClassVar[Reversibility] = Reversibility.FULL
    irreversible_parts: ClassVar[tuple[str, ...]] = ()
    note: ClassVar[str] = ""

    def __init__(self, model: type[A]) -> None:
        self.model = model
        self.action_type = model.model_fields["type"].default  # type: ignore[attr-defined]
        self.platform = model.platform  # type: ignore[attr-defined]

    # ------------------------------------------------------------------ per type (override)

    @abstractmethod
    def entity_key(self, action: Action) -> str:
        ...

    @abstractmethod
    def _request_fields(self, action: A) -> dict[str, Any]:
        """The ids/filters of the snapshot request (campaign_id, contact ids, url, ...)."""

    @abstractmethod
    def validate_against(self, action: Action, snapshot: Snapshot, now: datetime) -> str | None:
        ...

    @abstractmethod
    def facts(self, action: Action, snapshot: Snapshot) -> ChangeFacts:
        ...

    @abstractmethod
    def observed_state(self, action: Action, snapshot: Snapshot) -> dict[str, Any]:
        ...

    @abstractmethod
    def operations(self, action: Action, snapshot: Snapshot, action_id: str) -> tuple[Operation, ...]:
        ...

    @abstractmethod
    def _inverse(self, action: A, snapshot: Snapshot, action_id: str) -> tuple[Operation, ...]:
        ...

    @abstractmethod
    def _expected(self, action: A, snapshot: Snapshot, action_id: str) -> dict[str, Any]:
        """`observed_state` as it will read after the forward operations succeed."""

    # ------------------------------------------------------------------ shared

    def own(self, action: Action) -> A:
        """The action as this spec's model (a spec handed another type's action is a wiring bug)."""
        if not isinstance(action, self.model):
            raise TypeError(f"{type(self).__name__} handles {self.action_type}, not {type(action).__name__}")
        return action

    def snapshot_request(self, action: Action, key: str, window_days: int, organization_id: str) -> SnapshotRequest:
        own = self.own(action)
        return SnapshotRequest(
            key=key,
            organization_id=organization_id,
            platform=self.platform,
            account_id=action.account_id(),
            parts=self.parts,
            window_days=window_days,
            **self._request_fields(own),
        )

    def rollback_plan(self, action: Action, snapshot: Snapshot, action_id: str) -> RollbackPlan:
        own = self.own(action)
        return RollbackPlan(
            inverse_ops=self._inverse(own, snapshot, action_id),
            before_state=self.observed_state(action, snapshot),
            expected_state=self._expected(own, snapshot, action_id),
            reversibility=self.reversibility,
            irreversible_parts=self.irreversible_parts,
            note=self.note,
        )

    def finalize_rollback_plan(self, plan: RollbackPlan, result: ApplyResult) -> RollbackPlan:
        return plan

    def details_from_state(self, action: Action, snapshot: Snapshot, action_id: str) -> dict[str, Any]:
        return {}

    def rollback_refusal(self, action: Action, plan: RollbackPlan, snapshot: Snapshot, now: datetime) -> str | None:
        return None
