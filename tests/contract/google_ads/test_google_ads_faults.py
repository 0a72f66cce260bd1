"""Failures from both exception families mapped into the taxonomy: what is retried (reads, validate-only),
what never is (quota, real mutates), and ambiguous mutates left UNCERTAIN and settled by a re-read."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import replace
from decimal import Decimal

import grpc
import pytest
from gads_fake import FakeGoogleAds, Fault
from gads_flow import SCENARIOS, Scenario, batch, observe, plan_and_apply
from gads_seed import CUSTOMER, NOW, ORG, OTHER_CUSTOMER
from gads_support import FAST

from connectors.base import AuthError, NotConnectedError, QuotaExhaustedError, RateLimitedError, RetryableError
from connectors.google_ads import GoogleAdsConnector
from schemas.common import Platform
from schemas.operations import ApplyOutcome, ErrorKind, SetBudgetAmount, SetCampaignStatus
from schemas.snapshots import SnapshotPart, SnapshotRequest

EXHAUSTED = grpc.StatusCode.RESOURCE_EXHAUSTED
PAUSE = SCENARIOS[0]
NEGATIVES = SCENARIOS[2]


def pause(campaign_id: str = "111", customer: str = CUSTOMER) -> SetCampaignStatus:
    return SetCampaignStatus(customer_id=customer, campaign_id=campaign_id, status="PAUSED")


def quota(method: str, name: str = "RESOURCE_EXHAUSTED", *, times: int = 1, retry_delay_s: int | None = None) -> Fault:
    return Fault(method, "ads", status=EXHAUSTED, error=("quota_error", name), message="quota", times=times,
                 retry_delay_s=retry_delay_s)


# ------------------------------------------------------------------------------------------ quota and rates


def test_quota_exhaustion_on_a_mutate_is_not_retried_and_stops_further_sends(connector: GoogleAdsConnector,
                                                                              fake: FakeGoogleAds) -> None:
    fake.inject(quota("MutateCampaignBudgets"))
    untouched = fake.account(CUSTOMER).fingerprint()

    results = connector.apply(CUSTOMER, [
        batch("budget", (SetBudgetAmount(customer_id=CUSTOMER, budget_id="1001", amount=Decimal("60")),)),
        batch("pause", (pause(),)),
    ])

    for result in results:
        assert result.outcome == ApplyOutcome.FAILED and result.error is not None
        assert result.error.kind == ErrorKind.QUOTA
    assert results[0].error is not None and results[0].error.code == "quota_error.RESOURCE_EXHAUSTED"
    assert results[0].request_ids  # read from the trailing metadata of a google.api_core ResourceExhausted
    assert len(fake.calls_to("MutateCampaignBudgets")) == 1
    assert fake.calls_to("MutateCampaigns") == []  # not sent once the daily quota is known to be gone
    assert fake.account(CUSTOMER).fingerprint() == untouched


def test_quota_exhaustion_on_a_read_is_not_retried(connector: GoogleAdsConnector, fake: FakeGoogleAds) -> None:
    fake.inject(quota("SearchStream", times=5))

    with pytest.raises(QuotaExhaustedError):
        connector.check_connection(CUSTOMER)

    assert len(fake.calls) == 1


def test_a_short_rate_limit_on_a_read_is_waited_out(connector: GoogleAdsConnector, fake: FakeGoogleAds) -> None:
    fake.inject(quota("SearchStream", "RESOURCE_TEMPORARILY_EXHAUSTED", retry_delay_s=0))

    connector.check_connection(CUSTOMER)

    assert len(fake.calls) == 2


def test_a_long_rate_limit_is_reported_with_its_delay(connector: GoogleAdsConnector, fake: FakeGoogleAds) -> None:
    fake.inject(quota("SearchStream", "RESOURCE_TEMPORARILY_EXHAUSTED", retry_delay_s=60))

    with pytest.raises(RateLimitedError) as raised:
        connector.check_connection(CUSTOMER)

    assert raised.value.retry_after_s == 60
    assert len(fake.calls) == 1


# ------------------------------------------------------------------------------------------ transient errors


@pytest.mark.parametrize(("failures", "succeeds"), [(2, True), (3, False)])
def test_transient_read_errors_are_retried(connector: GoogleAdsConnector, fake: FakeGoogleAds, failures: int,
                                           succeeds: bool) -> None:
    fake.inject(Fault("SearchStream", "ads", times=failures))  # INTERNAL + InternalError.TRANSIENT_ERROR

    if succeeds:
        connector.check_connection(CUSTOMER)
    else:
        with pytest.raises(RetryableError):
            connector.check_connection(CUSTOMER)

    assert len(fake.calls) == min(failures + 1, FAST.attempts)


def test_a_transient_error_on_a_real_mutate_is_not_retried(connector: GoogleAdsConnector, fake: FakeGoogleAds) -> None:
    fake.inject(Fault("MutateCampaigns", "ads"))

    [result] = connector.apply(CUSTOMER, [batch("pause", (pause(),))])

    assert result.outcome == ApplyOutcome.FAILED and result.error is not None
    assert (result.error.kind, result.error.code) == (ErrorKind.RETRYABLE, "internal_error.TRANSIENT_ERROR")
    assert len(fake.calls_to("MutateCampaigns")) == 1
    assert fake.account(CUSTOMER).status(111) == "ENABLED"


def test_unavailable_with_a_google_ads_failure_means_nothing_landed(connector: GoogleAdsConnector,
                                                                    fake: FakeGoogleAds) -> None:
    fake.inject(Fault("MutateCampaigns", "ads", status=grpc.StatusCode.UNAVAILABLE,
                      error=("internal_error", "INTERNAL_ERROR")))  # surfaces as GoogleAdsException

    [result] = connector.apply(CUSTOMER, [batch("pause", (pause(),))])

    assert result.outcome == ApplyOutcome.FAILED and result.error is not None
    assert result.error.kind == ErrorKind.RETRYABLE


def test_validate_only_calls_are_retried(connector: GoogleAdsConnector, fake: FakeGoogleAds) -> None:
    fake.inject(Fault("MutateCampaigns", "ads"))

    [result] = connector.apply(CUSTOMER, [batch("pause", (pause(),))], validate_only=True)

    assert result.outcome == ApplyOutcome.VALIDATED
    assert len(fake.calls_to("MutateCampaigns")) == 2
    assert fake.account(CUSTOMER).status(111) == "ENABLED"


def test_validate_only_reports_google_s_own_validation(connector: GoogleAdsConnector, fake: FakeGoogleAds) -> None:
    op = SetBudgetAmount(customer_id=CUSTOMER, budget_id="1001", amount=Decimal("12.345"))

    [result] = connector.apply(CUSTOMER, [batch("budget", (op,))], validate_only=True)

    assert result.outcome == ApplyOutcome.FAILED and result.error is not None
    assert result.error.code == "campaign_budget_error.NON_MULTIPLE_OF_MINIMUM_CURRENCY_UNIT"
    assert fake.account(CUSTOMER).budget_amount(1001) == Decimal(50)


# ------------------------------------------------------------------------------------------ uncertain outcomes


@pytest.mark.parametrize("scenario", [PAUSE, NEGATIVES], ids=[PAUSE.id, NEGATIVES.id])
@pytest.mark.parametrize(("fault", "landed"), [
    (Fault("", "drop"), True),  # applied, then the connection dropped
    (Fault("", "slow", delay_s=1.0), True),  # applied, answered after the client's deadline
    (Fault("", "status", status=grpc.StatusCode.UNAVAILABLE, message="socket closed"), False),  # never arrived
], ids=["dropped-after-apply", "deadline-exceeded", "unavailable-before-apply"])
def test_an_ambiguous_mutate_is_uncertain_never_resent_and_settled_by_reading(
        make_connector: Callable[..., GoogleAdsConnector], fake: FakeGoogleAds, scenario: Scenario, fault: Fault,
        landed: bool) -> None:
    connector = make_connector(settings=replace(FAST, mutate_timeout_s=0.4))
    method = "MutateCampaigns" if scenario is PAUSE else "MutateCampaignCriteria"
    fake.inject(replace(fault, method=method))

    executed = plan_and_apply(connector, scenario.action)

    assert executed.result.outcome == ApplyOutcome.UNCERTAIN and executed.result.error is not None
    assert executed.result.error.kind == ErrorKind.UNCERTAIN
    assert len(fake.calls_to(method)) == 1  # never re-sent: a second create would duplicate the negative
    settled = observe(connector, scenario.action)
    assert settled == (executed.plan.expected_state if landed else executed.plan.before_state)
    (scenario.after if landed else scenario.before)(fake.account(CUSTOMER))


def test_a_response_that_contradicts_the_request_is_uncertain(connector: GoogleAdsConnector,
                                                              fake: FakeGoogleAds) -> None:
    fake.inject(Fault("MutateCampaigns", "noop"))  # Google says OK, but the resource it returns did not change

    executed = plan_and_apply(connector, PAUSE.action)

    assert executed.result.outcome == ApplyOutcome.UNCERTAIN and executed.result.error is not None
    assert executed.result.error.code == "verification_mismatch"
    assert executed.result.details["operations"][0]["results"] == [{"status": "ENABLED", "verified": False}]
    assert observe(connector, PAUSE.action) == executed.plan.before_state  # the read settles it: FAILED


# ------------------------------------------------------------------------------------------ access


def test_a_wrong_developer_token_is_an_auth_error(make_connector: Callable[..., GoogleAdsConnector],
                                                  fake: FakeGoogleAds) -> None:
    connector = make_connector(developer_token="WRONG")

    with pytest.raises(AuthError) as raised:
        connector.check_connection(CUSTOMER)

    assert raised.value.code == "authentication_error.DEVELOPER_TOKEN_INVALID"
    assert len(fake.calls) == 1  # not retried


def test_calls_without_the_manager_login_are_refused(make_connector: Callable[..., GoogleAdsConnector],
                                                     fake: FakeGoogleAds) -> None:
    connector = make_connector(login_customer_id=None)

    [result] = connector.apply(CUSTOMER, [batch("pause", (pause(),))])

    assert result.outcome == ApplyOutcome.FAILED and result.error is not None
    assert (result.error.kind, result.error.code) == (ErrorKind.AUTH, "authorization_error.USER_PERMISSION_DENIED")
    assert fake.account(CUSTOMER).status(111) == "ENABLED"


def test_batches_outside_the_allowlist_fail_with_nothing_sent(connector: GoogleAdsConnector,
                                                              fake: FakeGoogleAds) -> None:
    results = connector.apply(CUSTOMER, [
        batch("other-org", (pause(),), org="org-other"),
        batch("other-customer", (pause("555", OTHER_CUSTOMER),), account=OTHER_CUSTOMER),
        batch("allowed", (pause("333"),)),
    ])

    assert [r.outcome for r in results] == [ApplyOutcome.FAILED, ApplyOutcome.FAILED, ApplyOutcome.APPLIED]
    assert all(r.error is not None and r.error.kind == ErrorKind.AUTH for r in results[:2])
    [call] = fake.calls_to("MutateCampaigns")
    assert [op.update.resource_name for op in call.request.operations] == [f"customers/{CUSTOMER}/campaigns/333"]
    assert fake.account(CUSTOMER).status(111) == "ENABLED"
    assert fake.account(OTHER_CUSTOMER).status(555) == "ENABLED"


def test_without_credentials_nothing_is_sent(fake: FakeGoogleAds, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [n for n in os.environ if n.startswith("GOOGLE_ADS_")]:
        monkeypatch.delenv(name)
    connector = GoogleAdsConnector(allowed_customers=lambda org: {CUSTOMER})  # the default (environment) factory
    request = SnapshotRequest(key="a", organization_id=ORG, platform=Platform.GOOGLE_ADS, account_id=CUSTOMER,
                              parts=frozenset({SnapshotPart.CAMPAIGN}), campaign_id="111")

    with pytest.raises(NotConnectedError, match="not configured"):
        connector.check_connection(CUSTOMER)
    with pytest.raises(NotConnectedError):
        connector.snapshot(CUSTOMER, [request], NOW)
    [result] = connector.apply(CUSTOMER, [batch("pause", (pause(),))])

    assert result.outcome == ApplyOutcome.FAILED and result.error is not None
    assert result.error.kind == ErrorKind.AUTH
    assert fake.calls == []
