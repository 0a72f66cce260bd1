"""The actions log on SQLite: append-only rows keyed by `ActionRecord.event_id`.

A duplicate write of the same transition (a retried append) is ignored by the unique event id; UPDATE
and DELETE are refused by triggers. The current state of an action is its latest row (highest seq,
then the later insert).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from connectors.local.codec import from_json, parse_ts, to_json, ts, ts_or_none
from connectors.local.db import Database
from schemas.common import ActionStatus
from schemas.records import ActionRecord
from schemas.verdict import Verdict

_COLUMNS = (
    "event_id", "action_id", "seq", "opportunity_id", "organization_id", "action_type", "platform", "payload",
    "status", "event_time", "run_id", "executed_at", "executed_by", "result", "error_message", "rollback_plan",
    "rolled_back_at", "measurement_checkpoints", "verdict", "checks", "plan_hash", "inserted_at",
)
_INSERT = (f"INSERT OR IGNORE INTO actions_log ({', '.join(_COLUMNS)}) "  # noqa: S608 - fixed column names
           f"VALUES ({', '.join('?' for _ in _COLUMNS)})")


def _row_values(record: ActionRecord, inserted_at: str) -> tuple[Any, ...]:
    data = record.model_dump(mode="json", exclude={"verdict"})
    return (
        record.event_id, record.action_id, record.seq, record.opportunity_id, record.organization_id,
        record.action_type, str(data["platform"]), to_json(data["payload"]), record.status.value,
        ts(record.event_time), record.run_id, ts_or_none(record.executed_at), record.executed_by,
        None if record.result is None else to_json(data["result"]), record.error_message,
        None if record.rollback_plan is None else to_json(data["rollback_plan"]),
        ts_or_none(record.rolled_back_at), to_json([ts(t) for t in record.measurement_checkpoints]),
        None if record.verdict is None else _verdict_json(record.verdict), to_json(data["checks"]), record.plan_hash,
        inserted_at,
    )


# The verdict's JSON by the verdict object it was made from. A verdict (about 5 kB of JSON: every rule's
# result) is the same object on an action's write-ahead row and on the rows that follow it (`next` keeps
# it), so it is serialised once, not once per row. Verdicts are frozen; the entry holds the object, so
# its id is not reused while cached. Bounded: emptied when full.
_VERDICT_TEXTS: dict[int, tuple[Verdict, str]] = {}
_VERDICT_TEXTS_MAX = 512


def _verdict_json(verdict: Verdict) -> str:
    cached = _VERDICT_TEXTS.get(id(verdict))
    if cached is not None and cached[0] is verdict:
        return cached[1]
    text = to_json(verdict.model_dump(mode="json"))
    if len(_VERDICT_TEXTS) >= _VERDICT_TEXTS_MAX:
        _VERDICT_TEXTS.clear()
    _VERDICT_TEXTS[id(verdict)] = (verdict, text)
    return text


def _record(row: sqlite3.Row) -> ActionRecord:
    return ActionRecord.model_validate({
        "action_id": row["action_id"],
        "opportunity_id": row["opportunity_id"],
        "organization_id": row["organization_id"],
        "action_type": row["action_type"],
        "platform": row["platform"],
        "payload": from_json(row["payload"]),
        "status": row["status"],
        "event_time": parse_ts(row["event_time"]),
        "seq": row["seq"],
        "run_id": row["run_id"],
        "executed_at": parse_ts(row["executed_at"]),
        "executed_by": row["executed_by"],
        "result": from_json(row["result"]),
        "error_message": row["error_message"],
        "rollback_plan": from_json(row["rollback_plan"]),
        "rolled_back_at": parse_ts(row["rolled_back_at"]),
        "measurement_checkpoints": from_json(row["measurement_checkpoints"]),
        "verdict": from_json(row["verdict"]),
        "checks": from_json(row["checks"]),
        "plan_hash": row["plan_hash"],
    })


class SqliteActionsLog:
    """`ActionsLog` port. Writes are durable on return (synchronous=FULL), so no outbox is needed."""

    db: Database

    def append(self, records: Sequence[ActionRecord]) -> None:
        if not records:
            return
        inserted_at = ts(datetime.now(UTC))
        rows = [_row_values(r, inserted_at) for r in records]  # serialised before the write lock is taken
        with self.db.write() as tx:
            tx.executemany(_INSERT, rows)

    def latest(self, action_ids: Sequence[str]) -> dict[str, ActionRecord]:
        wanted = list(dict.fromkeys(action_ids))
        found: dict[str, ActionRecord] = {}
        with self.db.read() as conn:
            for start in range(0, len(wanted), 500):  # stay under SQLite's bound-parameter limit
                chunk = wanted[start:start + 500]
                marks = ", ".join("?" for _ in chunk)
                rows = conn.execute(
                    f"SELECT * FROM ({_LATEST} WHERE action_id IN ({marks})) WHERE latest_rank = 1",  # noqa: S608
                    chunk,
                ).fetchall()
                found.update((row["action_id"], _record(row)) for row in rows)
        return found

    def events(self, action_id: str) -> list[ActionRecord]:
        rows = self.db.connection().execute(
            "SELECT * FROM actions_log WHERE action_id = ? ORDER BY seq, row_no", (action_id,)
        ).fetchall()
        return [_record(row) for row in rows]

    def query(
        self,
        *,
        organization_id: str | None = None,
        since: datetime | None = None,
        statuses: Sequence[ActionStatus] | None = None,
        opportunity_id: str | None = None,
        limit: int = 1000,
    ) -> list[ActionRecord]:
        inner: list[str] = []
        outer = ["latest_rank = 1"]
        params: list[Any] = []
        # organization and opportunity are the same on every row of an action: filter before ranking
        if organization_id is not None:
            inner.append("organization_id = ?")
            params.append(organization_id)
        if opportunity_id is not None:
            inner.append("opportunity_id = ?")
            params.append(opportunity_id)
        where = f" WHERE {' AND '.join(inner)}" if inner else ""
        if since is not None:
            outer.append("event_time >= ?")
            params.append(ts(since))
        if statuses is not None:
            if not statuses:
                return []
            outer.append(f"status IN ({', '.join('?' for _ in statuses)})")
            params.extend(ActionStatus(s).value for s in statuses)
        params.append(int(limit))
        rows = self.db.connection().execute(
            f"SELECT * FROM ({_LATEST}{where}) WHERE {' AND '.join(outer)} "  # noqa: S608 - placeholders only
            "ORDER BY event_time DESC, row_no DESC LIMIT ?",
            params,
        ).fetchall()
        return [_record(row) for row in rows]

    def flush_outbox(self) -> int:
        """Nothing is ever spooled: a local write either commits or raises."""
        return 0


_LATEST = ("SELECT *, ROW_NUMBER() OVER (PARTITION BY action_id ORDER BY seq DESC, row_no DESC) AS latest_rank "
           "FROM actions_log")
