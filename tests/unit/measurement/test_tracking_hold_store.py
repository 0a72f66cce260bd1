"""The SQLite state store keeps tracking holds (the `HoldStore` port): one row per org/platform/account."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from connectors.base import HoldStore
from connectors.local import LocalStore
from schemas.impact import TrackingHold

AT = datetime(2026, 3, 2, 6, tzinfo=UTC)


def test_holds_are_replaced_per_account_and_listed_per_org(tmp_path: Path) -> None:
    store = LocalStore.open(tmp_path / "operator.sqlite")
    try:
        assert isinstance(store, HoldStore)
        assert store.tracking_holds("org-a") == []
        hold = TrackingHold(organization_id="org-a", account_id="1234567890", active=True, set_at=AT,
                            reason="conversions collapsed", evidence={"campaigns": "3 of 3"})
        store.put_tracking_hold(hold)
        store.put_tracking_hold(hold.model_copy(update={"account_id": "2222222222"}))
        store.put_tracking_hold(TrackingHold(organization_id="org-b", account_id="1234567890", active=True,
                                             set_at=AT, reason="x"))
        cleared = hold.model_copy(update={"active": False, "cleared_at": AT})
        store.put_tracking_hold(cleared)
        found = store.tracking_holds("org-a")
        assert [(h.account_id, h.active) for h in found] == [("1234567890", False), ("2222222222", True)]
        assert found[0] == cleared
    finally:
        store.close()
