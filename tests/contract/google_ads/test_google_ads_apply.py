"""How the connector mutates: explicit masks, all-or-nothing requests per service per customer, the
10,000-operation limit, and a rejected action failing alone while the others land."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from decimal import Decimal

from gads_fake import FakeGoogleAds
from gads_flow import batch
from gads_seed import CUSTOMER, KEYWORD_OWN_BID
from gads_support import FAST

from connectors.google_ads import GoogleAdsConnector
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
)

MUTABLE_RESOURCE = 2


def negatives(campaign_id: str, *texts: str) -> AddNegativeKeywordsOp:
    return AddNegativeKeywordsOp(customer_id=CUSTOMER, campaign_id=campaign_id,
                                 keywords=tuple(NegativeKeyword(text=t, match_type="EXACT") for t in texts))


def budget(budget_id: str, amount: str) -> SetBudgetAmount:
    return SetBudgetAmount(customer_id=CUSTOMER, budget_id=budget_id, amount=Decimal(amount))


def test_masks_are_explicit_and_requests_atomic_with_timeouts(connector: GoogleAdsConnector,
                                                              fake: FakeGoogleAds) -> None:
    results = connector.apply(CUSTOMER, [
        batch("pause", (SetCampaignStatus(customer_id=CUSTOMER, campaign_id="111", status="PAUSED"),)),
        batch("scheme", (SetBiddingScheme(customer_id=CUSTOMER, campaign_id="222",
                                          scheme=BiddingScheme(strategy="manual_cpc")),)),
        batch("target", (SetBiddingScheme(customer_id=CUSTOMER, campaign_id="333",
                                          scheme=BiddingScheme(strategy="maximize_conversions",
                                                               target_cpa=Decimal("25"))),)),
        batch("clear", (SetKeywordBid(customer_id=CUSTOMER, ad_group_id="5001", criterion_id="7001", cpc_bid=None),)),
    ])

    assert [r.outcome for r in results] == [ApplyOutcome.APPLIED] * 4
    [campaigns] = fake.calls_to("MutateCampaigns")  # one request for the three campaign actions
    [keywords] = fake.calls_to("MutateAdGroupCriteria")
    for call in (campaigns, keywords):
        assert call.request.partial_failure is False
        assert call.request.validate_only is False
        assert call.request.response_content_type == MUTABLE_RESOURCE
        assert call.deadline_s is not None and 0 < call.deadline_s <= FAST.mutate_timeout_s
    assert [list(op.update_mask.paths) for op in campaigns.request.operations] == [
        ["status"], ["manual_cpc.enhanced_cpc_enabled"],  # sub-field paths, never a parent with sub-fields
        ["maximize_conversions.target_cpa_micros"]]
    [clear] = keywords.request.operations
    assert list(clear.update_mask.paths) == ["cpc_bid_micros"] and not clear.update.HasField("cpc_bid_micros")
    account = fake.account(CUSTOMER)
    assert account.scheme(222) == ("manual_cpc", {})
    assert account.scheme(333) == ("maximize_conversions", {"target_cpa_micros": 25_000_000})
    assert account.keyword_bid(KEYWORD_OWN_BID) is None


def test_reads_carry_a_deadline_too(connector: GoogleAdsConnector, fake: FakeGoogleAds) -> None:
    connector.check_connection(CUSTOMER)

    [call] = fake.calls
    assert call.deadline_s is not None and 0 < call.deadline_s <= FAST.read_timeout_s


def test_operation_limit_never_splits_an_action(make_connector: Callable[..., GoogleAdsConnector],
                                                fake: FakeGoogleAds) -> None:
    connector = make_connector(settings=replace(FAST, max_ops_per_request=3))

    results = connector.apply(CUSTOMER, [
        batch("a", (negatives("111", "a1", "a2"),)),
        batch("b", (negatives("222", "b1", "b2"),)),
        batch("c", (negatives("333", "c1"),)),
        batch("too-big", (negatives("444", "d1", "d2", "d3", "d4"),)),
    ])

    assert [r.outcome for r in results] == [ApplyOutcome.APPLIED] * 3 + [ApplyOutcome.FAILED]
    assert results[3].error is not None and results[3].error.code == "too_many_operations"
    sizes = [len(c.request.operations) for c in fake.calls_to("MutateCampaignCriteria")]
    assert sizes == [2, 3]  # a alone (b would overflow), then b and c together; the 4-op action is never sent
    assert fake.account(CUSTOMER).negative_texts(444) == []
    assert len(results[0].details["resource_names"]) == 2


def test_a_rejected_action_fails_alone_and_the_others_land(connector: GoogleAdsConnector,
                                                           fake: FakeGoogleAds) -> None:
    results = connector.apply(CUSTOMER, [batch("bad", (budget("1001", "12.345"),)),
                                         batch("good", (budget("1003", "25.00"),))])

    bad, good = results
    assert bad.outcome == ApplyOutcome.FAILED and bad.error is not None
    assert (bad.error.kind, bad.error.code) == (ErrorKind.PERMANENT,
                                                "campaign_budget_error.NON_MULTIPLE_OF_MINIMUM_CURRENCY_UNIT")
    assert bad.details["operation_errors"][0]["op_index"] == 0
    assert bad.request_ids and bad.error.request_id == bad.request_ids[0]
    assert good.outcome == ApplyOutcome.APPLIED
    assert [len(c.request.operations) for c in fake.calls_to("MutateCampaignBudgets")] == [2, 1]  # resent without it
    account = fake.account(CUSTOMER)
    assert (account.budget_amount(1001), account.budget_amount(1003)) == (Decimal(50), Decimal(25))


def test_an_action_lands_whole_or_not_at_all(connector: GoogleAdsConnector, fake: FakeGoogleAds) -> None:
    account = fake.account(CUSTOMER)
    [free] = [name for name, c in account.negatives.items() if c.keyword.text == "free"]

    results = connector.apply(CUSTOMER, [
        batch("two", (negatives("111", "cheap", "cheapest"),)),
        batch("missing-campaign", (negatives("999", "anything"),)),
        batch("half-valid-removal", (RemoveNegativeKeywordsOp(
            customer_id=CUSTOMER, campaign_id="111", keywords=(), resource_names=(free, f"{free[:-6]}424242")),)),
    ])

    two, missing, removal = results
    assert two.outcome == ApplyOutcome.APPLIED and len(two.details["resource_names"]) == 2
    assert missing.outcome == ApplyOutcome.FAILED and missing.error is not None
    assert missing.error.kind == ErrorKind.NOT_FOUND
    assert removal.outcome == ApplyOutcome.FAILED  # one of its two removals is invalid: neither happens
    assert account.negative_texts(111) == [("cheap", "EXACT"), ("cheapest", "EXACT"), ("free", "PHRASE")]


def test_removal_by_text_resolves_names_and_tolerates_absent_ones(connector: GoogleAdsConnector,
                                                                  fake: FakeGoogleAds) -> None:
    op = RemoveNegativeKeywordsOp(customer_id=CUSTOMER, campaign_id="111",
                                  keywords=(NegativeKeyword(text="FREE", match_type="PHRASE"),
                                            NegativeKeyword(text="never added", match_type="EXACT")))

    [result] = connector.apply(CUSTOMER, [batch("rm", (op,))])

    assert result.outcome == ApplyOutcome.APPLIED
    assert result.details["operations"][0]["already_absent"] == ["EXACT:never added"]
    assert result.details["removed_resource_names"] == [f"customers/{CUSTOMER}/campaignCriteria/111~900001"]
    assert fake.account(CUSTOMER).negative_texts(111) == []


def test_a_later_service_failing_after_an_earlier_one_landed_is_uncertain(connector: GoogleAdsConnector,
                                                                          fake: FakeGoogleAds) -> None:
    [result] = connector.apply(CUSTOMER, [batch("mixed", (
        budget("1001", "60.00"), SetCampaignStatus(customer_id=CUSTOMER, campaign_id="999", status="PAUSED")))])

    assert result.outcome == ApplyOutcome.UNCERTAIN and result.error is not None
    assert "partially applied" in result.error.message
    assert fake.account(CUSTOMER).budget_amount(1001) == Decimal(60)


def test_why_partial_failure_stays_off(connector: GoogleAdsConnector, fake: FakeGoogleAds) -> None:
    """With `partial_failure=True` Google applies the valid operations of a request and reports the rest by
    index: one action's negatives could land half. The connector therefore never sets it (see apply.py)."""
    client = connector.client_for(CUSTOMER)
    operations = []
    for campaign_id in ("111", "999"):
        op = client.get_type("CampaignCriterionOperation")
        op.create.campaign, op.create.negative = f"customers/{CUSTOMER}/campaigns/{campaign_id}", True
        op.create.keyword.text = "half"
        op.create.keyword.match_type = client.enums.KeywordMatchTypeEnum.EXACT
        operations.append(op)
    request = client.get_type("MutateCampaignCriteriaRequest")
    request.customer_id, request.partial_failure = CUSTOMER, True
    request.operations.extend(operations)

    response = connector.service(CUSTOMER, "CampaignCriterionService").mutate_campaign_criteria(request=request, timeout=5)

    assert response.partial_failure_error.code == 3
    assert [bool(r.resource_name) for r in response.results] == [True, False]  # the failed slot is empty
    failure = type(client.get_type("GoogleAdsFailure")).deserialize(response.partial_failure_error.details[0].value)
    assert [e.location.field_path_elements[0].index for e in failure.errors] == [1]
    assert ("half", "EXACT") in fake.account(CUSTOMER).negative_texts(111)  # half of the "action" landed
