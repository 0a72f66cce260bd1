"""`FirestoreStateStore` (StateStore port): organizations, kill switches, idempotency claims, counters.

Claims are the heart of "never execute twice": the first claim of an action is a document `create()`,
whose precondition (the document must not exist) Firestore enforces atomically, so of any number of
concurrent runs exactly one creates it. Every later claim (lease takeover after a crashed run, a
released action, the same run renewing) is a read-check-write transaction.
"""

from __future__ import annotations

import contextlib
from datetime import datetime, timedelta
from typing import Any

from google.api_core.exceptions import AlreadyExists
from google.cloud import firestore
from google.cloud.firestore_v1.base_query import FieldFilter

from connectors.firestore.approvals import FirestoreApprovals
from connectors.firestore.changes import FirestoreChanges
from connectors.firestore.common import Collections, call_options, in_transaction, store_call, utc
from connectors.firestore.holds import FirestoreHolds
from schemas.common import stable_hash
from schemas.policy import KillSwitch, KillSwitchState, OrgChange, OrgPolicy

# Execution records older than this are never counted by a rate rule (the widest window is 24 h); a
# Firestore TTL policy on `executions.expire_at` deletes them (docs/storage.md).
EXECUTION_RETENTION = timedelta(days=8)


class FirestoreStateStore(FirestoreApprovals, FirestoreHolds, FirestoreChanges):
    def __init__(self, client: Any, *, prefix: str = "", timeout_s: float = 10.0, deadline_s: float = 30.0):
        self.client = client
        self.names = Collections(prefix)
        self.calls = call_options(timeout_s, deadline_s)

    def _col(self, base: str) -> Any:
        return self.client.collection(self.names.name(base))

    # ------------------------------------------------------------------ organizations

    @store_call("get_org")
    def get_org(self, organization_id: str) -> OrgPolicy | None:
        snap = self._col("organizations").document(organization_id).get(**self.calls)
        return OrgPolicy.model_validate(snap.get("policy")) if snap.exists else None

    @store_call("list_orgs")
    def list_orgs(self) -> list[OrgPolicy]:
        policies = [OrgPolicy.model_validate(snap.get("policy"))
                    for snap in self._col("organizations").stream(**self.calls)]
        return sorted(policies, key=lambda p: p.organization_id)

    @store_call("put_org")
    def put_org(self, policy: OrgPolicy, change: OrgChange | None = None) -> None:
        """Write the policy; with `change`, its audit record (`organizations/{id}/history/{auto}`) in the
        same batch."""
        ref = self._col("organizations").document(policy.organization_id)
        batch = self.client.batch()
        batch.set(ref, {
            "organization_id": policy.organization_id,
            "policy": policy.model_dump(mode="json"),
            "updated_at": policy.updated_at or firestore.SERVER_TIMESTAMP,
        })
        if change is not None:
            batch.set(ref.collection("history").document(), {**change.model_dump(mode="json"),
                                                             "changed_at": change.changed_at})
        batch.commit(**self.calls)

    @store_call("last_notification")
    def last_notification(self, organization_id: str) -> str | None:
        snap = self._col("notifications_sent").document(organization_id).get(**self.calls)
        return str(snap.get("digest")) if snap.exists else None

    @store_call("put_last_notification")
    def put_last_notification(self, organization_id: str, digest: str, at: datetime) -> None:
        self._col("notifications_sent").document(organization_id).set(
            {"organization_id": organization_id, "digest": digest, "sent_at": at}, **self.calls)

    @store_call("org_changes")
    def org_changes(self, organization_id: str) -> list[OrgChange]:
        history = self._org_collection(organization_id, "history")
        changes = [OrgChange.model_validate(snap.to_dict()) for snap in history.stream(**self.calls)]
        return sorted(changes, key=lambda c: c.changed_at)

    # ------------------------------------------------------------------ kill switches

    @store_call("kill_switches")
    def kill_switches(self, organization_id: str) -> KillSwitchState:
        scopes = ["global"] if organization_id == "global" else ["global", organization_id]
        refs = [self._col("kill_switches").document(scope) for scope in scopes]
        found = {snap.id: snap.to_dict() for snap in self.client.get_all(refs, **self.calls) if snap.exists}

        def switch(scope: str) -> KillSwitch | None:
            data = found.get(scope)
            if data is None or scope not in scopes:
                return None
            return KillSwitch(scope=scope, active=data["active"], set_by=data["set_by"],
                              set_at=utc(data["set_at"]), reason=data["reason"])

        return KillSwitchState(global_switch=switch("global"),
                               org_switch=switch(organization_id) if organization_id != "global" else None)

    @store_call("set_kill_switch")
    def set_kill_switch(self, switch: KillSwitch) -> None:
        """Set or clear one scope's switch (who, when, why), and append the change to its history."""
        if not switch.scope or "/" in switch.scope:
            raise ValueError(f"invalid kill switch scope {switch.scope!r}")
        ref = self._col("kill_switches").document(switch.scope)
        data = switch.model_dump()
        batch = self.client.batch()
        batch.set(ref, data)
        batch.set(ref.collection("history").document(), data)
        batch.commit(**self.calls)

    # ------------------------------------------------------------------ idempotency claims

    @store_call("claim")
    def claim(self, action_id: str, run_id: str, now: datetime, lease_s: float) -> bool:
        """Take the action for `run_id` when it is unclaimed, released, or the holder's lease ran out
        (or this run already holds it: the lease is renewed). Never once it is done."""
        ref = self._col("claims").document(action_id)
        held = {"action_id": action_id, "run_id": run_id, "state": "held", "claimed_at": now,
                "lease_until": now + timedelta(seconds=lease_s), "released_at": None}
        try:
            ref.create(held, **self.calls)
            return True
        except AlreadyExists:
            pass

        @firestore.transactional
        def take(tx: Any) -> bool:
            current = ref.get(transaction=tx, **self.calls).to_dict()
            if current is not None:
                if current["state"] == "done":
                    return False
                lease_until = utc(current["lease_until"])
                if current["state"] == "held" and current["run_id"] != run_id and lease_until and lease_until > now:
                    return False
            tx.set(ref, held)
            return True

        return bool(in_transaction(self.client, take))

    @store_call("release")
    def release(self, action_id: str, run_id: str, *, done: bool) -> None:
        """Only the holder can release; a run whose lease was taken over changes nothing."""
        ref = self._col("claims").document(action_id)

        @firestore.transactional
        def give_back(tx: Any) -> None:
            current = ref.get(transaction=tx, **self.calls).to_dict()
            if current is None or current["run_id"] != run_id or current["state"] != "held":
                return
            tx.update(ref, {"state": "done" if done else "released", "released_at": firestore.SERVER_TIMESTAMP})

        in_transaction(self.client, give_back)

    @store_call("reopen")
    def reopen(self, action_id: str) -> bool:
        """Make a finished (done) action claimable again, e.g. a stale approved plan to be re-planned.
        False when the action is unknown or not done (a held claim stays with its holder)."""
        ref = self._col("claims").document(action_id)

        @firestore.transactional
        def reopen_done(tx: Any) -> bool:
            current = ref.get(transaction=tx, **self.calls).to_dict()
            if current is None or current["state"] != "done":
                return False
            tx.update(ref, {"state": "released", "released_at": firestore.SERVER_TIMESTAMP})
            return True

        return bool(in_transaction(self.client, reopen_done))

    @store_call("claim_state")
    def claim_state(self, action_id: str) -> dict[str, Any] | None:
        data = self._col("claims").document(action_id).get(**self.calls).to_dict()
        if data is None:
            return None
        return {"action_id": data["action_id"], "run_id": data["run_id"], "state": data["state"],
                "claimed_at": utc(data["claimed_at"]), "lease_until": utc(data["lease_until"]),
                "released_at": utc(data.get("released_at"))}

    # ------------------------------------------------------------------ rate counters

    def _executions(self, organization_id: str) -> Any:
        return self._org_collection(organization_id, "executions")

    @store_call("record_execution")
    def record_execution(self, organization_id: str, action_id: str, at: datetime) -> None:
        """One document per (org, action, time), written with `create()`: a retried record of the same
        execution counts once, and concurrent runs each add their own."""
        doc_id = stable_hash([action_id, at.isoformat()], 32)
        with contextlib.suppress(AlreadyExists):
            self._executions(organization_id).document(doc_id).create(
                {"action_id": action_id, "at": at, "expire_at": at + EXECUTION_RETENTION}, **self.calls)

    @store_call("count_executions")
    def count_executions(self, organization_id: str, since: datetime) -> int:
        """Executions at or after `since`: an exact count aggregation over a single-field range (served
        by Firestore's automatic index), so the rolling window has no bucket edges."""
        query = self._executions(organization_id).where(filter=FieldFilter("at", ">=", since))
        result = query.count().get(**self.calls)
        return int(result[0][0].value)
