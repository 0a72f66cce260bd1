"""Building the production stores against the test emulators (shared by tests/integration and the
port-level suite's "gcp" backend)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from connectors.bigquery import BigQueryActionsLog, BigQueryOpportunitySource, CallPolicy, init_bigquery
from connectors.firestore import FirestoreArtifactStore, FirestoreStateStore
from connectors.outbox import OutboxActionsLog
from tests.servers.bigquery import BigQueryEmulator
from tests.servers.firestore import FirestoreEmulator
from tests.servers.session import shared

# Short deadlines: a failing call must fail the test in seconds, not after the client's 600 s of retries.
TEST_POLICY = CallPolicy(timeout_s=10, deadline_s=15)


@dataclass
class GcpStores:
    """The four ports on the production adapters: what the composition root builds for `gcp`."""

    log: OutboxActionsLog
    state: FirestoreStateStore
    opportunities: BigQueryOpportunitySource
    artifacts: FirestoreArtifactStore

    def load_opportunities(self, rows: Any) -> int:
        """The port suite's seeding hook: write raw rows as Scout would."""
        return self.opportunities.load_opportunities(rows)


def fresh_dataset(bq_client: Any, project: str) -> str:
    dataset = f"t_{uuid.uuid4().hex[:12]}"
    init_bigquery(bq_client, project, dataset, policy=TEST_POLICY)
    return dataset


def drop_dataset(bq_client: Any, project: str, dataset: str) -> None:
    bq_client.delete_dataset(f"{project}.{dataset}", delete_contents=True, not_found_ok=True, timeout=10)


def firestore_prefix(emulator: FirestoreEmulator) -> str:
    """Wipe the official emulator; on the fallback (no reset endpoint) isolate by collection prefix."""
    emulator.reset()
    return "" if emulator.official else emulator.namespace()


@contextmanager
def gcp_stores(firestore: FirestoreEmulator, bigquery: BigQueryEmulator, outbox_dir: Path) -> Iterator[GcpStores]:
    """Fresh, empty stores: a new BigQuery dataset (dropped afterwards) and an empty Firestore."""
    bq_client = bigquery.client()
    dataset = fresh_dataset(bq_client, bigquery.project)
    fs_client = firestore.client()
    prefix = firestore_prefix(firestore)
    try:
        yield GcpStores(
            log=OutboxActionsLog(BigQueryActionsLog(bq_client, bigquery.project, dataset, policy=TEST_POLICY),
                                 outbox_dir),
            state=FirestoreStateStore(fs_client, prefix=prefix, timeout_s=5, deadline_s=15),
            opportunities=BigQueryOpportunitySource(bq_client, bigquery.project, dataset, policy=TEST_POLICY),
            artifacts=FirestoreArtifactStore(fs_client, prefix=prefix, timeout_s=5, deadline_s=15),
        )
    finally:
        drop_dataset(bq_client, bigquery.project, dataset)
        fs_client.close()


def gcp_backend_stores(request: pytest.FixtureRequest) -> Iterator[GcpStores]:
    """The port suite's "gcp" backend: fresh stores on the session's shared emulators. A test marked
    `official_firestore` skips only when the npm fallback emulator is the one running."""
    emulators = shared(request.config)
    firestore = emulators.firestore()
    if request.node.get_closest_marker("official_firestore") and not firestore.official:
        pytest.skip("needs the official Firestore emulator: the npm fallback does not isolate transactions")
    with gcp_stores(firestore, emulators.bigquery(), request.getfixturevalue("tmp_path") / "outbox") as built:
        yield built
