"""The Google-Ads-like sandbox answers every snapshot part from the seeded fixture."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from schemas.actions import BiddingScheme
from schemas.snapshots import SnapshotPart
from tests.unit.sandbox.conftest import NOW
from tests.unit.sandbox.helpers import ACME_ADS, GLOBEX, GLOBEX_ADS, gads_request, read_gads

D = Decimal


def test_account_totals_count_each_budget_of_enabled_campaigns_once(ads):
    snap = read_gads(ads, parts={SnapshotPart.ACCOUNT})
    # 10 budgets; shared budget 505 counted once, paused campaign 121's budget (90) not at all
    assert snap.account.total_daily_budget == D("2740.00")
    assert (snap.account.currency, snap.account.min_daily_budget) == ("USD", D("1.00"))
    assert snap.campaign is None and snap.performance is None  # parts not asked for stay empty


def test_campaign_state_with_labels_start_date_bidding_and_budget(ads):
    snap = read_gads(ads, campaign_id="112")
    assert snap.campaign.name == "Acme Brand – Search"
    assert snap.campaign.status == "ENABLED"
    assert snap.campaign.labels == ("brand",)
    assert snap.campaign.start_date == (NOW - timedelta(days=400)).date()
    assert snap.campaign.bidding == BiddingScheme(strategy="manual_cpc")
    assert snap.campaign.budget_id == "501"
    winner = read_gads(ads, campaign_id="113").campaign
    assert winner.bidding == BiddingScheme(strategy="maximize_conversion_value", target_roas=D("6.0"))
    assert (snap.key, snap.account_id, snap.read_at, snap.source) == ("k", ACME_ADS, NOW, "sandbox")


def test_shared_budget_reports_sharing_and_reference_count(ads):
    shared = read_gads(ads, campaign_id="115").budget
    assert (shared.budget_id, shared.amount, shared.explicitly_shared, shared.reference_count) == (
        "505", D("300.00"), True, 2)
    single = read_gads(ads, campaign_id="117").budget
    assert (single.explicitly_shared, single.reference_count) == (False, 1)


def test_performance_returns_the_fixture_window_totals_as_of_the_read(ads):
    wasteful = read_gads(ads, campaign_id="111").performance
    assert (wasteful.cost, wasteful.conversions, wasteful.clicks, wasteful.impressions) == (
        D("612.40"), D(0), 955, 31200)
    assert wasteful.window_days == 14 and wasteful.data_as_of == NOW
    winner = read_gads(ads, campaign_id="113").performance
    assert winner.roas == D("7.2000")
    strong = read_gads(ads, campaign_id="117").performance
    assert (strong.roas, strong.conversions) == (D("3.5000"), D(42))


def test_a_shorter_window_sees_part_of_the_totals_and_a_young_campaign_only_its_days(ads):
    week = read_gads(ads, campaign_id="111", window_days=7).performance
    assert D(0) < week.cost < D("612.40")
    young = read_gads(ads, campaign_id="114", window_days=7).performance
    assert young.cost == D("35.20")  # everything happened yesterday
    assert read_gads(ads, campaign_id="114").campaign.start_date == (NOW - timedelta(days=1)).date()


def test_negatives_and_search_terms(ads):
    snap = read_gads(ads, campaign_id="118")
    assert [(n.text, n.match_type) for n in snap.negatives] == [("jobs", "BROAD")]
    assert snap.negatives[0].resource_name.startswith(f"customers/{ACME_ADS}/campaignCriteria/118~")
    terms = {t.text: t for t in snap.search_terms}
    assert terms["buy gadgets online"].conversions == D(6)
    assert terms["free gadgets"].cost == D("85.10") and terms["free gadgets"].conversions == D(0)
    assert [t.text for t in snap.search_terms] == [  # highest cost first
        "buy gadgets online", "free gadgets", "gadgets near me", "gadget repair manual"]
    assert read_gads(ads, campaign_id="117").negatives == ()


def test_keyword_with_its_own_bid_and_with_an_inherited_bid(ads):
    own = read_gads(ads, ad_group_id="2001", criterion_id="3001").keyword
    assert (own.cpc_bid, own.effective_cpc_bid, own.bid_source) == (D("1.20"), D("1.20"), "CRITERION")
    assert (own.campaign_id, own.text, own.match_type, own.campaign_bidding_strategy) == (
        "119", "blue widgets", "EXACT", "manual_cpc")
    assert (own.performance.cost, own.performance.conversions, own.performance.conversion_value) == (
        D("300.00"), D(15), D("1050.00"))
    inherited = read_gads(ads, ad_group_id="2001", criterion_id="3002").keyword
    assert (inherited.cpc_bid, inherited.effective_cpc_bid, inherited.bid_source) == (None, D("1.00"), "AD_GROUP")


def test_a_keyword_request_also_answers_its_campaigns_parts(ads):
    snap = read_gads(ads, ad_group_id="2001", criterion_id="3001")
    assert snap.campaign.campaign_id == "119"
    assert snap.performance.cost == D("700.00")


def test_missing_entities_are_listed(ads):
    snap = read_gads(ads, campaign_id="999", ad_group_id="2001", criterion_id="9999")
    assert snap.missing == ("keyword:2001~9999", "campaign:999")
    assert snap.campaign is None and snap.keyword is None and snap.budget is None
    assert read_gads(ads, parts={SnapshotPart.ACCOUNT}, campaign_id="999").missing == ()


def test_several_requests_are_answered_by_key(ads):
    requests = [gads_request("a", campaign_id="111"), gads_request("b", campaign_id="117")]
    answers = ads.snapshot(ACME_ADS, requests, NOW)
    assert answers["a"].campaign.name == "Generic – Widgets"
    assert answers["b"].campaign.name == "Widgets – Exact Match"
    globex = gads_request("g", org=GLOBEX, account=GLOBEX_ADS, campaign_id="211")
    assert ads.snapshot(GLOBEX_ADS, [globex], NOW)["g"].performance.cost == D("705.60")
