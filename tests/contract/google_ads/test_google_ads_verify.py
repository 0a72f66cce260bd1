"""`operator verify google_ads` on the connector: validate_only mutations for every action type on a real
entity of the account, nothing changed, one row per type (supported / refused with the reason / unverified)."""

from __future__ import annotations

import grpc
from gads_fake import Account, FakeGoogleAds, Fault
from gads_seed import CUSTOMER, MANAGER, ORG

from connectors.google_ads import GoogleAdsConnector

TYPES = ["pause_campaign", "adjust_campaign_budget", "add_negative_keywords", "adjust_keyword_bid",
         "change_bid_strategy", "add_negative_keywords (rollback)"]


def test_every_action_type_is_validated_on_a_real_entity_and_nothing_changes(connector: GoogleAdsConnector,
                                                                            fake: FakeGoogleAds) -> None:
    untouched = fake.account(CUSTOMER).fingerprint()

    rows = connector.verify(ORG, CUSTOMER)

    assert [row["action_type"] for row in rows] == TYPES
    assert {row["status"] for row in rows} == {"supported"}, rows
    assert rows[0]["entity"] == "campaign 111" and rows[3]["entity"] == "keyword 5001~7001"
    assert "google_ads.campaign_mutate" in rows[0]["calls"]
    mutates = [c for c in fake.calls if c.method.startswith("Mutate")]
    assert mutates and all(c.request.validate_only for c in mutates)
    assert fake.account(CUSTOMER).fingerprint() == untouched


def test_a_refusal_carries_googles_reason_and_a_missing_entity_is_unverified(connector: GoogleAdsConnector,
                                                                            fake: FakeGoogleAds) -> None:
    fake.inject(Fault("MutateCampaignBudgets", "ads", status=grpc.StatusCode.INVALID_ARGUMENT,
                      error=("campaign_budget_error", "CAMPAIGN_BUDGET_REMOVED"), message="budget removed"))
    empty = Account("9990001111", manager_id=MANAGER)
    fake.accounts[empty.customer_id] = empty
    lonely = GoogleAdsConnector(allowed_customers=lambda org: {"9990001111"},
                                client_factory=connector._client_factory, settings=connector.settings)

    rows = {row["action_type"]: row for row in connector.verify(ORG, CUSTOMER)}
    nothing = lonely.verify(ORG, "9990001111")

    assert rows["adjust_campaign_budget"]["status"] == "refused"
    assert rows["adjust_campaign_budget"]["reason"] == "budget removed (campaign_budget_error.CAMPAIGN_BUDGET_REMOVED)"
    assert rows["pause_campaign"]["status"] == "supported"
    assert {row["status"] for row in nothing} == {"unverified"}
    assert all(row["reason"].startswith("nothing to try it on") for row in nothing)
