"""sql/bigquery and init_bigquery: the layout exists, keeps every appendix-A column, and re-runs cleanly."""

from __future__ import annotations

from typing import Any

import pytest

from connectors.bigquery import init_bigquery
from connectors.bigquery.ddl import ddl_statements
from tests.integration.gcp import TEST_POLICY

APPENDIX_A_ACTIONS_LOG = {
    "action_id": "STRING", "opportunity_id": "STRING", "organization_id": "STRING", "action_type": "STRING",
    "platform": "STRING", "payload": "JSON", "executed_at": "TIMESTAMP", "executed_by": "STRING",
    "status": "STRING", "result": "JSON", "error_message": "STRING", "rollback_plan": "JSON",
    "rolled_back_at": "TIMESTAMP", "measurement_checkpoints": "TIMESTAMP",
}
APPENDIX_A_EXPERIMENTS = {
    "experiment_id", "organization_id", "opportunity_id", "type", "entity_id", "variants", "primary_metric",
    "started_at", "minimum_runtime_days", "stop_rules", "guardrails", "status", "winner", "results",
}


def _columns(bq_client: Any, project: str, dataset: str, table: str) -> dict[str, tuple[str, str]]:
    schema = bq_client.get_table(f"{project}.{dataset}.{table}").schema
    return {field.name: (field.field_type, field.mode) for field in schema}


def test_init_creates_every_table_and_view_and_is_safe_to_rerun(bq_client, bigquery_emulator, bq_dataset):
    project = bigquery_emulator.project
    tables = {t.table_id: t.table_type for t in bq_client.list_tables(f"{project}.{bq_dataset}")}
    assert tables == {"actions_log": "TABLE", "experiments": "TABLE", "opportunities": "TABLE",
                      "opportunity_marks": "TABLE", "actions_latest": "VIEW", "opportunities_current": "VIEW",
                      "experiments_current": "VIEW"}
    bq_client.insert_rows_json(f"{project}.{bq_dataset}.opportunity_marks",
                               [{"opportunity_id": "o1", "status": "actioned", "marked_at": "2026-01-01T00:00:00Z",
                                 "marked_by": "operator"}])

    applied = init_bigquery(bq_client, project, bq_dataset, policy=TEST_POLICY)

    assert applied == [name for name, _ in ddl_statements(project, bq_dataset)]
    rows = list(bq_client.query_and_wait(f"SELECT COUNT(*) AS n FROM `{project}.{bq_dataset}.opportunity_marks`"))
    assert rows[0]["n"] == 1  # re-running kept the data (IF NOT EXISTS)


def test_actions_log_keeps_the_appendix_a_columns_and_adds_the_event_columns(bq_client, bigquery_emulator, bq_dataset):
    columns = _columns(bq_client, bigquery_emulator.project, bq_dataset, "actions_log")
    for name, bq_type in APPENDIX_A_ACTIONS_LOG.items():
        # the emulator reports JSON columns as STRING in tables.get; the DDL text is checked below
        assert columns[name][0] in ({bq_type} if bq_type != "JSON" else {"JSON", "STRING"}), name
    assert columns["measurement_checkpoints"][1] == "REPEATED"
    for name, mode in {"action_id": "REQUIRED", "organization_id": "REQUIRED", "payload": "REQUIRED",
                       "status": "REQUIRED", "event_time": "REQUIRED", "seq": "REQUIRED", "event_id": "REQUIRED",
                       "run_id": "REQUIRED"}.items():
        assert columns[name][1] == mode, name
    assert {"verdict", "checks", "plan_hash"} <= set(columns)
    experiments = _columns(bq_client, bigquery_emulator.project, bq_dataset, "experiments")
    assert set(experiments) == APPENDIX_A_EXPERIMENTS | {"account_id", "action_id", "updated_at", "written_at"}


def test_ddl_text_declares_json_types_partitioning_clustering_and_idempotence():
    statements = dict(ddl_statements("my-project", "marketing_ai"))
    log = statements["010_actions_log.sql"]
    assert "CREATE TABLE IF NOT EXISTS `my-project.marketing_ai.actions_log`" in log
    for column in ("payload JSON NOT NULL", "result JSON", "rollback_plan JSON", "verdict JSON", "checks JSON",
                   "measurement_checkpoints ARRAY<TIMESTAMP>"):
        assert column in log
    assert "PARTITION BY DATE(event_time)" in log and "CLUSTER BY organization_id" in log
    latest = statements["110_actions_latest.sql"]
    assert latest.startswith("--") and "CREATE OR REPLACE VIEW `my-project.marketing_ai.actions_latest`" in latest
    assert "PARTITION BY action_id ORDER BY seq DESC, event_time DESC" in latest
    for name, sql in statements.items():
        assert "IF NOT EXISTS" in sql or "CREATE OR REPLACE VIEW" in sql, name


@pytest.mark.parametrize(("project", "dataset"), [("p; DROP TABLE x", "ds"), ("my-project", "ds`; --"),
                                                  ("my-project", "a.b")])
def test_identifiers_that_could_smuggle_sql_are_refused(project, dataset):
    with pytest.raises(ValueError):
        ddl_statements(project, dataset)
