"""Pending approvals in Firestore (`approvals/{action_id}`): single-use decisions in a transaction.

`decide` reads and writes the approval document inside one transaction, so of two concurrent decisions
on the same action exactly one commits and the other is refused as a replay. Listing filters only on
equality (status, organization) and sorts in the client, so production needs no composite index.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from google.cloud import firestore
from google.cloud.firestore_v1.base_query import FieldFilter

from connectors.base import ApprovalError, PendingApproval
from connectors.firestore.common import Collections, in_transaction, store_call, utc


def _approval(data: dict[str, Any]) -> PendingApproval:
    requested_at, expires_at = utc(data["requested_at"]), utc(data["expires_at"])
    assert requested_at is not None and expires_at is not None  # always written
    return PendingApproval(
        action_id=data["action_id"], organization_id=data["organization_id"], plan_hash=data["plan_hash"],
        requested_at=requested_at, expires_at=expires_at, summary=data["summary"], status=data["status"],
        decided_by=data.get("decided_by"), decided_at=utc(data.get("decided_at")),
    )


def _sorted(approvals: list[PendingApproval]) -> list[PendingApproval]:
    return sorted(approvals, key=lambda a: (a.requested_at, a.action_id))


class FirestoreApprovals:
    client: Any
    names: Collections
    calls: dict[str, Any]

    def _approvals(self) -> Any:
        return self.client.collection(self.names.name("approvals"))

    @store_call("put_pending")
    def put_pending(self, approval: PendingApproval) -> None:
        """Open (or re-open, after a re-plan) the approval for an action; any earlier decision is replaced."""
        self._approvals().document(approval.action_id).set({
            "action_id": approval.action_id, "organization_id": approval.organization_id,
            "plan_hash": approval.plan_hash, "requested_at": approval.requested_at,
            "expires_at": approval.expires_at, "summary": approval.summary, "status": approval.status,
            "decided_by": approval.decided_by, "decided_at": approval.decided_at,
        }, **self.calls)

    @store_call("get_approval")
    def get_approval(self, action_id: str) -> PendingApproval | None:
        snap = self._approvals().document(action_id).get(**self.calls)
        return _approval(snap.to_dict()) if snap.exists else None

    @store_call("list_pending")
    def list_pending(self, organization_id: str | None = None) -> list[PendingApproval]:
        query = self._approvals().where(filter=FieldFilter("status", "==", "pending"))
        if organization_id is not None:
            query = query.where(filter=FieldFilter("organization_id", "==", organization_id))
        return _sorted([_approval(snap.to_dict()) for snap in query.stream(**self.calls)])

    @store_call("decide")
    def decide(self, action_id: str, *, organization_id: str, plan_hash: str, approve: bool,
               decided_by: str, now: datetime) -> PendingApproval:
        """Approve or reject once. Refused (ApprovalError): unknown action, another organization's action
        (reported like an unknown one, so other tenants' ids are not confirmed), already decided
        (replay), expired (and marked so: the expiry commits before the refusal is raised), or a plan
        hash that is not the pending plan's."""
        if not decided_by.strip():
            raise ApprovalError("a decision names the person who made it")
        ref = self._approvals().document(action_id)

        @firestore.transactional
        def run(tx: Any) -> tuple[str, dict[str, Any] | None]:
            snap = ref.get(transaction=tx, **self.calls)
            data = snap.to_dict() if snap.exists else None
            if data is None or data["organization_id"] != organization_id:
                return "unknown", None
            if data["status"] != "pending":
                return "decided", data
            if utc(data["expires_at"]) <= now:  # type: ignore[operator]
                tx.update(ref, {"status": "expired"})
                return "expired", data
            if data["plan_hash"] != plan_hash:
                return "hash", data
            change = {"status": "approved" if approve else "rejected", "decided_by": decided_by, "decided_at": now}
            tx.update(ref, change)
            return "ok", {**data, **change}

        outcome, data = in_transaction(self.client, run)
        if outcome == "unknown" or data is None:
            raise ApprovalError(f"no pending approval for {action_id} in organization {organization_id}")
        if outcome == "decided":
            raise ApprovalError(f"approval for {action_id} was already {data['status']}: a decision is single-use")
        if outcome == "expired":
            raise ApprovalError(f"approval for {action_id} expired at {utc(data['expires_at'])}")
        if outcome == "hash":
            raise ApprovalError(f"plan hash does not match the pending plan for {action_id} "
                                "(the plan changed or the link is forged)")
        return _approval(data)

    @store_call("expire_pending")
    def expire_pending(self, now: datetime) -> list[PendingApproval]:
        """Expire every pending approval past its TTL, each in its own transaction (so a decision
        racing with the expiry either lands first and stays, or is refused as expired)."""
        query = self._approvals().where(filter=FieldFilter("status", "==", "pending"))
        due = [snap.reference for snap in query.stream(**self.calls)
               if utc(snap.get("expires_at")) <= now]  # type: ignore[operator]

        @firestore.transactional
        def expire(tx: Any, ref: Any) -> dict[str, Any] | None:
            data = ref.get(transaction=tx, **self.calls).to_dict()
            if data is None or data["status"] != "pending" or utc(data["expires_at"]) > now:  # type: ignore[operator]
                return None
            tx.update(ref, {"status": "expired"})
            return {**data, "status": "expired"}

        expired = [in_transaction(self.client, expire, ref) for ref in due]
        return _sorted([_approval(data) for data in expired if data is not None])
