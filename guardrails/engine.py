"""Runs every rule of spec §3 and folds the results into one verdict.

Every rule runs for every action (a rule that does not concern it says so with `applies=False`), so the
record always shows the full picture of why the Operator did or did not act. A rule that raises is a
`block`: a guardrail we could not evaluate never lets an action through.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from guardrails.context import GuardrailContext
from guardrails.rules import budget, control, pacing, pause, safety, scale, verification
from guardrails.rules._common import block
from schemas.verdict import RuleResult, Verdict

Rule = Callable[[GuardrailContext], RuleResult]

# In the order of the spec §3 table. Each function's name is its rule id.
RULES: tuple[Rule, ...] = (
    control.kill_switch,
    control.autonomy,
    control.rollout_phase,
    control.approval_only_type,
    control.confidence,
    control.target_allowlist,
    budget.budget_increase_pct,
    budget.budget_cumulative_24h,
    budget.budget_decrease_floor,
    budget.daily_spend_cap,
    budget.reallocation_24h,
    scale.roas_floor_for_increase,
    scale.min_conversions_for_scale,
    budget.shared_budget,
    pause.pause_min_spend,
    pause.pause_has_conversions,
    pause.pause_min_runtime,
    pause.pause_high_spend,
    pause.brand_protection,
    pause.winner_protection,
    budget.bid_increase_pct,
    safety.negatives_protect_converters,
    safety.automation_volume,
    safety.irreversible,
    pacing.hourly_rate,
    pacing.daily_rate,
    pacing.cooldown,
    pacing.stale_data,
    verification.verified_operations,
    safety.tracking_hold,
)

RULE_IDS: tuple[str, ...] = tuple(rule.__name__ for rule in RULES)

# Blocks that mean "record what would have happened" rather than "unsafe": when these are a verdict's
# only blocks, the orchestrator records the action as DRY_RUN instead of BLOCKED.
# `verified_operations`: an action needing an unverified platform call is planned and explained, not run.
DRY_RUN_RULES: frozenset[str] = frozenset({"autonomy", "rollout_phase", "verified_operations"})


def run_rule(rule: Rule, ctx: GuardrailContext) -> RuleResult:
    """One rule, failing closed: an exception becomes a `block` naming the error."""
    try:
        return rule(ctx)
    except Exception as error:  # any failure of a guardrail must block, never crash the run
        return block(
            rule.__name__,
            f"rule could not be evaluated ({type(error).__name__}: {error}): blocked (fail closed)",
            {"error": f"{type(error).__name__}: {error}"},
        )


def evaluate(ctx: GuardrailContext, *, approved_by: str | None = None, extra: Iterable[RuleResult] = ()) -> Verdict:
    """The verdict for one action: every rule plus `extra` results from the orchestrator (e.g.
    `target_state`). `approved_by` (a human approver) satisfies `needs_approval` results, never `block`."""
    results = [run_rule(rule, ctx) for rule in RULES]
    results.extend(extra)
    return Verdict.from_rules(results, approved_by=approved_by)


def is_dry_run(verdict: Verdict) -> bool:
    """True when the only blocks come from the autonomy/rollout-phase rules (advisory mode, sandbox phase)."""
    blocking = {r.rule_id for r in verdict.blocking}
    return bool(blocking) and blocking <= DRY_RUN_RULES
