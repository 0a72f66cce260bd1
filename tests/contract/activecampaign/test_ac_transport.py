"""The wire behaviour shared by every call: retries, Retry-After, timeouts, allowlist, credentials, secrets."""

from __future__ import annotations

import json
import logging

import pytest
from ac_support import (
    ACCOUNT,
    ACME,
    ANN,
    BETA,
    BETA_ACCOUNT,
    OTHER,
    SCHEDULED,
    TOKENS,
    TRIAL,
    FakeClock,
    Resolver,
    apply,
    campaign_request,
    make_connector,
    read,
)

from connectors.activecampaign import ActiveCampaignConnector
from connectors.base import AuthError, NotConnectedError, RateLimitedError, RetryableError
from schemas.operations import (
    ApplyOutcome,
    EnrollContacts,
    SetCampaignStatus,
    SetEmailCampaignStatus,
    SetSendTime,
)
from schemas.policy import ActiveCampaignAccount

CAMPAIGN_PATH = r"/api/3/campaigns/10"


def test_429_waits_for_retry_after_then_succeeds(fake):
    clock = FakeClock()
    connector = make_connector(fake, clock=clock)
    fake.fault("GET", CAMPAIGN_PATH, status=429, body={"message": "Too Many Requests"}, headers={"Retry-After": "7"})
    assert read(connector, campaign_request(SCHEDULED)).email_campaign is not None
    assert 7.0 in clock.sleeps
    assert [r.status for r in fake.calls("GET", CAMPAIGN_PATH)] == [429, 200]


def test_429_wait_is_real_at_the_server(fake, connector):
    fake.fault("GET", CAMPAIGN_PATH, status=429, body={"message": "Too Many Requests"}, headers={"Retry-After": "1"})
    read(connector, campaign_request(SCHEDULED))
    first, second = fake.calls("GET", CAMPAIGN_PATH)
    assert second.at - first.at >= 1.0


def test_429_on_a_post_is_retried_because_nothing_landed(fake):
    connector = make_connector(fake, clock=FakeClock())
    fake.fault("POST", r"/api/3/contactAutomations", status=429, body={}, headers={"Retry-After": "2"})
    result = apply(connector, EnrollContacts(account_id=ACCOUNT, automation_id=TRIAL, contact_ids=(ANN,)))
    assert result.outcome == ApplyOutcome.APPLIED
    assert [r.status for r in fake.calls("POST")] == [429, 201]
    assert len(fake.account.active_runs(ANN, TRIAL)) == 1


def test_a_long_retry_after_is_reported_not_slept_through(fake, connector):
    fake.fault("GET", CAMPAIGN_PATH, status=429, body={"message": "Too Many Requests"}, headers={"Retry-After": "120"})
    with pytest.raises(RateLimitedError) as raised:
        read(connector, campaign_request(SCHEDULED))
    assert raised.value.retry_after_s == 120 and len(fake.calls()) == 1


def test_503_on_a_read_is_retried_until_it_passes(fake, connector):
    fake.fault("GET", CAMPAIGN_PATH, times=2, status=503, body={"message": "Service Unavailable"},
               headers={"Retry-After": "0"})
    assert read(connector, campaign_request(SCHEDULED)).email_campaign.status == 1
    assert [r.status for r in fake.calls("GET", CAMPAIGN_PATH)] == [503, 503, 200]


def test_retries_give_up_after_the_attempt_limit(fake, connector):
    fake.fault("GET", CAMPAIGN_PATH, times=10, status=500, body={"message": "Internal Server Error"})
    with pytest.raises(RetryableError):
        read(connector, campaign_request(SCHEDULED))
    assert len(fake.calls("GET", CAMPAIGN_PATH)) == 4


def test_slow_read_times_out_and_is_read_again(fake, connector):
    fake.fault("GET", CAMPAIGN_PATH, delay_s=0.8)
    assert read(connector, campaign_request(SCHEDULED)).email_campaign is not None
    assert len(fake.calls("GET", CAMPAIGN_PATH)) == 2


def test_account_outside_the_org_allowlist_sends_nothing(fake, connector, resolver):
    op = SetSendTime(account_id=ACCOUNT, campaign_id=SCHEDULED, send_at=None)
    result = apply(connector, op, org=OTHER)
    assert result.outcome == ApplyOutcome.FAILED and result.error.kind == "auth"
    assert result.error.code == "not_allowlisted"
    with pytest.raises(NotConnectedError):
        read(connector, campaign_request(SCHEDULED, org=OTHER))
    with pytest.raises(NotConnectedError):  # org-beta owns the same AC account, but under another name
        read(connector, campaign_request(SCHEDULED, org=BETA))
    assert fake.calls() == [] and resolver.asked == []


def test_operations_of_another_platform_or_account_are_refused(fake, connector):
    ads = SetCampaignStatus(customer_id="1234567890", campaign_id="1", status="PAUSED")
    other = SetEmailCampaignStatus(account_id="someone-else", campaign_id="11", status="paused")
    assert apply(connector, ads).error.code == "wrong_operation"
    assert apply(connector, other).error.code == "wrong_operation"
    assert fake.calls() == []


def test_a_failure_after_an_earlier_operation_landed_is_uncertain(fake, connector):
    moved = SetSendTime(account_id=ACCOUNT, campaign_id=SCHEDULED, send_at=None)
    refused = SetEmailCampaignStatus(account_id=ACCOUNT, campaign_id=SCHEDULED, status="paused")
    result = apply(connector, moved, refused)
    assert result.outcome == ApplyOutcome.UNCERTAIN and result.error.code == "wrong_state"
    assert len(result.details["ops"]) == 2


def test_check_connection_reads_users_me(fake, connector):
    connector.check_connection(ACCOUNT, ACME)
    [call] = fake.calls("GET", r"/api/3/users/me")
    assert call.token == TOKENS["env:AC_TOKEN_ACME"]
    connector.check_connection(ACCOUNT)  # known from the allowlisted call above
    with pytest.raises(NotConnectedError):
        connector.check_connection("never-seen")


def test_a_rejected_token_is_an_auth_error(fake):
    orgs = {ACME: {ACCOUNT: ActiveCampaignAccount(account_id=ACCOUNT, base_url=fake.base_url, token_ref="env:WRONG")}}
    connector = ActiveCampaignConnector(orgs.__getitem__, lambda ref: "tok-revoked")
    with pytest.raises(AuthError):
        connector.check_connection(ACCOUNT, ACME)


def test_credentials_that_cannot_be_resolved_leak_nothing(fake):
    def broken(ref: str) -> str:
        raise KeyError(f"{ref} -> tok-half-remembered")

    orgs = {ACME: {ACCOUNT: ActiveCampaignAccount(account_id=ACCOUNT, base_url=fake.base_url, token_ref="env:AC_X")}}
    result = apply(ActiveCampaignConnector(orgs.__getitem__, broken), SetSendTime(
        account_id=ACCOUNT, campaign_id=SCHEDULED, send_at=None))
    assert result.outcome == ApplyOutcome.FAILED and result.error.code == "no_credentials"
    assert "tok-half" not in result.model_dump_json() and fake.calls() == []


def test_plain_http_is_refused_off_loopback():
    orgs = {ACME: {ACCOUNT: ActiveCampaignAccount(account_id=ACCOUNT, base_url="http://acme.api-us1.com",
                                                  token_ref="env:AC_TOKEN_ACME")}}
    with pytest.raises(NotConnectedError):
        ActiveCampaignConnector(orgs.__getitem__, Resolver()).check_connection(ACCOUNT, ACME)


def test_secrets_never_reach_logs_results_or_errors(fake, caplog):
    caplog.set_level(logging.DEBUG)
    token = TOKENS["env:AC_TOKEN_ACME"]
    connector = make_connector(fake)
    fake.fault("PUT", r"/api/3/campaigns/10/edit", status=422,  # an answer that echoes the key back
               body={"errors": [{"title": "Invalid attribute", "detail": f"bad request for key {token}"}]})
    fake.fault("GET", r"/api/3/campaigns/11", status=429, headers={"Retry-After": "0"}, body={})
    results = [
        apply(connector, SetSendTime(account_id=ACCOUNT, campaign_id=SCHEDULED, send_at=None)),
        apply(connector, SetEmailCampaignStatus(account_id=ACCOUNT, campaign_id="11", status="paused")),
        apply(connector, EnrollContacts(account_id=ACCOUNT, automation_id=TRIAL, contact_ids=(ANN,))),
    ]
    read(connector, campaign_request(SCHEDULED))
    connector.check_connection(BETA_ACCOUNT, BETA)
    assert results[0].outcome == ApplyOutcome.FAILED and "***" in results[0].error.message
    assert {r.token for r in fake.calls()} == set(TOKENS.values())  # the keys were used on the wire ...
    dumped = json.dumps([r.model_dump(mode="json") for r in results])
    for secret in TOKENS.values():  # ... and appear nowhere else
        assert secret not in dumped
        assert secret not in caplog.text
    assert "activecampaign" in caplog.text  # the calls were logged (without the key)


def test_default_resolver_reads_env_references_only(fake, monkeypatch):
    orgs = {ACME: {ACCOUNT: ActiveCampaignAccount(account_id=ACCOUNT, base_url=fake.base_url,
                                                  token_ref="env:AC_TEST_TOKEN")},
            BETA: {BETA_ACCOUNT: ActiveCampaignAccount(account_id=BETA_ACCOUNT, base_url=fake.base_url,
                                                       token_ref="sm:projects/p/secrets/ac")}}
    connector = ActiveCampaignConnector(orgs.__getitem__)
    with pytest.raises(NotConnectedError):  # not set yet
        connector.check_connection(ACCOUNT, ACME)
    monkeypatch.setenv("AC_TEST_TOKEN", TOKENS["env:AC_TOKEN_ACME"])
    connector.check_connection(ACCOUNT, ACME)
    with pytest.raises(NotConnectedError):  # Secret Manager needs an injected resolver
        connector.check_connection(BETA_ACCOUNT, BETA)
    assert len(fake.calls()) == 1


def test_an_unreadable_answer_is_not_taken_for_a_missing_campaign(fake, connector):
    fake.fault("GET", CAMPAIGN_PATH, times=4, status=200, body="<html>Maintenance</html>")
    with pytest.raises(RetryableError) as raised:
        read(connector, campaign_request(SCHEDULED))
    assert raised.value.code == "unreadable"
