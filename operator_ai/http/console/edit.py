"""Approve with an edit: "reduce to the largest allowed change". A pending budget or bid increase is
re-judged at smaller sizes (whole percents, largest first) against a fresh read and the same guardrails,
until one needs no approval; that reduced plan, with its own plan hash, is what the person approves.

The page shows the reduced plan's hash (`change_hash`); the decision names it, and `approvals.decide(..., edit=...)`
re-plans and re-judges it once more before it executes, so a plan that went stale in between is refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from operator_ai.frame import load_frame, read_for_frame
from operator_ai.planner import PlannedOpportunity
from operator_ai.planning import build_plan
from operator_ai.wiring import Services
from schemas.actions import parse_action
from schemas.common import Outcome, stable_hash
from schemas.opportunity import parse_opportunity
from schemas.records import ActionRecord, Plan

# action type -> (the params field of an absolute new value, the snapshot value it changes)
EDITABLE = {"adjust_campaign_budget": ("new_daily_budget", "budget_before"),
            "adjust_keyword_bid": ("new_cpc_bid", "bid_before")}


@dataclass(frozen=True)
class ReducedPlan:
    """The largest version of a pending change the rules allow on their own, or why there is none."""

    action_id: str
    possible: bool
    reason: str
    change_pct: str | None = None
    new_value: str | None = None
    plan_hash: str | None = None
    action: dict[str, Any] | None = None  # the edited action (what the decision executes)
    summary: str | None = None


def change_hash(plan: Plan) -> str:
    """What the person approves: the action, its operations, its rollback and the state it starts from
    (not the read's timestamps, which differ on every read, unlike `Plan.plan_hash`)."""
    body = plan.model_dump(mode="json", include={"action", "operations", "observed_state", "rollback_plan"})
    return stable_hash(body)


def reduced_plan(services: Services, record: ActionRecord) -> ReducedPlan:
    """Re-judge smaller sizes of the pending change against a fresh read; the largest the rules allow."""
    raw_action = (record.payload or {}).get("action")
    editable = EDITABLE.get(record.action_type)
    facts = (record.payload or {}).get("facts") or {}
    if editable is None or not raw_action or facts.get(editable[1]) is None:
        return ReducedPlan(record.action_id, False, "only budget and bid increases can be reduced")
    field, before_key = editable
    policy = services.state.get_org(record.organization_id)
    if policy is None:
        return ReducedPlan(record.action_id, False, f"organization {record.organization_id} is not configured")
    frame = load_frame(services, policy, services.clock(), excluding=record.action_id)
    opportunity_raw = dict(record.payload.get("opportunity") or {})
    proposed_by = opportunity_raw.pop("proposed_by", "scout")
    opportunity = parse_opportunity(opportunity_raw)
    original = parse_action(raw_action)
    snaps = read_for_frame(services, frame, [(record.action_id, original)])
    current = Decimal(str(facts[before_key]))
    wanted_after = Decimal(str(facts.get(before_key.replace("before", "after")) or current))
    if current <= 0 or wanted_after <= current:
        return ReducedPlan(record.action_id, False, "not an increase: nothing to reduce")
    top = int(((wanted_after - current) / current * 100).to_integral_value(rounding="ROUND_CEILING")) - 1
    for pct in range(top, 0, -1):
        value = (current * (100 + pct) / 100).quantize(Decimal("0.01"))
        params = {k: v for k, v in raw_action.get("params", {}).items() if k not in (field, "change_pct")}
        edited = {**raw_action, "params": {**params, field: str(value)}}
        item = PlannedOpportunity("action", record.action_id, record.organization_id, record.opportunity_id,
                                  opportunity, parse_action(edited), proposed_by=proposed_by)
        built = build_plan(item, snaps[record.action_id], frame)
        if built.plan.verdict.outcome == Outcome.ALLOW:
            return ReducedPlan(record.action_id, True, f"+{pct} % is the largest change the rules allow on their "
                               "own", str(pct), str(value), change_hash(built.plan), edited,
                               built.plan.verdict.summary())
        if any(r.outcome == Outcome.BLOCK for r in built.plan.verdict.rules if r.rule_id not in
               {"budget_increase_pct", "bid_increase_pct", "budget_cumulative_24h"}):
            return ReducedPlan(record.action_id, False, f"a smaller change is blocked too: "
                               f"{built.plan.verdict.summary()}")
    return ReducedPlan(record.action_id, False, "no smaller increase passes the rules on its own")
