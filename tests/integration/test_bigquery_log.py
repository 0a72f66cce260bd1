"""BigQueryActionsLog on bqemulator: batched streaming inserts, typed columns, parameterised reads
that collapse duplicate insert ids, and bounded failure when BigQuery refuses a write."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import pytest

from connectors.base import StoreError
from connectors.bigquery import BigQueryActionsLog, CallPolicy
from connectors.bigquery.client import insert_rows
from schemas.common import ActionStatus
from tests.integration.gcp import TEST_POLICY
from tests.integration.records import T0, history, record

S = ActionStatus
A1, A2, A3 = (f"act-{i:024x}" for i in (1, 2, 3))


class CountingClient:
    """The real client, counting insertAll requests (to prove one request per batch)."""

    def __init__(self, client: Any):
        self._client = client
        self.inserts: list[int] = []

    def insert_rows_json(self, table: Any, rows: Any, **kwargs: Any) -> Any:
        self.inserts.append(len(rows))
        return self._client.insert_rows_json(table, rows, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)


@pytest.fixture
def log(bq_client, bigquery_emulator, bq_dataset) -> BigQueryActionsLog:
    return BigQueryActionsLog(CountingClient(bq_client), bigquery_emulator.project, bq_dataset, policy=TEST_POLICY)


def test_a_batch_is_one_streaming_insert_and_round_trips_every_column(log):
    rows = history(A1, [S.PLANNED, S.EXECUTING, S.EXECUTED], executed_at=T0, executed_by="operator",
                   result={"resource_name": "customers/1234567890/campaignBudgets/55"},
                   measurement_checkpoints=(T0 + timedelta(days=1), T0 + timedelta(days=3)))
    log.append(rows)

    assert log.client.inserts == [3]
    assert log.events(A1) == rows
    assert log.latest([A1]) == {A1: rows[-1]}


def test_large_batches_are_split_into_requests_of_at_most_500_rows(log):
    rows = [record(f"act-{i:024x}", seq=0) for i in range(501)]
    log.append(rows)
    assert log.client.inserts == [500, 1]
    assert len(log.latest([r.action_id for r in rows])) == 501


def test_payload_and_verdict_are_json_columns_queryable_in_sql(log, bq_client, bigquery_emulator, bq_dataset):
    log.append([record(A1)])
    sql = (f"SELECT JSON_VALUE(payload, '$.action.params.new_daily_budget') AS budget, "
           f"JSON_VALUE(verdict, '$.outcome') AS outcome FROM `{bigquery_emulator.project}.{bq_dataset}.actions_log`")
    assert [dict(r) for r in bq_client.query_and_wait(sql)] == [{"budget": "120.50", "outcome": "allow"}]


def test_a_repeated_insert_id_is_read_once_everywhere(log, bq_client, bigquery_emulator, bq_dataset):
    rows = history(A1, [S.PLANNED, S.EXECUTING])
    log.append(rows)
    log.append(rows)  # a retried batch: the emulator keeps both copies (real BigQuery only best-effort)
    stored = list(bq_client.query_and_wait(
        f"SELECT COUNT(*) AS n FROM `{bigquery_emulator.project}.{bq_dataset}.actions_log`"))
    assert stored[0]["n"] == 4

    assert log.events(A1) == rows
    assert log.latest([A1]) == {A1: rows[-1]}
    assert log.query() == [rows[-1]]


def test_latest_is_the_highest_seq_even_when_written_out_of_order(log):
    rows = history(A1, [S.PLANNED, S.PENDING_APPROVAL, S.APPROVED])
    log.append([rows[2]])
    log.append([rows[0], rows[1]])
    assert log.latest([A1, A2]) == {A1: rows[2]}
    assert [r.seq for r in log.events(A1)] == [0, 1, 2]


def test_query_filters_on_the_latest_row_newest_first(log):
    a1 = history(A1, [S.PLANNED, S.EXECUTED])
    a2 = history(A2, [S.PLANNED, S.BLOCKED], org="org-beta", start=T0 + timedelta(hours=1))
    a3 = history(A3, [S.PLANNED, S.EXECUTING, S.EXECUTED], start=T0 + timedelta(hours=2), opportunity_id="opp-3")
    log.append(a1 + a2 + a3)

    assert log.query() == [a3[-1], a2[-1], a1[-1]]
    assert log.query(organization_id="org-acme") == [a3[-1], a1[-1]]
    assert log.query(statuses=[S.EXECUTED]) == [a3[-1], a1[-1]]
    assert log.query(statuses=[S.PLANNED]) == []  # an earlier row never matches
    assert log.query(statuses=[]) == []
    assert log.query(since=T0 + timedelta(hours=1)) == [a3[-1], a2[-1]]
    assert log.query(opportunity_id="opp-3") == [a3[-1]]
    assert log.query(organization_id="org-acme", statuses=[S.EXECUTED], limit=1) == [a3[-1]]


def test_values_are_parameters_never_sql(log):
    log.append([record(A1)])
    hostile = "x' OR '1'='1"
    assert log.query(organization_id=hostile) == []
    assert log.latest([hostile]) == {}
    assert log.events(hostile) == []


def test_a_refused_row_fails_fast_with_store_error(bq_client, bigquery_emulator, bq_dataset):
    """The emulator answers a bad row with HTTP 500, which the client retries; the explicit deadline
    bounds that (the client default would be 600 s)."""
    policy = CallPolicy(timeout_s=2, deadline_s=3)
    table = f"{bigquery_emulator.project}.{bq_dataset}.actions_log"
    started = time.monotonic()
    with pytest.raises(StoreError):
        insert_rows(bq_client, policy, table, [{"action_id": "a"}], ["e1"], "test insert")  # NOT NULLs missing
    assert time.monotonic() - started < 10


def test_a_missing_table_is_a_store_error(bq_client, bigquery_emulator):
    # (reads of a missing table are not checked: bqemulator answers them with no rows, BigQuery with 404)
    log = BigQueryActionsLog(bq_client, bigquery_emulator.project, "no_such_dataset", policy=TEST_POLICY)
    with pytest.raises(StoreError, match="actions_log insert failed: NotFound"):
        log.append([record(A1)])
