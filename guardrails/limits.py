"""Every guardrail number in one place (spec §3), with the direction that counts as tighter.

An org policy may tighten any limit; loosening one (or a hard ceiling) makes the policy fail to load.
Only deployment configuration may raise the per-campaign daily budget ceiling.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from pydantic import Field

from schemas.common import FrozenModel, RolloutPhase


class Limits(FrozenModel):
    confidence_approval_below: Decimal = Decimal("0.85")
    confidence_block_below: Decimal = Decimal("0.5")
    budget_increase_approval_pct: Decimal = Decimal(20)
    budget_increase_block_pct: Decimal = Decimal(50)
    budget_cumulative_approval_pct: Decimal = Decimal(20)
    budget_cumulative_block_pct: Decimal = Decimal(100)
    budget_decrease_block_pct: Decimal = Decimal(80)
    campaign_daily_budget_cap: Decimal = Decimal(5000)
    org_daily_budget_cap: Decimal | None = None  # the org's sum of daily budgets; None = no org cap
    # projected monthly spend of the org (its daily budgets x 30.4) above which a person approves; None = none
    org_monthly_spend_approval_above: Decimal | None = None
    reallocation_approval_pct: Decimal = Decimal(30)
    roas_floor_for_increase: Decimal = Decimal("2.0")
    min_conversions_for_scale: Decimal = Decimal(5)
    pause_min_spend: Decimal = Decimal(500)
    pause_min_runtime_hours: Decimal = Decimal(72)
    pause_high_daily_spend: Decimal = Decimal(5000)
    winner_roas: Decimal = Decimal("5.0")
    bid_increase_approval_pct: Decimal = Decimal(20)
    bid_increase_block_pct: Decimal = Decimal(50)
    automation_contacts_approval_above: Decimal = Decimal(1000)
    hourly_action_limit: Decimal = Decimal(10)
    daily_action_limit: Decimal = Decimal(50)
    cooldown_hours: Decimal = Decimal(48)
    stale_data_hours: Decimal = Decimal(6)
    similar_failure_hours: Decimal = Decimal(24)
    approval_ttl_hours: Decimal = Decimal(4)
    window_days: Decimal = Decimal(14)
    send_time_margin_minutes: Decimal = Decimal(15)
    measurement_checkpoint_hours: tuple[int, ...] = Field(default=(24, 72, 168))
    # Impact verdicts (issue 14). Days after a day before its conversions count as credited: a checkpoint
    # whose after window ends inside it is `immature` (a platform's own conversion-lag data may lengthen it).
    conversion_lag_days: Decimal = Decimal(3)
    # Days after a bid-strategy change that its after windows leave out even when no run saw the campaign
    # learning (Smart Bidding calibrates for about a week; up to 2-3 conversion cycles).
    learning_allowance_days: Decimal = Decimal(7)
    # An automatic rollback needs statistical evidence AND a harm beyond this relative effect (in %, on the
    # verdict's evidence metric, measured against the counterfactual), per action type.
    min_harm_pct_pause_campaign: Decimal = Decimal(10)
    min_harm_pct_adjust_campaign_budget: Decimal = Decimal(10)
    min_harm_pct_adjust_keyword_bid: Decimal = Decimal(10)
    min_harm_pct_add_negative_keywords: Decimal = Decimal(10)
    min_harm_pct_change_bid_strategy: Decimal = Decimal(15)

    def history_hours(self) -> Decimal:
        """How far back the org's history must reach so that every time-based limit sees all it judges:
        cooldown, similar failures, the rolling 24 h rules (cumulative increases, reallocation, daily rate)
        and the rolling hour. A limit added here must be added to `HISTORY_LIMITS` too."""
        hours: list[Decimal] = [Decimal(48), *(Decimal(getattr(self, name)) for name in HISTORY_LIMITS)]
        return max(hours)


# Limits measured in hours of the org's history (besides the fixed rolling hour and 24 h).
HISTORY_LIMITS: tuple[str, ...] = ("cooldown_hours", "similar_failure_hours")

Tighter = Literal["lower", "higher"]


@dataclass(frozen=True)
class LimitRule:
    tighter: Tighter
    hard_ceiling: Decimal | None = None  # the loosest value any configuration may reach


# Which way is "tighter" for each limit. A lower budget-increase percent is tighter; a higher ROAS floor is.
LIMIT_RULES: dict[str, LimitRule] = {
    "confidence_approval_below": LimitRule("higher"),
    "confidence_block_below": LimitRule("higher"),
    "budget_increase_approval_pct": LimitRule("lower"),
    "budget_increase_block_pct": LimitRule("lower", hard_ceiling=Decimal(50)),
    "budget_cumulative_approval_pct": LimitRule("lower"),
    "budget_cumulative_block_pct": LimitRule("lower", hard_ceiling=Decimal(100)),
    "budget_decrease_block_pct": LimitRule("lower"),
    "campaign_daily_budget_cap": LimitRule("lower", hard_ceiling=Decimal(5000)),
    "org_daily_budget_cap": LimitRule("lower"),
    "org_monthly_spend_approval_above": LimitRule("lower"),
    "reallocation_approval_pct": LimitRule("lower"),
    "roas_floor_for_increase": LimitRule("higher"),
    "min_conversions_for_scale": LimitRule("higher"),
    "pause_min_spend": LimitRule("higher"),
    "pause_min_runtime_hours": LimitRule("higher"),
    "pause_high_daily_spend": LimitRule("lower"),
    "winner_roas": LimitRule("lower"),
    "bid_increase_approval_pct": LimitRule("lower"),
    "bid_increase_block_pct": LimitRule("lower", hard_ceiling=Decimal(50)),
    "automation_contacts_approval_above": LimitRule("lower"),
    "hourly_action_limit": LimitRule("lower"),
    "daily_action_limit": LimitRule("lower"),
    "cooldown_hours": LimitRule("higher"),
    "stale_data_hours": LimitRule("lower"),
    "similar_failure_hours": LimitRule("higher"),
    "approval_ttl_hours": LimitRule("lower"),
    "window_days": LimitRule("higher"),
    "send_time_margin_minutes": LimitRule("higher"),
    # Waiting longer for conversions, or asking a larger harm before undoing a change without a person, is
    # the cautious direction: the automatic rollback acts on money without anyone looking.
    "conversion_lag_days": LimitRule("higher"),
    "learning_allowance_days": LimitRule("higher"),
    "min_harm_pct_pause_campaign": LimitRule("higher"),
    "min_harm_pct_adjust_campaign_budget": LimitRule("higher"),
    "min_harm_pct_adjust_keyword_bid": LimitRule("higher"),
    "min_harm_pct_add_negative_keywords": LimitRule("higher"),
    "min_harm_pct_change_bid_strategy": LimitRule("higher"),
}

MIN_HARM_PREFIX = "min_harm_pct_"


def min_harmful_effect_pct(limits: Limits, action_type: str) -> Decimal | None:
    """The org's minimum harmful effect for an action type (None: the type is never rolled back on a verdict)."""
    value = getattr(limits, MIN_HARM_PREFIX + action_type, None)
    return value if isinstance(value, Decimal) else None

# Rollout phases (spec §3 rollout_phase): which action types each phase lets the rules decide.
SAFE_TYPES = frozenset({"pause_campaign", "add_negative_keywords", "create_subject_line_test"})
EXPANDED_TYPES = SAFE_TYPES | frozenset(
    {
        "adjust_campaign_budget",
        "adjust_keyword_bid",
        "adjust_send_time",
        "trigger_automation",
        "pause_email_campaign",
        "generate_content_brief",
        "suggest_internal_links",
        "flag_content_refresh",
    }
)
PHASE_TYPES: dict[RolloutPhase, frozenset[str]] = {
    RolloutPhase.SANDBOX: frozenset(),
    RolloutPhase.SAFE: SAFE_TYPES,
    RolloutPhase.EXPANDED: EXPANDED_TYPES,
    RolloutPhase.FULL: EXPANDED_TYPES | frozenset({"change_bid_strategy"}),
}

# Always need a person, whatever the phase.
APPROVAL_ONLY_TYPES = frozenset({"change_bid_strategy"})


class LimitLoosenedError(ValueError):
    pass


def resolve_limits(
    overrides: dict[str, Decimal] | None = None, *, campaign_cap_ceiling: Decimal | None = None
) -> Limits:
    """Effective limits for an org: defaults tightened by `overrides`.

    `campaign_cap_ceiling` is the deployment's raise of the per-campaign cap (never an org's own say).
    Raises `LimitLoosenedError` naming every override that loosens a default or a hard ceiling.
    """
    base = Limits()
    if campaign_cap_ceiling is not None:
        base = base.model_copy(update={"campaign_daily_budget_cap": Decimal(campaign_cap_ceiling)})
    problems: list[str] = []
    updates: dict[str, Decimal] = {}
    for name, raw in (overrides or {}).items():
        rule = LIMIT_RULES.get(name)
        if rule is None:
            problems.append(f"{name}: unknown limit")
            continue
        value = Decimal(str(raw))
        if not value.is_finite() or value < 0:
            problems.append(f"{name}: must be a finite, non-negative number")
            continue
        default = getattr(base, name)
        if default is not None:
            loosens = value > default if rule.tighter == "lower" else value < default
            if loosens:
                problems.append(f"{name}: {value} loosens the default {default} (policies may only tighten)")
                continue
        deployment_raised = (
            name == "campaign_daily_budget_cap" and campaign_cap_ceiling is not None and value <= campaign_cap_ceiling
        )
        above_ceiling = rule.hard_ceiling is not None and rule.tighter == "lower" and value > rule.hard_ceiling
        if above_ceiling and not deployment_raised:
            problems.append(f"{name}: {value} exceeds the hard ceiling {rule.hard_ceiling}")
            continue
        updates[name] = value
    if problems:
        raise LimitLoosenedError("policy loosens limits: " + "; ".join(problems))
    return base.model_copy(update=updates)
