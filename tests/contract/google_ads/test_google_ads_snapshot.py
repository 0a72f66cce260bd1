"""Snapshots: batched GAQL per customer, micros → Decimal, windows in the account's time zone, missing
entities named, and the allowlist enforced before anything is sent."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from gads_fake import FakeGoogleAds
from gads_seed import CUSTOMER, NOW, ORG, OTHER_CUSTOMER

from connectors.base import NotConnectedError
from connectors.google_ads import GoogleAdsConnector
from schemas.actions import BiddingScheme
from schemas.common import Platform
from schemas.snapshots import SnapshotPart, SnapshotRequest

P = SnapshotPart
CAMPAIGN_PARTS = frozenset({P.ACCOUNT, P.CAMPAIGN, P.BUDGET, P.PERFORMANCE, P.NEGATIVES, P.SEARCH_TERMS})


def request(key: str, parts: frozenset[SnapshotPart] = CAMPAIGN_PARTS, *, org: str = ORG,
            account: str = CUSTOMER, window_days: int = 14, **ids: str) -> SnapshotRequest:
    return SnapshotRequest(key=key, organization_id=org, platform=Platform.GOOGLE_ADS, account_id=account,
                           parts=parts, window_days=window_days, **ids)


def queries(fake: FakeGoogleAds) -> list[str]:
    return [c.query or "" for c in fake.calls if c.method == "SearchStream"]


def test_one_query_per_entity_kind_for_all_requests(connector: GoogleAdsConnector, fake: FakeGoogleAds) -> None:
    requests = [request(f"c{cid}", campaign_id=cid) for cid in ("111", "222", "333")]
    requests += [request(f"k{crit}", frozenset({P.KEYWORD}), ad_group_id="5001", criterion_id=crit)
                 for crit in ("7001", "7002")]

    answers = connector.snapshot(CUSTOMER, requests, NOW)

    assert set(answers) == {"c111", "c222", "c333", "k7001", "k7002"}
    sent = queries(fake)
    kinds = [q.split(" FROM ")[1].split()[0] for q in sent]
    # customer, campaigns(+budgets), labels, enabled budgets, metrics, negatives, search terms, keywords, keyword metrics
    assert sorted(kinds) == sorted(["customer", "campaign", "campaign_label", "campaign", "campaign", "campaign_criterion",
                                    "search_term_view", "ad_group_criterion", "keyword_view"])
    assert len(sent) == 9
    assert sum("campaign.id IN (111, 222, 333)" in q for q in sent) == 5  # campaigns, labels, metrics, negatives, terms
    assert any("IN ('customers/1234567890/adGroupCriteria/5001~7001', 'customers/1234567890/adGroupCriteria/5001~7002')"
               in q for q in sent)


def test_campaign_budget_account_and_bidding(connector: GoogleAdsConnector) -> None:
    answers = connector.snapshot(CUSTOMER, [request(c, campaign_id=c) for c in ("111", "222", "333", "444")], NOW)

    generic, brand, shoes, old = (answers[c] for c in ("111", "222", "333", "444"))
    assert generic.source == "live" and generic.read_at == NOW and generic.missing == ()
    assert generic.account is not None
    assert generic.account.currency == "USD"
    assert generic.account.total_daily_budget == Decimal("130.00")  # 50 + 80 (shared once); 444 is paused
    assert generic.campaign is not None and brand.campaign is not None
    assert (generic.campaign.name, generic.campaign.status, generic.campaign.start_date) == (
        "Generic – Widgets", "ENABLED", date(2025, 1, 10))
    assert generic.campaign.bidding == BiddingScheme(strategy="manual_cpc")
    assert brand.campaign.labels == ("brand",)
    assert brand.campaign.bidding == BiddingScheme(strategy="target_spend", cpc_bid_ceiling=Decimal("2.50"))
    assert shoes.campaign is not None and old.campaign is not None
    assert shoes.campaign.bidding == BiddingScheme(strategy="maximize_conversions", target_cpa=Decimal("20"))
    assert (old.campaign.status, old.campaign.bidding) == ("PAUSED", BiddingScheme(strategy="target_roas",
                                                                                   target_roas=Decimal("3.5")))
    assert generic.budget is not None and brand.budget is not None
    assert (generic.budget.budget_id, generic.budget.amount, generic.budget.explicitly_shared,
            generic.budget.reference_count) == ("1001", Decimal("50.00"), False, 1)
    assert (brand.budget.explicitly_shared, brand.budget.reference_count) == (True, 2)


def test_performance_negatives_and_converting_search_terms(connector: GoogleAdsConnector) -> None:
    snapshot = connector.snapshot(CUSTOMER, [request("a", campaign_id="111")], NOW)["a"]

    perf = snapshot.performance
    assert perf is not None
    assert (perf.window_days, perf.cost, perf.conversions, perf.clicks, perf.impressions) == (
        14, Decimal("612.36"), Decimal(0), 420, 12600)  # the 1,000.00 day 20 days ago is outside the window
    assert perf.data_as_of == NOW
    assert snapshot.negatives is not None
    assert [(n.text, n.match_type) for n in snapshot.negatives] == [("free", "PHRASE")]
    assert snapshot.negatives[0].resource_name is not None
    assert snapshot.negatives[0].resource_name.startswith(f"customers/{CUSTOMER}/campaignCriteria/111~")
    assert snapshot.search_terms is not None
    assert [(t.text, t.conversions, t.cost, t.clicks) for t in snapshot.search_terms] == [
        ("cheap widgets", Decimal(2), Decimal("30.00"), 12), ("widget repair", Decimal(1), Decimal("5.00"), 2)]


def test_windows_follow_the_account_time_zone_and_length(connector: GoogleAdsConnector) -> None:
    late_evening_in_new_york = datetime(2026, 11, 21, 3, 0, tzinfo=UTC)  # already the 21st in UTC
    answers = connector.snapshot(CUSTOMER, [request("14", campaign_id="111"),
                                            request("30", campaign_id="111", window_days=30)],
                                 late_evening_in_new_york)

    assert answers["14"].performance is not None and answers["30"].performance is not None
    assert answers["14"].performance.cost == Decimal("612.36")
    assert answers["30"].performance.cost == Decimal("1612.36")
    assert answers["30"].performance.window_days == 30


def test_keywords_with_own_and_inherited_bids(connector: GoogleAdsConnector) -> None:
    parts = frozenset({P.KEYWORD})
    answers = connector.snapshot(CUSTOMER, [request("own", parts, ad_group_id="5001", criterion_id="7001"),
                                            request("inh", parts, ad_group_id="5001", criterion_id="7002")], NOW)

    own, inherited = answers["own"].keyword, answers["inh"].keyword
    assert own is not None and inherited is not None
    assert (own.text, own.match_type, own.campaign_id, own.cpc_bid, own.effective_cpc_bid, own.bid_source) == (
        "blue widgets", "EXACT", "111", Decimal("1.20"), Decimal("1.20"), "CRITERION")
    assert own.campaign_bidding_strategy == "manual_cpc"
    assert own.performance is not None
    assert (own.performance.cost, own.performance.conversions, own.performance.conversion_value) == (
        Decimal("70.00"), Decimal(14), Decimal("420.00"))
    assert (inherited.cpc_bid, inherited.effective_cpc_bid, inherited.bid_source) == (None, Decimal("1.00"), "AD_GROUP")


def test_missing_entities_are_listed(connector: GoogleAdsConnector) -> None:
    answers = connector.snapshot(CUSTOMER, [request("c", campaign_id="999"),
                                            request("k", frozenset({P.KEYWORD}), ad_group_id="5001",
                                                    criterion_id="7999")], NOW)

    assert answers["c"].missing == ("campaign 999",) and answers["c"].campaign is None
    assert answers["k"].missing == ("keyword 5001~7999",) and answers["k"].keyword is None


def test_a_portfolio_strategy_is_not_guessed(connector: GoogleAdsConnector, fake: FakeGoogleAds) -> None:
    fake.account(CUSTOMER).campaigns[333].bidding_strategy = f"customers/{CUSTOMER}/biddingStrategies/77"

    snapshot = connector.snapshot(CUSTOMER, [request("a", frozenset({P.CAMPAIGN}), campaign_id="333")], NOW)["a"]

    assert snapshot.campaign is None
    assert snapshot.missing == ("campaign 333: bidding not supported by the Operator (portfolio bidding strategy)",)


@pytest.mark.parametrize("req", [
    request("other-org", org="org-other", campaign_id="111"),
    request("other-customer", account=OTHER_CUSTOMER, campaign_id="555"),
], ids=["org-without-this-customer", "customer-not-on-the-allowlist"])
def test_allowlist_is_enforced_before_any_call(connector: GoogleAdsConnector, fake: FakeGoogleAds,
                                               req: SnapshotRequest) -> None:
    with pytest.raises(NotConnectedError):
        connector.snapshot(req.account_id, [req], NOW)

    assert fake.calls == []


def test_check_connection_is_one_cheap_authenticated_read(connector: GoogleAdsConnector, fake: FakeGoogleAds) -> None:
    connector.check_connection(CUSTOMER)

    [call] = fake.calls
    assert call.query == "SELECT customer.id FROM customer LIMIT 1"
    assert call.metadata["developer-token"] == "FAKE-DEV-TOKEN"
    assert call.metadata["login-customer-id"] == "1112223333"
    assert call.metadata["authorization"].startswith("Bearer ")
