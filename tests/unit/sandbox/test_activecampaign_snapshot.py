"""The ActiveCampaign-like sandbox answers email-campaign, automation and account parts."""

from __future__ import annotations

from datetime import timedelta

from schemas.snapshots import SnapshotPart
from tests.unit.sandbox.conftest import NOW
from tests.unit.sandbox.helpers import ACME_AC, read_ac


def test_scheduled_campaign_with_its_date_subject_and_message(ac):
    snap = read_ac(ac, campaign_id="21")
    campaign = snap.email_campaign
    assert (campaign.name, campaign.status, campaign.type, campaign.series_id) == (
        "November Newsletter", 1, "single", "0")
    assert campaign.scheduled_at == NOW + timedelta(hours=72)
    assert campaign.subject == "Your November widget roundup"
    assert len(campaign.message_ids) == 1 and campaign.test_tags == ()
    assert snap.account.account_id == ACME_AC


def test_sending_campaign_counts_and_automation_campaigns(ac):
    sending = read_ac(ac, campaign_id="23").email_campaign
    assert (sending.status, sending.send_amt, sending.total_amt, sending.opens, sending.clicks) == (
        2, 4200, 10000, 210, 9)
    assert sending.scheduled_at is None
    assert read_ac(ac, campaign_id="24").email_campaign.series_id == "7"


def test_automation_with_contacts_and_their_active_runs(ac):
    snap = read_ac(ac, automation_id="7", contact_ids=("101", "104", "105", "999"),
                   contact_emails=("CAROL@customers.acme.example", "nobody@example.com"))
    automation = snap.automation
    assert (automation.name, automation.status) == ("Trial activation", 1)
    contacts = {c.contact_id: c for c in automation.contacts}
    assert set(contacts) == {"101", "104", "105", "103"}
    assert contacts["104"].active_run_ids != ()  # already in the automation
    assert contacts["105"].active_run_ids == ()  # completed earlier: not active
    assert contacts["103"].subscribed is False and contacts["101"].subscribed is True
    assert automation.missing_contacts == ("999", "nobody@example.com")
    assert read_ac(ac, automation_id="8").automation.status == 2


def test_unknown_campaigns_and_automations_are_missing(ac):
    snap = read_ac(ac, campaign_id="404", automation_id="404")
    assert snap.email_campaign is None and snap.automation is None
    assert set(snap.missing) == {"email_campaign:404", "automation:404"}
    only_account = read_ac(ac, parts={SnapshotPart.ACCOUNT})
    assert only_account.email_campaign is None and only_account.missing == ()
