"""Experiments on SQLite (`ExperimentStore` port): one row per experiment, replaced as it progresses."""

from __future__ import annotations

import sqlite3
from typing import Any

from connectors.local.codec import from_json, parse_ts, to_json, ts, ts_or_none
from connectors.local.db import Database
from schemas.experiments import Experiment, ExperimentStatus

_COLUMNS = ("experiment_id", "organization_id", "opportunity_id", "type", "entity_id", "account_id", "action_id",
            "variants", "primary_metric", "started_at", "minimum_runtime_days", "stop_rules", "guardrails",
            "status", "winner", "results", "updated_at")
_JSON = frozenset({"variants", "stop_rules", "guardrails", "results"})
_TIMES = frozenset({"started_at", "updated_at"})
_PUT = (f"INSERT OR REPLACE INTO experiments ({', '.join(_COLUMNS)}) "  # noqa: S608 - fixed column names
        f"VALUES ({', '.join('?' for _ in _COLUMNS)})")


def _experiment(row: sqlite3.Row) -> Experiment:
    data = {name: row[name] for name in _COLUMNS}
    for name in _JSON:
        data[name] = from_json(data[name])
    for name in _TIMES:
        data[name] = parse_ts(data[name])
    return Experiment.model_validate(data)


class SqliteExperimentStore:
    db: Database

    def put_experiment(self, experiment: Experiment) -> None:
        data = experiment.model_dump(mode="json")
        values: list[Any] = []
        for name in _COLUMNS:
            if name in _JSON:
                values.append(to_json(data[name]))
            elif name == "started_at":
                values.append(ts(experiment.started_at))
            elif name == "updated_at":
                values.append(ts_or_none(experiment.updated_at))
            else:
                values.append(data[name])
        with self.db.write() as tx:
            tx.execute(_PUT, values)

    def get_experiment(self, experiment_id: str) -> Experiment | None:
        row = self.db.connection().execute("SELECT * FROM experiments WHERE experiment_id = ?",
                                           (experiment_id,)).fetchone()
        return None if row is None else _experiment(row)

    def list_experiments(self, organization_id: str | None = None,
                         status: ExperimentStatus | None = None) -> list[Experiment]:
        where, params = [], []
        if organization_id is not None:
            where.append("organization_id = ?")
            params.append(organization_id)
        if status is not None:
            where.append("status = ?")
            params.append(ExperimentStatus(status).value)
        clause = f" WHERE {' AND '.join(where)}" if where else ""
        rows = self.db.connection().execute(
            f"SELECT * FROM experiments{clause} ORDER BY started_at, experiment_id", params  # noqa: S608
        ).fetchall()
        return [_experiment(row) for row in rows]
