"""The rollback plan, the plan (Terraform-style value) and the append-only action record."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from functools import cache
from typing import Annotated, Any, cast

from pydantic import ConfigDict, Field, TypeAdapter, ValidationError

from schemas.actions import Action
from schemas.common import ActionStatus, FrozenModel, Platform, ZonedDatetime, stable_hash
from schemas.operations import Operation
from schemas.snapshots import Snapshot
from schemas.verdict import CheckResult, Verdict


class Reversibility(StrEnum):
    FULL = "full"
    PARTIAL = "partial"  # some effects stay (e.g. emails already sent by an automation)
    NONE = "none"


class RollbackPlan(FrozenModel):
    """How to undo an action: inverse operations, the state before, and the state it will produce
    (rollback compares the live state with `expected_state` to detect drift)."""

    inverse_ops: tuple[Operation, ...]
    before_state: dict[str, Any]
    expected_state: dict[str, Any]
    reversibility: Reversibility
    irreversible_parts: tuple[str, ...] = ()
    note: str = ""

    @property
    def reversible(self) -> bool:
        return self.reversibility != Reversibility.NONE


class Plan(FrozenModel):
    """Everything decided about one action before it runs: printable, hashable, approvable, replayable.

    Apply refuses a plan whose snapshot no longer matches the platform (stale), and an approval is bound
    to `plan_hash`, so a person approves exactly what will run."""

    action_id: str
    organization_id: str
    opportunity_id: str | None
    action: Action
    operations: tuple[Operation, ...]
    snapshot: Snapshot | None
    observed_state: dict[str, Any]
    verdict: Verdict
    rollback_plan: RollbackPlan | None
    created_at: ZonedDatetime

    @property
    def plan_hash(self) -> str:
        # created_at and the verdict's approval are excluded: the same decision made later hashes the same
        body = self.model_dump(mode="json", exclude={"created_at"})
        body["verdict"].pop("approved_by", None)
        return stable_hash(body)


class ActionRecord(FrozenModel):
    """One row of the append-only actions log (spec §5 / appendix A columns plus what we need)."""

    action_id: str
    opportunity_id: str | None
    organization_id: str
    action_type: str
    platform: Platform | str
    payload: dict[str, Any]  # the action, the opportunity summary, the snapshot
    status: ActionStatus
    event_time: ZonedDatetime
    seq: int = 0  # per-action sequence; the latest row per action_id has the highest seq
    run_id: str
    executed_at: ZonedDatetime | None = None
    executed_by: str | None = None
    result: dict[str, Any] | None = None
    error_message: str | None = None
    rollback_plan: RollbackPlan | None = None
    rolled_back_at: ZonedDatetime | None = None
    measurement_checkpoints: tuple[datetime, ...] = ()
    verdict: Verdict | None = None
    checks: tuple[CheckResult, ...] = ()
    plan_hash: str | None = None

    @property
    def event_id(self) -> str:
        """Deterministic row id (insert id): the same transition written twice is one row."""
        return stable_hash([self.action_id, self.seq, self.status.value], 32)

    def next(self, status: ActionStatus, event_time: datetime, run_id: str, **changes: Any) -> ActionRecord:
        """The following transition: same action, next sequence number, new status.

        Only the changed fields are validated (the others were when this record was made; validating the
        whole record again, payload and verdict included, was most of a transition's cost). A change that
        fails, or names no field, is validated again with the whole record, so its error is the one
        `model_validate` gives."""
        changes.update(status=status, event_time=event_time, run_id=run_id, seq=self.seq + 1)
        try:
            checked = {name: _field_adapter(name).validate_python(value) for name, value in changes.items()}
        except (KeyError, ValidationError):
            return ActionRecord.model_validate({**self.model_dump(), **changes})  # raises the usual error
        return ActionRecord.model_construct(**{**self.__dict__, **checked})


@cache
def _field_adapter(name: str) -> TypeAdapter[Any]:
    """A validator of one `ActionRecord` field, as the model validates it (its type, constraints, config).
    KeyError for a name that is no field, or when the model has validators of its own (then only the whole
    record can be validated)."""
    decorators = ActionRecord.__pydantic_decorators__
    if decorators.field_validators or decorators.model_validators or decorators.validators \
            or decorators.root_validators:
        raise KeyError(name)
    info = ActionRecord.model_fields[name]
    config = cast(ConfigDict, {k: v for k, v in ActionRecord.model_config.items() if k not in ("frozen", "extra")})
    return TypeAdapter(cast(Any, Annotated)[info.annotation, info], config=config)


TERMINAL_STATUSES = frozenset(
    {
        ActionStatus.EXECUTED,
        ActionStatus.FAILED,
        ActionStatus.BLOCKED,
        ActionStatus.REJECTED,
        ActionStatus.REJECTED_INPUT,
        ActionStatus.EXPIRED,
        ActionStatus.ROLLED_BACK,
        ActionStatus.ROLLBACK_FAILED,
        ActionStatus.MANUAL,
    }
)


class RunSummary(FrozenModel):
    run_id: str
    started_at: ZonedDatetime
    finished_at: ZonedDatetime
    mode: str  # "SANDBOX" or "LIVE"
    dry_run: bool = False
    organizations: tuple[str, ...] = ()
    counts: dict[str, int] = Field(default_factory=dict)  # per status
    actions: tuple[dict[str, Any], ...] = ()  # one line per action touched in this run
    errors: tuple[str, ...] = ()  # per-org failures (others carried on)

    @property
    def duration_s(self) -> float:
        return (self.finished_at - self.started_at).total_seconds()
