"""Metrics are daily series: seeded to match the fixture's totals, then advancing day by day."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from connectors.sandbox import Totals
from schemas.operations import SetCampaignStatus
from tests.unit.sandbox.conftest import NOW
from tests.unit.sandbox.helpers import ACME_ADS, gads_batch, read_gads

D = Decimal


def _daily(world, kind: str, entity_id: str) -> dict[str, Decimal]:
    conn = world.db.connection()
    rows = conn.execute("SELECT day, cost FROM sandbox_metrics WHERE account_id = ? AND entity_kind = ? "
                        "AND entity_id = ? ORDER BY day", (ACME_ADS, kind, entity_id)).fetchall()
    return {row["day"]: D(row["cost"]) for row in rows}


def test_the_seeded_series_covers_the_history_and_the_window_with_varied_days(world):
    days = _daily(world, "campaign", "117")  # started 90 days ago: 56 pre-period days + the 14-day window
    assert len(days) == 14 + 56
    assert min(days) == str((NOW - timedelta(days=70)).date()) and max(days) == str((NOW - timedelta(days=1)).date())
    window = {day: cost for day, cost in days.items() if day >= str((NOW - timedelta(days=14)).date())}
    assert len(window) == 14 and sum(window.values()) == D("1400.00")  # the fixture's totals, exactly
    assert len(set(days.values())) > 1  # not a flat line
    assert list(_daily(world, "campaign", "114")) == [str((NOW - timedelta(days=1)).date())]  # the young one
    assert len(_daily(world, "campaign", "111")) == 45  # started 45 days ago: its history starts then


def test_enabled_campaigns_keep_spending_and_paused_ones_stop(ads, world):
    later = NOW + timedelta(days=3)
    before = read_gads(ads, campaign_id="117", window_days=30, now=later).performance
    assert before.cost > D("1400.00")  # three more days at its daily average
    assert before.data_as_of == later
    assert read_gads(ads, campaign_id="121", window_days=30, now=later).performance.cost == D(0)
    assert read_gads(ads, campaign_id="117", window_days=30, now=later).performance == before  # deterministic


def test_a_pause_shows_up_as_days_without_spend(world, ads):
    ads.apply(ACME_ADS, [gads_batch(SetCampaignStatus(customer_id=ACME_ADS, campaign_id="111", status="PAUSED"))])
    after_pause = read_gads(ads, campaign_id="111", window_days=3, now=NOW + timedelta(days=4)).performance
    assert after_pause.cost == D(0)
    window = read_gads(ads, campaign_id="111", window_days=18, now=NOW + timedelta(days=4)).performance
    assert window.cost == D("612.40")  # the seeded 14-day window spent, the 4 days since did not


def test_a_keywords_series_advances_with_its_campaign(ads):
    later = NOW + timedelta(days=2)
    keyword = read_gads(ads, ad_group_id="2001", criterion_id="3001", window_days=30, now=later).keyword
    assert keyword.performance.cost > D("300.00")


def test_days_written_by_a_simulation_are_kept(world, ads):
    day = (NOW + timedelta(days=1)).date()
    world.record_metrics(ACME_ADS, "campaign", "117", day, Totals(cost=D("999.99"), conversions=D(1)))
    # read once the conversion lag is over (a written day is credited late like any simulated day)
    late = NOW + timedelta(days=40)
    one_day = read_gads(ads, campaign_id="117", window_days=39, now=late).performance
    assert one_day.cost > D("999.99")
    assert _daily(world, "campaign", "117")[day.isoformat()] == D("999.99")  # not overwritten by the advance
