"""Metrics are daily series: seeded to match the fixture's totals, then advancing day by day."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from connectors.sandbox import Totals
from connectors.sandbox.metrics import weight
from schemas.operations import SetCampaignStatus
from tests.unit.sandbox.conftest import NOW
from tests.unit.sandbox.helpers import ACME_ADS, gads_batch, read_gads

D = Decimal


def _daily(world, kind: str, entity_id: str) -> dict[str, Decimal]:
    conn = world.db.connection()
    rows = conn.execute("SELECT day, cost FROM sandbox_metrics WHERE account_id = ? AND entity_kind = ? "
                        "AND entity_id = ? ORDER BY day", (ACME_ADS, kind, entity_id)).fetchall()
    return {row["day"]: D(row["cost"]) for row in rows}


def test_the_seeded_series_covers_the_window_with_varied_days(world):
    days = _daily(world, "campaign", "117")
    assert len(days) == 14
    assert min(days) == str((NOW - timedelta(days=14)).date()) and max(days) == str((NOW - timedelta(days=1)).date())
    assert sum(days.values()) == D("1400.00")
    assert len(set(days.values())) > 1  # not a flat line
    assert list(_daily(world, "campaign", "114")) == [str((NOW - timedelta(days=1)).date())]  # the young one


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
    window = read_gads(ads, campaign_id="111", window_days=30, now=NOW + timedelta(days=4)).performance
    assert window.cost == D("612.40")  # only the seeded days spent


def test_a_keywords_series_advances_with_its_campaign(ads):
    later = NOW + timedelta(days=2)
    keyword = read_gads(ads, ad_group_id="2001", criterion_id="3001", window_days=30, now=later).keyword
    assert keyword.performance.cost > D("300.00")


def test_days_written_by_a_simulation_are_kept(world, ads):
    yesterday_later = (NOW + timedelta(days=1)).date()
    world.record_metrics(ACME_ADS, "campaign", "117", yesterday_later, Totals(cost=D("999.99"), conversions=D(1)))
    one_day = read_gads(ads, campaign_id="117", window_days=1, now=NOW + timedelta(days=2)).performance
    assert (one_day.cost, one_day.conversions) == (D("999.99"), D(1))


def test_day_weights_are_deterministic_and_bounded():
    day = NOW.date()
    assert weight("acme:campaign:117", day) == weight("acme:campaign:117", day)
    samples = [weight("acme:campaign:117", day + timedelta(days=n)) for n in range(60)]
    assert all(D("0.8") <= w <= D("1.2") for w in samples)
