"""Per-org identity: each org's customers are called through the org's own manager account
(`login-customer-id`) and credentials; one client per distinct identity, cached."""

from __future__ import annotations

from typing import Any

import pytest
from gads_fake import Account, FakeGoogleAds
from gads_seed import CUSTOMER, MANAGER, NOW, ORG, main_account
from gads_support import FAST, client_factory

from connectors.base import AuthError, NotConnectedError
from connectors.google_ads import AdsIdentity, GoogleAdsConnector
from connectors.google_ads.config import config_for, shared_client
from schemas.common import Platform
from schemas.snapshots import SnapshotPart, SnapshotRequest

AGENCY_ORG = "org-agency"
AGENCY_MANAGER = "5556667777"
AGENCY_CUSTOMER = "3334445555"
IDENTITIES = {ORG: AdsIdentity(login_customer_id=MANAGER),
              AGENCY_ORG: AdsIdentity(login_customer_id=AGENCY_MANAGER)}
ALLOWED = {ORG: {CUSTOMER}, AGENCY_ORG: {AGENCY_CUSTOMER}}


def agency_account() -> Account:
    account = Account(AGENCY_CUSTOMER, manager_id=AGENCY_MANAGER)
    account.add_budget(3001, "15.00")
    account.add_campaign(777, "Agency client", budget=3001)
    return account


@pytest.fixture
def two_managers(fake: FakeGoogleAds) -> FakeGoogleAds:
    fake.reset([main_account(), agency_account()])
    return fake


def _connector(fake: FakeGoogleAds, identities: dict[str, AdsIdentity], built: list[AdsIdentity] | None = None,
               allowed: dict[str, set[str]] = ALLOWED) -> GoogleAdsConnector:
    factory = client_factory(fake.endpoint, login_customer_id=None)

    def counting(identity: AdsIdentity) -> Any:
        if built is not None:
            built.append(identity)
        return factory(identity)

    return GoogleAdsConnector(allowed_customers=lambda org: allowed.get(org, set()), client_factory=counting,
                              identity_for=lambda org: identities.get(org, AdsIdentity()), settings=FAST)


def _request(org: str, customer: str, campaign: str) -> SnapshotRequest:
    return SnapshotRequest(key=f"{org}:{campaign}", organization_id=org, platform=Platform.GOOGLE_ADS,
                           account_id=customer, parts=frozenset({SnapshotPart.CAMPAIGN}), campaign_id=campaign)


def test_two_orgs_under_different_managers_are_each_called_with_their_own_login_customer_id(
        two_managers: FakeGoogleAds) -> None:
    built: list[AdsIdentity] = []
    connector = _connector(two_managers, IDENTITIES, built)

    for _ in range(2):  # the second round reuses the cached clients
        ours = connector.snapshot(CUSTOMER, [_request(ORG, CUSTOMER, "111")], NOW)
        theirs = connector.snapshot(AGENCY_CUSTOMER, [_request(AGENCY_ORG, AGENCY_CUSTOMER, "777")], NOW)

    assert ours[f"{ORG}:111"].campaign is not None and theirs[f"{AGENCY_ORG}:777"].campaign is not None
    logins = {(call.customer_id, call.metadata.get("login-customer-id")) for call in two_managers.calls}
    assert logins == {(CUSTOMER, MANAGER), (AGENCY_CUSTOMER, AGENCY_MANAGER)}
    assert built == [IDENTITIES[ORG], IDENTITIES[AGENCY_ORG]]  # one client per identity


def test_a_manager_outside_the_customers_tree_is_refused_by_the_platform(two_managers: FakeGoogleAds) -> None:
    connector = _connector(two_managers, {AGENCY_ORG: AdsIdentity(login_customer_id=MANAGER)})

    with pytest.raises(AuthError, match="no access"):
        connector.snapshot(AGENCY_CUSTOMER, [_request(AGENCY_ORG, AGENCY_CUSTOMER, "777")], NOW)

    [call] = two_managers.calls
    assert call.metadata.get("login-customer-id") == MANAGER


def test_check_connection_uses_the_org_of_the_account(two_managers: FakeGoogleAds) -> None:
    connector = _connector(two_managers, IDENTITIES)

    connector.check_connection(AGENCY_CUSTOMER, AGENCY_ORG)
    connector.check_connection(CUSTOMER, ORG)

    assert [c.metadata.get("login-customer-id") for c in two_managers.calls] == [AGENCY_MANAGER, MANAGER]
    with pytest.raises(NotConnectedError):
        connector.check_connection(AGENCY_CUSTOMER, ORG)


def test_an_account_connected_to_two_orgs_is_refused(two_managers: FakeGoogleAds) -> None:
    both = {ORG: {CUSTOMER}, AGENCY_ORG: {CUSTOMER}}
    connector = _connector(two_managers, IDENTITIES, allowed=both)
    connector.snapshot(CUSTOMER, [_request(ORG, CUSTOMER, "111")], NOW)

    with pytest.raises(NotConnectedError, match="two organizations"):
        connector.snapshot(CUSTOMER, [_request(AGENCY_ORG, CUSTOMER, "111")], NOW)


def test_an_orgs_credentials_reference_overrides_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    env = {"GOOGLE_ADS_DEVELOPER_TOKEN": "shared-dev-SECRET", "GOOGLE_ADS_CLIENT_ID": "cid",
           "GOOGLE_ADS_CLIENT_SECRET": "env-SECRET", "GOOGLE_ADS_REFRESH_TOKEN": "env-refresh-SECRET",
           "GOOGLE_ADS_LOGIN_CUSTOMER_ID": "1112223333", "GOOGLE_ADS_ENDPOINT": "127.0.0.1:9"}
    secrets = {"env:AGENCY_ADS": "refresh_token: agency-refresh-SECRET\nclient_secret: agency-SECRET\n",
               "env:BROKEN": "refresh_token: [unclosed", "env:ODD": "password: x\n"}

    def resolve(ref: str) -> str:
        return secrets[ref]

    agency = config_for(AdsIdentity(AGENCY_MANAGER, "env:AGENCY_ADS"), resolve, env)
    plain = config_for(AdsIdentity(), resolve, env)

    assert (agency.login_customer_id, agency.refresh_token, agency.client_secret, agency.developer_token) == (
        AGENCY_MANAGER, "agency-refresh-SECRET", "agency-SECRET", "shared-dev-SECRET")
    assert (plain.login_customer_id, plain.refresh_token) == ("1112223333", "env-refresh-SECRET")
    assert shared_client(agency) is shared_client(config_for(AdsIdentity(AGENCY_MANAGER, "env:AGENCY_ADS"),
                                                             resolve, env))
    assert shared_client(agency).login_customer_id == AGENCY_MANAGER
    for ref in ("env:BROKEN", "env:ODD"):
        with pytest.raises(NotConnectedError) as raised:
            config_for(AdsIdentity(None, ref), resolve, env)
        assert "SECRET" not in str(raised.value)
