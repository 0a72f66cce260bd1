"""`init_bigquery`: create the dataset, tables and views from sql/bigquery/*.sql (safe to re-run).

The DDL files are the single source of the BigQuery layout. They name tables as
`${project}.${dataset}.name`; both identifiers are validated before substitution (identifiers cannot be
query parameters). Tables use `IF NOT EXISTS` and views `CREATE OR REPLACE`, so a re-run changes nothing
but refreshes the views. Files run in name order: tables before the views that read them.
"""

from __future__ import annotations

from importlib.resources import files
from importlib.resources.abc import Traversable
from string import Template
from typing import Any

from google.cloud import bigquery

from connectors.base import StoreError
from connectors.bigquery.client import CallPolicy, store_errors, table_path

DDL_DIR: Traversable = files("sql") / "bigquery"  # package data


def ddl_statements(project: str, dataset: str, ddl_dir: Traversable = DDL_DIR) -> list[tuple[str, str]]:
    """(file name, statement) for every DDL file, identifiers filled in."""
    table_path(project, dataset, "validated")  # raises on a bad identifier
    sql_files = sorted((f for f in ddl_dir.iterdir() if f.name.endswith(".sql")), key=lambda f: f.name)
    if not sql_files:
        raise StoreError(f"no BigQuery DDL files under {ddl_dir}")
    return [(f.name, Template(f.read_text(encoding="utf-8")).substitute(project=project, dataset=dataset))
            for f in sql_files]


def init_bigquery(client: Any, project: str, dataset: str, *, location: str | None = None,
                  policy: CallPolicy | None = None) -> list[str]:
    """Create `dataset` and everything in it; answer the DDL files applied (for `operator init`)."""
    policy = policy or CallPolicy(timeout_s=60, deadline_s=300)
    statements = ddl_statements(project, dataset)
    ref = bigquery.Dataset(f"{project}.{dataset}")
    if location:
        ref.location = location
    with store_errors(f"creating dataset {project}.{dataset}"):
        client.create_dataset(ref, exists_ok=True, retry=policy.retry, timeout=policy.timeout_s)
    for name, sql in statements:
        with store_errors(f"DDL {name}"):
            client.query_and_wait(sql, api_timeout=policy.timeout_s, wait_timeout=policy.deadline_s,
                                  retry=policy.retry, job_retry=policy.job_retry)
    return [name for name, _ in statements]
