"""Defensive readers for ActiveCampaign JSON.

AC returns numbers as strings almost everywhere (`"id": "3"`, `"status": "2"`, `"meta": {"total": "1"}`),
dates as ISO-8601 with an offset (older objects: `YYYY-MM-DD HH:MM:SS` without one) and error bodies in
several shapes. Fields are read one by one with these helpers instead of converting whole documents,
so a name that happens to look like a number stays a string.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

_MAX_MESSAGE = 300


def as_int(value: Any, default: int = 0) -> int:
    """An AC number (int, numeric string, float-looking string, bool) as int; `default` when absent."""
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    try:
        return int(str(value).strip())
    except ValueError:
        try:
            return int(float(str(value).strip()))
        except ValueError:
            return default


def as_id(value: Any) -> str | None:
    """An AC id as a canonical string ("7", never 7 or "07"); None when absent."""
    if value is None or value == "":
        return None
    text = str(value).strip()
    return str(int(text)) if text.isdigit() else text


def as_datetime(value: Any) -> datetime | None:
    """An AC date as an aware datetime. AC's zero date and empty values are None.

    A date without an offset (legacy objects) is read as UTC: AC documents no zone for it, so this is
    an assumption the docs call out (verify the account time zone in a sandbox)."""
    if not value or not isinstance(value, str) or value.startswith("0000-00-00"):
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def format_datetime(value: datetime | None) -> str | None:
    """The form we send: ISO-8601 with an explicit offset (AC returns dates in this form)."""
    return value.isoformat(timespec="seconds") if value is not None else None


def total(body: Mapping[str, Any]) -> int:
    """`meta.total` (a string in AC's answers) as int."""
    meta = body.get("meta")
    return as_int(meta.get("total")) if isinstance(meta, Mapping) else 0


def items(body: Any, key: str) -> list[dict[str, Any]]:
    """The list under `key`, keeping only objects (AC sometimes returns null for an empty list)."""
    if not isinstance(body, Mapping):
        return []
    value = body.get(key)
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def obj(body: Any, key: str) -> dict[str, Any]:
    """The object under `key` (e.g. `{"campaign": {...}}`), or an empty dict."""
    if isinstance(body, Mapping) and isinstance(body.get(key), dict):
        return dict(body[key])
    return {}


def succeeded(body: Any) -> bool:
    """False for AC's soft failures: HTTP 200 with `succeeded: 0` (v3) or `result_code: 0` (v1)."""
    if not isinstance(body, Mapping):
        return True
    return not any(key in body and as_int(body[key]) == 0 for key in ("succeeded", "result_code"))


def error_message(body: Any, fallback: str) -> str:
    """A short human message from any of AC's error shapes (never the whole body)."""
    text = _error_text(body) or fallback
    return text if len(text) <= _MAX_MESSAGE else text[: _MAX_MESSAGE - 1] + "…"


def _error_text(body: Any) -> str | None:
    if isinstance(body, str):
        return body.strip() or None
    if not isinstance(body, Mapping):
        return None
    errors = body.get("errors")
    if isinstance(errors, str):
        return errors
    if isinstance(errors, list):
        parts = []
        for error in errors:
            if isinstance(error, str):
                parts.append(error)
            elif isinstance(error, Mapping):
                title, detail = str(error.get("title") or ""), str(error.get("detail") or "")
                parts.append(f"{title}: {detail}" if title and detail else title or detail)
        return "; ".join(p for p in parts if p) or None
    for key in ("message", "result_message"):
        if isinstance(body.get(key), str) and body[key].strip():
            return str(body[key]).strip()
    return None


def error_code(body: Any) -> str | None:
    """AC's machine code for an error (`errors[0].code`, e.g. "duplicate"), when it gives one."""
    if isinstance(body, Mapping) and isinstance(body.get("errors"), list):
        for error in body["errors"]:
            if isinstance(error, Mapping) and error.get("code"):
                return str(error["code"])
    return None
