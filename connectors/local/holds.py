"""Tracking holds on SQLite (`HoldStore` port): one row per organization/platform/account."""

from __future__ import annotations

from connectors.local.codec import from_json, to_json
from connectors.local.db import Database
from schemas.impact import TrackingHold

_PUT = ("INSERT OR REPLACE INTO tracking_holds (organization_id, platform, account_id, active, hold) "
        "VALUES (?, ?, ?, ?, ?)")


class SqliteHoldStore:
    db: Database

    def tracking_holds(self, organization_id: str) -> list[TrackingHold]:
        rows = self.db.connection().execute(
            "SELECT hold FROM tracking_holds WHERE organization_id = ? ORDER BY platform, account_id",
            (organization_id,)).fetchall()
        return [TrackingHold.model_validate(from_json(row["hold"])) for row in rows]

    def put_tracking_hold(self, hold: TrackingHold) -> None:
        with self.db.write() as tx:
            tx.execute(_PUT, (hold.organization_id, hold.platform, hold.account_id, int(hold.active),
                              to_json(hold.model_dump(mode="json"))))
