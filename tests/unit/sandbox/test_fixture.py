"""The fixture format: relative dates resolved at seeding, bad fixtures refused with a clear reason."""

from __future__ import annotations

import copy
import json
from datetime import timedelta

import pytest

from connectors.local import LocalStore
from connectors.sandbox import FixtureError, SandboxWorld, load_fixture
from tests.unit.sandbox.conftest import NOW, SAMPLES

SAMPLE = json.loads((SAMPLES / "sandbox.json").read_text(encoding="utf-8"))


def _write(tmp_path, document) -> str:
    path = tmp_path / "fixture.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    return str(path)


def test_relative_dates_become_absolute_at_seeding(tmp_path):
    store = LocalStore.open(tmp_path / "later.sqlite")
    try:
        world = SandboxWorld(store)
        seeded_at = NOW + timedelta(days=10, hours=3)
        assert world.seed_fixture(SAMPLES / "sandbox.json", seeded_at) is True
        assert world.entity("google_ads", "1234567890", "campaign", "114")["start_date"] == "2026-11-29"
        scheduled = world.entity("activecampaign", "acme-mail", "email_campaign", "21")["scheduled_at"]
        assert scheduled == (seeded_at + timedelta(hours=72)).isoformat()
        page = world.entity("content", "www.acme.example", "page",
                            "https://www.acme.example/blog/widget-buying-guide-2019")
        assert page["last_updated"] == str((seeded_at - timedelta(days=900)).date())
    finally:
        store.close()


def _broken(change) -> dict:
    document = copy.deepcopy(SAMPLE)
    change(document)
    return document


@pytest.mark.parametrize(("change", "message"), [
    (lambda d: d["google_ads"][0]["campaigns"][0].update(budget_id="999"), "unknown budget 999"),
    (lambda d: d["google_ads"][0]["campaigns"][0].update(start_date="2026-01-01"), "exactly one of started_days_ago"),
    (lambda d: d["google_ads"][0].update(customer_id="123-456-7890"), "customer_id"),
    (lambda d: d["google_ads"][0]["campaigns"][0].update(colour="red"), "colour"),
    (lambda d: d["google_ads"][0]["campaigns"][0]["metrics"].update(cost="NaN"), "cost"),
    (lambda d: d["activecampaign"][0]["contacts"][3]["runs"][0].update(automation_id="77"), "unknown automation 77"),
    (lambda d: d.update(version=2), "version"),
    (lambda d: d["google_ads"][0]["campaigns"][3].update(started_days_ago=0), "no complete day"),
])
def test_bad_fixtures_are_refused(tmp_path, change, message):
    with pytest.raises(FixtureError, match=message):
        load_fixture(_write(tmp_path, _broken(change)))


def test_a_file_that_is_not_json_is_refused(tmp_path):
    path = tmp_path / "fixture.json"
    path.write_text("{", encoding="utf-8")
    with pytest.raises(FixtureError, match=r"fixture\.json"):
        load_fixture(path)
