"""Column encodings: fixed-width UTC timestamps (string order = time order) and JSON text."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from schemas.common import canonical_json

_FORMAT = "%Y-%m-%dT%H:%M:%S.%f+00:00"


def ts(value: datetime) -> str:
    """Encode an aware datetime as fixed-width UTC text; naive datetimes are refused (no guessing zones)."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"timestamp without a zone: {value!r}")
    return value.astimezone(UTC).strftime(_FORMAT)


def ts_or_none(value: datetime | None) -> str | None:
    return None if value is None else ts(value)


def parse_ts(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def to_json(value: Any) -> str:
    """JSON text with Decimals as strings and sorted keys (so equal values store equal text)."""
    return canonical_json(value)


def from_json(text: str | None) -> Any:
    return None if text is None else json.loads(text)
