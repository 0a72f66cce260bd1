"""`BigQueryOpportunitySource`: Scout's approved opportunities from `marketing_ai.opportunities`.

Scout owns the `opportunities` table; the Operator only reads it (through the `opportunities_current`
view) and records what it did in `opportunity_marks`, an append-only table of its own, so it never runs
DML against rows that may still sit in Scout's streaming buffer. `load_opportunities` writes rows the way
Scout does (the SQLite source has the same method), so tests and demos can put opportunities in place.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter, ValidationError

from connectors.bigquery.client import CallPolicy, insert_rows, query_rows, table_path
from connectors.bigquery.rows import json_value, timestamp
from schemas.common import OrgId, canonical_json, stable_hash

_ORG_ID: TypeAdapter[str] = TypeAdapter(OrgId)
KNOWN_STATUSES = ("approved", "pending", "dismissed", "expired", "actioned")


def _text(value: Any, limit: int = 1024) -> str | None:
    return value[:limit] if isinstance(value, str) else None


def _when(value: Any) -> str | None:
    """An ISO timestamp from raw input, or None: bad input is still stored (raw is the record of it)
    and rejected later by the orchestrator with a clear reason."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return timestamp(parsed) if parsed.tzinfo is not None else None


def _finite(value: Any) -> Any:
    """NaN and infinities (which Python's JSON reader accepts) become strings: BigQuery's JSON type
    refuses them, and the document must still be stored so the orchestrator can reject it."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(item) for item in value]
    return value


def _raw_json(raw: Any) -> str:
    """The raw value as JSON text; a value JSON cannot represent is kept as its repr (still a record)."""
    try:
        return canonical_json(_finite(raw))
    except (TypeError, ValueError):
        return canonical_json(repr(raw))


def _organization(value: Any) -> str:
    """The organization id if it is a valid one, else "" (the row belongs to no organization)."""
    try:
        return _ORG_ID.validate_python(value, strict=True)
    except ValidationError:
        return ""


def opportunity_row(raw: Any, updated_at: datetime) -> dict[str, Any]:
    """Scout's row for one raw opportunity: extracted columns for filtering, `raw` kept verbatim."""
    doc = raw if isinstance(raw, dict) else {}
    proposal = doc.get("action")
    action: dict[str, Any] = proposal if isinstance(proposal, dict) else {}
    confidence = doc.get("confidence")
    version = doc.get("schema_version")
    return {
        "opportunity_id": _text(doc.get("opportunity_id"), 128) or f"invalid-{stable_hash(raw, 24)}",
        "organization_id": _organization(doc.get("organization_id")),
        "status": _text(doc.get("status"), 32) or "",
        "schema_version": version if isinstance(version, int) and not isinstance(version, bool) else None,
        "created_at": _when(doc.get("created_at")),
        "expires_at": _when(doc.get("expires_at")),
        "approved_by": _text(doc.get("approved_by"), 320),
        "approved_at": _when(doc.get("approved_at")),
        "platform": _text(doc.get("platform"), 64),
        "action_type": _text(action.get("type"), 64),
        "confidence": float(confidence) if isinstance(confidence, int | float) and not isinstance(confidence, bool)
        and abs(confidence) < 1e300 else None,
        "title": _text(doc.get("title"), 500),
        "raw": _raw_json(raw),
        "updated_at": timestamp(updated_at),
    }


def read_opportunity_file(path: Path) -> list[Any]:
    """Raw opportunities from a JSON document (a list, or {"opportunities": [...]}) or a JSONL file. A
    JSONL line that is not JSON is kept as its text: it is bad input the orchestrator must record."""
    text = path.read_text(encoding="utf-8")
    if path.suffix.lower() == ".json":
        document = json.loads(text)
        if isinstance(document, dict) and isinstance(document.get("opportunities"), list):
            return list(document["opportunities"])
        return list(document) if isinstance(document, list) else [document]
    rows: list[Any] = []
    for line in filter(str.strip, text.splitlines()):
        try:
            rows.append(json.loads(line))
        except ValueError:
            rows.append(line)
    return rows


class BigQueryOpportunitySource:
    def __init__(self, client: Any, project: str, dataset: str = "marketing_ai", *,
                 policy: CallPolicy | None = None, marked_by: str = "operator"):
        self.client = client
        self.policy = policy or CallPolicy()
        self.table = table_path(project, dataset, "opportunities")
        self.marks = table_path(project, dataset, "opportunity_marks")
        self.current = table_path(project, dataset, "opportunities_current")
        self.marked_by = marked_by

    def load_opportunities(self, source: Iterable[Any] | str | Path, *, loaded_at: datetime | None = None) -> int:
        """Write raw opportunities (values, or a JSON / JSONL file) as Scout does, in one streaming insert;
        answer how many. A later row for the same opportunity_id supersedes the earlier one; rows of one
        load are spaced a microsecond apart so that holds within a load too, and pulls keep load order."""
        raws = read_opportunity_file(Path(source)) if isinstance(source, str | Path) else list(source)
        base = loaded_at or datetime.now(UTC)
        rows = [opportunity_row(raw, base + timedelta(microseconds=i)) for i, raw in enumerate(raws)]
        insert_rows(self.client, self.policy, self.table, rows,
                    [stable_hash([r["opportunity_id"], r["raw"], r["updated_at"]], 32) for r in rows],
                    "opportunities insert")
        return len(rows)

    def pull_approved(self, organization_id: str | None, now: datetime) -> list[Any]:
        """Raw opportunities whose current status is `approved`, and those without a recognisable status
        (bad input is pulled so the orchestrator rejects it with a log row). Expired ones are included:
        the orchestrator records them, so `now` is not used to filter. With an organization: the rows
        naming it, plus rows naming no valid organization (stored with organization_id ""), which belong
        to nobody and so are reported to every organization's run."""
        params: dict[str, Any] = {"known": list(KNOWN_STATUSES)}
        where = "WHERE (status = 'approved' OR status NOT IN UNNEST(@known))"
        if organization_id is not None:
            where += " AND organization_id IN (@organization_id, '')"
            params["organization_id"] = organization_id
        sql = (f"SELECT TO_JSON_STRING(raw) AS raw FROM `{self.current}` {where} "  # noqa: S608
               "ORDER BY updated_at, opportunity_id")
        return [json_value(row["raw"]) for row in query_rows(self.client, self.policy, sql, params,
                                                               "opportunities pull")]

    def current_status(self, opportunity_id: str) -> tuple[str, datetime | None] | None:
        sql = f"SELECT status, expires_at FROM `{self.current}` WHERE opportunity_id = @opportunity_id"  # noqa: S608
        rows = query_rows(self.client, self.policy, sql, {"opportunity_id": opportunity_id},
                          "opportunities status re-read")
        if not rows:
            return None
        return str(rows[0]["status"]) or "unknown", rows[0]["expires_at"]

    def mark(self, opportunity_id: str, status: str) -> None:
        """Record the Operator's status for an opportunity (e.g. `actioned`); an unknown id changes nothing
        visible (the view joins marks onto Scout's rows)."""
        marked_at = timestamp(datetime.now(UTC))
        row = {"opportunity_id": opportunity_id, "status": status, "marked_at": marked_at,
               "marked_by": self.marked_by}
        insert_rows(self.client, self.policy, self.marks, [row],
                    [stable_hash([opportunity_id, status, marked_at], 32)], "opportunity mark")
