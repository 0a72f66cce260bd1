"""What the web console reads from SQLite, with indexes behind every query (sql/sqlite.sql): the history
page filters and paginates `action_heads` (one row per action, kept by a trigger) instead of ranking the
whole log, and the console's audit trail (who stopped, resumed, rolled back, decided) is a table of its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from connectors.local.codec import from_json, parse_ts, to_json, ts
from connectors.local.db import Database
from connectors.local.log import _COLUMNS, _record
from schemas.records import ActionRecord

COUNT_CAP = 10_000  # a history page says "more than 10,000" rather than counting further
_FILTERS = (("status", "h.status = ?"), ("action_type", "h.action_type = ?"), ("platform", "h.platform = ?"),
            ("campaign", "h.campaign = ?"))


# Every column of a log row, with the heavy JSON ones cut down to what a history line shows: the title,
# the verdict's rules that did not simply allow (its summary is the same), and who decided or rolled back.
_CUT = {
    "payload": "json_object('opportunity', json_object('title', json_extract(l.payload, '$.opportunity.title')))",
    "rollback_plan": "NULL",
    "checks": "'[]'",
    "verdict": ("CASE WHEN l.verdict IS NULL THEN NULL ELSE json_object("
                "'outcome', json_extract(l.verdict, '$.outcome'), "
                "'approved_by', json_extract(l.verdict, '$.approved_by'), "
                "'rules', (SELECT json_group_array(json(value)) FROM json_each(l.verdict, '$.rules') "
                "WHERE json_extract(value, '$.outcome') != 'allow')) END"),
    "result": ("CASE WHEN l.result IS NULL THEN NULL ELSE json_object("
               "'rollback', json_object('by', json_extract(l.result, '$.rollback.by')), "
               "'decision', json_object('decided_by', json_extract(l.result, '$.decision.decided_by'))) END"),
}
_LIGHT = ", ".join(f"{_CUT[c]} AS {c}" if c in _CUT else f"l.{c}" for c in _COLUMNS)


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


class SqliteConsoleReads:
    db: Database

    def history_page(self, organization_id: str, filters: dict[str, Any], offset: int,
                     limit: int) -> tuple[list[ActionRecord], int]:
        """The current row of each action matching `filters`, newest first, and how many match in all. The
        rows are light (`_CUT`): a page of them is read often; the action page reads the whole row.
        Filters: status, action_type, platform, campaign (exact), since/until (datetimes), q (title
        substring or an exact action/opportunity id)."""
        where, params = ["h.organization_id = ?"], [organization_id]
        for name, clause in _FILTERS:
            if filters.get(name):
                where.append(clause)
                params.append(str(filters[name]))
        if filters.get("since"):
            where.append("h.event_time >= ?")
            params.append(ts(filters["since"]))
        if filters.get("until"):
            where.append("h.event_time < ?")
            params.append(ts(filters["until"]))
        if filters.get("q"):
            where.append("(h.title LIKE ? ESCAPE '\\' OR h.action_id = ?)")
            params.extend([_like(str(filters["q"])), str(filters["q"])])
        clause = " AND ".join(where)
        conn = self.db.connection()
        # counted up to COUNT_CAP + 1 (a broad search does not count every match); the page is chosen in the
        # index alone and only its rows are read from the log
        total = int(conn.execute(f"SELECT count(*) FROM (SELECT 1 FROM action_heads h WHERE {clause} "  # noqa: S608
                                 "LIMIT ?)", [*params, COUNT_CAP + 1]).fetchone()[0])
        rows = conn.execute(
            f"SELECT {_LIGHT} FROM (SELECT h.row_no, h.event_time FROM action_heads h WHERE {clause} "  # noqa: S608
            "ORDER BY h.event_time DESC, h.row_no DESC LIMIT ? OFFSET ?) AS p "
            "JOIN actions_log l ON l.row_no = p.row_no ORDER BY p.event_time DESC, p.row_no DESC",
            [*params, int(limit), int(offset)],
        ).fetchall()
        return [_record(row) for row in rows], total

    def recent_runs(self, organization_id: str, runs: int = 3, scan: int = 5000) -> list[dict[str, Any]]:
        """The last runs that wrote rows for the org: when, and each action's last status in the run."""
        cursor = self.db.connection().execute(
            "SELECT run_id, action_id, status, event_time FROM actions_log WHERE organization_id = ? "
            "ORDER BY event_time DESC, row_no DESC LIMIT ?", (organization_id, scan))
        found: dict[str, dict[str, Any]] = {}
        for row in cursor:  # newest first: stop at the first row of a run older than the ones wanted
            run = found.get(row["run_id"])
            if run is None:
                if len(found) == runs:
                    break
                run = found[row["run_id"]] = {"run_id": row["run_id"], "at": row["event_time"], "actions": {}}
            run["actions"].setdefault(row["action_id"], row["status"])  # newest row first: the run's last word
        cursor.close()
        return list(found.values())

    def account_calls(self, organization_id: str, limit: int = 300) -> list[dict[str, Any]]:
        """The org's newest rows as (platform, account, status, error, time): who was called, how it went."""
        rows = self.db.connection().execute(
            "SELECT platform, status, error_message, event_time, "
            "coalesce(json_extract(payload, '$.action.target.customer_id'), "
            "json_extract(payload, '$.action.target.account_id'), json_extract(payload, '$.action.target.url')) "
            "AS account FROM actions_log WHERE organization_id = ? ORDER BY event_time DESC, row_no DESC LIMIT ?",
            (organization_id, limit)).fetchall()
        return [{"platform": r["platform"], "status": r["status"], "error": r["error_message"],
                 "at": parse_ts(r["event_time"]), "account": r["account"]} for r in rows]

    def impact_counts(self, organization_id: str, since: datetime) -> dict[str, int]:
        """Final measured verdicts and rollbacks of the org's actions current since `since`."""
        rows = self.db.connection().execute(
            "SELECT status, verdict, count(*) AS n FROM action_heads WHERE organization_id = ? AND event_time >= ? "
            "AND status IN ('EXECUTED', 'MEASURED', 'ROLLED_BACK', 'ROLLBACK_FAILED', 'ROLLING_BACK') "
            "GROUP BY 1, 2", (organization_id, ts(since))).fetchall()
        counts: dict[str, int] = {}
        for row in rows:
            n = int(row["n"])
            counts["executed"] = counts.get("executed", 0) + n
            if row["status"] == "ROLLED_BACK":
                counts["rolled_back"] = counts.get("rolled_back", 0) + n
            if row["verdict"]:
                counts[str(row["verdict"])] = counts.get(str(row["verdict"]), 0) + n
        return counts

    # ------------------------------------------------------------------ audit

    def append_audit(self, *, at: datetime, person: str, organization_id: str, what: str,
                     action_id: str | None, detail: dict[str, Any]) -> None:
        with self.db.write() as tx:
            tx.execute("INSERT INTO console_audit (at, person, organization_id, what, action_id, detail) "
                       "VALUES (?, ?, ?, ?, ?, ?)", (ts(at), person, organization_id, what, action_id,
                                                     to_json(detail)))

    def list_audit(self, organization_ids: Sequence[str], limit: int = 50) -> list[dict[str, Any]]:
        marks = ", ".join("?" for _ in organization_ids) or "NULL"
        rows = self.db.connection().execute(
            f"SELECT * FROM console_audit WHERE organization_id IN ({marks}) "  # noqa: S608 - placeholders
            "ORDER BY audit_no DESC LIMIT ?", [*organization_ids, int(limit)]).fetchall()
        return [{"at": parse_ts(r["at"]), "person": r["person"], "organization_id": r["organization_id"],
                 "what": r["what"], "action_id": r["action_id"], "detail": from_json(r["detail"])} for r in rows]
