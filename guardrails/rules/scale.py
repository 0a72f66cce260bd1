"""Rules for spending more: only scale what has proven itself in the window.

A budget increase is judged on the campaign's metrics, a bid increase on the keyword's. Missing or
zero-cost data means the case for scaling is unproven, so both rules fail closed.
"""

from __future__ import annotations

from guardrails.context import GuardrailContext
from guardrails.rules._common import (
    allow,
    block,
    not_applicable,
    perf_observed,
    roas_below,
    scaled_performance,
)
from schemas.verdict import RuleResult


def _is_increase(ctx: GuardrailContext) -> bool:
    return ctx.facts.is_budget_increase or ctx.facts.is_bid_increase


def roas_floor_for_increase(ctx: GuardrailContext) -> RuleResult:
    if not _is_increase(ctx):
        return not_applicable("roas_floor_for_increase", "not a budget or bid increase")
    scope, perf = scaled_performance(ctx)
    floor = ctx.limits.roas_floor_for_increase
    observed = {"scope": scope, **perf_observed(perf), "roas_floor": floor}
    if perf is None or perf.cost == 0:
        return block("roas_floor_for_increase", f"no {scope} cost data in the window (fail closed)", observed)
    if roas_below(perf, floor):
        return block("roas_floor_for_increase", f"{scope} ROAS {perf.roas} is below {floor}", observed)
    return allow("roas_floor_for_increase", f"{scope} ROAS {perf.roas} meets {floor}", observed)


def min_conversions_for_scale(ctx: GuardrailContext) -> RuleResult:
    if not _is_increase(ctx):
        return not_applicable("min_conversions_for_scale", "not a budget or bid increase")
    scope, perf = scaled_performance(ctx)
    minimum = ctx.limits.min_conversions_for_scale
    observed = {"scope": scope, **perf_observed(perf), "min_conversions": minimum}
    if perf is None:
        return block("min_conversions_for_scale", f"no {scope} conversion data in the window (fail closed)", observed)
    if perf.conversions < minimum:
        return block(
            "min_conversions_for_scale",
            f"{perf.conversions} {scope} conversions in {perf.window_days} days, fewer than {minimum}",
            observed,
        )
    return allow(
        "min_conversions_for_scale", f"{perf.conversions} {scope} conversions in {perf.window_days} days", observed
    )
