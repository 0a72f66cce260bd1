"""`operator verify PLATFORM --org ORG`: a self-test against the org's real accounts that changes nothing.

Per action type of the platform it answers one of:
- supported: every call the action needs is documented (or enabled by the org after a check) and the
  platform accepted what could be checked without changing anything (Google Ads: `validate_only`
  mutations; ActiveCampaign: the reads the action makes first, plus a description of its writes);
- refused: the platform refused, with its own reason (credentials, permissions, a validation error);
- unverified: the action needs a call whose path we inferred and the org has not enabled it, or there was
  no real entity to check it on.
It doubles as the integration health check: exit 0 when connected and nothing is refused.

Platforms plug in through `VERIFIERS` (platform -> function of a `VerifyContext` returning `VerifyRow`s);
the frame adds the verification registry's verdict so every platform reports unverified calls the same way.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from rollback.registry import ALL_SPECS
from schemas.common import Platform
from schemas.policy import OrgPolicy
from schemas.verification import unverified_calls


class VerifyStatus(StrEnum):
    SUPPORTED = "supported"
    REFUSED = "refused"
    UNVERIFIED = "unverified"


@dataclass(frozen=True)
class VerifyRow:
    action_type: str
    status: VerifyStatus
    reason: str
    entity: str | None = None  # the real entity the check used
    operations: tuple[str, ...] = ()  # platform operations (`op` names) the action uses, forward and inverse
    calls: tuple[str, ...] = ()  # registry keys of the unverified calls still to check (filled by the frame)
    writes: tuple[str, ...] = ()  # the writes the action would make, described, never sent


@dataclass(frozen=True)
class VerifyContext:
    services: Any  # operator_ai.wiring.Services
    policy: OrgPolicy
    now: datetime
    connector: Any  # the platform's connector from services.connectors


@dataclass(frozen=True)
class VerifyReport:
    platform: str
    organization_id: str
    checked_at: datetime
    mode: str
    connected: bool
    connection_error: str | None = None
    rows: tuple[VerifyRow, ...] = field(default_factory=tuple)

    @property
    def healthy(self) -> bool:
        return self.connected and not any(r.status == VerifyStatus.REFUSED for r in self.rows)

    def as_json(self) -> dict[str, Any]:
        return {"platform": self.platform, "organization_id": self.organization_id,
                "checked_at": self.checked_at.isoformat(), "mode": self.mode, "connected": self.connected,
                "connection_error": self.connection_error, "healthy": self.healthy,
                "rows": [{**asdict(r), "status": r.status.value, "operations": list(r.operations),
                          "calls": list(r.calls), "writes": list(r.writes)} for r in self.rows]}


class NotConnected(Exception):
    """The verifier could not reach the org's account at all: the report says so, with the platform's reason."""


Verifier = Callable[[VerifyContext], list[VerifyRow]]

# platform -> module with `verify(ctx) -> list[VerifyRow]` (imported only when asked: google-ads is heavy)
VERIFIERS: dict[Platform, str] = {
    Platform.ACTIVECAMPAIGN: "operator_ai.verify.activecampaign",
    Platform.GOOGLE_ADS: "operator_ai.verify.google_ads",
}


def action_types(platform: Platform) -> tuple[str, ...]:
    return tuple(spec.action_type for spec in ALL_SPECS if spec.platform == platform)


def verify(services: Any, platform: Platform, organization_id: str) -> VerifyReport:
    now = services.clock()
    policy = services.state.get_org(organization_id)
    if policy is None:
        raise LookupError(f"unknown organization {organization_id!r}")
    connector = services.connectors.get(platform)
    mode = getattr(connector, "mode", "none")
    base = VerifyReport(platform.value, organization_id, now, mode, connected=False)
    if connector is None or mode != "LIVE":
        reason = f"the {platform.value} connector is {mode.lower()}: the self-test needs the org's real account " \
                 "(OPERATOR_PLATFORMS=live)"
        return replace(base, connection_error=reason, rows=tuple(
            VerifyRow(t, VerifyStatus.UNVERIFIED, reason) for t in action_types(platform)))
    try:
        verifier: Verifier = importlib.import_module(VERIFIERS[platform]).verify
    except (KeyError, ImportError, AttributeError):
        reason = f"no self-test is available for {platform.value} yet"
        return replace(base, connected=False, connection_error=reason, rows=tuple(
            VerifyRow(t, VerifyStatus.UNVERIFIED, reason) for t in action_types(platform)))
    try:
        rows = verifier(VerifyContext(services, policy, now, connector))
    except NotConnected as error:
        return replace(base, connection_error=str(error), rows=tuple(
            VerifyRow(t, VerifyStatus.REFUSED, f"not connected: {error}") for t in action_types(platform)))
    return replace(base, connected=True, rows=_complete(platform, policy, rows))


def _complete(platform: Platform, policy: OrgPolicy, rows: list[VerifyRow]) -> tuple[VerifyRow, ...]:
    """One row per action type, in registry order; the registry's verdict on unverified calls applied."""
    enabled = {entry.call for entry in policy.enabled_unverified_operations}
    by_type = {row.action_type: row for row in rows}
    done = []
    for action_type in action_types(platform):
        row = by_type.get(action_type) or VerifyRow(action_type, VerifyStatus.UNVERIFIED,
                                                    "the self-test does not cover this action type")
        missing = unverified_calls(row.operations, enabled)
        allowed = [c for c in unverified_calls(row.operations) if c.key in enabled]
        if allowed and row.status == VerifyStatus.SUPPORTED:
            by = {e.call: e for e in policy.enabled_unverified_operations}
            row = replace(row, reason=f"{row.reason}; uses calls the org enabled after a check: " + "; ".join(
                f"{c.key} ({by[c.key].enabled_by}, {by[c.key].enabled_at.date().isoformat()})" for c in allowed))
        if missing:
            row = replace(row, calls=tuple(c.key for c in missing))
            if row.status == VerifyStatus.SUPPORTED:
                listed = "; ".join(f"{c.method} {c.path} ({c.status.value.replace('_', ' ')})" for c in missing)
                row = replace(row, status=VerifyStatus.UNVERIFIED,
                              reason=f"{row.reason}; needs calls not verified yet: {listed} — check them on a "
                                     "sandbox account, then list them in enabled_unverified_operations")
        done.append(row)
    return tuple(done)
