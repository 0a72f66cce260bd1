"""`BigQueryExperimentStore` (ExperimentStore port): subject-line tests in `marketing_ai.experiments`.

The port wants one mutable row per experiment; BigQuery's streamed rows cannot be updated for a while,
so `put_experiment` appends a new row (stamped `written_at`) and reads go through the view
`experiments_current`, the latest row per `experiment_id` by `written_at` (strictly increasing within
a process). Every put is a row of its own, so the table keeps the history of an experiment's results.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from connectors.bigquery.client import CallPolicy, insert_rows, query_rows, table_path
from connectors.bigquery.rows import json_value, select_list, timestamp
from schemas.common import canonical_json, stable_hash
from schemas.experiments import Experiment, ExperimentStatus

COLUMNS = ("experiment_id", "organization_id", "opportunity_id", "type", "entity_id", "account_id", "action_id",
           "variants", "primary_metric", "started_at", "minimum_runtime_days", "stop_rules", "guardrails",
           "status", "winner", "results", "updated_at")
JSON_COLUMNS = ("variants", "stop_rules", "guardrails", "results")
SELECT_LIST = select_list(COLUMNS, JSON_COLUMNS)


def _experiment(row: Mapping[str, Any]) -> Experiment:
    data = {name: row.get(name) for name in COLUMNS}
    for name in JSON_COLUMNS:
        data[name] = json_value(data[name])
    return Experiment.model_validate(data)


class BigQueryExperimentStore:
    def __init__(self, client: Any, project: str, dataset: str = "marketing_ai", *,
                 policy: CallPolicy | None = None):
        self.client = client
        self.policy = policy or CallPolicy()
        self.table = table_path(project, dataset, "experiments")
        self.current = table_path(project, dataset, "experiments_current")
        self._lock = threading.Lock()
        self._last_written = datetime.min.replace(tzinfo=UTC)

    def _written_at(self) -> datetime:
        """Strictly increasing within this process, so two puts in one microsecond still order."""
        with self._lock:
            self._last_written = max(datetime.now(UTC), self._last_written + timedelta(microseconds=1))
            return self._last_written

    def put_experiment(self, experiment: Experiment) -> None:
        data = experiment.model_dump(mode="json")
        row: dict[str, Any] = {name: data[name] for name in COLUMNS}
        for name in JSON_COLUMNS:
            row[name] = canonical_json(data[name])
        row["started_at"] = timestamp(experiment.started_at)
        row["updated_at"] = timestamp(experiment.updated_at)
        row["written_at"] = timestamp(self._written_at())
        insert_rows(self.client, self.policy, self.table, [row], [stable_hash(row, 32)], "experiments insert")

    def get_experiment(self, experiment_id: str) -> Experiment | None:
        sql = f"SELECT {SELECT_LIST} FROM `{self.current}` WHERE experiment_id = @experiment_id"  # noqa: S608
        rows = query_rows(self.client, self.policy, sql, {"experiment_id": experiment_id}, "experiments get")
        return _experiment(rows[0]) if rows else None

    def list_experiments(self, organization_id: str | None = None,
                         status: ExperimentStatus | None = None) -> list[Experiment]:
        clauses: list[str] = []
        params: dict[str, Any] = {}
        if organization_id is not None:
            clauses.append("organization_id = @organization_id")
            params["organization_id"] = organization_id
        if status is not None:
            clauses.append("status = @status")
            params["status"] = ExperimentStatus(status).value
        where = f"WHERE {' AND '.join(clauses)} " if clauses else ""
        sql = f"SELECT {SELECT_LIST} FROM `{self.current}` {where}ORDER BY started_at, experiment_id"  # noqa: S608
        return [_experiment(row) for row in query_rows(self.client, self.policy, sql, params, "experiments list")]
