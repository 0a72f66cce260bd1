"""The bundled sample data end to end with OPERATOR_BACKEND=gcp pointed at the emulators: BigQuery
log and opportunities, Firestore state and artifacts, sandbox platforms.

The same samples on the embedded default are the reference: both backends must decide every
opportunity the same way. Then the production concerns: two runs started together execute each action
once, and a run that loses BigQuery half-way spools what it did and the next run flushes it.
"""

from __future__ import annotations

import os
import threading
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from connectors.bigquery import CallPolicy, build_bigquery_experiments, init_bigquery
from connectors.local import LocalStore
from connectors.local.orgs import load_orgs
from connectors.sandbox import SandboxWorld
from operator_ai.orchestrator import Orchestrator
from operator_ai.settings import SAMPLES_DIR, Settings
from operator_ai.wiring import Services, build_services
from schemas.common import ActionStatus
from schemas.records import ActionRecord
from tests.e2e.harness import ApplyCall, Clock, Spy, build_env, executed_transitions
from tests.integration.gcp import drop_dataset, firestore_prefix
from tests.servers.bigquery import BigQueryEmulator
from tests.servers.firestore import FirestoreEmulator

# what an action's latest row says once it reached the platform (a subject-line test is measured at once)
RAN = (ActionStatus.EXECUTED, ActionStatus.MEASURED)


def decisions(log: Any) -> dict[str, ActionStatus]:
    """The current status of every action, keyed by opportunity (or action id for unparseable input)."""
    return {r.opportunity_id or r.action_id: r.status for r in log.query(limit=100_000)}


def all_rows(log: Any) -> list[ActionRecord]:
    return [row for r in log.query(limit=100_000) for row in log.events(r.action_id)]


class GcpDeployment:
    """One gcp installation on the emulators: settings from the environment, seeded once."""

    def __init__(self, home: Path, clock: Clock):
        self.home = home
        self.clock = clock
        self.built: list[Services] = []

    def services(self, after_apply: Callable[[Spy, ApplyCall], None] | None = None) -> Services:
        """Services as the composition root builds them from OPERATOR_* variables (a second call is a
        second process); platform connectors are wrapped in spies that count real applies."""
        services = build_services(Settings(), clock=self.clock)
        # the experiments store for the measurement runner, unless the composition root already set it
        services.extras.setdefault("experiments", build_bigquery_experiments(services.settings))
        services.connectors.update({p: Spy(c, self.clock, after_apply=after_apply)  # type: ignore[misc]
                                    for p, c in services.connectors.items()})
        self.built.append(services)
        return services

    def seed(self, services: Services) -> None:
        """What `operator init` plus Scout would have put in place: orgs, opportunities, sandbox accounts."""
        for policy in load_orgs(SAMPLES_DIR / "orgs.yaml"):
            services.state.put_org(policy)
        services.opportunities.load_opportunities(SAMPLES_DIR / "opportunities.jsonl")  # type: ignore[attr-defined]
        sandbox = LocalStore.open(self.home / "sandbox.sqlite")
        SandboxWorld(sandbox, clock=self.clock).seed_fixture(SAMPLES_DIR / "sandbox.json", self.clock())
        sandbox.close()

    def applied(self) -> list[str]:
        return [key for s in self.built for spy in s.connectors.values() for key in spy.applied_keys()]  # type: ignore[attr-defined]

    def close(self) -> None:
        for services in self.built:
            services.close()


@pytest.fixture
def fresh_firestore(firestore_emulator: FirestoreEmulator, tmp_path: Path,
                    monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """An empty Firestore at FIRESTORE_EMULATOR_HOST: the shared official emulator, reset; or, on the
    npm fallback (no reset endpoint), a fallback emulator of this test's own."""
    monkeypatch.setenv("FIRESTORE_EMULATOR_HOST", firestore_emulator.host)  # restored afterwards
    if firestore_emulator.official:
        firestore_prefix(firestore_emulator)
        yield firestore_emulator.host
        return
    own = FirestoreEmulator(tmp_path / "fs-logs").start()
    try:
        yield own.host
    finally:
        own.stop()


def _deployment(bigquery: BigQueryEmulator, dataset: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                init: bool = True) -> GcpDeployment:
    client = bigquery.client()
    if init:
        init_bigquery(client, bigquery.project, dataset)
    for name in [n for n in os.environ if n.startswith(("OPERATOR_", "ANTHROPIC_"))]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("OPERATOR_BACKEND", "gcp")
    monkeypatch.setenv("OPERATOR_PLATFORMS", "sandbox")
    monkeypatch.setenv("OPERATOR_GCP_PROJECT", bigquery.project)
    monkeypatch.setenv("OPERATOR_BQ_DATASET", dataset)
    monkeypatch.setenv("OPERATOR_BQ_ENDPOINT", bigquery.endpoint)
    monkeypatch.setenv("OPERATOR_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("OPERATOR_OUTBOX_DIR", str(tmp_path / "outbox"))
    return GcpDeployment(tmp_path / "home", Clock())


@pytest.fixture
def gcp_deployment(bigquery_emulator: BigQueryEmulator, fresh_firestore: str, tmp_path: Path,
                   monkeypatch: pytest.MonkeyPatch) -> Iterator[GcpDeployment]:
    dataset = f"marketing_ai_{uuid.uuid4().hex[:8]}"
    deployment = _deployment(bigquery_emulator, dataset, tmp_path, monkeypatch)
    yield deployment
    deployment.close()
    drop_dataset(bigquery_emulator.client(), bigquery_emulator.project, dataset)


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> dict[str, ActionStatus]:
    """The embedded default's decisions on the same samples (the behaviour the gcp backend must match)."""
    env = build_env(tmp_path_factory.mktemp("local") / "home", Clock())
    try:
        env.run()
        return decisions(env.log)
    finally:
        env.close()


def test_the_sample_run_on_gcp_decides_exactly_as_the_embedded_default(gcp_deployment, reference, bigquery_emulator):
    services = gcp_deployment.services()
    gcp_deployment.seed(services)

    summary = Orchestrator(services).run()

    assert summary.errors == ()
    assert decisions(services.log) == reference
    assert sum(Counter(reference.values())[s] for s in RAN) >= 3  # the samples do execute things
    dataset = services.settings.bq_dataset
    rows = list(services.log.inner.client.query_and_wait(  # type: ignore[attr-defined]
        f"SELECT COUNT(*) AS n, COUNT(DISTINCT event_id) AS events FROM `{bigquery_emulator.project}.{dataset}.actions_log`"))
    assert rows[0]["n"] == rows[0]["events"] == len(all_rows(services.log))  # every row in BigQuery, once
    executed = services.log.query(statuses=RAN, limit=1000)
    assert all(services.state.claim_state(r.action_id)["state"] == "done" for r in executed)
    assert sorted(gcp_deployment.applied()) == sorted(r.action_id for r in executed)
    assert services.log.pending == 0  # type: ignore[attr-defined]


def test_a_second_run_executes_nothing_again(gcp_deployment, reference):
    services = gcp_deployment.services()
    gcp_deployment.seed(services)
    Orchestrator(services).run()
    applied_once = sorted(gcp_deployment.applied())
    gcp_deployment.clock.advance(minutes=10)

    Orchestrator(services).run()

    assert sorted(gcp_deployment.applied()) == applied_once
    assert set(executed_transitions(all_rows(services.log)).values()) == {1}
    assert decisions(services.log) == reference


def test_two_runs_started_together_execute_each_action_exactly_once(gcp_deployment, reference):
    first, second = gcp_deployment.services(), gcp_deployment.services()  # two processes' worth of clients
    gcp_deployment.seed(first)
    start = threading.Barrier(2)
    summaries: list[Any] = []

    def run(services: Services) -> None:
        start.wait()
        summaries.append(Orchestrator(services).run())

    threads = [threading.Thread(target=run, args=(s,)) for s in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(300)

    assert len(summaries) == 2 and all(s.errors == () for s in summaries)
    applied = gcp_deployment.applied()
    assert len(applied) == len(set(applied))  # no action reached the platform twice
    should_execute = {k for k, status in reference.items() if status in RAN}
    executed = {r.opportunity_id or r.action_id for r in first.log.query(statuses=RAN, limit=1000)}
    assert executed == should_execute
    assert set(executed_transitions(all_rows(first.log)).values()) == {1}


class LosingBigQuery:
    """A gcp deployment on a BigQuery of its own (file-backed) that stops right after the first real
    platform call of the first run."""

    def __init__(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
        self.bigquery = BigQueryEmulator(tmp_path / "bq-logs", data_dir=tmp_path / "bq-data").start()
        self.deployment = _deployment(self.bigquery, "marketing_ai", tmp_path, monkeypatch)
        self.stopped: list[str] = []
        self.services = self.deployment.services(after_apply=self._stop_bigquery)
        self.deployment.seed(self.services)
        for store in (self.services.log.inner, self.services.opportunities,  # type: ignore[attr-defined]
                      self.services.extras["experiments"]):
            store.policy = CallPolicy(timeout_s=2, deadline_s=3)  # fail in seconds, not the production minute

    def _stop_bigquery(self, spy: Spy, call: ApplyCall) -> None:
        if not call.validate_only and not self.stopped:
            self.stopped.extend(call.keys)
            self.bigquery.stop()

    def close(self) -> None:
        self.deployment.close()
        self.bigquery.stop()


@pytest.fixture
def losing(fresh_firestore: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[LosingBigQuery]:
    setup = LosingBigQuery(tmp_path, monkeypatch)
    yield setup
    setup.close()


def test_a_run_that_loses_bigquery_spools_and_the_next_runs_flush_and_finish(losing, reference):
    """What reached the platform before BigQuery went is spooled, not lost; after BigQuery is back the
    next run flushes it first, and nothing is executed twice. Once the dead run's claims expire, the
    runs after it finish everything exactly as the embedded default does."""
    log = losing.services.log
    first = Orchestrator(losing.services).run()

    assert losing.stopped, "the run reached a platform call"
    assert set(losing.stopped) <= {r.action_id for r in log.spooled()}  # type: ignore[attr-defined]
    assert any("StoreError" in e for e in first.errors)  # org runs that needed BigQuery afterwards failed

    losing.bigquery.start()
    losing.deployment.clock.advance(minutes=10)
    second = Orchestrator(losing.services).run()

    assert second.errors == ()
    assert log.pending == 0  # type: ignore[attr-defined]
    stored = log.inner.latest(losing.stopped)  # type: ignore[attr-defined]
    assert set(stored) == set(losing.stopped) and all(r.status in RAN for r in stored.values())

    losing.deployment.clock.advance(seconds=losing.services.settings.claim_lease_s)  # the dead run's leases end
    Orchestrator(losing.services).run()

    applied = losing.deployment.applied()
    assert len(applied) == len(set(applied))  # nothing executed twice
    assert set(executed_transitions(all_rows(log)).values()) == {1}
    assert decisions(log) == reference
