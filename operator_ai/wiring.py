"""Composition root: builds the adapters behind the ports from settings.

The embedded default (SQLite + sandbox platforms + bundled samples) needs no credentials; production
(`OPERATOR_BACKEND=gcp`, `OPERATOR_PLATFORMS=live`) uses BigQuery, Firestore and the real platform
clients. Heavy client libraries are imported only inside the branch that needs them.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from connectors.base import ActionsLog, ArtifactStore, OpportunitySource, PlatformConnector, StateStore
from guardrails.limits import resolve_limits
from operator_ai.clock import OperatorClock
from operator_ai.planner import Planner, RulesProposer
from operator_ai.settings import Settings
from schemas.common import Platform


def utc_now() -> datetime:
    return datetime.now(UTC)


def check_policy(policy: Any, settings: Settings) -> None:
    """An org policy that loosens a limit fails to load (raises LimitLoosenedError)."""
    resolve_limits(policy.limits, campaign_cap_ceiling=settings.campaign_cap_ceiling)


@dataclass
class Services:
    settings: Settings
    log: ActionsLog
    state: StateStore
    opportunities: OpportunitySource
    artifacts: ArtifactStore
    connectors: dict[Platform, PlatformConnector]
    planner: Planner
    clock: Callable[[], datetime] = utc_now
    extras: dict[str, Any] = field(default_factory=dict)  # adapter handles for tools (sandbox world, llm helpers)
    closers: list[Callable[[], None]] = field(default_factory=list)
    # Groups several state/log writes into one transaction where the backend can (SQLite: one commit and
    # one fsync instead of one per call); elsewhere each call stays its own write. Never hold it across a
    # platform call.
    batch: Callable[[], AbstractContextManager[Any]] = nullcontext

    @property
    def mode(self) -> str:
        return self.settings.mode_label

    def approval_ttl(self, organization_id: str) -> timedelta:
        policy = self.state.get_org(organization_id)
        limits = resolve_limits(policy.limits if policy else {})
        return timedelta(hours=float(limits.approval_ttl_hours))

    def close(self) -> None:
        for closer in reversed(self.closers):
            closer()


def build_services(settings: Settings | None = None, *, clock: Callable[[], datetime] | None = None,
                   connectors: dict[Platform, PlatformConnector] | None = None, load_inputs: bool = True,
                   create_database: bool = False) -> Services:
    """Wire everything for the configured mode. `connectors` overrides platform adapters (tests).

    `load_inputs=False` (the CLI's `status`, `log`, `rollback`): the organization and opportunity files
    are not read, so a broken input file never takes those commands down with it. `create_database`
    (`operator init`): create the SQLite file even where its location was not chosen.
    """
    settings = settings or Settings()
    if not load_inputs:
        settings = settings.model_copy(update={"seed_samples": False})
    if settings.backend == "gcp":
        services = _gcp_services(settings, clock)
    else:
        from operator_ai.deployment import require_database

        require_database(settings, create=create_database)
        services = _local_services(settings, clock)
    if connectors:
        services.connectors.update(connectors)
    return services


def build_control_state(settings: Settings | None = None) -> tuple[StateStore, Callable[[], None]]:
    """Only the state store (kill switches live there), for `stop` and `resume`: no input file, no log
    store, no platform client, no model is touched, so the emergency stop works whatever else is broken."""
    settings = settings or Settings()
    if settings.backend == "gcp":
        from connectors.firestore import build_firestore_stores

        state, _ = build_firestore_stores(settings)
        return state, lambda: None
    from connectors.local import LocalStore
    from operator_ai.deployment import require_database

    require_database(settings, create=False)  # a stop written to a fresh, empty file would stop nothing
    store = LocalStore.open(settings.database_path)
    return store, store.close


def _llm_helpers(settings: Settings) -> tuple[Any, Any, Any]:
    from connectors.llm import build_llm_helpers

    return build_llm_helpers(settings)


def _planner(proposer: Any, subject_writer: Any) -> Planner:
    proposers: list[tuple[str, Any]] = [("rules", RulesProposer())]
    if proposer is not None:
        proposers.append(("claude", proposer))
    return Planner(proposers, subject_writer=subject_writer)


def _wall() -> datetime:
    return utc_now()  # looked up at each call, so a test may patch `utc_now`


def _local_services(settings: Settings, given: Callable[[], datetime] | None) -> Services:
    from connectors.content import ContentPlatform
    from connectors.local import LocalStore, seed_embedded_default
    from connectors.local.clock import add_clock_offset, read_clock_offset
    from connectors.sandbox import SandboxWorld

    store = LocalStore.open(settings.database_path)
    clock = given or OperatorClock(fixed=settings.now, offset=lambda: read_clock_offset(store.db),
                                   advance_offset=lambda delta: add_clock_offset(store.db, delta), wall=_wall)
    if settings.seed_samples:
        # live mode never gets the sample organizations and opportunities, only the files the user named
        seed_embedded_default(store, settings.samples_dir, clock(), orgs_file=settings.orgs_file,
                              opportunities_file=settings.opportunities_file,
                              check_policy=lambda policy: check_policy(policy, settings),
                              include_samples=settings.platforms == "sandbox")
    proposer, writer, subject_writer = _llm_helpers(settings)
    secrets = secret_resolver(settings)
    world = SandboxWorld(store, clock=clock)
    connectors: dict[Platform, PlatformConnector] = {
        Platform.CONTENT: ContentPlatform(store, writer, mode="SANDBOX" if settings.platforms == "sandbox" else "LIVE",
                                          clock=clock),
    }
    if settings.platforms == "sandbox":
        connectors[Platform.GOOGLE_ADS] = world.google_ads()
        connectors[Platform.ACTIVECAMPAIGN] = world.activecampaign()
    else:
        connectors.update(_live_platforms(store, secrets))
    services = Services(settings=settings, log=store, state=store, opportunities=store, artifacts=store,
                        connectors=connectors, planner=_planner(proposer, subject_writer), clock=clock,
                        extras={"world": world, "store": store, "subject_writer": subject_writer, "secrets": secrets},
                        batch=store.db.write)
    services.closers.append(store.close)
    return services


def secret_resolver(settings: Settings) -> Any:
    """`env:` and `sm:` references (Secret Manager in OPERATOR_GCP_PROJECT), cached briefly, never logged."""
    from connectors.secrets import SecretResolver

    return SecretResolver(settings.gcp_project, endpoint=settings.secret_manager_endpoint)


def _live_platforms(state: StateStore, secrets: Any) -> dict[Platform, PlatformConnector]:
    from connectors.activecampaign import ActiveCampaignConnector
    from connectors.google_ads import AdsIdentity, GoogleAdsConnector

    def customers(org_id: str) -> set[str]:
        policy = state.get_org(org_id)
        return set(policy.connected.google_ads_customer_ids) if policy else set()

    def ads_identity(org_id: str) -> AdsIdentity:
        """The org's own manager account and credentials (issue 15: per-org login-customer-id)."""
        policy = state.get_org(org_id)
        if policy is None:
            return AdsIdentity()
        return AdsIdentity(login_customer_id=policy.connected.google_ads_login_customer_id,
                           credentials_ref=policy.google_ads_credentials_ref)

    def ac_accounts(org_id: str) -> dict[str, Any]:
        policy = state.get_org(org_id)
        return {a.account_id: a for a in policy.connected.activecampaign} if policy else {}

    return {
        Platform.GOOGLE_ADS: GoogleAdsConnector(allowed_customers=customers, identity_for=ads_identity,
                                                   secret_resolver=secrets),
        Platform.ACTIVECAMPAIGN: ActiveCampaignConnector(accounts_for_org=ac_accounts, secret_resolver=secrets),
    }


def _gcp_services(settings: Settings, given: Callable[[], datetime] | None) -> Services:
    from connectors.bigquery import build_bigquery_experiments, build_bigquery_stores
    from connectors.content import ContentPlatform
    from connectors.firestore import build_firestore_stores
    from connectors.firestore.spool import FirestoreSpool

    clock = given or OperatorClock(fixed=settings.now, wall=_wall)

    state, artifacts = build_firestore_stores(settings)
    # A refused write-ahead row waits in Firestore, beside the state: never on the instance's disk
    log, opportunities = build_bigquery_stores(settings, spool=FirestoreSpool(state.client, prefix=state.names.prefix))
    proposer, writer, subject_writer = _llm_helpers(settings)
    secrets = secret_resolver(settings)
    connectors: dict[Platform, PlatformConnector] = {
        Platform.CONTENT: ContentPlatform(artifacts, writer, mode="LIVE", clock=clock),
    }
    if settings.platforms == "live":
        connectors.update(_live_platforms(state, secrets))
    else:
        from connectors.local import LocalStore
        from connectors.sandbox import SandboxWorld

        sandbox_store = LocalStore.open(settings.home / "sandbox.sqlite")
        world = SandboxWorld(sandbox_store, clock=clock)
        connectors[Platform.GOOGLE_ADS] = world.google_ads()
        connectors[Platform.ACTIVECAMPAIGN] = world.activecampaign()
    return Services(settings=settings, log=log, state=state, opportunities=opportunities, artifacts=artifacts,
                    connectors=connectors, planner=_planner(proposer, subject_writer), clock=clock,
                    extras={"subject_writer": subject_writer, "experiments": build_bigquery_experiments(settings),
                            "secrets": secrets})
