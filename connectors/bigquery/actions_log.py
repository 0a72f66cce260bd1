"""`BigQueryActionsLog`: the append-only actions log in `marketing_ai.actions_log` (ActionsLog port).

Writes are streaming inserts, one request per batch (the orchestrator appends an org run's transitions
together), each row carrying its `event_id` as the insert id. BigQuery de-duplicates insert ids only on
a best-effort basis and the emulator not at all, so every read also collapses rows with the same
`event_id`; the latest-state view collapses them by construction. All SQL is constant text with query
parameters; only the validated table path is interpolated.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from connectors.bigquery.client import CallPolicy, insert_rows, query_rows, table_path
from connectors.bigquery.rows import SELECT_LIST, from_row, to_row
from schemas.common import ActionStatus
from schemas.records import ActionRecord

_IDS_PER_QUERY = 10_000


class BigQueryActionsLog:
    def __init__(self, client: Any, project: str, dataset: str = "marketing_ai", *,
                 policy: CallPolicy | None = None):
        self.client = client
        self.policy = policy or CallPolicy()
        self.table = table_path(project, dataset, "actions_log")
        self.latest_view = table_path(project, dataset, "actions_latest")

    def append(self, records: Sequence[ActionRecord]) -> None:
        if not records:
            return
        insert_rows(self.client, self.policy, self.table, [to_row(r) for r in records],
                    [r.event_id for r in records], "actions_log insert")

    def latest(self, action_ids: Sequence[str]) -> dict[str, ActionRecord]:
        ids = sorted(set(action_ids))
        found: dict[str, ActionRecord] = {}
        for start in range(0, len(ids), _IDS_PER_QUERY):
            sql = f"SELECT {SELECT_LIST} FROM `{self.latest_view}` WHERE action_id IN UNNEST(@ids)"  # noqa: S608
            for row in query_rows(self.client, self.policy, sql, {"ids": ids[start:start + _IDS_PER_QUERY]},
                                  "actions_log latest"):
                record = from_row(row)
                found[record.action_id] = record
        return found

    def events(self, action_id: str) -> list[ActionRecord]:
        sql = (f"SELECT {SELECT_LIST} FROM `{self.table}` WHERE action_id = @action_id "  # noqa: S608
               "QUALIFY ROW_NUMBER() OVER (PARTITION BY event_id ORDER BY event_time) = 1 "
               "ORDER BY seq, event_time")
        rows = query_rows(self.client, self.policy, sql, {"action_id": action_id}, "actions_log events")
        return [from_row(row) for row in rows]

    def query(
        self,
        *,
        organization_id: str | None = None,
        since: datetime | None = None,
        statuses: Sequence[ActionStatus] | None = None,
        opportunity_id: str | None = None,
        limit: int = 1000,
    ) -> list[ActionRecord]:
        """Latest row per action, filtered on that row. The WHERE clause is assembled from constant
        fragments chosen by which filters are given; every value is a parameter."""
        clauses: list[str] = []
        params: dict[str, Any] = {"limit": max(0, int(limit))}
        if organization_id is not None:
            clauses.append("organization_id = @organization_id")
            params["organization_id"] = organization_id
        if since is not None:
            clauses.append("event_time >= @since")
            params["since"] = ("TIMESTAMP", since)
        if statuses is not None:
            clauses.append("status IN UNNEST(@statuses)")
            params["statuses"] = [ActionStatus(s).value for s in statuses]
        if opportunity_id is not None:
            clauses.append("opportunity_id = @opportunity_id")
            params["opportunity_id"] = opportunity_id
        where = f"WHERE {' AND '.join(clauses)} " if clauses else ""
        sql = (f"SELECT {SELECT_LIST} FROM `{self.latest_view}` {where}"  # noqa: S608
               "ORDER BY event_time DESC, action_id LIMIT @limit")
        return [from_row(row) for row in query_rows(self.client, self.policy, sql, params, "actions_log query")]

    def flush_outbox(self) -> int:
        """This adapter has no outbox of its own (wrap it in `connectors.outbox.OutboxActionsLog`)."""
        return 0
