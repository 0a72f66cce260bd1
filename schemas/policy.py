"""Organization configuration (spec §10): autonomy, rollout phase, limit overrides, accounts.

Limit overrides are raw here; `guardrails.limits.resolve_limits` turns them into effective limits and
refuses any override that loosens a default or hard ceiling (so such a policy fails to load).
Credentials are *references* (env var or Secret Manager names), never secrets.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal
from typing import Annotated

from pydantic import Field, StringConstraints, field_validator

from schemas.actions import AcAccountId
from schemas.common import AutonomyMode, CustomerId, FrozenModel, OrgId, RolloutPhase, ZonedDatetime
from schemas.verification import CALLS

PersonPattern = Annotated[str, StringConstraints(pattern=r"^(\*|[^\s@*]{1,64})@[^\s@*]{1,255}$")]
SecretRef = Annotated[str, StringConstraints(pattern=r"^(env:[A-Z][A-Z0-9_]{0,127}|sm:[A-Za-z0-9_./-]{1,255})$")]


class ActiveCampaignAccount(FrozenModel):
    account_id: AcAccountId
    base_url: Annotated[str, StringConstraints(pattern=r"^https?://[^\s]+$")]
    token_ref: SecretRef | None = None


class EnabledOperation(FrozenModel):
    """An unverified platform call the org has checked against its own account and allows live (the rule
    `verified_operations`); who checked it, when and how are kept with the policy."""

    call: str  # a key of schemas.verification.CALLS, e.g. "activecampaign.campaign_pause"
    enabled_by: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    enabled_at: ZonedDatetime
    check: Annotated[str, StringConstraints(min_length=1, max_length=500)]  # e.g. "operator verify 2026-12-06 ok"

    @field_validator("call")
    @classmethod
    def _known_call(cls, value: str) -> str:
        if value not in CALLS:  # a typo must not silently leave an action blocked (or look enabled)
            raise ValueError(f"unknown platform call {value!r} (see schemas/verification.py)")
        return value  # a call documented since it was enabled stays valid: it simply needs no enabling


class ConnectedAccounts(FrozenModel):
    google_ads_customer_ids: tuple[CustomerId, ...] = ()
    google_ads_login_customer_id: CustomerId | None = None
    google_ads_campaign_ids: tuple[str, ...] | None = None  # optional narrower allowlist
    activecampaign: tuple[ActiveCampaignAccount, ...] = ()
    content_sites: tuple[str, ...] = ()  # hostnames whose pages content actions may touch

    def activecampaign_ids(self) -> tuple[str, ...]:
        return tuple(a.account_id for a in self.activecampaign)


class OrgPolicy(FrozenModel):
    organization_id: OrgId
    name: str = ""
    autonomy: AutonomyMode = AutonomyMode.SUPERVISED
    rollout_phase: RolloutPhase = RolloutPhase.SAFE
    limits: dict[str, Decimal] = Field(default_factory=dict)  # overrides: tighten only
    brand_patterns: tuple[str, ...] = ()  # regexes matched case-insensitively against campaign names
    brand_labels: tuple[str, ...] = ()
    connected: ConnectedAccounts = ConnectedAccounts()
    google_ads_credentials_ref: SecretRef | None = None
    auto_rollback: bool = False
    notification_target: str | None = None
    # people who may approve this org's actions over HTTP (deployed identity): emails or `*@domain`
    approvers: tuple[PersonPattern, ...] = ()
    # the web console's other roles (an admin is also an approver and a viewer; an approver also views):
    # viewers read the console; admins also stop/resume, roll back and batch-approve
    viewers: tuple[PersonPattern, ...] = ()
    admins: tuple[PersonPattern, ...] = ()
    updated_at: ZonedDatetime | None = None
    enabled_unverified_operations: tuple[EnabledOperation, ...] = ()

    @field_validator("brand_patterns")
    @classmethod
    def _valid_regexes(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for pattern in value:
            try:
                re.compile(pattern)
            except re.error as error:
                raise ValueError(f"brand pattern {pattern!r} is not a valid regex: {error}") from None
        return value

    def is_brand(self, campaign_name: str, labels: tuple[str, ...] = ()) -> bool:
        if any(re.search(p, campaign_name, re.IGNORECASE) for p in self.brand_patterns):
            return True
        wanted = {label.casefold() for label in self.brand_labels}
        return any(label.casefold() in wanted for label in labels)


def connected_accounts(policy: OrgPolicy) -> list[str]:
    """The platform accounts an organization connects, named for people."""
    return [*(f"Google Ads customer {c}" for c in policy.connected.google_ads_customer_ids),
            *(f"ActiveCampaign account {a.account_id}" for a in policy.connected.activecampaign)]


def shared_accounts(policies: Iterable[OrgPolicy]) -> dict[str, tuple[str, ...]]:
    """Every platform account connected to more than one of these organizations, with those organizations:
    an action for one org must never be able to touch another's account."""
    owners: dict[str, set[str]] = defaultdict(set)
    for policy in policies:
        for account in connected_accounts(policy):
            owners[account].add(policy.organization_id)
    return {account: tuple(sorted(orgs)) for account, orgs in sorted(owners.items()) if len(orgs) > 1}


class KillSwitch(FrozenModel):
    scope: str  # "global" or an organization id
    active: bool
    set_by: str
    set_at: ZonedDatetime
    reason: str


class KillSwitchState(FrozenModel):
    global_switch: KillSwitch | None = None
    org_switch: KillSwitch | None = None

    @property
    def active(self) -> KillSwitch | None:
        for switch in (self.global_switch, self.org_switch):
            if switch is not None and switch.active:
                return switch
        return None


class OrgChange(FrozenModel):
    """One change to an organization's configuration: who made it, when, and what it touched (audit)."""

    organization_id: OrgId
    changed_by: str
    changed_at: ZonedDatetime
    change: str  # "created" | "updated"
    fields: tuple[str, ...] = ()  # top-level OrgPolicy fields that differ from the previous version
    policy_hash: str  # stable hash of the policy as written
