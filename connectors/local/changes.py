"""Outside changes on SQLite (`ChangeStore` port): each change once, with when a run first saw it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from connectors.local.codec import from_json, to_json
from connectors.local.db import Database
from schemas.changes import OutsideChange

_PUT = ("INSERT OR IGNORE INTO outside_changes (organization_id, entity_key, resource_name, changed_at, actor, "
        "change, seen_at) VALUES (?, ?, ?, ?, ?, ?, ?)")


def _utc(value: datetime) -> str:
    return value.astimezone(UTC).isoformat()


class SqliteChangeStore:
    db: Database

    def record_outside_changes(self, organization_id: str, changes: Sequence[OutsideChange],
                               seen_at: datetime) -> int:
        new = 0
        with self.db.write() as tx:
            for change in changes:
                cursor = tx.execute(_PUT, (organization_id, change.entity_key, change.resource_name,
                                           _utc(change.changed_at), change.actor,
                                           to_json(change.model_dump(mode="json")), _utc(seen_at)))
                new += cursor.rowcount
        return new

    def outside_changes(self, organization_id: str, since: datetime) -> list[OutsideChange]:
        rows = self.db.connection().execute(
            "SELECT change FROM outside_changes WHERE organization_id = ? AND changed_at >= ? "
            "ORDER BY changed_at, entity_key", (organization_id, _utc(since))).fetchall()
        return [OutsideChange.model_validate(from_json(row["change"])) for row in rows]
