"""Pending approvals on SQLite: single-use, transactional decisions (part of the `StateStore` port).

`decide` reads and writes inside one `BEGIN IMMEDIATE` transaction, so of two concurrent decisions on
the same action exactly one wins and the other is refused as a replay.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime

from connectors.base import ApprovalError, PendingApproval
from connectors.local.codec import parse_ts, ts, ts_or_none
from connectors.local.db import Database


def _approval(row: sqlite3.Row) -> PendingApproval:
    requested_at = parse_ts(row["requested_at"])
    expires_at = parse_ts(row["expires_at"])
    assert requested_at is not None and expires_at is not None  # NOT NULL columns
    return PendingApproval(
        action_id=row["action_id"],
        organization_id=row["organization_id"],
        plan_hash=row["plan_hash"],
        requested_at=requested_at,
        expires_at=expires_at,
        summary=row["summary"],
        status=row["status"],
        decided_by=row["decided_by"],
        decided_at=parse_ts(row["decided_at"]),
    )


class SqliteApprovals:
    db: Database

    def put_pending(self, approval: PendingApproval) -> None:
        """Open (or re-open, after a re-plan) the approval for an action; any earlier decision is replaced."""
        with self.db.write() as tx:
            tx.execute(
                "INSERT INTO approvals (action_id, organization_id, plan_hash, requested_at, expires_at, summary, "
                "status, decided_by, decided_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (action_id) DO UPDATE SET organization_id = excluded.organization_id, "
                "plan_hash = excluded.plan_hash, requested_at = excluded.requested_at, "
                "expires_at = excluded.expires_at, summary = excluded.summary, status = excluded.status, "
                "decided_by = excluded.decided_by, decided_at = excluded.decided_at",
                (approval.action_id, approval.organization_id, approval.plan_hash, ts(approval.requested_at),
                 ts(approval.expires_at), approval.summary, approval.status, approval.decided_by,
                 ts_or_none(approval.decided_at)),
            )

    def get_approval(self, action_id: str) -> PendingApproval | None:
        row = self.db.connection().execute("SELECT * FROM approvals WHERE action_id = ?", (action_id,)).fetchone()
        return None if row is None else _approval(row)

    def list_pending(self, organization_id: str | None = None) -> list[PendingApproval]:
        sql = "SELECT * FROM approvals WHERE status = 'pending'"
        params: tuple[str, ...] = ()
        if organization_id is not None:
            sql += " AND organization_id = ?"
            params = (organization_id,)
        rows = self.db.connection().execute(sql + " ORDER BY requested_at, action_id", params).fetchall()
        return [_approval(row) for row in rows]

    def decide(self, action_id: str, *, organization_id: str, plan_hash: str, approve: bool,
               decided_by: str, now: datetime) -> PendingApproval:
        """Approve or reject once. Refused (ApprovalError): unknown action, another organization's action
        (reported like an unknown one, so ids of other tenants are not confirmed), already decided
        (replay), expired (and marked so), or a plan hash that is not the pending plan's."""
        if not decided_by.strip():
            raise ApprovalError("a decision names the person who made it")
        with self.db.write() as tx:
            row = tx.execute("SELECT * FROM approvals WHERE action_id = ?", (action_id,)).fetchone()
            if row is None or row["organization_id"] != organization_id:
                raise ApprovalError(f"no pending approval for {action_id} in organization {organization_id}")
            if row["status"] != "pending":
                raise ApprovalError(f"approval for {action_id} was already {row['status']}: a decision is single-use")
            decided = None
            if row["expires_at"] <= ts(now):
                tx.execute("UPDATE approvals SET status = 'expired' WHERE action_id = ?", (action_id,))
            elif row["plan_hash"] != plan_hash:
                raise ApprovalError(f"plan hash does not match the pending plan for {action_id} "
                                    "(the plan changed or the link is forged)")
            else:
                tx.execute(
                    "UPDATE approvals SET status = ?, decided_by = ?, decided_at = ? WHERE action_id = ?",
                    ("approved" if approve else "rejected", decided_by, ts(now), action_id),
                )
                decided = tx.execute("SELECT * FROM approvals WHERE action_id = ?", (action_id,)).fetchone()
        if decided is None:  # raised after the commit, so the expiry sticks
            raise ApprovalError(f"approval for {action_id} expired at {row['expires_at']}")
        return _approval(decided)

    def expire_pending(self, now: datetime) -> list[PendingApproval]:
        with self.db.write() as tx:
            rows = tx.execute(
                "UPDATE approvals SET status = 'expired' WHERE status = 'pending' AND expires_at <= ? RETURNING *",
                (ts(now),),
            ).fetchall()
        return sorted((_approval(row) for row in rows), key=lambda a: (a.requested_at, a.action_id))
