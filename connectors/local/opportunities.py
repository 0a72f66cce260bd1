"""The opportunity source on SQLite: raw rows as loaded, handed back raw.

Parsing belongs to the orchestrator (so bad input still gets a REJECTED_INPUT log row); this adapter
therefore keeps *every* row it is given, even a line that is not JSON (or nests too deeply to decode)
or not an object, and pulls it back unchanged. Only the few columns needed to select rows are
extracted, leniently. Size and nesting limits are enforced by `parse_opportunity`, so an oversized row
is rejected with the same clear reason whichever source it came from.
"""

from __future__ import annotations

import hashlib
import json
import reprlib
from collections.abc import Iterable
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter, ValidationError

from connectors.local.codec import parse_ts, ts
from connectors.local.db import Database
from connectors.local.inputs import parse_document, read_bytes, read_text
from schemas.common import OrgId

_MAX_ID = 200
_ORG_ID: TypeAdapter[str] = TypeAdapter(OrgId)


def _is_org_id(value: Any) -> bool:
    try:
        _ORG_ID.validate_python(value, strict=True)
    except ValidationError:
        return False
    return True


class _RawText(str):
    """A line that is not JSON at all: stored and pulled back as this text."""


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def _utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def read_opportunity_file(path: Path) -> list[Any]:
    """Raw rows of a `.json` file (a list, `{"opportunities": [...]}` or one object) or a JSONL file
    (one value per line; a line that is not JSON, or not even UTF-8, is kept as its text, so it gets its
    own REJECTED_INPUT row). A file that cannot be read at all raises `InputFileError` (file and line)."""
    if path.suffix.lower() == ".json":
        document, _ = parse_document("opportunities", path, read_text("opportunities", path))
        if isinstance(document, dict) and isinstance(document.get("opportunities"), list):
            return list(document["opportunities"])
        return list(document) if isinstance(document, list) else [document]
    rows: list[Any] = []
    for data in read_bytes("opportunities", path).splitlines():
        try:
            line = data.decode("utf-8")
        except UnicodeDecodeError:  # one bad line must not take the others with it
            rows.append(_RawText(data.decode("utf-8", "backslashreplace")))
            continue
        if not line.strip():
            continue
        try:
            rows.append(json.loads(line))
        except (ValueError, RecursionError):  # not JSON, or nested too deeply to decode: kept as text
            rows.append(_RawText(line))
    return rows


def _columns(value: Any, raw: str) -> tuple[str, str | None, str | None, str | None, str | None]:
    """(row_key, opportunity_id, organization_id, status, expires_at) read leniently from one raw row."""
    opp_id = org_id = status = expires = None
    if isinstance(value, dict):
        candidate = value.get("opportunity_id")
        if isinstance(candidate, str) and 0 < len(candidate) <= _MAX_ID:
            opp_id = candidate
        org_id = value.get("organization_id") if _is_org_id(value.get("organization_id")) else None
        status = value.get("status") if isinstance(value.get("status"), str) else None
        raw_expiry = value.get("expires_at")
        if isinstance(raw_expiry, str):
            try:
                parsed = datetime.fromisoformat(raw_expiry.replace("Z", "+00:00"))
                expires = ts(parsed) if parsed.tzinfo is not None else None
            except ValueError:
                expires = None
    key = opp_id or "raw:" + hashlib.sha256(raw.encode()).hexdigest()[:32]
    return key, opp_id, org_id, status, expires


class SqliteOpportunitySource:
    """`OpportunitySource` port plus `load_opportunities` (the embedded default's way in)."""

    db: Database

    def load_opportunities(self, source: Iterable[Any] | str | Path) -> int:
        """Store raw opportunities from an iterable of raw values or a JSON / JSONL file; return how many.

        A row with the same opportunity_id replaces the stored one (Scout is the source of truth for
        status and expiry). Rows without a usable id are keyed by a hash of their text."""
        rows = read_opportunity_file(Path(source)) if isinstance(source, str | Path) else list(source)
        loaded_at = ts(datetime.now(UTC))
        with self.db.write() as tx:
            order = int(tx.execute("SELECT COALESCE(MAX(load_order), 0) FROM opportunities").fetchone()[0])
            for value in rows:
                is_json = not isinstance(value, _RawText)
                raw = str(value)
                if is_json:
                    try:
                        raw = json.dumps(value, default=_json_default, ensure_ascii=False)
                        if not _utf8(raw):  # lone surrogates (from "\ud800" escapes): stored escaped
                            raw = json.dumps(value, default=_json_default)
                    except (TypeError, ValueError, RecursionError):  # kept as (bounded) text
                        is_json, raw = False, reprlib.repr(value)
                key, opp_id, org_id, status, expires = _columns(value, raw)
                order += 1
                tx.execute(
                    "INSERT INTO opportunities (row_key, opportunity_id, organization_id, status, expires_at, raw, "
                    "raw_is_json, loaded_at, load_order) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
                    "ON CONFLICT (row_key) DO UPDATE SET organization_id = excluded.organization_id, "
                    "status = excluded.status, expires_at = excluded.expires_at, raw = excluded.raw, "
                    "raw_is_json = excluded.raw_is_json, loaded_at = excluded.loaded_at",
                    (key, opp_id, org_id, status, expires, raw, int(is_json), loaded_at, order),
                )
        return len(rows)

    def pull_approved(self, organization_id: str | None, now: datetime) -> list[Any]:
        """Raw rows whose status is `approved` — and rows without a recognisable status (bad input is
        pulled so the orchestrator can reject it with a log row). With an organization: the rows naming
        it, plus rows that name no valid organization at all (not an object, no or a malformed
        organization_id), which belong to nobody and so are reported to every organization's run.
        Expired rows are included (`now` is not used to filter: the orchestrator records them)."""
        sql = ("SELECT raw, raw_is_json FROM opportunities WHERE (status = 'approved' OR status IS NULL "
               "OR status NOT IN ('approved', 'pending', 'dismissed', 'expired', 'actioned'))")
        params: list[Any] = []
        if organization_id is not None:
            sql += " AND (organization_id = ? OR organization_id IS NULL)"
            params.append(organization_id)
        rows = self.db.connection().execute(sql + " ORDER BY load_order", params).fetchall()
        return [json.loads(row["raw"]) if row["raw_is_json"] else row["raw"] for row in rows]

    def current_status(self, opportunity_id: str) -> tuple[str, datetime | None] | None:
        row = self.db.connection().execute(
            "SELECT status, expires_at FROM opportunities WHERE opportunity_id = ?", (opportunity_id,)
        ).fetchone()
        if row is None:
            return None
        return row["status"] or "unknown", parse_ts(row["expires_at"])

    def mark(self, opportunity_id: str, status: str) -> None:
        """Set the status column (e.g. `actioned`); an unknown id changes nothing."""
        with self.db.write() as tx:
            tx.execute("UPDATE opportunities SET status = ? WHERE opportunity_id = ?", (status, opportunity_id))
