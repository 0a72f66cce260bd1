"""Rules about stopping or cutting a Google Ads campaign: evidence before a pause, and protected campaigns.

They concern Google Ads campaign changes only (`ctx.platform`), so pausing an email campaign never trips
the ad-spend rules. When the snapshot lacks the data a rule needs, the rule fails closed.
"""

from __future__ import annotations

from typing import Any

from guardrails.context import GuardrailContext
from guardrails.rules._common import (
    allow,
    block,
    end_of_day_anywhere,
    hours_between,
    needs_approval,
    not_applicable,
    perf_observed,
    roas_above,
    show,
)
from schemas.common import Platform
from schemas.snapshots import Performance
from schemas.verdict import RuleResult


def _ads_pause(ctx: GuardrailContext) -> bool:
    return ctx.facts.is_pause and ctx.platform == Platform.GOOGLE_ADS


def _performance(ctx: GuardrailContext) -> Performance | None:
    return ctx.snapshot.performance if ctx.snapshot else None


def pause_min_spend(ctx: GuardrailContext) -> RuleResult:
    if not _ads_pause(ctx):
        return not_applicable("pause_min_spend", "not a Google Ads campaign pause")
    perf = _performance(ctx)
    minimum = ctx.limits.pause_min_spend
    observed = {**perf_observed(perf), "min_spend": minimum}
    if perf is None:
        return block("pause_min_spend", "no spend data for the campaign (fail closed)", observed)
    if perf.cost < minimum:
        return block(
            "pause_min_spend",
            f"spend {perf.cost} in {perf.window_days} days is below {minimum}: too little evidence to pause",
            observed,
        )
    return allow("pause_min_spend", f"spend {perf.cost} in {perf.window_days} days is enough evidence", observed)


def pause_has_conversions(ctx: GuardrailContext) -> RuleResult:
    if not _ads_pause(ctx):
        return not_applicable("pause_has_conversions", "not a Google Ads campaign pause")
    perf = _performance(ctx)
    observed = perf_observed(perf)
    if perf is None:
        return needs_approval("pause_has_conversions", "conversions unknown: cannot confirm there are none", observed)
    if perf.conversions > 0:
        return needs_approval(
            "pause_has_conversions",
            f"the campaign had {perf.conversions} conversions in {perf.window_days} days",
            observed,
        )
    return allow("pause_has_conversions", f"no conversions in {perf.window_days} days", observed)


def pause_min_runtime(ctx: GuardrailContext) -> RuleResult:
    if not _ads_pause(ctx):
        return not_applicable("pause_min_runtime", "not a Google Ads campaign pause")
    minimum = ctx.limits.pause_min_runtime_hours
    campaign = ctx.snapshot.campaign if ctx.snapshot else None
    observed: dict[str, Any] = {"min_runtime_hours": minimum}
    if campaign is None or (campaign.started_at is None and campaign.start_date is None):
        observed["start_date"] = None
        return block("pause_min_runtime", "the campaign's start date is unknown (fail closed)", observed)
    # The platform's start time, else the end of the start date wherever on earth the account is.
    if campaign.started_at is not None:
        started = campaign.started_at
    else:
        assert campaign.start_date is not None
        started = end_of_day_anywhere(campaign.start_date)
    runtime = hours_between(started, ctx.now)
    observed.update(start_date=campaign.start_date, counted_from=started, runtime_hours=show(runtime))
    if runtime < minimum:
        return block("pause_min_runtime", f"the campaign has run {show(runtime)} h, less than {minimum} h", observed)
    return allow("pause_min_runtime", f"the campaign has run {show(runtime)} h", observed)


def pause_high_spend(ctx: GuardrailContext) -> RuleResult:
    if not _ads_pause(ctx):
        return not_applicable("pause_high_spend", "not a Google Ads campaign pause")
    perf = _performance(ctx)
    limit = ctx.limits.pause_high_daily_spend
    observed: dict[str, Any] = {**perf_observed(perf), "high_daily_spend": limit}
    if perf is None or perf.window_days <= 0:
        return needs_approval("pause_high_spend", "daily spend unknown (fail closed)", observed)
    average = perf.cost / perf.window_days
    observed["avg_daily_cost"] = show(average)
    if average > limit:
        return needs_approval("pause_high_spend", f"the campaign spends {show(average)} a day, above {limit}", observed)
    return allow("pause_high_spend", f"the campaign spends {show(average)} a day", observed)


def _cuts_ads_campaign(ctx: GuardrailContext) -> bool:
    facts = ctx.facts
    cut = facts.is_pause or facts.is_budget_decrease or facts.is_bid_decrease or facts.changes_campaign_spend
    return cut and ctx.platform == Platform.GOOGLE_ADS


def brand_protection(ctx: GuardrailContext) -> RuleResult:
    if not _cuts_ads_campaign(ctx):
        return not_applicable("brand_protection", "does not pause or cut a Google Ads campaign")
    campaign = ctx.snapshot.campaign if ctx.snapshot else None
    if campaign is None:
        return needs_approval(
            "brand_protection", "the campaign was not read: cannot tell whether it is a brand campaign", {}
        )
    observed = {"campaign": campaign.name, "labels": campaign.labels}
    if ctx.policy.is_brand(campaign.name, campaign.labels):
        return needs_approval(
            "brand_protection", f"{campaign.name!r} is a brand campaign: pausing or cutting it needs a person", observed
        )
    return allow("brand_protection", f"{campaign.name!r} is not a brand campaign", observed)


def winner_protection(ctx: GuardrailContext) -> RuleResult:
    """A campaign (or, for a bid cut, a keyword) with ROAS above `winner_roas` is not paused or cut."""
    if not _cuts_ads_campaign(ctx):
        return not_applicable("winner_protection", "does not pause or cut a Google Ads campaign")
    snapshot = ctx.snapshot
    candidates: dict[str, Performance | None] = {"campaign": snapshot.performance if snapshot else None}
    if ctx.facts.is_bid_decrease:
        candidates["keyword"] = snapshot.keyword.performance if snapshot and snapshot.keyword else None
    known = {scope: perf for scope, perf in candidates.items() if perf is not None}
    threshold = ctx.limits.winner_roas
    observed: dict[str, Any] = {
        "winner_roas": threshold,
        **{f"{scope}_roas": perf.roas for scope, perf in known.items()},
    }
    if not known:
        return block("winner_protection", "no performance data: cannot rule out a winner (fail closed)", observed)
    winners = [scope for scope, perf in known.items() if roas_above(perf, threshold)]
    if winners:
        return block(
            "winner_protection",
            f"the {' and '.join(winners)} ROAS is above {threshold}: winners are not paused or cut",
            observed,
        )
    return allow("winner_protection", f"ROAS is not above {threshold}", observed)
