"""The action-spec contract: one small object per action type carries all per-type knowledge.

The orchestrator, guardrails (through `ChangeFacts`), rollback and connectors never branch on the
type string; they ask the spec registered for the action's type (`rollback.registry.spec_for`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from schemas.actions import Action
from schemas.common import Platform
from schemas.facts import ChangeFacts
from schemas.operations import ApplyResult, Operation
from schemas.records import RollbackPlan
from schemas.snapshots import Snapshot, SnapshotRequest


class ActionSpec(Protocol):
    action_type: str
    platform: Platform
    model: type  # the pydantic action model

    def entity_key(self, action: Action) -> str:
        """The changed entity's stable key (same target, same key), known before any read: used for
        the similar-failure check and cooldowns. Equals `facts(...).entity_key`."""
        ...

    def snapshot_request(self, action: Action, key: str, window_days: int, organization_id: str) -> SnapshotRequest:
        """Which parts of the platform state to read before planning (batched per account)."""
        ...

    def validate_against(self, action: Action, snapshot: Snapshot, now: datetime) -> str | None:
        """A reason the action cannot apply to this entity state at all (missing entity, wrong state),
        or None. Such an action is BLOCKED with rule id `target_state`."""
        ...

    def facts(self, action: Action, snapshot: Snapshot) -> ChangeFacts:
        """The numbers the guardrails judge (before/after values, entity key, reversibility)."""
        ...

    def observed_state(self, action: Action, snapshot: Snapshot) -> dict[str, Any]:
        """The slice of state this action changes, as plain JSON values. Equal slices from two reads
        mean nothing changed: used for the stale-plan check, settling UNCERTAIN and drift detection."""
        ...

    def operations(self, action: Action, snapshot: Snapshot, action_id: str) -> tuple[Operation, ...]:
        """The forward platform operations."""
        ...

    def rollback_plan(self, action: Action, snapshot: Snapshot, action_id: str) -> RollbackPlan:
        """Inverse operations + before/expected state + reversibility, built before execution."""
        ...

    def finalize_rollback_plan(self, plan: RollbackPlan, result: ApplyResult) -> RollbackPlan:
        """Enrich the plan with what the platform returned (e.g. created resource names)."""
        ...

    def details_from_state(self, action: Action, snapshot: Snapshot, action_id: str) -> dict[str, Any]:
        """What the apply response would have reported (created ids), recovered from the live state for an
        action whose response was lost and that was settled by reading; {} when nothing was created."""
        ...

    def rollback_refusal(self, action: Action, plan: RollbackPlan, snapshot: Snapshot, now: datetime) -> str | None:
        """A reason the inverse can no longer apply to the current state whatever `--force` says (the
        email campaign has started sending, the old send time has passed), or None. Drift is separate."""
        ...


# Keys a connector puts in `ApplyResult.details` so `finalize_rollback_plan` can record what the forward
# apply created (connectors cannot import this package: these are the literal strings to use).
