"""The Google Ads fake, started once per test session on 127.0.0.1, and the real connector pointed at it.

The library always opens a *secure* channel (`google.api_core.grpc_helpers.create_channel`); for the fake's
endpoint only, the session swaps its TLS credentials for gRPC local credentials, so the real client, its
interceptors and its OAuth header all run unchanged over loopback.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any

import grpc
import pytest
from gads_fake import FakeGoogleAds
from gads_seed import main_account, other_account
from gads_support import FAST, allowed, client_factory
from google.api_core import grpc_helpers

from connectors.google_ads import GoogleAdsConnector, GoogleAdsSettings


@pytest.fixture(scope="session")
def gads_server() -> Iterator[FakeGoogleAds]:
    server = FakeGoogleAds()
    endpoint = server.start()
    original = grpc_helpers.create_channel

    def create_channel(target: str, *args: Any, **kwargs: Any) -> Any:
        if target == endpoint:
            kwargs["ssl_credentials"] = grpc.local_channel_credentials()
        return original(target, *args, **kwargs)

    logging.getLogger("google.ads.googleads.client").setLevel(logging.CRITICAL)  # every failed RPC logs a WARNING
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(grpc_helpers, "create_channel", create_channel)
        try:
            yield server
        finally:
            server.stop()


@pytest.fixture
def fake(gads_server: FakeGoogleAds) -> Iterator[FakeGoogleAds]:
    gads_server.reset([main_account(), other_account()])
    yield gads_server
    gads_server.reset([])


@pytest.fixture
def make_connector(fake: FakeGoogleAds) -> Callable[..., GoogleAdsConnector]:
    def make(settings: GoogleAdsSettings = FAST, **factory: Any) -> GoogleAdsConnector:
        return GoogleAdsConnector(allowed_customers=allowed, client_factory=client_factory(fake.endpoint, **factory),
                                  settings=settings)

    return make


@pytest.fixture
def connector(make_connector: Callable[..., GoogleAdsConnector]) -> GoogleAdsConnector:
    return make_connector()
