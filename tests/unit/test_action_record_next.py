"""`ActionRecord.next` validates only what a transition changes: the result must be the record a whole
re-validation gives, and an invalid change must still be refused with the usual error."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from schemas.common import ActionStatus
from schemas.records import ActionRecord, RollbackPlan
from tests.ports.builders import NOW, action_id, full_record, org_id

LATER = NOW + timedelta(minutes=10)


def _whole(record: ActionRecord, status: ActionStatus, run_id: str, **changes: Any) -> ActionRecord:
    """What `next` did before: the whole record dumped and validated again."""
    data = record.model_dump()
    data.update(changes, status=status, event_time=LATER, run_id=run_id, seq=record.seq + 1)
    return ActionRecord.model_validate(data)


PLAN = {"inverse_ops": [{"op": "set_campaign_status", "customer_id": "1234567890", "campaign_id": "111",
                         "status": "PAUSED"}],
        "before_state": {"status": "PAUSED"}, "expected_state": {"status": "ENABLED"}, "reversibility": "full"}

VALID_CHANGES: list[dict[str, Any]] = [
    {},
    {"result": {"outcome": "applied", "n": 1}, "error_message": None},
    {"executed_at": LATER, "executed_by": "  jane@acme.example  ", "error_message": "  spaced  "},
    {"rollback_plan": PLAN, "rolled_back_at": LATER, "measurement_checkpoints": [LATER, LATER + timedelta(days=1)]},
    {"verdict": None, "checks": [{"check_id": "kill_switch", "passed": True, "message": "off"}], "plan_hash": None},
    {"platform": "something_else", "payload": {"action": {"type": "x"}}, "opportunity_id": None},
]


@pytest.mark.parametrize("changes", VALID_CHANGES)
def test_next_is_the_record_a_whole_validation_gives(changes):
    record = full_record(action_id(), org_id())
    expected = _whole(record, ActionStatus.ROLLED_BACK, "run-7", **changes)
    got = record.next(ActionStatus.ROLLED_BACK, LATER, "run-7", **changes)
    assert got == expected
    assert got.model_dump(mode="json") == expected.model_dump(mode="json")
    assert got.model_fields_set == expected.model_fields_set
    assert got.event_id == expected.event_id
    if "rollback_plan" in changes:  # a plan given as data becomes the model, as validation makes it
        assert isinstance(got.rollback_plan, RollbackPlan)
    if "executed_by" in changes:  # the model's config (whitespace stripped) applies to changed fields
        assert got.executed_by == "jane@acme.example" and got.error_message == "spaced"


INVALID_CHANGES: list[tuple[dict[str, Any], str]] = [
    ({"executed_at": datetime(2026, 11, 20, 12, 0)}, "executed_at"),  # no time zone
    ({"rolled_back_at": "not a time"}, "rolled_back_at"),
    ({"result": ["not", "a", "dict"]}, "result"),
    ({"rollback_plan": {"before_state": {}}}, "rollback_plan"),  # missing inverse_ops, expected_state, ...
    ({"checks": [{"check_id": "kill_switch"}]}, "checks"),
    ({"executed_by": 42}, "executed_by"),
    ({"no_such_column": 1}, "no_such_column"),  # extra fields are refused, as the model forbids them
]


@pytest.mark.parametrize(("changes", "field"), INVALID_CHANGES)
def test_an_invalid_change_is_refused_with_the_usual_error(changes, field):
    record = full_record(action_id(), org_id())
    with pytest.raises(ValidationError) as expected:
        _whole(record, ActionStatus.EXECUTED, "run-7", **changes)
    with pytest.raises(ValidationError) as refused:
        record.next(ActionStatus.EXECUTED, LATER, "run-7", **changes)
    assert refused.value.title == "ActionRecord"
    assert {e["loc"][0] for e in refused.value.errors()} == {field}
    assert refused.value.errors() == expected.value.errors()


def test_an_invalid_status_or_time_is_refused():
    record = full_record(action_id(), org_id())
    with pytest.raises(ValidationError, match="status"):
        record.next("NOT_A_STATUS", LATER, "run-7")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="event_time"):
        record.next(ActionStatus.EXECUTED, datetime(2026, 11, 20, 12, 0), "run-7")


def test_the_next_record_is_frozen_like_any_other():
    record = full_record(action_id(), org_id()).next(ActionStatus.ROLLING_BACK, LATER, "run-7")
    with pytest.raises(ValidationError):
        record.status = ActionStatus.EXECUTED  # type: ignore[misc]
    assert record.seq == 4 and record.status == ActionStatus.ROLLING_BACK and record.run_id == "run-7"
