"""Shared test data for the ActiveCampaign contract tests: the seeded account, orgs, tokens, helpers."""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from ac_fake_server import FakeActiveCampaign

from connectors.activecampaign import ActiveCampaignConnector, ClientSettings
from schemas.common import Platform
from schemas.operations import ApplyResult, OpBatch, Operation
from schemas.policy import ActiveCampaignAccount
from schemas.snapshots import Snapshot, SnapshotPart, SnapshotRequest

ACME, BETA, OTHER = "org-acme", "org-beta", "org-other"
ACCOUNT = "acme-main"  # org-acme's name for the shared AC account
BETA_ACCOUNT = "beta-shared"  # org-beta's name for the same AC account (its own user key)
TOKENS = {"env:AC_TOKEN_ACME": "tok-acme-5f1d9c0e7a2b4c68", "env:AC_TOKEN_BETA": "tok-beta-81c3e6a95d0f2b47"}
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
# Short timeouts and waits; a loose throttle so the suite stays fast (test_ac_rate_limit.py holds AC's real
# 5 requests/second with the default settings).
FAST = ClientSettings(connect_timeout_s=1.0, read_timeout_s=0.5, backoff_base_s=0.01, backoff_max_s=0.05,
                      settle_delay_s=0.05, max_retry_after_s=10.0, rate_limit=50)

# seeded ids
SCHEDULED, SENDING, SERIES, COMPLETED, DRAFT = "10", "11", "12", "13", "14"
TRIAL, WINBACK = "5", "6"  # automations: active, inactive
ANN, BOB, CY, DEE, EVE = "1", "2", "3", "4", "5"  # CY is unsubscribed; DEE is in TRIAL; EVE finished TRIAL
SEND_AT = datetime.now(UTC).replace(microsecond=0) + timedelta(days=3)


def seed(fake: FakeActiveCampaign) -> None:
    """A small account; the ids of pre-existing runs go to `fake.seeded`."""
    account = fake.account
    account.add_campaign(SCHEDULED, "Spring sale", status=1, subject="Spring sale starts now", sdate=SEND_AT,
                         total_amt=5000)
    account.add_campaign(SENDING, "Weekly digest", status=2, subject="This week", send_amt=1200, total_amt=5000)
    account.add_campaign(SERIES, "Welcome email", status=2, subject="Welcome", seriesid="7")
    account.add_campaign(COMPLETED, "October news", status=5, subject="October", send_amt=900, total_amt=900)
    account.add_campaign(DRAFT, "Draft promo", status=0, subject="Draft subject")
    account.automations[TRIAL] = {"id": TRIAL, "name": "Trial activation", "status": "1", "entered": "2", "exited": "1"}
    account.automations[WINBACK] = {"id": WINBACK, "name": "Winback", "status": "2", "entered": "0", "exited": "0"}
    account.add_contact(ANN, "ann@example.com")
    account.add_contact(BOB, "bob@example.com", (1, 1))
    account.add_contact(CY, "cy@example.com", (1, 2))
    account.add_contact(DEE, "dee@example.com")
    account.add_contact(EVE, "eve@example.com")
    fake.seeded = {"dee": account.add_run(DEE, TRIAL), "eve_done": account.add_run(EVE, TRIAL, status=2)}


def new_fake(**options: Any) -> FakeActiveCampaign:
    return FakeActiveCampaign(set(TOKENS.values()), **options)


def orgs_for(fake: FakeActiveCampaign) -> dict[str, dict[str, ActiveCampaignAccount]]:
    """org-acme and org-beta share one AC account (each with its own key); org-other owns none."""
    return {
        ACME: {ACCOUNT: ActiveCampaignAccount(account_id=ACCOUNT, base_url=fake.base_url,
                                              token_ref="env:AC_TOKEN_ACME")},
        BETA: {BETA_ACCOUNT: ActiveCampaignAccount(account_id=BETA_ACCOUNT, base_url=fake.base_url + "/",
                                                   token_ref="env:AC_TOKEN_BETA")},
        OTHER: {},
    }


class Resolver:
    """The injected secret resolver; records which references were asked for."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    def __call__(self, ref: str) -> str:
        self.asked.append(ref)
        return TOKENS[ref]


def make_connector(fake: FakeActiveCampaign, resolver: Resolver | None = None, **options: Any) -> ActiveCampaignConnector:
    orgs = orgs_for(fake)
    return ActiveCampaignConnector(lambda org: orgs[org], resolver or Resolver(), settings=options.pop("settings", FAST),
                                   **options)


def campaign_request(campaign_id: str, key: str = "k1", org: str = ACME, account: str = ACCOUNT) -> SnapshotRequest:
    return SnapshotRequest(key=key, organization_id=org, platform=Platform.ACTIVECAMPAIGN, account_id=account,
                           parts=frozenset({SnapshotPart.EMAIL_CAMPAIGN}), campaign_id=campaign_id)


def automation_request(automation_id: str, contact_ids: Sequence[str] = (), emails: Sequence[str] = (),
                       key: str = "k1") -> SnapshotRequest:
    return SnapshotRequest(key=key, organization_id=ACME, platform=Platform.ACTIVECAMPAIGN, account_id=ACCOUNT,
                           parts=frozenset({SnapshotPart.AUTOMATION}), automation_id=automation_id,
                           contact_ids=tuple(contact_ids), contact_emails=tuple(emails))


def read(connector: ActiveCampaignConnector, request: SnapshotRequest) -> Snapshot:
    return connector.snapshot(request.account_id, [request], NOW)[request.key]


def apply(connector: ActiveCampaignConnector, *ops: Operation, key: str = "act-1", org: str = ACME,
          account: str = ACCOUNT, validate_only: bool = False) -> ApplyResult:
    batch = OpBatch(key=key, organization_id=org, platform=Platform.ACTIVECAMPAIGN, account_id=account, ops=ops)
    [result] = connector.apply(account, [batch], validate_only=validate_only)
    return result


class FakeClock:
    """Records sleeps instead of sleeping (time moves on by the slept amount)."""

    def __init__(self) -> None:
        self.offset = 0.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return time.monotonic() + self.offset

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.offset += seconds
