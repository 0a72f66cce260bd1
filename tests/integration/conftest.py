"""Emulator fixtures: the official Firestore emulator (or the npm fallback where it is absent) and
bqemulator from its own venv, each started once per session on a free loopback port (shared with other
test folders through tests/servers/session.py), reset between tests, stopped at the end. A missing
emulator fails these tests loudly; only `official_firestore` tests skip, and only on the fallback."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.integration.gcp import drop_dataset, firestore_prefix, fresh_dataset
from tests.servers.bigquery import BigQueryEmulator
from tests.servers.firestore import FirestoreEmulator
from tests.servers.session import shared


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.emulator)


@pytest.fixture(scope="session")
def firestore_emulator(request: pytest.FixtureRequest) -> FirestoreEmulator:
    return shared(request.config).firestore()


@pytest.fixture(scope="session")
def bigquery_emulator(request: pytest.FixtureRequest) -> BigQueryEmulator:
    return shared(request.config).bigquery()


@pytest.fixture(autouse=True)
def _needs_official_firestore(request: pytest.FixtureRequest) -> None:
    if request.node.get_closest_marker("official_firestore") is None:
        return
    emulator: FirestoreEmulator = request.getfixturevalue("firestore_emulator")
    if not emulator.official:
        pytest.skip("needs the official Firestore emulator: the npm fallback does not isolate transactions")


@pytest.fixture
def fs_client(firestore_emulator: FirestoreEmulator) -> Iterator[Any]:
    client = firestore_emulator.client()
    yield client
    client.close()


@pytest.fixture
def fs_prefix(firestore_emulator: FirestoreEmulator) -> str:
    return firestore_prefix(firestore_emulator)


@pytest.fixture(scope="session")
def bq_client(bigquery_emulator: BigQueryEmulator) -> Any:
    return bigquery_emulator.client()


@pytest.fixture
def bq_dataset(bigquery_emulator: BigQueryEmulator, bq_client: Any) -> Iterator[str]:
    """A fresh dataset with every table and view (init_bigquery), dropped after the test."""
    dataset = fresh_dataset(bq_client, bigquery_emulator.project)
    yield dataset
    drop_dataset(bq_client, bigquery_emulator.project, dataset)
