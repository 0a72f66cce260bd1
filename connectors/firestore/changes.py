"""Outside changes on Firestore (`ChangeStore` port, issue 15): each change once per org, as
`organizations/{org}/outside_changes/{hash of entity, resource, changed_at, actor}` — the SQLite table's key —
created with a must-not-exist precondition, so a change any number of runs saw is one document (the first
run's `seen_at`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from google.api_core.exceptions import AlreadyExists
from google.cloud.firestore_v1.base_query import FieldFilter

from connectors.firestore.common import OrgCollections, store_call
from schemas.changes import OutsideChange
from schemas.common import stable_hash


def change_id(change: OutsideChange) -> str:
    """The document id: the change's identity (SQLite's primary key without the org), hashed because a
    resource name holds slashes."""
    return stable_hash([change.entity_key, change.resource_name, change.changed_at.astimezone(UTC).isoformat(),
                        change.actor])


class FirestoreChanges(OrgCollections):
    def _changes(self, organization_id: str) -> Any:
        return self._org_collection(organization_id, "outside_changes")

    @store_call("record_outside_changes")
    def record_outside_changes(self, organization_id: str, changes: Sequence[OutsideChange],
                               seen_at: datetime) -> int:
        new = 0
        for change in changes:
            try:
                self._changes(organization_id).document(change_id(change)).create({
                    "organization_id": organization_id, "entity_key": change.entity_key,
                    "changed_at": change.changed_at.astimezone(UTC), "seen_at": seen_at.astimezone(UTC),
                    "change": change.model_dump(mode="json")}, **self.calls)
            except AlreadyExists:
                continue
            new += 1
        return new

    @store_call("outside_changes")
    def outside_changes(self, organization_id: str, since: datetime) -> list[OutsideChange]:
        query = self._changes(organization_id).where(
            filter=FieldFilter("changed_at", ">=", since.astimezone(UTC))).order_by("changed_at")
        found = [OutsideChange.model_validate(snap.get("change")) for snap in query.stream(**self.calls)]
        return sorted(found, key=lambda c: (c.changed_at, c.entity_key))  # SQLite's order; stable for ties
