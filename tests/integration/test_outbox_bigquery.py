"""BigQuery goes away mid-run: executed actions are spooled, and after BigQuery is back the next run's
flush puts them in the log, in order, with no duplicates in the latest-state view.

This test owns its bqemulator (file-backed, so it can be stopped and started again on the same ports
with its tables intact) instead of the session's shared one.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from connectors.base import StoreError
from connectors.bigquery import BigQueryActionsLog, CallPolicy, init_bigquery
from connectors.outbox import OutboxActionsLog
from schemas.common import ActionStatus
from tests.integration.records import history
from tests.servers.bigquery import BigQueryEmulator

S = ActionStatus
DATASET = "marketing_ai"


@pytest.fixture
def own_bigquery(tmp_path: Path) -> Iterator[BigQueryEmulator]:
    emulator = BigQueryEmulator(tmp_path / "logs", data_dir=tmp_path / "bq-data")
    try:
        yield emulator.start()
    finally:
        emulator.stop()


def test_records_written_while_bigquery_is_down_appear_after_restart_and_flush(own_bigquery, tmp_path):
    client = own_bigquery.client()
    init_bigquery(client, own_bigquery.project, DATASET)
    policy = CallPolicy(timeout_s=2, deadline_s=3)
    log = OutboxActionsLog(BigQueryActionsLog(client, own_bigquery.project, DATASET, policy=policy),
                           tmp_path / "outbox")
    ids = [f"act-{i:024x}" for i in range(1, 4)]
    runs = {a: history(a, [S.PLANNED, S.EXECUTING, S.EXECUTED]) for a in ids}

    log.append([runs[a][0] for a in ids] + [runs[a][1] for a in ids])  # planned + write-ahead rows land
    own_bigquery.stop()  # BigQuery disappears before the platform results are logged
    log.append([runs[ids[0]][2]])
    log.append([runs[a][2] for a in ids[1:]])

    assert log.pending == 3
    with pytest.raises(StoreError):  # reads need the store: nothing is decided on a partial history
        log.latest(ids)

    own_bigquery.start()
    assert {a: r.status for a, r in log.latest(ids).items()} == {a: S.EXECUTED for a in ids}  # merged view

    assert log.flush_outbox() == 3  # the next run flushes

    assert log.pending == 0
    assert log.latest(ids) == {a: runs[a][2] for a in ids}
    assert {a: log.events(a) for a in ids} == runs
    latest_rows = list(client.query_and_wait(
        f"SELECT action_id, COUNT(*) AS n, ANY_VALUE(status) AS status "
        f"FROM `{own_bigquery.project}.{DATASET}.actions_latest` GROUP BY action_id ORDER BY action_id"))
    assert [(r["action_id"], r["n"], r["status"]) for r in latest_rows] == [(a, 1, "EXECUTED") for a in ids]
