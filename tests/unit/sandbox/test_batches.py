"""Batches are atomic, validate_only changes nothing, the allowlist holds, state persists in the file,
and outside changes are visible."""

from __future__ import annotations

from decimal import Decimal

import pytest

from connectors.base import NotConnectedError, PermanentError, PlatformConnector
from connectors.local import LocalStore
from connectors.sandbox import FaultPlan, SandboxWorld
from schemas.operations import ApplyOutcome, EnrollContacts, ErrorKind, SetBudgetAmount, SetCampaignStatus
from tests.unit.sandbox.conftest import NOW, SAMPLES
from tests.unit.sandbox.helpers import (
    ACME_AC,
    ACME_ADS,
    GLOBEX,
    GLOBEX_ADS,
    ac_batch,
    gads_batch,
    gads_request,
    read_ac,
    read_gads,
)

D = Decimal
PAUSE_111 = SetCampaignStatus(customer_id=ACME_ADS, campaign_id="111", status="PAUSED")


def test_both_sandboxes_are_platform_connectors_labelled_sandbox(ads, ac):
    for connector in (ads, ac):
        assert isinstance(connector, PlatformConnector)
        assert connector.mode == "SANDBOX"
    assert (ads.platform.value, ac.platform.value) == ("google_ads", "activecampaign")


def test_a_batch_lands_completely_or_not_at_all(ads):
    bad = SetBudgetAmount(customer_id=ACME_ADS, budget_id="502", amount=D("0.10"))
    [result] = ads.apply(ACME_ADS, [gads_batch(PAUSE_111, bad)])
    assert result.outcome == ApplyOutcome.FAILED and result.details == {}
    assert read_gads(ads, campaign_id="111").campaign.status == "ENABLED"  # the first op was rolled back


def test_each_batch_gets_its_own_result_in_order(ads):
    ok = gads_batch(PAUSE_111, key="act-a")
    bad = gads_batch(SetCampaignStatus(customer_id=ACME_ADS, campaign_id="999", status="PAUSED"), key="act-b")
    also_ok = gads_batch(SetBudgetAmount(customer_id=ACME_ADS, budget_id="506", amount=D("260")), key="act-c")
    results = ads.apply(ACME_ADS, [ok, bad, also_ok])
    assert [(r.key, r.outcome) for r in results] == [
        ("act-a", ApplyOutcome.APPLIED), ("act-b", ApplyOutcome.FAILED), ("act-c", ApplyOutcome.APPLIED)]
    assert read_gads(ads, campaign_id="117").budget.amount == D("260.00")


def test_validate_only_changes_nothing(ads, ac):
    [checked] = ads.apply(ACME_ADS, [gads_batch(PAUSE_111)], validate_only=True)
    assert checked.outcome == ApplyOutcome.VALIDATED and checked.error is None
    assert read_gads(ads, campaign_id="111").campaign.status == "ENABLED"
    [refused] = ads.apply(ACME_ADS, [gads_batch(SetBudgetAmount(customer_id=ACME_ADS, budget_id="502",
                                                                amount=D("0.10")))], validate_only=True)
    assert refused.outcome == ApplyOutcome.FAILED and refused.error.kind == ErrorKind.PERMANENT
    [enrol] = ac.apply(ACME_AC, [ac_batch(EnrollContacts(account_id=ACME_AC, automation_id="7",
                                                         contact_ids=("101",)))], validate_only=True)
    assert enrol.outcome == ApplyOutcome.VALIDATED
    assert read_ac(ac, automation_id="7", contact_ids=("101",)).automation.contacts[0].active_run_ids == ()


def test_accounts_of_another_organization_are_not_connected(ads, ac):
    with pytest.raises(NotConnectedError):
        ads.snapshot(GLOBEX_ADS, [gads_request(account=GLOBEX_ADS, campaign_id="211")], NOW)  # org-acme asks
    with pytest.raises(NotConnectedError):
        ads.apply(GLOBEX_ADS, [gads_batch(SetCampaignStatus(customer_id=GLOBEX_ADS, campaign_id="211",
                                                            status="PAUSED"), account=GLOBEX_ADS)])
    with pytest.raises(NotConnectedError):
        ads.apply(ACME_ADS, [gads_batch(PAUSE_111, org=GLOBEX)])
    with pytest.raises(NotConnectedError):
        ac.snapshot("nobody-mail", [], NOW)
    assert read_gads(ads, campaign_id="111").campaign.status == "ENABLED"


def test_check_connection(ads, ac):
    ads.check_connection(ACME_ADS)
    ac.check_connection(ACME_AC)
    with pytest.raises(NotConnectedError):
        ads.check_connection("5555555555")
    with pytest.raises(NotConnectedError):
        ac.check_connection(ACME_ADS)  # a Google Ads account is no ActiveCampaign account


def test_a_request_for_another_account_than_the_call_is_refused(ads):
    with pytest.raises(PermanentError):
        ads.snapshot(ACME_ADS, [gads_request(account=GLOBEX_ADS, org=GLOBEX)], NOW)
    [result] = ads.apply(ACME_ADS, [gads_batch(PAUSE_111, account=GLOBEX_ADS)])
    assert result.outcome == ApplyOutcome.FAILED and result.error.code == "WRONG_ACCOUNT"


def test_state_persists_for_a_second_store_on_the_same_file(store, ads):
    ads.apply(ACME_ADS, [gads_batch(PAUSE_111)])
    other = LocalStore.open(store.path)
    try:
        fresh = SandboxWorld(other, faults=FaultPlan(), clock=lambda: NOW).google_ads()
        assert read_gads(fresh, campaign_id="111").campaign.status == "PAUSED"
        fresh.apply(ACME_ADS, [gads_batch(SetCampaignStatus(customer_id=ACME_ADS, campaign_id="111",
                                                            status="ENABLED"))])
    finally:
        other.close()
    assert read_gads(ads, campaign_id="111").campaign.status == "ENABLED"


def test_external_changes_are_what_the_connectors_read(world, ads, ac):
    world.set_campaign_status(ACME_ADS, "117", "PAUSED")
    world.set_budget_amount(ACME_ADS, "506", "199.999")
    snap = read_gads(ads, campaign_id="117")
    assert (snap.campaign.status, snap.budget.amount) == ("PAUSED", D("200.00"))
    changed = world.external_change("google_ads", ACME_ADS, "keyword", "2001~3001", cpc_bid="2.00")
    assert changed["cpc_bid"] == "2.00"
    assert read_gads(ads, ad_group_id="2001", criterion_id="3001").keyword.cpc_bid == D("2.00")
    world.set_email_campaign_status(ACME_AC, "23", 3)
    assert read_ac(ac, campaign_id="23").email_campaign.status == 3


def test_external_changes_typed_at_a_prompt_keep_the_fields_types(world, ads, ac):
    world.external_change("activecampaign", ACME_AC, "email_campaign", "23", status="3", send_amt="5000")
    campaign = read_ac(ac, campaign_id="23").email_campaign
    assert (campaign.status, campaign.send_amt) == (3, 5000)
    world.external_change("activecampaign", ACME_AC, "contact", "101", subscribed="false")
    contact = read_ac(ac, automation_id="7", contact_ids=("101",)).automation.contacts[0]
    assert contact.subscribed is False
    world.external_change("google_ads", ACME_ADS, "keyword", "2001~3001", cpc_bid="null")
    assert read_gads(ads, ad_group_id="2001", criterion_id="3001").keyword.bid_source == "AD_GROUP"
    world.external_change("google_ads", ACME_ADS, "campaign", "117", labels='["brand"]')
    assert read_gads(ads, campaign_id="117").campaign.labels == ("brand",)
    with pytest.raises(ValueError):
        world.external_change("activecampaign", ACME_AC, "contact", "101", subscribed="maybe")
    with pytest.raises(ValueError):
        world.external_change("google_ads", ACME_ADS, "budget", "506", amount="lots")


def test_external_changes_are_checked(world, ads):
    with pytest.raises(KeyError):
        world.external_change("google_ads", ACME_ADS, "campaign", "999", status="PAUSED")
    with pytest.raises(KeyError):
        world.external_change("google_ads", ACME_ADS, "campaign", "117", colour="red")
    with pytest.raises(ValueError):
        world.set_campaign_status(ACME_ADS, "117", "STOPPED")
    with pytest.raises(ValueError):
        world.external_change("google_ads", ACME_ADS, "budget", "506", amount="-5")
    with pytest.raises(ValueError):
        world.set_email_campaign_status(ACME_AC, "23", 9)
    assert read_gads(ads, campaign_id="117").campaign.status == "ENABLED"


def test_the_world_lists_accounts_and_entities(world):
    acme = {(a["platform"], a["account_id"]) for a in world.accounts("org-acme")}
    assert acme == {("google_ads", ACME_ADS), ("activecampaign", ACME_AC), ("content", "www.acme.example")}
    assert len(world.accounts()) == 7
    pages = world.entities("content", "www.acme.example", "page")
    assert {p["url"] for p in pages} >= {"https://www.acme.example/blog/widget-buying-guide-2019"}
    assert world.entity("google_ads", ACME_ADS, "campaign", "114")["start_date"] == "2026-11-19"
    assert world.entity("google_ads", ACME_ADS, "campaign", "999") is None


def test_seeding_a_fixture_twice_changes_nothing(world):
    before = world.entities("google_ads", ACME_ADS, "negative")
    assert world.seed_fixture(SAMPLES / "sandbox.json", NOW) is False
    assert world.entities("google_ads", ACME_ADS, "negative") == before
