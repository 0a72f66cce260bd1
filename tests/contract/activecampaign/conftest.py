"""Fixtures: a seeded fake ActiveCampaign account on 127.0.0.1 and the real connector pointed at it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from ac_fake_server import FakeActiveCampaign
from ac_support import Resolver, make_connector, new_fake, seed

from connectors.activecampaign import ActiveCampaignConnector


@pytest.fixture
def fake() -> Iterator[FakeActiveCampaign]:
    server = new_fake()
    seed(server)
    yield server
    server.close()


@pytest.fixture
def resolver() -> Resolver:
    return Resolver()


@pytest.fixture
def connector(fake: FakeActiveCampaign, resolver: Resolver) -> Iterator[ActiveCampaignConnector]:
    client = make_connector(fake, resolver)
    yield client
    client.close()
