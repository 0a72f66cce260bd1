"""Organizations as managed data: validate a configuration file, import it into the state store (SQLite or
Firestore) with who and when, and describe the limits in force for one organization.

An import is all or nothing: every entry is validated first (schema, limits that only tighten, no
account connected to two organizations — counting the organizations already stored), then written,
each policy together with its audit record. An unchanged entry writes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from guardrails.limits import LIMIT_RULES, Limits, resolve_limits
from schemas.common import stable_hash
from schemas.policy import OrgChange, OrgPolicy, shared_accounts


class OrgImportError(ValueError):
    """The organizations cannot be imported; the message names every problem (nothing was written)."""


def read_org_file(path: str | Path, *, campaign_cap_ceiling: Decimal | None = None) -> list[OrgPolicy]:
    """Parse and validate a YAML/JSON organizations file (schema and tighten-only limits)."""
    from connectors.local.inputs import InputFileError
    from connectors.local.orgs import load_orgs

    def check(policy: OrgPolicy) -> None:
        resolve_limits(policy.limits, campaign_cap_ceiling=campaign_cap_ceiling)

    try:
        return load_orgs(path, check_policy=check)
    except InputFileError as error:  # every problem of the file, each with its line
        raise OrgImportError(str(error)) from None


def account_conflicts(policies: Iterable[OrgPolicy]) -> list[str]:
    """Every platform account (Google Ads customer, ActiveCampaign account) connected to two organizations."""
    return [f"{account} is connected to {', '.join(orgs)}" for account, orgs in shared_accounts(policies).items()]


def validate(incoming: list[OrgPolicy], stored: list[OrgPolicy]) -> list[str]:
    """Problems of importing `incoming` over `stored` (the file's orgs replace their stored versions)."""
    replaced = {p.organization_id for p in incoming}
    return account_conflicts([*incoming, *(p for p in stored if p.organization_id not in replaced)])


@dataclass(frozen=True)
class ImportResult:
    organization_id: str
    change: str  # created | updated | unchanged
    fields: tuple[str, ...] = ()


def _comparable(policy: OrgPolicy) -> dict[str, Any]:
    return policy.model_dump(mode="json", exclude={"updated_at"})


def import_orgs(state: Any, incoming: list[OrgPolicy], *, by: str, now: datetime) -> list[ImportResult]:
    """Write every changed policy with its audit record; refuse the whole import on any problem."""
    stored = {p.organization_id: p for p in state.list_orgs()}
    problems = validate(incoming, list(stored.values()))
    if problems:
        raise OrgImportError("; ".join(problems))
    results: list[ImportResult] = []
    for policy in incoming:
        before = stored.get(policy.organization_id)
        new, old = _comparable(policy), _comparable(before) if before else None
        if new == old:
            results.append(ImportResult(policy.organization_id, "unchanged"))
            continue
        fields = tuple(sorted(k for k in new if old is None or new[k] != old.get(k))) if old else ()
        kind = "updated" if before else "created"
        written = policy.model_copy(update={"updated_at": now})
        state.put_org(written, OrgChange(organization_id=policy.organization_id, changed_by=by, changed_at=now,
                                         change=kind, fields=fields, policy_hash=stable_hash(new)))
        results.append(ImportResult(policy.organization_id, kind, fields))
    return results


def limits_in_force(policy: OrgPolicy, *, campaign_cap_ceiling: Decimal | None = None) -> list[dict[str, Any]]:
    """Each limit: the default, the value in force for this org, and whether the org tightened it."""
    defaults = resolve_limits({}, campaign_cap_ceiling=campaign_cap_ceiling)
    effective: Limits = resolve_limits(policy.limits, campaign_cap_ceiling=campaign_cap_ceiling)
    rows = []
    for name, rule in LIMIT_RULES.items():
        default, value = getattr(defaults, name), getattr(effective, name)
        rows.append({"limit": name, "default": default, "in_force": value, "tighter": rule.tighter,
                     "hard_ceiling": rule.hard_ceiling, "tightened": name in policy.limits and value != default})
    return rows
