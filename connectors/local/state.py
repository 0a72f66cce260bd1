"""The state store on SQLite: organizations, kill switches, idempotency claims and rate counters.

Approvals live in `connectors.local.approvals` (same port, separate concern). Every read-check-write
(claims) runs inside one `BEGIN IMMEDIATE` transaction, so two threads or two processes racing for the
same action cannot both win.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from connectors.local.approvals import SqliteApprovals
from connectors.local.codec import from_json, parse_ts, to_json, ts
from connectors.local.db import Database
from schemas.policy import KillSwitch, KillSwitchState, OrgChange, OrgPolicy


class SqliteStateStore(SqliteApprovals):
    """`StateStore` port (approvals inherited from `SqliteApprovals`)."""

    db: Database

    # ------------------------------------------------------------------ organizations

    def get_org(self, organization_id: str) -> OrgPolicy | None:
        row = self.db.connection().execute(
            "SELECT policy FROM organizations WHERE organization_id = ?", (organization_id,)
        ).fetchone()
        return None if row is None else OrgPolicy.model_validate(from_json(row["policy"]))

    def list_orgs(self) -> list[OrgPolicy]:
        rows = self.db.connection().execute("SELECT policy FROM organizations ORDER BY organization_id").fetchall()
        return [OrgPolicy.model_validate(from_json(row["policy"])) for row in rows]

    def put_org(self, policy: OrgPolicy, change: OrgChange | None = None) -> None:
        """Write the policy; with `change`, its audit record in the same transaction."""
        updated = ts(policy.updated_at) if policy.updated_at else ts(_utc_now())
        with self.db.write() as tx:
            tx.execute(
                "INSERT INTO organizations (organization_id, policy, updated_at) VALUES (?, ?, ?) "
                "ON CONFLICT (organization_id) DO UPDATE SET policy = excluded.policy, "
                "updated_at = excluded.updated_at",
                (policy.organization_id, to_json(policy.model_dump(mode="json")), updated),
            )
            if change is not None:
                tx.execute("INSERT INTO org_changes (organization_id, changed_at, change) VALUES (?, ?, ?)",
                           (change.organization_id, ts(change.changed_at), to_json(change.model_dump(mode="json"))))

    def last_notification(self, organization_id: str) -> str | None:
        row = self.db.connection().execute(
            "SELECT digest FROM notifications_sent WHERE organization_id = ?", (organization_id,)).fetchone()
        return None if row is None else str(row["digest"])

    def put_last_notification(self, organization_id: str, digest: str, at: datetime) -> None:
        with self.db.write() as tx:
            tx.execute("INSERT INTO notifications_sent (organization_id, digest, sent_at) VALUES (?, ?, ?) "
                       "ON CONFLICT (organization_id) DO UPDATE SET digest = excluded.digest, "
                       "sent_at = excluded.sent_at",
                       (organization_id, digest, ts(at)))

    def org_changes(self, organization_id: str) -> list[OrgChange]:
        rows = self.db.connection().execute(
            "SELECT change FROM org_changes WHERE organization_id = ? ORDER BY change_no", (organization_id,)
        ).fetchall()
        return [OrgChange.model_validate(from_json(row["change"])) for row in rows]

    # ------------------------------------------------------------------ kill switches

    def kill_switches(self, organization_id: str) -> KillSwitchState:
        with self.db.read() as conn:
            rows = conn.execute(
                "SELECT * FROM kill_switches WHERE scope IN ('global', ?)", (organization_id,)
            ).fetchall()
        switches = {
            row["scope"]: KillSwitch(scope=row["scope"], active=bool(row["active"]), set_by=row["set_by"],
                                     set_at=parse_ts(row["set_at"]), reason=row["reason"])
            for row in rows
        }
        return KillSwitchState(global_switch=switches.get("global"),
                               org_switch=switches.get(organization_id) if organization_id != "global" else None)

    def set_kill_switch(self, switch: KillSwitch) -> None:
        """Set or clear one scope's switch; the row keeps who changed it last, when and why."""
        with self.db.write() as tx:
            tx.execute(
                "INSERT INTO kill_switches (scope, active, set_by, set_at, reason) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (scope) DO UPDATE SET active = excluded.active, set_by = excluded.set_by, "
                "set_at = excluded.set_at, reason = excluded.reason",
                (switch.scope, int(switch.active), switch.set_by, ts(switch.set_at), switch.reason),
            )

    # ------------------------------------------------------------------ idempotency claims

    def claim(self, action_id: str, run_id: str, now: datetime, lease_s: float) -> bool:
        """Take the action for `run_id` when it is unclaimed, released, or the holder's lease ran out
        (or this run already holds it: the lease is renewed). Never once it is done."""
        lease_until = ts(now + timedelta(seconds=lease_s))
        with self.db.write() as tx:
            row = tx.execute("SELECT run_id, state, lease_until FROM claims WHERE action_id = ?",
                             (action_id,)).fetchone()
            if row is not None:
                if row["state"] == "done":
                    return False
                held_by_other = row["state"] == "held" and row["run_id"] != run_id
                if held_by_other and row["lease_until"] > ts(now):
                    return False
            tx.execute(
                "INSERT INTO claims (action_id, run_id, state, claimed_at, lease_until) VALUES (?, ?, 'held', ?, ?) "
                "ON CONFLICT (action_id) DO UPDATE SET run_id = excluded.run_id, state = 'held', "
                "claimed_at = excluded.claimed_at, lease_until = excluded.lease_until, released_at = NULL",
                (action_id, run_id, ts(now), lease_until),
            )
            return True

    def release(self, action_id: str, run_id: str, *, done: bool) -> None:
        """Only the holder can release; a run whose lease was taken over changes nothing."""
        with self.db.write() as tx:
            tx.execute(
                "UPDATE claims SET state = ?, released_at = ? WHERE action_id = ? AND run_id = ? AND state = 'held'",
                ("done" if done else "released", ts(_utc_now()), action_id, run_id),
            )

    def reopen(self, action_id: str) -> bool:
        """Make a finished action claimable again (a stale approved plan is re-planned next run)."""
        with self.db.write() as tx:
            cursor = tx.execute("UPDATE claims SET state = 'released', released_at = ? "
                                "WHERE action_id = ? AND state = 'done'", (ts(_utc_now()), action_id))
            return cursor.rowcount > 0

    def claim_state(self, action_id: str) -> dict[str, Any] | None:
        row = self.db.connection().execute("SELECT * FROM claims WHERE action_id = ?", (action_id,)).fetchone()
        if row is None:
            return None
        return {
            "action_id": row["action_id"],
            "run_id": row["run_id"],
            "state": row["state"],
            "claimed_at": parse_ts(row["claimed_at"]),
            "lease_until": parse_ts(row["lease_until"]),
            "released_at": parse_ts(row["released_at"]),
        }

    # ------------------------------------------------------------------ rate counters

    def record_execution(self, organization_id: str, action_id: str, at: datetime) -> None:
        """One row per (org, action, time): a retried record of the same execution counts once."""
        with self.db.write() as tx:
            tx.execute("INSERT OR IGNORE INTO executions (organization_id, action_id, at) VALUES (?, ?, ?)",
                       (organization_id, action_id, ts(at)))

    def count_executions(self, organization_id: str, since: datetime) -> int:
        """Executions at or after `since` (a rolling window is `now - window`)."""
        row = self.db.connection().execute(
            "SELECT COUNT(*) AS n FROM executions WHERE organization_id = ? AND at >= ?",
            (organization_id, ts(since)),
        ).fetchone()
        return int(row["n"])


def _utc_now() -> datetime:
    return datetime.now(UTC)
