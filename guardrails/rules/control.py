"""Who may act at all: emergency stop, autonomy, rollout phase, approval-only kinds, confidence, allowlist.

These are the only rules that look at the action's type, and only through the sets in `limits.py`.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from guardrails.context import GuardrailContext
from guardrails.limits import APPROVAL_ONLY_TYPES, PHASE_TYPES
from guardrails.rules._common import allow, block, needs_approval
from schemas.common import AutonomyMode, Platform, RolloutPhase
from schemas.verdict import RuleResult


def kill_switch(ctx: GuardrailContext) -> RuleResult:
    switch = ctx.kill_switch.active
    if switch is None:
        return allow("kill_switch", "no emergency stop is on")
    return block(
        "kill_switch",
        f"emergency stop ({switch.scope}) set by {switch.set_by} at {switch.set_at.isoformat()}: {switch.reason}",
        {"scope": switch.scope, "set_by": switch.set_by, "set_at": switch.set_at, "reason": switch.reason},
    )


def autonomy(ctx: GuardrailContext) -> RuleResult:
    mode = ctx.policy.autonomy
    observed = {"autonomy": mode}
    if mode == AutonomyMode.ADVISORY:
        return block("autonomy", "advisory mode: nothing executes; recorded as a dry run", observed)
    if mode == AutonomyMode.SUPERVISED:
        return needs_approval("autonomy", "supervised mode: every action needs a person's approval", observed)
    return allow("autonomy", "autonomous mode: the rules decide", observed)


def rollout_phase(ctx: GuardrailContext) -> RuleResult:
    phase = ctx.policy.rollout_phase
    enabled = PHASE_TYPES[phase]
    observed = {"phase": phase, "action_type": ctx.action.type, "enabled_types": enabled}
    if phase == RolloutPhase.SANDBOX:
        return block("rollout_phase", "sandbox phase: recorded as a dry run", observed)
    if ctx.action.type not in enabled:
        return needs_approval(
            "rollout_phase", f"{ctx.action.type} is not enabled in rollout phase {phase.value}", observed
        )
    return allow("rollout_phase", f"{ctx.action.type} is enabled in rollout phase {phase.value}", observed)


def approval_only_type(ctx: GuardrailContext) -> RuleResult:
    reasons: list[str] = []
    if ctx.action.type in APPROVAL_ONLY_TYPES:
        reasons.append(f"{ctx.action.type} always needs a person")
    if ctx.approval_only_kind:
        reasons.append("approval-only action type")
    campaign = ctx.snapshot.campaign if ctx.snapshot else None
    brand = campaign is not None and ctx.policy.is_brand(campaign.name, campaign.labels)
    if brand and campaign is not None:
        reasons.append(f"changes brand campaign {campaign.name!r}")
    observed = {
        "action_type": ctx.action.type,
        "approval_only_kind": ctx.approval_only_kind,
        "brand_campaign": brand,
    }
    if reasons:
        return needs_approval("approval_only_type", "; ".join(reasons), observed)
    return allow("approval_only_type", "not an approval-only change", observed)


def confidence(ctx: GuardrailContext) -> RuleResult:
    limits = ctx.limits
    value = Decimal(str(ctx.confidence))  # via str: 0.85 stays 0.85, not its binary neighbour
    observed = {
        "confidence": str(value),
        "approval_below": limits.confidence_approval_below,
        "block_below": limits.confidence_block_below,
    }
    if not value.is_finite():
        return block("confidence", "confidence is not a number", observed)
    if value < limits.confidence_block_below:
        return block("confidence", f"confidence {value} is below {limits.confidence_block_below}", observed)
    if value < limits.confidence_approval_below:
        return needs_approval("confidence", f"confidence {value} is below {limits.confidence_approval_below}", observed)
    return allow("confidence", f"confidence {value} is high enough", observed)


def _urls(value: Any) -> list[str]:
    """Every page address an action names (target url, link ends), found by field name, not by type."""
    found: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if key in ("url", "from_url", "to_url") and isinstance(item, str):
                found.append(item)
            else:
                found.extend(_urls(item))
    elif isinstance(value, list):
        for item in value:
            found.extend(_urls(item))
    return found


_AUTHORITY = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://([^/?#]*)")


def _hostname(url: str) -> str:
    """The host of an absolute URL, without user info or port (guardrails may not import urllib)."""
    match = _AUTHORITY.match(url)
    if match is None:
        return ""
    authority = match.group(1).rsplit("@", 1)[-1]
    if authority.startswith("["):
        return authority[1:].split("]", 1)[0].casefold()
    return authority.split(":", 1)[0].rstrip(".").casefold()


def _site_allowed(url: str, sites: tuple[str, ...]) -> bool:
    """A page is on a connected site when its host is the site or a subdomain of it."""
    host = _hostname(url)
    if not host:
        return False
    for site in sites:
        wanted = site.rstrip(".").casefold()
        if host == wanted or host.endswith("." + wanted):
            return True
    return False


def _campaign_id(ctx: GuardrailContext) -> str | None:
    """The Google Ads campaign an action touches: from its target, else from the snapshot."""
    from_target = getattr(ctx.action.target, "campaign_id", None)
    if isinstance(from_target, str):
        return from_target
    if ctx.snapshot is not None:
        if ctx.snapshot.campaign is not None:
            return ctx.snapshot.campaign.campaign_id
        if ctx.snapshot.keyword is not None:
            return ctx.snapshot.keyword.campaign_id
    return None


def target_allowlist(ctx: GuardrailContext) -> RuleResult:
    connected = ctx.policy.connected
    account = ctx.action.account_id()
    observed: dict[str, Any] = {"platform": ctx.platform, "account_id": account}
    if ctx.platform == Platform.GOOGLE_ADS:
        if account not in connected.google_ads_customer_ids:
            return block("target_allowlist", f"Google Ads account {account} is not connected to this org", observed)
        allowed_campaigns = connected.google_ads_campaign_ids
        if allowed_campaigns is not None:
            campaign = _campaign_id(ctx)
            observed["campaign_id"] = campaign
            if campaign is None or campaign not in allowed_campaigns:
                return block(
                    "target_allowlist", f"campaign {campaign} is not on this org's campaign allowlist", observed
                )
        return allow("target_allowlist", f"Google Ads account {account} is connected", observed)
    if ctx.platform == Platform.ACTIVECAMPAIGN:
        if account not in connected.activecampaign_ids():
            return block("target_allowlist", f"ActiveCampaign account {account} is not connected to this org", observed)
        return allow("target_allowlist", f"ActiveCampaign account {account} is connected", observed)
    urls = _urls(ctx.action.model_dump(mode="json"))
    outside = [u for u in urls if not _site_allowed(u, connected.content_sites)]
    observed.update(urls=urls, content_sites=connected.content_sites, outside=outside)
    if outside:
        return block("target_allowlist", "pages outside this org's sites: " + ", ".join(outside), observed)
    if not urls:
        return allow("target_allowlist", "topic-only content: no page is touched", observed)
    return allow("target_allowlist", "every page is on a connected site", observed)
