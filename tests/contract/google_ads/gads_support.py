"""Connector construction for the contract tests: the real client pointed at the fake's endpoint."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from gads_fake import ACCESS_TOKEN, DEVELOPER_TOKEN
from gads_seed import CUSTOMER, MANAGER, ORG
from google.oauth2.credentials import Credentials

from connectors.google_ads import API_VERSION, AdsIdentity, GoogleAdsSettings

FAST = GoogleAdsSettings(read_timeout_s=5, mutate_timeout_s=5, attempts=3, backoff_initial_s=0.01,
                         backoff_max_s=0.05)


_DEFAULT = object()


def client_factory(endpoint: str, *, login_customer_id: Any = _DEFAULT,
                   developer_token: str = DEVELOPER_TOKEN) -> Callable[[AdsIdentity], Any]:
    """`GoogleAdsClient`s with a static access token (never refreshed, so no network), one per identity:
    the identity's manager account is its `login-customer-id` (else `login_customer_id`, else MANAGER)."""

    def build(identity: AdsIdentity) -> Any:
        from google.ads.googleads.client import GoogleAdsClient

        login = identity.login_customer_id or (MANAGER if login_customer_id is _DEFAULT else login_customer_id)
        return GoogleAdsClient(credentials=Credentials(token=ACCESS_TOKEN), developer_token=developer_token,
                               endpoint=endpoint, login_customer_id=login, version=API_VERSION,
                               use_proto_plus=True)

    return build


def allowed(org: str) -> set[str]:
    return {CUSTOMER} if org == ORG else set()
