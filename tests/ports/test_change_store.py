"""ChangeStore port (issue 15, "record them"): the state store keeps outside changes, each change once per
org however many runs saw it, and reads them back from a time on, oldest first. SQLite and Firestore."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from connectors.base import ChangeStore
from schemas.changes import OutsideChange
from schemas.common import Platform
from tests.ports.builders import org_id

AT = datetime(2026, 11, 20, 9, tzinfo=ZoneInfo("America/New_York"))


def change(hours: int, actor: str = "jane@acme.example", entity: str = "111") -> OutsideChange:
    return OutsideChange(platform=Platform.GOOGLE_ADS, account_id="1234567890",
                         entity_key=f"google_ads:1234567890:campaign:{entity}", resource_type="CAMPAIGN",
                         resource_name=f"customers/1234567890/campaigns/{entity}",
                         changed_at=AT + timedelta(hours=hours), client_type="GOOGLE_ADS_WEB_CLIENT", actor=actor,
                         changed_fields=("status",))


def test_changes_are_kept_once_per_org_and_read_back_in_order(stores):
    store, org_a, org_b = stores.state, org_id(), org_id()
    assert isinstance(store, ChangeStore)
    assert store.record_outside_changes(org_a, [change(2), change(1)], AT) == 2
    assert store.record_outside_changes(org_a, [change(1), change(1, "ed@agency.example")], AT) == 1
    assert store.record_outside_changes(org_b, [change(1)], AT) == 1
    same_instant = change(1).model_copy(update={"changed_at": (AT + timedelta(hours=1)).astimezone(UTC)})
    assert store.record_outside_changes(org_a, [same_instant], AT + timedelta(days=1)) == 0  # any zone

    found = store.outside_changes(org_a, AT.astimezone(UTC))

    assert sorted((c.changed_at, c.actor) for c in found) == [
        (AT + timedelta(hours=1), "ed@agency.example"), (AT + timedelta(hours=1), "jane@acme.example"),
        (AT + timedelta(hours=2), "jane@acme.example")]
    assert [c.changed_at for c in found] == sorted(c.changed_at for c in found)  # oldest first
    assert found[0].kind == "status"
    assert store.outside_changes(org_a, AT + timedelta(hours=2)) == [change(2)]
    assert store.outside_changes(org_a, AT + timedelta(hours=2, microseconds=1)) == []
    assert store.outside_changes(org_id(), AT) == []


def test_ties_read_back_by_entity_and_the_record_keeps_the_whole_change(stores):
    store, org = stores.state, org_id()
    created = change(3, entity="222").model_copy(update={"operation": "CREATE", "changed_fields": ()})
    assert store.record_outside_changes(org, [created, change(3, entity="111"), change(0)], AT) == 3

    found = store.outside_changes(org, AT)

    assert [c.entity_key.rsplit(":", 1)[1] for c in found] == ["111", "111", "222"]  # by time, then entity
    assert found[2] == created and found[2].operation == "CREATE" and found[2].changed_fields == ()
