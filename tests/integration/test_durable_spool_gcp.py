"""No executed action can be lost on the gcp backend (issue 16): when BigQuery refuses the write-ahead row it
waits in Firestore, beside the state, not on the function instance's disk; when Firestore refuses it too,
nothing is executed.

On the emulators, with the services built as the composition root builds them from OPERATOR_* variables.
"Discarding the instance" is closing its services and building new ones, with nothing carried over but
what the stores hold.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from google.cloud import firestore

from connectors.firestore.spool import FirestoreSpool
from operator_ai.orchestrator import Orchestrator
from schemas.common import ActionStatus
from tests.integration.test_e2e_gcp import RAN, LosingBigQuery, fresh_firestore  # noqa: F401 (a fixture)
from tests.servers.procs import free_port


@pytest.fixture
def outage(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[LosingBigQuery]:
    """A gcp deployment on an empty Firestore and a BigQuery of its own that stops after the first platform call."""
    request.getfixturevalue("fresh_firestore")
    setup = LosingBigQuery(tmp_path, monkeypatch)
    yield setup
    setup.close()


def test_a_row_bigquery_refused_survives_the_instance_in_firestore_and_is_flushed_by_the_next(
        outage: LosingBigQuery, tmp_path: Path) -> None:
    losing = outage
    first = Orchestrator(losing.services).run()
    assert losing.stopped, "the run reached a platform call before BigQuery went"
    assert any("StoreError" in e for e in first.errors)
    assert not any((tmp_path / "outbox").glob("**/*.jsonl"))  # nothing spooled on the instance's disk
    losing.services.close()  # the instance is gone, and anything it kept in memory with it

    losing.bigquery.start()
    fresh = losing.deployment.services()  # a new instance: only the stores know what happened
    spooled = {r.action_id: r.status for r in fresh.log.spooled()}  # type: ignore[attr-defined]
    assert set(losing.stopped) <= set(spooled)  # the executed actions' rows wait in Firestore
    assert {spooled[a] for a in losing.stopped} <= set(RAN)

    losing.deployment.clock.advance(minutes=10)
    second = Orchestrator(fresh).run()  # flushes the Firestore spool first

    assert second.errors == ()
    assert fresh.log.pending == 0  # type: ignore[attr-defined]
    stored = fresh.log.inner.latest(losing.stopped)  # type: ignore[attr-defined]
    assert set(stored) == set(losing.stopped) and all(r.status in RAN for r in stored.values())
    applied = losing.deployment.applied()
    assert len(applied) == len(set(applied))  # nothing executed twice


class BothDownAtTheWriteAhead:
    """Stops BigQuery and breaks the Firestore spool the moment the first write-ahead (EXECUTING) batch is
    sent: the row can be made durable nowhere."""

    def __init__(self, outage: LosingBigQuery, monkeypatch: pytest.MonkeyPatch):
        self.losing = losing = outage
        self.fired = False
        # one organization at a time, so no other org's write-ahead slips in before the stores go
        losing.services.settings = losing.services.settings.model_copy(update={"org_concurrency": 1})
        log = losing.services.log
        self.inner_append = log.inner.append  # type: ignore[attr-defined]
        monkeypatch.setenv("FIRESTORE_EMULATOR_HOST", f"127.0.0.1:{free_port()}")  # nothing listens there
        self.dead_spool = FirestoreSpool(firestore.Client(project=losing.bigquery.project), timeout_s=1, deadline_s=2)
        log.inner.append = self.append  # type: ignore[attr-defined]

    def append(self, records: Any) -> None:
        if not self.fired and any(r.status == ActionStatus.EXECUTING for r in records):
            self.fired = True
            self.losing.bigquery.stop()
            self.losing.services.log.spool = self.dead_spool  # type: ignore[attr-defined]
        self.inner_append(records)


def test_with_bigquery_and_the_spool_both_down_nothing_is_executed(
        outage: LosingBigQuery, monkeypatch: pytest.MonkeyPatch) -> None:
    losing = outage
    fault = BothDownAtTheWriteAhead(losing, monkeypatch)

    summary = Orchestrator(losing.services).run()

    assert fault.fired, "the run reached a write-ahead row"
    assert losing.deployment.applied() == []  # no platform call without a durable write-ahead row
    assert any("neither the actions log nor the outbox" in e for e in summary.errors), summary.errors
    assert not losing.stopped
