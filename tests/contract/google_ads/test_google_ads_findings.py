"""Issue 15's Google Ads findings, each against the stricter fake (docs/google-ads.md names the sources):
standard Target CPA/ROAS on Search, Enhanced CPC, clearing a target, verifying a new negative without an
echo of its immutable fields, custom-period and shared budgets, and the quota codes."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import grpc
import pytest
from gads_fake import FakeGoogleAds, Fault
from gads_flow import _action, batch, read
from gads_seed import CUSTOMER, NOW

from connectors.base import AuthError, QuotaExhaustedError, RateLimitedError
from connectors.google_ads import GoogleAdsConnector
from guardrails.rules.safety import irreversible
from rollback.registry import spec_for
from schemas.actions import BiddingScheme, NegativeKeyword
from schemas.operations import AddNegativeKeywordsOp, ApplyOutcome, SetBiddingScheme, SetBudgetAmount
from schemas.records import Reversibility


def _scheme(campaign_id: str, **scheme: Any) -> SetBiddingScheme:
    return SetBiddingScheme(customer_id=CUSTOMER, campaign_id=campaign_id, scheme=BiddingScheme(**scheme))


# ----------------------------------------------------------------------------- standard Target CPA / ROAS


def test_a_standard_target_cpa_on_search_is_refused_before_planning(connector: GoogleAdsConnector) -> None:
    action = _action("change_bid_strategy", {"campaign_id": "111"}, {"strategy": "target_cpa", "target_cpa": "25"})

    reason = spec_for(action).validate_against(action, read(connector, action), NOW)

    assert reason is not None and "maximize_conversions with a target_cpa" in reason


@pytest.mark.parametrize("scheme", [{"strategy": "target_cpa", "target_cpa": Decimal(25)},
                                    {"strategy": "target_roas", "target_roas": Decimal(4)}])
def test_the_platform_refuses_standard_targets_on_search(connector: GoogleAdsConnector, fake: FakeGoogleAds,
                                                         scheme: dict[str, Any]) -> None:
    [result] = connector.apply(CUSTOMER, [batch("std", (_scheme("111", **scheme),))], validate_only=True)

    assert result.outcome == ApplyOutcome.FAILED and result.error is not None
    assert result.error.code == "bidding_error.INVALID_ANONYMOUS_BIDDING_STRATEGY_TYPE"


def test_search_targets_go_through_maximize_conversions(connector: GoogleAdsConnector, fake: FakeGoogleAds) -> None:
    [result] = connector.apply(CUSTOMER, [batch("max", (
        _scheme("111", strategy="maximize_conversion_value", target_roas=Decimal("4.5")),))])

    assert result.outcome == ApplyOutcome.APPLIED
    assert fake.account(CUSTOMER).scheme(111) == ("maximize_conversion_value", {"target_roas": 4.5})


# ----------------------------------------------------------------------------- Enhanced CPC


def test_enhanced_cpc_is_never_switched_on(connector: GoogleAdsConnector, fake: FakeGoogleAds) -> None:
    action = _action("change_bid_strategy", {"campaign_id": "222"},
                     {"strategy": "manual_cpc", "enhanced_cpc_enabled": True})

    reason = spec_for(action).validate_against(action, read(connector, action), NOW)
    [result] = connector.apply(CUSTOMER, [batch("ecpc", (_scheme("222", strategy="manual_cpc",
                                                                  enhanced_cpc_enabled=True),))])

    assert reason is not None and "Enhanced CPC" in reason
    assert result.outcome == ApplyOutcome.FAILED and result.error is not None
    assert result.error.code == "enhanced_cpc_unavailable"
    assert fake.calls_to("MutateCampaigns") == []  # refused before anything was sent


@pytest.mark.parametrize(("campaign", "seed"), [("111", "ecpc"), ("444", "standard target_roas")])
def test_a_rollback_that_cannot_restore_the_old_strategy_says_so_up_front(
        connector: GoogleAdsConnector, fake: FakeGoogleAds, campaign: str, seed: str) -> None:
    if seed == "ecpc":
        fake.account(CUSTOMER).campaigns[111].manual_cpc.enhanced_cpc_enabled = True
    action = _action("change_bid_strategy", {"campaign_id": campaign},
                     {"strategy": "maximize_conversions", "target_cpa": "30"})
    spec = spec_for(action)
    snapshot = read(connector, action)

    plan = spec.rollback_plan(action, snapshot, "act-1")
    facts = spec.facts(action, snapshot)

    assert spec.validate_against(action, snapshot, NOW) is None  # the change itself is fine
    assert plan.reversibility == Reversibility.NONE and plan.inverse_ops == ()
    assert "cannot be restored" in plan.note
    assert facts.reversibility == Reversibility.NONE
    verdict = irreversible(_context(action, facts))
    assert verdict.outcome.value == "needs_approval"


def _context(action: Any, facts: Any) -> Any:
    from guardrails.context import GuardrailContext
    from guardrails.limits import Limits
    from schemas.common import Platform
    from schemas.policy import OrgPolicy

    return GuardrailContext(action=action, platform=Platform.GOOGLE_ADS, facts=facts, snapshot=None,
                            policy=OrgPolicy(organization_id="org-acme"), limits=Limits(), now=NOW, confidence=0.9)


# ----------------------------------------------------------------------------- clearing a target


def test_clearing_a_target_masks_the_sub_field_not_the_parent(connector: GoogleAdsConnector,
                                                              fake: FakeGoogleAds) -> None:
    [result] = connector.apply(CUSTOMER, [batch("clear", (_scheme("333", strategy="maximize_conversions"),))])

    assert result.outcome == ApplyOutcome.APPLIED, result.error
    [call] = fake.calls_to("MutateCampaigns")
    [operation] = call.request.operations
    assert list(operation.update_mask.paths) == ["maximize_conversions.target_cpa_micros"]
    assert fake.account(CUSTOMER).scheme(333) == ("maximize_conversions", {})


def test_switching_to_manual_cpc_masks_its_sub_field(connector: GoogleAdsConnector, fake: FakeGoogleAds) -> None:
    [result] = connector.apply(CUSTOMER, [batch("manual", (_scheme("222", strategy="manual_cpc"),))])

    assert result.outcome == ApplyOutcome.APPLIED, result.error
    [call] = fake.calls_to("MutateCampaigns")
    assert list(call.request.operations[0].update_mask.paths) == ["manual_cpc.enhanced_cpc_enabled"]
    assert fake.account(CUSTOMER).scheme(222) == ("manual_cpc", {})


# ----------------------------------------------------------------------------- a new negative, verified


def test_a_new_negative_is_verified_by_its_resource_name_not_by_an_echo(connector: GoogleAdsConnector,
                                                                       fake: FakeGoogleAds) -> None:
    op = AddNegativeKeywordsOp(customer_id=CUSTOMER, campaign_id="111",
                               keywords=(NegativeKeyword(text="gratis", match_type="EXACT"),))

    [result] = connector.apply(CUSTOMER, [batch("neg", (op,))])

    assert result.outcome == ApplyOutcome.APPLIED, result.error
    [entry] = result.details["operations"][0]["results"]
    assert entry["verified"] is True and "text" not in entry  # the answer carried no keyword text
    assert entry["resource_name"].startswith(f"customers/{CUSTOMER}/campaignCriteria/111~")
    assert ("gratis", "EXACT") in fake.account(CUSTOMER).negative_texts(111)


# ----------------------------------------------------------------------------- budgets


def _custom_budget(fake: FakeGoogleAds) -> None:
    account = fake.account(CUSTOMER)
    account.add_budget(1004, "0", total="500.00")
    account.add_campaign(666, "Launch week", budget=1004)


def test_a_custom_period_budget_is_recognised_and_budget_changes_on_it_are_refused(
        connector: GoogleAdsConnector, fake: FakeGoogleAds) -> None:
    _custom_budget(fake)
    action = _action("adjust_campaign_budget", {"campaign_id": "666"}, {"new_daily_budget": "60.00"})
    spec = spec_for(action)

    snapshot = read(connector, action)
    reason = spec.validate_against(action, snapshot, NOW)
    [sent] = connector.apply(CUSTOMER, [batch("b", (SetBudgetAmount(customer_id=CUSTOMER, budget_id="1004",
                                                                    amount=Decimal(60)),))], validate_only=True)

    assert snapshot.budget is not None and snapshot.budget.amount is None  # never read as 0.00 a day
    assert (snapshot.budget.period, snapshot.budget.total_amount) == ("CUSTOM_PERIOD", Decimal("500.00"))
    assert reason is not None and "custom period" in reason and "500.00" in reason
    assert snapshot.account is not None and snapshot.account.total_daily_budget == Decimal("130.00")  # 50 + 80 (shared once)
    assert sent.error is not None
    assert sent.error.code == "campaign_budget_error.BUDGET_AMOUNT_MUST_BE_UNSET_FOR_CUSTOM_BUDGET_PERIOD"


def test_a_shared_budget_is_recognised_as_shared(connector: GoogleAdsConnector) -> None:
    action = _action("adjust_campaign_budget", {"campaign_id": "333"}, {"new_daily_budget": "90.00"})

    budget = read(connector, action).budget

    assert budget is not None and budget.shared and budget.reference_count == 2


# ----------------------------------------------------------------------------- quota codes


@pytest.mark.parametrize(("code", "kind", "calls"), [
    ("ACCESS_PROHIBITED", AuthError, 1),
    ("EXCESSIVE_LONG_TERM_QUERY_RESOURCE_CONSUMPTION", QuotaExhaustedError, 1),
    ("PAYMENTS_PROFILE_ACTIVATION_RATE_LIMIT_EXCEEDED", QuotaExhaustedError, 1),
    ("EXCESSIVE_SHORT_TERM_QUERY_RESOURCE_CONSUMPTION", None, 2),  # a short limit: waited out, then fine
])
def test_quota_codes_are_classified_as_the_protos_describe(connector: GoogleAdsConnector, fake: FakeGoogleAds,
                                                           code: str, kind: type[Exception] | None,
                                                           calls: int) -> None:
    fake.inject(Fault("SearchStream", "ads", status=grpc.StatusCode.RESOURCE_EXHAUSTED, error=("quota_error", code),
                      message="quota", times=1, retry_delay_s=0))

    if kind is None:
        connector.check_connection(CUSTOMER)
    else:
        with pytest.raises(kind) as raised:
            connector.check_connection(CUSTOMER)
        assert not isinstance(raised.value, RateLimitedError)

    assert len(fake.calls) == calls
