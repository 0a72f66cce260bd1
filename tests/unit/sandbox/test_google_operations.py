"""Every Google-Ads-like operation applied and undone, and refused the way the real API refuses."""

from __future__ import annotations

from decimal import Decimal

import pytest

from schemas.actions import BiddingScheme, NegativeKeyword
from schemas.operations import (
    AddNegativeKeywordsOp,
    ApplyOutcome,
    ErrorKind,
    RemoveNegativeKeywordsOp,
    SetBiddingScheme,
    SetBudgetAmount,
    SetCampaignStatus,
    SetKeywordBid,
    StoreArtifact,
)
from tests.unit.sandbox.helpers import ACME_ADS, gads_batch, read_gads

D = Decimal


def _apply(ads, *ops):
    [result] = ads.apply(ACME_ADS, [gads_batch(*ops)])
    return result


def _applied(ads, *ops):
    result = _apply(ads, *ops)
    assert result.outcome == ApplyOutcome.APPLIED, result.error
    return result


def _failed(ads, *ops, kind: ErrorKind, code: str | None = None):
    result = _apply(ads, *ops)
    assert result.outcome == ApplyOutcome.FAILED
    assert result.error.kind == kind
    if code is not None:
        assert result.error.code == code
    return result


def test_pause_and_resume_a_campaign(ads):
    result = _applied(ads, SetCampaignStatus(customer_id=ACME_ADS, campaign_id="111", status="PAUSED"))
    assert result.details["resource_names"] == [f"customers/{ACME_ADS}/campaigns/111"]
    assert result.request_ids and result.key == "act-1"
    assert read_gads(ads, campaign_id="111").campaign.status == "PAUSED"
    assert read_gads(ads, campaign_id="111").account.total_daily_budget == D("2620.00")
    _applied(ads, SetCampaignStatus(customer_id=ACME_ADS, campaign_id="111", status="ENABLED"))
    assert read_gads(ads, campaign_id="111").campaign.status == "ENABLED"


def test_unknown_or_removed_campaigns_are_refused(ads, world):
    _failed(ads, SetCampaignStatus(customer_id=ACME_ADS, campaign_id="999", status="PAUSED"),
            kind=ErrorKind.NOT_FOUND, code="RESOURCE_NOT_FOUND")
    world.set_campaign_status(ACME_ADS, "121", "REMOVED")
    _failed(ads, SetCampaignStatus(customer_id=ACME_ADS, campaign_id="121", status="ENABLED"),
            kind=ErrorKind.PERMANENT, code="OPERATION_NOT_PERMITTED_FOR_REMOVED_RESOURCE")
    _failed(ads, SetCampaignStatus(customer_id="9876543210", campaign_id="211", status="PAUSED"),
            kind=ErrorKind.PERMANENT, code="INVALID_CUSTOMER_ID")


def test_change_a_budget_and_set_it_back(ads):
    _applied(ads, SetBudgetAmount(customer_id=ACME_ADS, budget_id="506", amount=D("287.50")))
    assert read_gads(ads, campaign_id="117").budget.amount == D("287.50")
    _applied(ads, SetBudgetAmount(customer_id=ACME_ADS, budget_id="506", amount=D("250.00")))
    assert read_gads(ads, campaign_id="117").budget.amount == D("250.00")


@pytest.mark.parametrize(("amount", "code"), [
    (D("0.50"), "BUDGET_AMOUNT_TOO_SMALL"),
    (D("10.005"), "NON_MULTIPLE_OF_MINIMUM_CURRENCY_UNIT"),
    (D("2000000"), "MONEY_AMOUNT_TOO_LARGE"),
])
def test_budgets_the_platform_would_refuse(ads, amount, code):
    _failed(ads, SetBudgetAmount(customer_id=ACME_ADS, budget_id="506", amount=amount), kind=ErrorKind.PERMANENT,
            code=code)
    assert read_gads(ads, campaign_id="117").budget.amount == D("250.00")


def test_unknown_budget_is_not_found(ads):
    _failed(ads, SetBudgetAmount(customer_id=ACME_ADS, budget_id="999", amount=D("10")), kind=ErrorKind.NOT_FOUND)


def test_add_negatives_then_remove_them_by_resource_name(ads):
    keywords = (NegativeKeyword(text="free", match_type="PHRASE"), NegativeKeyword(text="repair manual"))
    result = _applied(ads, AddNegativeKeywordsOp(customer_id=ACME_ADS, campaign_id="118", keywords=keywords))
    created = result.details["negative_resource_names"]
    assert len(created) == 2 and all(n.startswith(f"customers/{ACME_ADS}/campaignCriteria/118~") for n in created)
    negatives = read_gads(ads, campaign_id="118").negatives
    assert {(n.text, n.match_type) for n in negatives} == {("jobs", "BROAD"), ("free", "PHRASE"),
                                                           ("repair manual", "EXACT")}
    assert set(created) <= {n.resource_name for n in negatives}
    removed = _applied(ads, RemoveNegativeKeywordsOp(customer_id=ACME_ADS, campaign_id="118", keywords=keywords,
                                                     resource_names=tuple(created)))
    assert removed.details["removed_resource_names"] == created
    assert [(n.text, n.match_type) for n in read_gads(ads, campaign_id="118").negatives] == [("jobs", "BROAD")]


def test_remove_negatives_by_text_when_the_resource_names_were_lost(ads):
    keywords = (NegativeKeyword(text="Free", match_type="PHRASE"),)
    _applied(ads, AddNegativeKeywordsOp(customer_id=ACME_ADS, campaign_id="118", keywords=keywords))
    _applied(ads, RemoveNegativeKeywordsOp(customer_id=ACME_ADS, campaign_id="118",
                                           keywords=(NegativeKeyword(text="free", match_type="PHRASE"),)))
    assert [n.text for n in read_gads(ads, campaign_id="118").negatives] == ["jobs"]
    _failed(ads, RemoveNegativeKeywordsOp(customer_id=ACME_ADS, campaign_id="118", keywords=keywords),
            kind=ErrorKind.NOT_FOUND)
    _failed(ads, RemoveNegativeKeywordsOp(customer_id=ACME_ADS, campaign_id="118", keywords=keywords,
                                          resource_names=(f"customers/{ACME_ADS}/campaignCriteria/118~1",)),
            kind=ErrorKind.NOT_FOUND)


def test_a_duplicate_negative_is_refused(ads):
    _failed(ads, AddNegativeKeywordsOp(customer_id=ACME_ADS, campaign_id="118",
                                       keywords=(NegativeKeyword(text="JOBS", match_type="BROAD"),)),
            kind=ErrorKind.PERMANENT, code="DUPLICATE_CAMPAIGN_CRITERION")


def test_set_a_keyword_bid_and_clear_it_back_to_the_ad_group_default(ads):
    _applied(ads, SetKeywordBid(customer_id=ACME_ADS, ad_group_id="2001", criterion_id="3002", cpc_bid=D("1.40")))
    keyword = read_gads(ads, ad_group_id="2001", criterion_id="3002").keyword
    assert (keyword.cpc_bid, keyword.effective_cpc_bid, keyword.bid_source) == (D("1.40"), D("1.40"), "CRITERION")
    _applied(ads, SetKeywordBid(customer_id=ACME_ADS, ad_group_id="2001", criterion_id="3002", cpc_bid=None))
    keyword = read_gads(ads, ad_group_id="2001", criterion_id="3002").keyword
    assert (keyword.cpc_bid, keyword.effective_cpc_bid, keyword.bid_source) == (None, D("1.00"), "AD_GROUP")


def test_bids_the_platform_would_refuse(ads):
    _failed(ads, SetKeywordBid(customer_id=ACME_ADS, ad_group_id="2001", criterion_id="3001", cpc_bid=D("0")),
            kind=ErrorKind.PERMANENT, code="BID_TOO_SMALL")
    _failed(ads, SetKeywordBid(customer_id=ACME_ADS, ad_group_id="2001", criterion_id="9", cpc_bid=D("1")),
            kind=ErrorKind.NOT_FOUND)


def test_change_the_bidding_scheme_and_restore_it(ads):
    target_cpa = BiddingScheme(strategy="target_cpa", target_cpa=D("25.00"))
    _applied(ads, SetBiddingScheme(customer_id=ACME_ADS, campaign_id="119", scheme=target_cpa))
    assert read_gads(ads, campaign_id="119").campaign.bidding == target_cpa
    keyword = read_gads(ads, ad_group_id="2001", criterion_id="3001").keyword
    assert (keyword.bid_source, keyword.campaign_bidding_strategy) == ("CAMPAIGN_BIDDING_STRATEGY", "target_cpa")
    manual = BiddingScheme(strategy="manual_cpc", enhanced_cpc_enabled=False)
    _applied(ads, SetBiddingScheme(customer_id=ACME_ADS, campaign_id="119", scheme=manual))
    assert read_gads(ads, campaign_id="119").campaign.bidding == manual


def test_operations_of_another_platform_are_unsupported(ads):
    store = StoreArtifact(artifact_id="art-1", kind="content_brief", key="widgets", title="t", body="b")
    _failed(ads, store, kind=ErrorKind.PERMANENT, code="UNSUPPORTED_OPERATION")
