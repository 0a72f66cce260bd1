"""adjust_send_time against the fake: snapshot, execute, verify, roll back, drift, uncertain settling."""

from __future__ import annotations

from datetime import timedelta, timezone

from ac_support import DRAFT, SCHEDULED, SEND_AT, SENDING, apply, campaign_request, read

from schemas.operations import ApplyOutcome, SetSendTime

NEW_TIME = (SEND_AT + timedelta(hours=5)).astimezone(timezone(timedelta(hours=2)))  # another zone, same instant rules


def op(send_at=NEW_TIME, campaign_id: str = SCHEDULED) -> SetSendTime:
    return SetSendTime(account_id="acme-main", campaign_id=campaign_id, send_at=send_at)


def test_execute_verify_and_roll_back(fake, connector):
    before = read(connector, campaign_request(SCHEDULED)).email_campaign
    assert before.scheduled_at == SEND_AT  # AC answers in its own zone (-05:00): same instant

    result = apply(connector, op())
    assert result.outcome == ApplyOutcome.APPLIED, result.error
    assert result.details["reversibility"] == "full" and result.details["scheduled_before"] is not None
    [put] = fake.calls("PUT", r"/api/3/campaigns/10/edit")
    assert put.body == {"scheduledDate": NEW_TIME.isoformat(timespec="seconds")}  # ISO-8601 with its offset
    assert fake.account.campaigns[SCHEDULED]["sdate"].endswith("-05:00")
    assert read(connector, campaign_request(SCHEDULED)).email_campaign.scheduled_at == NEW_TIME

    undone = apply(connector, op(before.scheduled_at), key="act-1-rollback")
    assert undone.outcome == ApplyOutcome.APPLIED
    assert read(connector, campaign_request(SCHEDULED)).email_campaign.scheduled_at == SEND_AT


def test_draft_without_date_gets_one_and_loses_it_on_rollback(fake, connector):
    assert read(connector, campaign_request(DRAFT)).email_campaign.scheduled_at is None
    assert apply(connector, op(campaign_id=DRAFT)).outcome == ApplyOutcome.APPLIED
    assert apply(connector, op(None, campaign_id=DRAFT)).outcome == ApplyOutcome.APPLIED
    assert read(connector, campaign_request(DRAFT)).email_campaign.scheduled_at is None


def test_same_time_again_sends_nothing(fake, connector):
    result = apply(connector, op(SEND_AT))
    assert result.outcome == ApplyOutcome.APPLIED and result.details["already_applied"] is True
    assert fake.writes() == []


def test_rollback_refused_once_sending_and_reread_shows_the_drift(fake, connector):
    assert apply(connector, op()).outcome == ApplyOutcome.APPLIED
    fake.account.campaigns[SCHEDULED]["status"] = "2"
    now = read(connector, campaign_request(SCHEDULED)).email_campaign
    assert (now.status, now.scheduled_at) == (2, NEW_TIME)  # expected status 1: drifted
    undone = apply(connector, op(SEND_AT))
    assert undone.outcome == ApplyOutcome.FAILED and undone.error.code == "too_late"
    assert len(fake.calls("PUT")) == 1  # only the forward edit


def test_sending_campaign_is_refused_without_a_write(fake, connector):
    result = apply(connector, op(campaign_id=SENDING))
    assert result.outcome == ApplyOutcome.FAILED and "sending" in result.error.message
    assert fake.writes() == []


def test_timed_out_edit_is_settled_by_reading(fake, connector):
    fake.fault("PUT", r"/api/3/campaigns/10/edit", delay_s=0.8)
    result = apply(connector, op())
    assert result.outcome == ApplyOutcome.APPLIED and result.details["settled_by_read"] is True
    assert len(fake.calls("PUT")) == 1  # a timed-out PUT is never re-sent


def test_edit_that_did_not_land_stays_uncertain(fake, connector):
    fake.fault("PUT", r"/api/3/campaigns/10/edit", status=502, body="<html>Bad gateway</html>")
    result = apply(connector, op())
    assert result.outcome == ApplyOutcome.UNCERTAIN and result.error.code == "502"
    assert len(fake.calls("PUT")) == 1
    assert read(connector, campaign_request(SCHEDULED)).email_campaign.scheduled_at == SEND_AT


def test_validation_error_is_a_clear_failure(fake, connector):
    fake.fault("PUT", r"/api/3/campaigns/10/edit", status=422, body={"errors": [
        {"status": 422, "title": "Invalid attribute", "detail": "scheduledDate must be in the future",
         "source": {"pointer": "/data/attributes/scheduledDate"}}]})
    result = apply(connector, op())
    assert result.outcome == ApplyOutcome.FAILED and result.error.kind == "permanent"
    assert "scheduledDate must be in the future" in result.error.message
