"""A sandbox seeded from the bundled samples at a fixed moment, with a fixed clock and an empty fault plan."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from connectors.local import LocalStore, seed_embedded_default
from connectors.sandbox import ActiveCampaignSandbox, FaultPlan, GoogleAdsSandbox, SandboxWorld

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
SAMPLES = Path(__file__).resolve().parents[3] / "operator_ai" / "samples"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[LocalStore]:
    opened = LocalStore.open(tmp_path / "operator.sqlite")
    seed_embedded_default(opened, SAMPLES, NOW)
    yield opened
    opened.close()


@pytest.fixture
def faults() -> FaultPlan:
    return FaultPlan()


@pytest.fixture
def world(store: LocalStore, faults: FaultPlan) -> SandboxWorld:
    return SandboxWorld(store, faults=faults, clock=lambda: NOW)


@pytest.fixture
def ads(world: SandboxWorld) -> GoogleAdsSandbox:
    return world.google_ads()


@pytest.fixture
def ac(world: SandboxWorld) -> ActiveCampaignSandbox:
    return world.activecampaign()
