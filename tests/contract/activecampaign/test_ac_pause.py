"""pause_email_campaign against the fake: pause, verify, resume, soft failures, the v1 fallback, never "stop"."""

from __future__ import annotations

import logging

from ac_support import COMPLETED, SCHEDULED, SENDING, SERIES, TOKENS, apply, campaign_request, read

from schemas.operations import ApplyOutcome, SetEmailCampaignStatus


def op(status: str = "paused", campaign_id: str = SENDING) -> SetEmailCampaignStatus:
    return SetEmailCampaignStatus(account_id="acme-main", campaign_id=campaign_id, status=status)


def test_pause_verify_and_resume(fake, connector):
    before = read(connector, campaign_request(SENDING)).email_campaign
    assert (before.status, before.send_amt, before.total_amt) == (2, 1200, 5000)

    paused = apply(connector, op())
    assert paused.outcome == ApplyOutcome.APPLIED, paused.error
    assert (paused.details["via"], paused.details["status_after"], paused.details["reversibility"]) == ("v3", 3, "full")
    assert read(connector, campaign_request(SENDING)).email_campaign.status == 3

    resumed = apply(connector, op("sending"), key="act-1-rollback")
    assert resumed.outcome == ApplyOutcome.APPLIED
    assert resumed.details["reversibility"] == "partial"  # what it sends from now on cannot be recalled
    assert read(connector, campaign_request(SENDING)).email_campaign.status == 2
    assert fake.calls(path=r"/api/3/campaigns/\d+/stop") == []


def test_succeeded_zero_is_a_failure(fake, connector):
    fake.fault("POST", r"/api/3/campaigns/11/pause", status=200,
               body={"succeeded": 0, "message": "Die Kampagne kann nicht pausiert werden."})
    result = apply(connector, op())
    assert result.outcome == ApplyOutcome.FAILED and result.error.code == "soft_failure"
    assert "pausiert" in result.error.message
    assert fake.account.campaigns[SENDING]["status"] == "2"


def test_pausing_a_paused_campaign_is_already_done(fake, connector):
    fake.account.campaigns[SENDING]["status"] = "3"
    result = apply(connector, op())
    assert result.outcome == ApplyOutcome.APPLIED and result.details["already_applied"] is True
    assert fake.writes() == []


def test_v1_fallback_when_the_v3_endpoint_is_missing(fake, connector, caplog):
    """v1 authenticates with its documented `api_key` (the fake refuses the v3 header alone, as v1's
    docs and AC's PHP wrapper describe it); the key never reaches a log, urllib3's debug lines included."""
    fake.account.v3_status_endpoints = False
    caplog.set_level(logging.DEBUG)
    paused = apply(connector, op())
    assert paused.outcome == ApplyOutcome.APPLIED and paused.details["via"] == "v1"
    [legacy] = fake.calls("POST", r"/admin/api.php")
    assert legacy.query == {"api_action": "campaign_status", "api_output": "json", "api_key": TOKENS["env:AC_TOKEN_ACME"]}
    assert legacy.body == {"id": SENDING, "status": "3", "__form__": True}  # form-encoded, not JSON
    assert apply(connector, op("sending")).outcome == ApplyOutcome.APPLIED
    assert fake.account.campaigns[SENDING]["status"] == "2"
    assert any("admin/api.php" in r.getMessage() for r in caplog.records)  # urllib3 did log the request line
    assert not any(TOKENS["env:AC_TOKEN_ACME"] in r.getMessage() for r in caplog.records)


def test_v1_result_code_zero_is_a_failure(fake, connector):
    fake.account.v3_status_endpoints = False
    fake.fault("POST", r"/admin/api.php", status=200, body={"result_code": "0", "result_message": "Nope"})
    result = apply(connector, op())
    assert result.outcome == ApplyOutcome.FAILED and result.error.message == "Nope"


def test_refusals_send_nothing(fake, connector):
    series = apply(connector, op(campaign_id=SERIES))
    scheduled = apply(connector, op(campaign_id=SCHEDULED))
    assert (series.error.code, scheduled.error.code) == ("automation_campaign", "wrong_state")
    assert fake.writes() == []


def test_resume_refused_after_drift_to_completed(fake, connector):
    assert apply(connector, op()).outcome == ApplyOutcome.APPLIED
    fake.account.campaigns[SENDING]["status"] = "5"  # someone stopped/completed it in the UI
    assert read(connector, campaign_request(SENDING)).email_campaign.status == 5  # != expected 3
    writes = len(fake.writes())
    result = apply(connector, op("sending"))
    assert result.outcome == ApplyOutcome.FAILED and result.error.code == "wrong_state"
    assert len(fake.writes()) == writes


def test_timed_out_pause_is_settled_by_reading(fake, connector):
    fake.fault("POST", r"/api/3/campaigns/11/pause", delay_s=0.8)
    result = apply(connector, op())
    assert result.outcome == ApplyOutcome.APPLIED and result.details["settled_by_read"] is True
    assert len(fake.calls("POST")) == 1


def test_accepted_but_not_visible_is_uncertain(fake, connector):
    fake.fault("POST", r"/api/3/campaigns/11/pause", status=200, body={"succeeded": 1, "message": "ok"})
    result = apply(connector, op())
    assert result.outcome == ApplyOutcome.UNCERTAIN and result.error.code == "not_visible"


def test_completed_campaign_cannot_be_paused(connector):
    result = apply(connector, op(campaign_id=COMPLETED))
    assert result.outcome == ApplyOutcome.FAILED and "completed" in result.error.message
