"""`operator verify google_ads` on the connector: validate_only mutations for every action type on a real
entity of the account, nothing changed, one row per type (supported / refused with the reason / unverified)."""

# ruff: noqa: F811  (the `live`/`samples` fixtures are imported from test_google_ads_e2e and used as arguments)
from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable

import grpc
import pytest
from click.testing import CliRunner
from gads_fake import Account, FakeGoogleAds, Fault
from gads_seed import CUSTOMER, MANAGER, ORG
from test_google_ads_e2e import live, samples  # noqa: F401  (fixtures: the sample orgs wired to the fake)

from connectors.google_ads import GoogleAdsConnector
from operator_ai import wiring
from operator_ai.cli import cli, register, verify_cmds
from operator_ai.wiring import Services

TYPES = ["pause_campaign", "adjust_campaign_budget", "add_negative_keywords", "adjust_keyword_bid",
         "change_bid_strategy"]


def test_every_action_type_is_validated_on_a_real_entity_and_nothing_changes(connector: GoogleAdsConnector,
                                                                            fake: FakeGoogleAds) -> None:
    untouched = fake.account(CUSTOMER).fingerprint()

    rows = connector.verify(ORG, CUSTOMER)

    assert [row["action_type"] for row in rows] == TYPES
    assert {row["status"] for row in rows} == {"supported"}, rows
    assert rows[0]["entity"] == "campaign 111" and rows[3]["entity"] == "keyword 5001~7001"
    assert "google_ads.campaign_mutate" in rows[0]["calls"]
    assert rows[2]["operations"] == ("add_negative_keywords", "remove_negative_keywords")  # forward and rollback
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


# ----------------------------------------------------------------------------- the command


def _cli(services: Services, monkeypatch: pytest.MonkeyPatch, org: str, *args: str) -> tuple[int, str]:
    monkeypatch.setattr(wiring, "build_services", lambda *a, **k: dataclasses.replace(services, closers=[]))
    register(verify_cmds.add)
    outcome = CliRunner().invoke(cli, ["verify", "google_ads", "--org", org, *args])
    return outcome.exit_code, outcome.output


def test_operator_verify_google_ads_prints_the_table_and_json(live: Callable[[], Services], fake: FakeGoogleAds,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    services = live()
    seeded = {cid: account.fingerprint() for cid, account in fake.accounts.items()}

    code, output = _cli(services, monkeypatch, "org-acme", "--json")
    table_code, table = _cli(services, monkeypatch, "org-acme")

    assert code == 0 and table_code == 0, output + table
    report = json.loads(output)
    assert report["connected"] is True and report["healthy"] is True
    found = {row["action_type"]: row for row in report["rows"]}
    assert set(found) == set(TYPES) and {row["status"] for row in found.values()} == {"supported"}
    assert found["pause_campaign"]["entity"].startswith("1234567890: campaign ")
    for action_type in TYPES:
        assert action_type in table
    assert {c.metadata.get("login-customer-id") for c in fake.calls} == {"1112223330"}  # the org's manager
    assert {cid: account.fingerprint() for cid, account in fake.accounts.items()} == seeded


def test_operator_verify_reports_a_refusal_and_an_unreachable_account(
        live: Callable[[], Services], fake: FakeGoogleAds, monkeypatch: pytest.MonkeyPatch) -> None:
    services = live()
    fake.inject(Fault("MutateCampaigns", "ads", status=grpc.StatusCode.PERMISSION_DENIED, times=10,
                      error=("authorization_error", "ACTION_NOT_PERMITTED"), message="read-only access"))

    code, output = _cli(services, monkeypatch, "org-acme", "--json")
    fake.accounts["1234567890"].manager_id = "9999999999"  # the org's manager no longer reaches the customer
    lost_code, lost = _cli(services, monkeypatch, "org-acme", "--json")

    found = {row["action_type"]: row for row in json.loads(output)["rows"]}
    assert code == 4, output
    assert found["pause_campaign"]["status"] == "refused"  # a permission the credentials lack, Google's words
    assert "read-only access" in found["pause_campaign"]["reason"]
    assert found["adjust_campaign_budget"]["status"] == "supported"
    assert lost_code == 1 and json.loads(lost)["connected"] is False
    assert "no access to customer" in json.loads(lost)["connection_error"]
