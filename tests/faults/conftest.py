"""Fixtures for the fault tests: an isolated environment and a scenario (one home, one clock, one ledger,
any number of services builds = processes)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.register_assert_rewrite("tests.faults.scenario")

from tests.faults.scenario import Scenario  # noqa: E402

# Variables that would change what the services are built from; the tests run without them.
ENV_PREFIXES = ("OPERATOR_", "ANTHROPIC_")


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith(ENV_PREFIXES):
            monkeypatch.delenv(name)


@pytest.fixture
def scenario(tmp_path: Path) -> Iterator[Scenario]:
    sc = Scenario(tmp_path / "home")
    yield sc
    sc.close()
