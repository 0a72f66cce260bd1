"""Money rules: how far one change, or a day of changes, may move a budget or a bid.

They read before/after values from `ChangeFacts` and the org's executed changes from `ctx.history`,
so they never need to know which action type produced the numbers.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from guardrails.context import GuardrailContext, budget_key
from guardrails.rules._common import DAY_HOURS, HUNDRED, allow, block, needs_approval, not_applicable, pct_change, show
from schemas.facts import PastAction
from schemas.verdict import RuleResult


def _increase_rule(
    rule_id: str, what: str, before: Decimal, after: Decimal, approval_pct: Decimal, block_pct: Decimal
) -> RuleResult:
    pct = pct_change(before, after)
    observed = {
        "before": before,
        "after": after,
        "change_pct": show(pct),
        "approval_above_pct": approval_pct,
        "block_above_pct": block_pct,
    }
    if pct is None:
        return block(rule_id, f"{what} increase from zero is unbounded in percent", observed)
    if pct > block_pct:
        return block(rule_id, f"{what} increase of {show(pct)}% is above the {block_pct}% ceiling", observed)
    if pct > approval_pct:
        return needs_approval(rule_id, f"{what} increase of {show(pct)}% is above {approval_pct}%", observed)
    return allow(rule_id, f"{what} increase of {show(pct)}% is within {approval_pct}%", observed)


def budget_increase_pct(ctx: GuardrailContext) -> RuleResult:
    facts = ctx.facts
    if not facts.is_budget_increase or facts.budget_before is None or facts.budget_after is None:
        return not_applicable("budget_increase_pct", "not a budget increase")
    limits = ctx.limits
    return _increase_rule(
        "budget_increase_pct",
        "budget",
        facts.budget_before,
        facts.budget_after,
        limits.budget_increase_approval_pct,
        limits.budget_increase_block_pct,
    )


def bid_increase_pct(ctx: GuardrailContext) -> RuleResult:
    facts = ctx.facts
    if not facts.is_bid_increase or facts.bid_before is None or facts.bid_after is None:
        return not_applicable("bid_increase_pct", "not a bid increase")
    limits = ctx.limits
    return _increase_rule(
        "bid_increase_pct",
        "bid",
        facts.bid_before,
        facts.bid_after,
        limits.bid_increase_approval_pct,
        limits.bid_increase_block_pct,
    )


def _scope(campaign_key: str | None, entity_key: str) -> str:
    return campaign_key or entity_key


def _past_budget_changes(ctx: GuardrailContext) -> list[tuple[PastAction, Decimal, Decimal]]:
    """Budget changes the org executed in the rolling 24 h (rolled back ones count: they moved money)."""
    changes = []
    for past in ctx.executed_since(DAY_HOURS):
        if past.budget_before is not None and past.budget_after is not None:
            changes.append((past, past.budget_before, past.budget_after))
    return changes


def budget_cumulative_24h(ctx: GuardrailContext) -> RuleResult:
    """Increases on one campaign in a rolling 24 h, as a percentage of the budget at the window start.

    The window start value is the `budget_before` of the earliest executed increase in the window (or of
    this change when there is none); decreases in between do not offset increases. Increases recorded at
    the same instant have no order: the smallest `budget_before` among them is taken as the start (the
    larger percentage; a tie must not let a chain of increases past the ceiling)."""
    facts = ctx.facts
    if not facts.is_budget_increase or facts.budget_before is None or facts.budget_after is None:
        return not_applicable("budget_cumulative_24h", "not a budget increase")
    scope = _scope(facts.campaign_key, facts.entity_key)
    earlier = sorted(
        (
            (past, before, after)
            for past, before, after in _past_budget_changes(ctx)
            if _scope(past.campaign_key, past.entity_key) == scope and after > before
        ),
        key=lambda change: (change[0].at, change[1]),
    )
    start_value = earlier[0][1] if earlier else facts.budget_before
    total = sum((after - before for _, before, after in earlier), Decimal(0)) + (
        facts.budget_after - facts.budget_before
    )
    limits = ctx.limits
    observed: dict[str, Any] = {
        "campaign": scope,
        "window_start_budget": start_value,
        "increases_in_window": [after - before for _, before, after in earlier],
        "this_increase": facts.budget_after - facts.budget_before,
        "approval_above_pct": limits.budget_cumulative_approval_pct,
        "block_above_pct": limits.budget_cumulative_block_pct,
    }
    if start_value == 0:
        return block("budget_cumulative_24h", "increases from a zero budget are unbounded in percent", observed)
    pct = total / start_value * HUNDRED
    observed["cumulative_pct"] = show(pct)
    if pct > limits.budget_cumulative_block_pct:
        return block(
            "budget_cumulative_24h",
            f"increases of {show(pct)}% in 24 h exceed the {limits.budget_cumulative_block_pct}% ceiling",
            observed,
        )
    if pct > limits.budget_cumulative_approval_pct:
        return needs_approval(
            "budget_cumulative_24h",
            f"increases of {show(pct)}% in 24 h exceed {limits.budget_cumulative_approval_pct}%",
            observed,
        )
    return allow("budget_cumulative_24h", f"increases of {show(pct)}% in 24 h are within limits", observed)


def budget_decrease_floor(ctx: GuardrailContext) -> RuleResult:
    facts = ctx.facts
    if not facts.is_budget_decrease or facts.budget_before is None or facts.budget_after is None:
        return not_applicable("budget_decrease_floor", "not a budget decrease")
    limits = ctx.limits
    account = ctx.snapshot.account if ctx.snapshot else None
    cut = facts.budget_before - facts.budget_after
    cut_pct = cut / facts.budget_before * HUNDRED  # before > after >= 0, so before > 0
    observed: dict[str, Any] = {
        "before": facts.budget_before,
        "after": facts.budget_after,
        "decrease_pct": show(cut_pct),
        "block_above_pct": limits.budget_decrease_block_pct,
        # Unknown when the account was not read; the platform then refuses a budget below its minimum.
        "platform_minimum": account.min_daily_budget if account else None,
    }
    if cut_pct > limits.budget_decrease_block_pct:
        return block(
            "budget_decrease_floor",
            f"a {show(cut_pct)}% cut is more than {limits.budget_decrease_block_pct}%: pause instead",
            observed,
        )
    if account is not None and facts.budget_after < account.min_daily_budget:
        return block(
            "budget_decrease_floor",
            f"{facts.budget_after} is below the platform minimum {account.min_daily_budget}: pause instead",
            observed,
        )
    return allow("budget_decrease_floor", f"a {show(cut_pct)}% cut stays above the floor", observed)


# Google may spend up to twice a campaign's average daily budget on one day, and bills at most the
# daily budget times the average days in a month (30.4) over a month.
WORST_DAY_FACTOR = Decimal(2)
MONTH_DAYS = Decimal("30.4")


def _org_total_after(ctx: GuardrailContext) -> Decimal | None:
    """The org's total daily budget with this change: the changed budget's current amount is replaced
    when it is one of the org's active budgets; otherwise (its campaigns are paused) the increase is added."""
    facts, total = ctx.facts, ctx.org_total_daily_budget
    if total is None or facts.budget_before is None or facts.budget_after is None:
        return None
    budget = ctx.snapshot.budget if ctx.snapshot else None
    budgets = ctx.org_daily_budgets or {}
    key = budget_key(ctx.action.account_id(), budget.budget_id) if budget is not None else None
    if key is not None and key in budgets:
        return total - budgets[key] + facts.budget_after
    return total + facts.budget_after - facts.budget_before


def daily_spend_cap(ctx: GuardrailContext) -> RuleResult:
    """Caps only increases: a cut never takes a budget further past a cap than it already is.

    The org total counts every active budget on every connected Google Ads account (shared budgets
    once). The record also says what that can cost: up to 2x the daily budgets on one day, and about
    30.4x over a month; above the org's `org_monthly_spend_approval_above` a person approves."""
    facts = ctx.facts
    if not facts.is_budget_increase or facts.budget_before is None or facts.budget_after is None:
        return not_applicable("daily_spend_cap", "not a budget increase")
    limits = ctx.limits
    new_total = _org_total_after(ctx)
    observed: dict[str, Any] = {
        "new_daily_budget": facts.budget_after,
        "campaign_worst_case_day": facts.budget_after * WORST_DAY_FACTOR,
        "campaign_cap": limits.campaign_daily_budget_cap,
        "org_cap": limits.org_daily_budget_cap,
        "org_total_before": ctx.org_total_daily_budget,
        "org_budgets_counted": None if ctx.org_daily_budgets is None else len(ctx.org_daily_budgets),
        "org_total_after": new_total,
        "org_worst_case_day": None if new_total is None else new_total * WORST_DAY_FACTOR,
        "org_projected_month": None if new_total is None else new_total * MONTH_DAYS,
        "org_monthly_approval_above": limits.org_monthly_spend_approval_above,
    }
    if facts.budget_after > limits.campaign_daily_budget_cap:
        return block(
            "daily_spend_cap",
            f"new daily budget {facts.budget_after} exceeds the per-campaign cap {limits.campaign_daily_budget_cap}",
            observed,
        )
    capped = limits.org_daily_budget_cap is not None or limits.org_monthly_spend_approval_above is not None
    if new_total is None:
        if limits.org_daily_budget_cap is not None:
            return block("daily_spend_cap", "the org's total daily budget is unknown (fail closed)", observed)
        if capped:
            return needs_approval("daily_spend_cap", "the org's total daily budget is unknown (fail closed)", observed)
        return allow("daily_spend_cap", f"new daily budget {facts.budget_after} is within the per-campaign cap "
                                        f"(Google may spend up to {facts.budget_after * WORST_DAY_FACTOR} on one day)",
                     observed)
    costs = (f"the org's daily budgets would total {new_total} (Google may bill up to "
             f"{new_total * WORST_DAY_FACTOR} on one day; about {show(new_total * MONTH_DAYS)} a month)")
    if limits.org_daily_budget_cap is not None and new_total > limits.org_daily_budget_cap:
        return block("daily_spend_cap", f"{costs}: above its cap {limits.org_daily_budget_cap}", observed)
    monthly = limits.org_monthly_spend_approval_above
    if monthly is not None and new_total * MONTH_DAYS > monthly:
        return needs_approval("daily_spend_cap", f"{costs}: above the monthly {monthly} that needs a person", observed)
    return allow("daily_spend_cap", f"within the daily budget caps: {costs}", observed)


def reallocation_24h(ctx: GuardrailContext) -> RuleResult:
    """Money moved between the org's campaigns in a rolling 24 h, as a share of its total daily budget.

    Moved = the sum of |after - before| over every budget change the org executed in the last 24 h
    (any campaign; rolled back ones count) — or `ctx.org_budget_increase_24h` when the orchestrator
    supplies a larger figure — plus |this change|. The total is `ctx.org_total_daily_budget` (before the
    change), or the account's total when the org's is unknown (a lower bound, so the share errs high).
    Above `reallocation_approval_pct` a person approves; with no usable total it fails closed."""
    facts = ctx.facts
    if facts.budget_before is None or facts.budget_after is None or facts.budget_before == facts.budget_after:
        return not_applicable("reallocation_24h", "does not change a budget")
    history_moved = sum((abs(after - before) for _, before, after in _past_budget_changes(ctx)), Decimal(0))
    earlier = max(history_moved, ctx.org_budget_increase_24h)
    moved = earlier + abs(facts.budget_after - facts.budget_before)
    total = ctx.org_total_daily_budget
    if total is None and ctx.snapshot is not None and ctx.snapshot.account is not None:
        total = ctx.snapshot.account.total_daily_budget
    limit_pct = ctx.limits.reallocation_approval_pct
    observed: dict[str, Any] = {
        "moved_earlier_24h": earlier,
        "moved_with_this": moved,
        "org_total_daily_budget": total,
        "approval_above_pct": limit_pct,
    }
    if total is None or total == 0:
        return needs_approval("reallocation_24h", "the org's total daily budget is unknown (fail closed)", observed)
    pct = moved / total * HUNDRED
    observed["moved_pct"] = show(pct)
    if pct > limit_pct:
        return needs_approval(
            "reallocation_24h", f"{show(pct)}% of the org's daily budget moved in 24 h (above {limit_pct}%)", observed
        )
    return allow("reallocation_24h", f"{show(pct)}% of the org's daily budget moved in 24 h", observed)


def shared_budget(ctx: GuardrailContext) -> RuleResult:
    facts = ctx.facts
    if facts.budget_before is None or facts.budget_after is None:
        return not_applicable("shared_budget", "does not change a budget")
    budget = ctx.snapshot.budget if ctx.snapshot else None
    if budget is None:
        return needs_approval("shared_budget", "the budget was not read: cannot tell whether it is shared", {})
    observed = {
        "budget_id": budget.budget_id,
        "explicitly_shared": budget.explicitly_shared,
        "reference_count": budget.reference_count,
    }
    if budget.explicitly_shared or budget.reference_count > 1:
        return needs_approval(
            "shared_budget",
            f"budget {budget.budget_id} is shared by {budget.reference_count} campaign(s): the change moves all",
            observed,
        )
    return allow("shared_budget", f"budget {budget.budget_id} belongs to one campaign", observed)
