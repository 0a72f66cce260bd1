"""The store backends the port suite runs against: name -> factory.

A factory takes the pytest `request` (so it can use fixtures such as `tmp_path` or session emulators
through `request.getfixturevalue` / `request.config`) and yields one object that offers the four ports
as attributes — `.log` (ActionsLog), `.state` (StateStore), `.opportunities` (OpportunitySource),
`.artifacts` (ArtifactStore) — plus one test hook the ports lack, `load_opportunities(rows)`: store raw
opportunity rows (any JSON value, valid or not) so `pull_approved` can return them. Clean up after the
yield. Tests use fresh ids per test, so a backend may share one database across tests.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from connectors.local import LocalStore

BackendFactory = Callable[[pytest.FixtureRequest], Iterator[Any]]


def sqlite_backend(request: pytest.FixtureRequest) -> Iterator[Any]:
    """The embedded default: LocalStore (one object implements all four ports)."""
    store = LocalStore.open(request.getfixturevalue("tmp_path") / "ports" / "operator.sqlite")
    try:
        yield store
    finally:
        store.close()


def gcp_backend(request: pytest.FixtureRequest) -> Iterator[Any]:
    """Production: BigQuery log (behind the outbox) and opportunities, Firestore state and artifacts, on
    the session's emulators (tests/integration/gcp.py)."""
    from tests.integration.gcp import gcp_backend_stores

    yield from gcp_backend_stores(request)


BACKENDS: dict[str, BackendFactory] = {
    "sqlite": sqlite_backend,
    "gcp": gcp_backend,
}
