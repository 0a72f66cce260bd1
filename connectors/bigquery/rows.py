"""ActionRecord ⇄ BigQuery row: typed columns for what is filtered on, JSON columns for structures.

JSON columns are written as JSON text (what `insertAll` expects for the JSON type) and read back as
JSON text too (`TO_JSON_STRING`), then decoded here.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from schemas.common import canonical_json
from schemas.records import ActionRecord

COLUMNS = (
    "action_id", "opportunity_id", "organization_id", "action_type", "platform", "payload", "executed_at",
    "executed_by", "status", "result", "error_message", "rollback_plan", "rolled_back_at",
    "measurement_checkpoints", "event_time", "seq", "event_id", "run_id", "verdict", "checks", "plan_hash",
)
JSON_COLUMNS = ("payload", "result", "rollback_plan", "verdict", "checks")


def select_list(columns: tuple[str, ...], json_columns: tuple[str, ...]) -> str:
    """Columns to select, JSON ones as `TO_JSON_STRING(col) AS col`: JSON text is the one form both
    BigQuery and the emulator hand back the same way (the client decodes a JSON column itself, so a
    stored JSON *string* would otherwise be indistinguishable from JSON text)."""
    return ", ".join(f"TO_JSON_STRING({c}) AS {c}" if c in json_columns else c for c in columns)


SELECT_LIST = select_list(COLUMNS, JSON_COLUMNS)


def timestamp(value: datetime | None) -> str | None:
    """RFC 3339 in UTC with microseconds (BigQuery's precision); a naive value is taken as UTC."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _json_text(value: Any) -> str | None:
    return None if value is None else canonical_json(value)


def json_value(value: str | None) -> Any:
    """A JSON column selected with TO_JSON_STRING, as Python data (SQL NULL stays None)."""
    return None if value is None else json.loads(value)


def to_row(record: ActionRecord) -> dict[str, Any]:
    return {
        "action_id": record.action_id,
        "opportunity_id": record.opportunity_id,
        "organization_id": record.organization_id,
        "action_type": record.action_type,
        "platform": str(record.platform),
        "payload": canonical_json(record.payload),
        "executed_at": timestamp(record.executed_at),
        "executed_by": record.executed_by,
        "status": record.status.value,
        "result": _json_text(record.result),
        "error_message": record.error_message,
        "rollback_plan": _json_text(record.rollback_plan),
        "rolled_back_at": timestamp(record.rolled_back_at),
        "measurement_checkpoints": [timestamp(t) for t in record.measurement_checkpoints],
        "event_time": timestamp(record.event_time),
        "seq": record.seq,
        "event_id": record.event_id,
        "run_id": record.run_id,
        "verdict": _json_text(record.verdict),
        "checks": canonical_json([check.model_dump(mode="json") for check in record.checks]),
        "plan_hash": record.plan_hash,
    }


def from_row(row: Mapping[str, Any]) -> ActionRecord:
    data = {name: row.get(name) for name in COLUMNS if name != "event_id"}
    for name in JSON_COLUMNS:
        data[name] = json_value(data[name])
    data["checks"] = tuple(data["checks"] or ())
    data["measurement_checkpoints"] = tuple(data["measurement_checkpoints"] or ())
    return ActionRecord.model_validate(data)
