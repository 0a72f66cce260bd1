"""Sandbox platforms for the embedded default: a Google-Ads-like and an ActiveCampaign-like
`PlatformConnector` (mode SANDBOX) whose accounts live in the same SQLite file as the local store, so
state, rollback and drift work across separate CLI processes.

    world = SandboxWorld(store)                 # store: connectors.local.LocalStore
    ads, ac = world.google_ads(), world.activecampaign()
    world.external_change("google_ads", "1234567890", "campaign", "111", status="PAUSED")

Fault injection: `FaultPlan` (constructor argument, or JSON in OPERATOR_SANDBOX_FAULTS).
"""

from connectors.sandbox.activecampaign import ActiveCampaignSandbox
from connectors.sandbox.faults import ENV_VAR as FAULTS_ENV_VAR
from connectors.sandbox.faults import FaultPlan, FaultRule
from connectors.sandbox.fixture import FixtureError, SandboxFixture, load_fixture, seed_fixture
from connectors.sandbox.google_ads import GoogleAdsSandbox
from connectors.sandbox.metrics import Totals
from connectors.sandbox.world import SandboxWorld

__all__ = [
    "FAULTS_ENV_VAR",
    "ActiveCampaignSandbox",
    "FaultPlan",
    "FaultRule",
    "FixtureError",
    "GoogleAdsSandbox",
    "SandboxFixture",
    "SandboxWorld",
    "Totals",
    "load_fixture",
    "seed_fixture",
]
