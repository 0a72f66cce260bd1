"""BigQueryExperimentStore on bqemulator: one mutable experiment per id on an append-only table."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from connectors.base import ExperimentStore
from connectors.bigquery import BigQueryExperimentStore
from schemas.experiments import Experiment, ExperimentStatus, StopRules, Variant
from tests.integration.gcp import TEST_POLICY

T0 = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)


def experiment(experiment_id: str, *, org: str = "org-acme", started: datetime = T0, **changes) -> Experiment:
    return Experiment.model_validate({
        "experiment_id": experiment_id, "organization_id": org, "opportunity_id": "opp-acme-007",
        "entity_id": "42", "account_id": "acme-mail", "action_id": "act-" + "0" * 24,
        "variants": (Variant(variant_id="9001", label="Spring sale", control=True),
                     Variant(variant_id="9002", label="Spring sale – 20 % off")),
        "started_at": started, "minimum_runtime_days": 2, "stop_rules": StopRules(required_sends_per_variant=800),
        "guardrails": {"rules": ["rollout_phase", "confidence"]}, **changes,
    })


@pytest.fixture
def store(bq_client, bigquery_emulator, bq_dataset) -> BigQueryExperimentStore:
    return BigQueryExperimentStore(bq_client, bigquery_emulator.project, bq_dataset, policy=TEST_POLICY)


def test_it_is_an_experiment_store(store):
    assert isinstance(store, ExperimentStore)


def test_an_experiment_round_trips_and_the_latest_put_wins(store, bq_client, bigquery_emulator, bq_dataset):
    running = experiment("exp-1")
    store.put_experiment(running)
    assert store.get_experiment("exp-1") == running
    assert store.get_experiment("exp-unknown") is None

    decided = running.model_copy(update={"status": ExperimentStatus.DECIDED, "winner": "9002",
                                         "results": {"p_value": "0.003", "opens": {"9001": 150, "9002": 210}},
                                         "updated_at": T0 + timedelta(days=3)})
    store.put_experiment(decided)
    store.put_experiment(decided)  # a repeated put changes nothing visible

    assert store.get_experiment("exp-1") == decided
    history = list(bq_client.query_and_wait(
        f"SELECT status FROM `{bigquery_emulator.project}.{bq_dataset}.experiments` ORDER BY written_at"))
    assert [r["status"] for r in history] == ["running", "decided", "decided"]  # the history stays


def test_listing_filters_on_the_current_row(store):
    one, two = experiment("exp-1"), experiment("exp-2", started=T0 - timedelta(days=1))
    other = experiment("exp-3", org="org-globex")
    for item in (one, two, other):
        store.put_experiment(item)
    store.put_experiment(one.model_copy(update={"status": ExperimentStatus.STOPPED}))

    assert [e.experiment_id for e in store.list_experiments()] == ["exp-2", "exp-1", "exp-3"]
    assert [e.experiment_id for e in store.list_experiments("org-acme", ExperimentStatus.RUNNING)] == ["exp-2"]
    assert [e.experiment_id for e in store.list_experiments(status=ExperimentStatus.STOPPED)] == ["exp-1"]
    assert store.list_experiments("org-nobody") == []
