"""The SQLite state store keeps outside changes (the `ChangeStore` port): each change once, per org."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from connectors.base import ChangeStore
from connectors.local import LocalStore
from schemas.changes import OutsideChange
from schemas.common import Platform

AT = datetime(2026, 11, 20, 9, tzinfo=ZoneInfo("America/New_York"))


def change(hours: int, actor: str = "jane@acme.example") -> OutsideChange:
    return OutsideChange(platform=Platform.GOOGLE_ADS, account_id="1234567890",
                         entity_key="google_ads:1234567890:campaign:111", resource_type="CAMPAIGN",
                         resource_name="customers/1234567890/campaigns/111", changed_at=AT + timedelta(hours=hours),
                         client_type="GOOGLE_ADS_WEB_CLIENT", actor=actor, changed_fields=("status",))


def test_changes_are_kept_once_per_org_and_read_back_in_order(tmp_path: Path) -> None:
    store = LocalStore.open(tmp_path / "operator.sqlite")
    try:
        assert isinstance(store, ChangeStore)
        assert store.record_outside_changes("org-a", [change(2), change(1)], AT) == 2
        assert store.record_outside_changes("org-a", [change(1), change(1, "ed@agency.example")], AT) == 1
        assert store.record_outside_changes("org-b", [change(1)], AT) == 1

        found = store.outside_changes("org-a", AT.astimezone(UTC))

        assert sorted((c.changed_at, c.actor) for c in found) == [
            (AT + timedelta(hours=1), "ed@agency.example"), (AT + timedelta(hours=1), "jane@acme.example"),
            (AT + timedelta(hours=2), "jane@acme.example")]
        assert [c.changed_at for c in found] == sorted(c.changed_at for c in found)  # oldest first
        assert found[0].kind == "status"
        assert store.outside_changes("org-a", AT + timedelta(hours=2)) == [change(2)]
    finally:
        store.close()
