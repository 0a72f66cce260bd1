"""BigQuery client construction, call deadlines and error translation shared by the BigQuery adapters.

Every call carries an explicit per-request timeout and an overall retry deadline: the client's defaults
retry for 600 s (2400 s for query jobs), which would stall a scheduled run far past its own deadline, and
the emulator answers a bad row with HTTP 500, which the client treats as retryable.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import requests
from google.api_core.exceptions import GoogleAPIError
from google.cloud import bigquery
from google.cloud.bigquery.retry import DEFAULT_JOB_RETRY, DEFAULT_RETRY

from connectors.base import StoreError

_PROJECT = re.compile(r"^[a-z0-9][a-z0-9.:-]{0,127}$")
_DATASET = re.compile(r"^[A-Za-z0-9_]{1,1024}$")


def make_bigquery_client(project: str, *, endpoint: str | None = None, location: str | None = None) -> Any:
    """A client for `project`; with `endpoint` (an emulator URL) it sends no credentials."""
    if endpoint:
        from google.api_core.client_options import ClientOptions
        from google.auth.credentials import AnonymousCredentials

        return bigquery.Client(project=project, location=location, credentials=AnonymousCredentials(),  # type: ignore[no-untyped-call]
                               client_options=ClientOptions(api_endpoint=endpoint))
    return bigquery.Client(project=project, location=location)


def table_path(project: str, dataset: str, table: str) -> str:
    """`project.dataset.table`, refusing identifiers that could smuggle SQL (identifiers cannot be
    query parameters, so they are validated instead)."""
    if not _PROJECT.match(project):
        raise ValueError(f"invalid BigQuery project id {project!r}")
    if not _DATASET.match(dataset):
        raise ValueError(f"invalid BigQuery dataset id {dataset!r}")
    if not _DATASET.match(table):
        raise ValueError(f"invalid BigQuery table id {table!r}")
    return f"{project}.{dataset}.{table}"


@dataclass(frozen=True)
class CallPolicy:
    """How long one BigQuery call may take: `timeout_s` per HTTP request, `deadline_s` in total."""

    timeout_s: float = 30.0
    deadline_s: float = 60.0

    @property
    def retry(self) -> Any:
        return DEFAULT_RETRY.with_timeout(self.deadline_s)

    @property
    def job_retry(self) -> Any:
        return DEFAULT_JOB_RETRY.with_timeout(self.deadline_s)


@contextmanager
def store_errors(what: str) -> Iterator[None]:
    """Translate client, transport and deadline failures into the port's `StoreError`."""
    try:
        yield
    except StoreError:
        raise
    except (GoogleAPIError, requests.RequestException, ConnectionError, TimeoutError) as error:
        raise StoreError(f"BigQuery {what} failed: {type(error).__name__}: {str(error)[:500]}") from error



def query_rows(client: Any, policy: CallPolicy, sql: str, params: Mapping[str, Any],
               what: str) -> list[Mapping[str, Any]]:
    """Run one parameterised query and return its rows as mappings. `params` values are passed as typed
    query parameters (a list becomes an ARRAY parameter; a (type, value) tuple names the type)."""
    config = bigquery.QueryJobConfig(query_parameters=[_param(name, value) for name, value in params.items()])
    with store_errors(what):
        rows = client.query_and_wait(sql, job_config=config, api_timeout=policy.timeout_s,
                                     wait_timeout=policy.deadline_s, retry=policy.retry,
                                     job_retry=policy.job_retry)
        return [dict(row.items()) for row in rows]


def _param(name: str, value: Any) -> Any:
    if isinstance(value, tuple):
        type_name, inner = value
        if isinstance(inner, list):
            return bigquery.ArrayQueryParameter(name, type_name, inner)
        return bigquery.ScalarQueryParameter(name, type_name, inner)
    if isinstance(value, list):
        return bigquery.ArrayQueryParameter(name, "STRING", value)
    type_name = {bool: "BOOL", int: "INT64", float: "FLOAT64"}.get(type(value), "STRING")
    return bigquery.ScalarQueryParameter(name, type_name, value)


def insert_rows(client: Any, policy: CallPolicy, table: str, rows: Sequence[Mapping[str, Any]],
                row_ids: Sequence[str], what: str, chunk: int = 500) -> None:
    """Streaming insert in requests of at most `chunk` rows, each row with its insert id. Any row error
    fails the call: with skipInvalidRows off BigQuery rejects the whole request, so nothing half-lands."""
    for start in range(0, len(rows), chunk):
        with store_errors(what):
            errors = client.insert_rows_json(table, list(rows[start:start + chunk]),
                                             row_ids=list(row_ids[start:start + chunk]),
                                             retry=policy.retry, timeout=policy.timeout_s)
        if errors:
            raise StoreError(f"BigQuery {what} rejected rows: {str(errors)[:500]}")
