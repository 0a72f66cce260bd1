"""Every ActiveCampaign-like operation applied and undone, with the platform's state rules."""

from __future__ import annotations

from datetime import timedelta

import pytest

from schemas.operations import (
    ApplyOutcome,
    CreateSubjectLineTestOp,
    DeleteSubjectLineTestOp,
    EnrollContacts,
    ErrorKind,
    SetEmailCampaignStatus,
    SetSendTime,
    UnenrollContacts,
)
from tests.unit.sandbox.conftest import NOW
from tests.unit.sandbox.helpers import ACME_AC, ac_batch, read_ac

TAG = "op:act-0123456789abcdef01234567"


def _apply(ac, *ops):
    [result] = ac.apply(ACME_AC, [ac_batch(*ops)])
    return result


def _applied(ac, *ops):
    result = _apply(ac, *ops)
    assert result.outcome == ApplyOutcome.APPLIED, result.error
    return result


def _failed(ac, *ops, kind: ErrorKind = ErrorKind.PERMANENT):
    result = _apply(ac, *ops)
    assert result.outcome == ApplyOutcome.FAILED
    assert result.error.kind == kind
    return result


def _split_test(campaign_id: str = "22") -> CreateSubjectLineTestOp:
    return CreateSubjectLineTestOp(account_id=ACME_AC, campaign_id=campaign_id,
                                   variants=("Something big is coming Friday", "Friday: 40 % off every widget"),
                                   split_type="read", test_percentage=20, winner_wait_hours=4, tag=TAG)


def test_create_a_subject_line_test_and_delete_it(ac):
    before = read_ac(ac, campaign_id="22").email_campaign
    result = _applied(ac, _split_test())
    message_ids = result.details["message_ids"]
    assert len(message_ids) == 2 and result.details["split_test_tags"] == [TAG]
    during = read_ac(ac, campaign_id="22").email_campaign
    assert during.type == "split" and during.test_tags == (TAG,)
    assert during.message_ids == (*before.message_ids, *message_ids)
    assert during.subject == before.subject  # the original message stays first

    deleted = _applied(ac, DeleteSubjectLineTestOp(account_id=ACME_AC, campaign_id="22", tag=TAG))
    assert deleted.details["deleted_message_ids"] == message_ids
    assert read_ac(ac, campaign_id="22").email_campaign == before


def test_a_split_test_cannot_change_once_sending(ac, world):
    _failed(ac, _split_test("23"))  # already sending
    _failed(ac, _split_test("24"))  # an automation's campaign
    _applied(ac, _split_test("21"))
    world.set_email_campaign_status(ACME_AC, "21", 2)  # the send started
    _failed(ac, DeleteSubjectLineTestOp(account_id=ACME_AC, campaign_id="21", tag=TAG))
    _failed(ac, DeleteSubjectLineTestOp(account_id=ACME_AC, campaign_id="22", tag=TAG), kind=ErrorKind.NOT_FOUND)


def test_move_the_send_time_and_move_it_back(ac):
    original = read_ac(ac, campaign_id="21").email_campaign.scheduled_at
    later = NOW + timedelta(days=5)
    _applied(ac, SetSendTime(account_id=ACME_AC, campaign_id="21", send_at=later))
    assert read_ac(ac, campaign_id="21").email_campaign.scheduled_at == later
    _applied(ac, SetSendTime(account_id=ACME_AC, campaign_id="21", send_at=original))
    assert read_ac(ac, campaign_id="21").email_campaign.scheduled_at == original
    _applied(ac, SetSendTime(account_id=ACME_AC, campaign_id="22", send_at=later))
    _applied(ac, SetSendTime(account_id=ACME_AC, campaign_id="22", send_at=None))  # a draft without a date again
    assert read_ac(ac, campaign_id="22").email_campaign.scheduled_at is None


def test_send_times_the_platform_refuses(ac):
    _failed(ac, SetSendTime(account_id=ACME_AC, campaign_id="21", send_at=NOW - timedelta(minutes=1)))
    _failed(ac, SetSendTime(account_id=ACME_AC, campaign_id="23", send_at=NOW + timedelta(days=1)))
    _failed(ac, SetSendTime(account_id=ACME_AC, campaign_id="404", send_at=NOW + timedelta(days=1)),
            kind=ErrorKind.NOT_FOUND)


def test_pause_a_sending_campaign_and_resume_it(ac):
    _applied(ac, SetEmailCampaignStatus(account_id=ACME_AC, campaign_id="23", status="paused"))
    assert read_ac(ac, campaign_id="23").email_campaign.status == 3
    _failed(ac, SetEmailCampaignStatus(account_id=ACME_AC, campaign_id="23", status="paused"))  # already paused
    _applied(ac, SetEmailCampaignStatus(account_id=ACME_AC, campaign_id="23", status="sending"))
    assert read_ac(ac, campaign_id="23").email_campaign.status == 2


@pytest.mark.parametrize(("campaign_id", "status"), [
    ("22", "paused"),  # a draft is not sending
    ("21", "paused"),  # scheduled, not sending
    ("25", "paused"),  # completed
    ("24", "paused"),  # an automation's campaign
    ("23", "sending"),  # resuming what is not paused
])
def test_status_changes_the_platform_refuses(ac, campaign_id, status):
    before = read_ac(ac, campaign_id=campaign_id).email_campaign.status
    result = _failed(ac, SetEmailCampaignStatus(account_id=ACME_AC, campaign_id=campaign_id, status=status))
    assert result.error.code == "TRANSITION_NOT_ALLOWED"
    assert read_ac(ac, campaign_id=campaign_id).email_campaign.status == before


def test_enrol_contacts_and_unenrol_only_the_new_runs(ac):
    before = read_ac(ac, automation_id="7", contact_ids=("101", "104")).automation
    existing = {c.contact_id: c.active_run_ids for c in before.contacts}
    result = _applied(ac, EnrollContacts(account_id=ACME_AC, automation_id="7", contact_ids=("101", "104")))
    runs = result.details["run_ids"]
    assert set(runs) == {"101", "104"}
    during = {c.contact_id: c.active_run_ids for c in
              read_ac(ac, automation_id="7", contact_ids=("101", "104")).automation.contacts}
    assert during["101"] == (runs["101"],)
    assert set(during["104"]) == {*existing["104"], runs["104"]}  # the platform does not de-duplicate

    undone = _applied(ac, UnenrollContacts(account_id=ACME_AC, automation_id="7", contact_ids=("101", "104"),
                                           keep_run_ids=existing["104"]))
    assert sorted(undone.details["removed_run_ids"]) == sorted(runs.values())
    after = {c.contact_id: c.active_run_ids for c in
             read_ac(ac, automation_id="7", contact_ids=("101", "104")).automation.contacts}
    assert after == existing


def test_enrolment_the_platform_refuses(ac):
    inactive = _failed(ac, EnrollContacts(account_id=ACME_AC, automation_id="8", contact_ids=("101",)))
    assert inactive.error.code == "403"
    _failed(ac, EnrollContacts(account_id=ACME_AC, automation_id="7", contact_ids=("101", "999")),
            kind=ErrorKind.NOT_FOUND)
    _failed(ac, EnrollContacts(account_id=ACME_AC, automation_id="404", contact_ids=("101",)),
            kind=ErrorKind.NOT_FOUND)
    contact = read_ac(ac, automation_id="7", contact_ids=("101",)).automation.contacts[0]
    assert contact.active_run_ids == ()  # the batch with an unknown contact enrolled nobody
