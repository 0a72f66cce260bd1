"""The Messages-API fake, started once for this folder on 127.0.0.1 and stopped at the end."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from llm_fake_server import FakeMessagesApi
from llm_inputs import TEST_KEY

from connectors.llm import LlmClient, LlmSettings


@pytest.fixture(scope="session")
def fake_server() -> Iterator[FakeMessagesApi]:
    server = FakeMessagesApi()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
def fake(fake_server: FakeMessagesApi) -> Iterator[FakeMessagesApi]:
    fake_server.reset()
    yield fake_server
    fake_server.reset()


@pytest.fixture
def settings(fake: FakeMessagesApi) -> LlmSettings:
    return LlmSettings(api_key=TEST_KEY, model="claude-test", base_url=fake.base_url, timeout_s=10, max_retries=2)


@pytest.fixture
def client(settings: LlmSettings) -> LlmClient:
    return LlmClient(settings)
