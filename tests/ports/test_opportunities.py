"""OpportunitySource port: approved rows come back raw — invalid ones too, so they get a log row."""

from __future__ import annotations

from datetime import timedelta

from tests.ports.builders import NOW, opportunity_id, org_id


def _raw(org: str, status: str = "approved", **changes) -> dict:
    data = {
        "schema_version": 1, "opportunity_id": opportunity_id(), "organization_id": org, "status": status,
        "created_at": "2026-11-20T09:00:00Z", "expires_at": "2099-12-31T00:00:00Z",
        "approved_by": "jane@acme.example", "title": "Pause 'Generic – Widgets'", "confidence": 0.92,
        "action": {"type": "pause_campaign", "target": {"customer_id": "1234567890", "campaign_id": "111"},
                   "params": {}},
        "evidence": {"spend": "612.40"},
    }
    data.update(changes)
    return data


def test_pull_returns_approved_rows_raw_and_skips_the_others(stores):
    org = org_id()
    approved, expired = _raw(org), _raw(org, expires_at="2025-03-08T09:00:00Z")
    pending, dismissed, actioned = _raw(org, "pending"), _raw(org, "dismissed"), _raw(org, "actioned")
    foreign = _raw(org_id())
    stores.load_opportunities([approved, pending, dismissed, expired, actioned, foreign])
    pulled = [r for r in stores.opportunities.pull_approved(org, NOW) if isinstance(r, dict)
              and r.get("organization_id") == org]
    assert sorted(pulled, key=lambda r: r["opportunity_id"]) == sorted([approved, expired],
                                                                       key=lambda r: r["opportunity_id"])
    assert foreign not in stores.opportunities.pull_approved(org, NOW)
    assert foreign in stores.opportunities.pull_approved(None, NOW)


def test_invalid_rows_are_pulled_unchanged(stores):
    org = org_id()
    no_status = {k: v for k, v in _raw(org).items() if k != "status"}
    odd_status = _raw(org, "APPROVED!!")
    bad_money = _raw(org, action={"type": "adjust_campaign_budget",
                                  "target": {"customer_id": "1234567890", "campaign_id": "111"},
                                  "params": {"new_daily_budget": "NaN"}})
    naive_time = _raw(org, created_at="2026-11-20T09:12:00")
    stores.load_opportunities([no_status, odd_status, bad_money, naive_time])
    pulled = stores.opportunities.pull_approved(org, NOW)
    for row in (no_status, odd_status, bad_money, naive_time):
        assert row in pulled
    assert not any(row in stores.opportunities.pull_approved(org_id(), NOW)
                   for row in (no_status, odd_status, bad_money, naive_time))


def test_rows_naming_no_valid_organization_come_back_for_every_organization(stores):
    org = org_id()
    marker = ["pause", "everything", opportunity_id()]
    bad_org = {**_raw(org), "organization_id": "ORG WITH SPACES"}
    no_org = {k: v for k, v in _raw(org).items() if k != "organization_id"}
    numeric_org = {**_raw(org), "organization_id": 42}
    stores.load_opportunities([marker, 42, bad_org, no_org, numeric_org])
    for pulled in (stores.opportunities.pull_approved(None, NOW), stores.opportunities.pull_approved(org, NOW),
                   stores.opportunities.pull_approved(org_id(), NOW)):
        for row in (marker, 42, bad_org, no_org, numeric_org):
            assert row in pulled


def test_status_is_re_read_and_marked(stores):
    org = org_id()
    row = _raw(org, expires_at="2026-11-27T09:12:00+01:00")
    stores.load_opportunities([row])
    status, expires = stores.opportunities.current_status(row["opportunity_id"])
    assert status == "approved"
    assert expires == NOW.replace(day=27, hour=8, minute=12)
    stores.opportunities.mark(row["opportunity_id"], "actioned")
    assert stores.opportunities.current_status(row["opportunity_id"])[0] == "actioned"
    assert row not in stores.opportunities.pull_approved(org, NOW + timedelta(hours=1))
    assert stores.opportunities.current_status(opportunity_id()) is None


def test_a_reload_carries_scouts_new_status(stores):
    org = org_id()
    row = _raw(org)
    stores.load_opportunities([row])
    stores.load_opportunities([{**row, "status": "dismissed"}])
    assert not any(isinstance(r, dict) and r.get("opportunity_id") == row["opportunity_id"]
                   for r in stores.opportunities.pull_approved(org, NOW))
    assert stores.opportunities.current_status(row["opportunity_id"])[0] == "dismissed"
