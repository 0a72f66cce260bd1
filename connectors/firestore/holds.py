"""Tracking holds on Firestore (`HoldStore` port, issue 14): one document per account,
`organizations/{org}/tracking_holds/{platform:account}`, replaced as the hold is set and cleared."""

from __future__ import annotations

from typing import Any

from connectors.firestore.common import OrgCollections, store_call
from schemas.impact import TrackingHold


class FirestoreHolds(OrgCollections):
    def _holds(self, organization_id: str) -> Any:
        return self._org_collection(organization_id, "tracking_holds")

    @store_call("tracking_holds")
    def tracking_holds(self, organization_id: str) -> list[TrackingHold]:
        snaps = self._holds(organization_id).stream(**self.calls)
        found = [TrackingHold.model_validate(snap.to_dict()) for snap in snaps]
        return sorted(found, key=lambda h: (h.platform, h.account_id))

    @store_call("put_tracking_hold")
    def put_tracking_hold(self, hold: TrackingHold) -> None:
        self._holds(hold.organization_id).document(f"{hold.platform}:{hold.account_id}").set(
            hold.model_dump(mode="json"), **self.calls)
