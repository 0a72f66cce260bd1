"""Production persistence on BigQuery: the actions log, Scout opportunities and the DDL that creates them.

`build_bigquery_stores(settings)` is what the composition root calls for `OPERATOR_BACKEND=gcp`: the
actions log comes wrapped in the durable local outbox (a failed write is spooled, never dropped).
`build_bigquery_experiments(settings)` gives the experiments store the measurement runner uses.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

from connectors.bigquery.actions_log import BigQueryActionsLog
from connectors.bigquery.client import CallPolicy, make_bigquery_client
from connectors.bigquery.ddl import init_bigquery
from connectors.bigquery.experiments import BigQueryExperimentStore
from connectors.bigquery.opportunities import BigQueryOpportunitySource
from connectors.outbox import OutboxActionsLog, Spool

__all__ = [
    "BigQueryActionsLog",
    "BigQueryExperimentStore",
    "BigQueryOpportunitySource",
    "CallPolicy",
    "build_bigquery_experiments",
    "build_bigquery_stores",
    "init_bigquery",
    "make_bigquery_client",
]


class BigQuerySettings(Protocol):
    """The settings fields used here (operator_ai.settings.Settings has them; connectors may not import it)."""

    gcp_project: str | None
    bq_dataset: str
    bq_endpoint: str | None
    bq_location: str

    @property
    def outbox_path(self) -> Path: ...


def bigquery_client_for(settings: BigQuerySettings) -> Any:
    if not settings.gcp_project:
        raise ValueError("OPERATOR_GCP_PROJECT is required for OPERATOR_BACKEND=gcp")
    return make_bigquery_client(settings.gcp_project, endpoint=settings.bq_endpoint, location=settings.bq_location)


def build_bigquery_stores(settings: BigQuerySettings, *, spool: Spool | None = None,
                          ) -> tuple[OutboxActionsLog, BigQueryOpportunitySource]:
    """`spool`: where refused log writes wait (the gcp backend passes Firestore's); default: a directory
    (`settings.outbox_path`), only for tools and tests: an instance's disk does not outlive it."""
    client = bigquery_client_for(settings)
    project = settings.gcp_project or ""
    log = OutboxActionsLog(BigQueryActionsLog(client, project, settings.bq_dataset),
                           spool if spool is not None else settings.outbox_path)
    return log, BigQueryOpportunitySource(client, project, settings.bq_dataset)


def build_bigquery_experiments(settings: BigQuerySettings) -> BigQueryExperimentStore:
    """The experiments store (`services.extras["experiments"]` for the measurement runner)."""
    return BigQueryExperimentStore(bigquery_client_for(settings), settings.gcp_project or "", settings.bq_dataset)
