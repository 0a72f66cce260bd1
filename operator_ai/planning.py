"""Plan building: batched snapshots per account, change facts, guardrail verdicts, rollback plans.

Pure with respect to our own state (no claims, no log rows), so `operator plan` can show exactly what a
run would decide without side effects; only the platform reads touch the outside.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from connectors.base import PlatformConnector, PlatformError
from guardrails.context import GuardrailContext
from guardrails.engine import evaluate
from guardrails.limits import Limits
from operator_ai.planner import PlannedOpportunity
from rollback.registry import spec_for
from schemas.actions import Action
from schemas.common import Outcome, Platform
from schemas.facts import ChangeFacts, PastAction
from schemas.policy import KillSwitchState, OrgPolicy
from schemas.records import Plan
from schemas.snapshots import Snapshot
from schemas.verdict import RuleResult


@dataclass
class OrgFrame:
    """What one org run knows while it decides: policy, limits, history and in-run reservations."""

    policy: OrgPolicy
    limits: Limits
    now: datetime
    kill_switch: KillSwitchState
    history: list[PastAction] = field(default_factory=list)
    executed_last_hour: int = 0
    executed_last_24h: int = 0
    org_total_daily_budget: Decimal | None = None

    def reserve(self, plan: Plan, facts: ChangeFacts) -> None:
        """Count an action we are about to execute, so later actions in the same run see it."""
        self.executed_last_hour += 1
        self.executed_last_24h += 1
        self.history.append(PastAction(
            action_id=plan.action_id, action_type=plan.action.type, entity_key=facts.entity_key,
            status="EXECUTING", at=self.now, executed=True, campaign_key=facts.campaign_key,
            budget_before=facts.budget_before, budget_after=facts.budget_after))


@dataclass
class BuiltPlan:
    item: PlannedOpportunity
    plan: Plan
    facts: ChangeFacts | None
    snapshot_error: PlatformError | None = None

    @property
    def action(self) -> Action:
        assert self.item.action is not None
        return self.item.action


def read_snapshots(
    connectors: Mapping[Platform, PlatformConnector],
    actions: Iterable[tuple[str, Action]],
    organization_id: str,
    window_days: int,
    now: datetime,
) -> dict[str, Snapshot | PlatformError]:
    """One snapshot call per (platform, account) for all actions of the run."""
    groups: dict[tuple[Platform, str], list[tuple[str, Action]]] = defaultdict(list)
    for action_id, action in actions:
        groups[(action.platform, action.account_id())].append((action_id, action))
    answers: dict[str, Snapshot | PlatformError] = {}
    for (platform, account), members in groups.items():
        requests = [spec_for(a).snapshot_request(a, key=aid, window_days=window_days, organization_id=organization_id)
                    for aid, a in members]
        try:
            connector = connectors[platform]
            result = connector.snapshot(account, requests, now)
        except PlatformError as error:
            for aid, _ in members:
                answers[aid] = error
            continue
        except KeyError:
            error = PlatformError(f"no connector configured for {platform.value}")
            for aid, _ in members:
                answers[aid] = error
            continue
        for aid, _ in members:
            answers[aid] = result.get(aid) or PlatformError(f"the platform returned no snapshot for {aid}")
    return answers


def org_total_daily_budget(snapshots: Iterable[Snapshot | PlatformError]) -> Decimal | None:
    totals: dict[str, Decimal] = {}
    for snap in snapshots:
        if isinstance(snap, Snapshot) and snap.account is not None and snap.platform == Platform.GOOGLE_ADS:
            totals[snap.account_id] = snap.account.total_daily_budget
    return sum(totals.values(), Decimal(0)) if totals else None


def build_plan(item: PlannedOpportunity, snapshot: Snapshot | PlatformError, frame: OrgFrame,
               approved_by: str | None = None) -> BuiltPlan:
    """Judge one action against its snapshot. Always returns a plan (blocked ones included)."""
    action = item.action
    assert action is not None and item.opportunity is not None
    spec = spec_for(action)
    extra: list[RuleResult] = []
    facts: ChangeFacts | None = None
    snap: Snapshot | None = snapshot if isinstance(snapshot, Snapshot) else None
    operations: tuple = ()
    rollback_plan = None
    observed: dict = {}
    if snap is None:
        extra.append(RuleResult(rule_id="target_state", outcome=Outcome.BLOCK,
                                message=f"could not read the target's state: {snapshot}",
                                observed={"error": str(snapshot)}))
    else:
        reason = spec.validate_against(action, snap, frame.now)
        if reason:
            extra.append(RuleResult(rule_id="target_state", outcome=Outcome.BLOCK, message=reason))
        else:
            facts = spec.facts(action, snap)
            observed = spec.observed_state(action, snap)
            operations = spec.operations(action, snap, item.action_id)
            rollback_plan = spec.rollback_plan(action, snap, item.action_id)
            extra.append(RuleResult(rule_id="target_state", outcome=Outcome.ALLOW,
                                    message="the target exists and the action fits its state"))
    verdict_facts = facts or ChangeFacts(entity_key=f"{action.platform.value}:{action.account_id()}:unknown")
    ctx = GuardrailContext(
        action=action, platform=action.platform, facts=verdict_facts, snapshot=snap, policy=frame.policy,
        limits=frame.limits, now=frame.now, confidence=item.opportunity.confidence, kill_switch=frame.kill_switch,
        history=tuple(frame.history), org_total_daily_budget=frame.org_total_daily_budget,
        executed_last_hour=frame.executed_last_hour, executed_last_24h=frame.executed_last_24h,
        operations=tuple(op.op for op in (*operations, *(rollback_plan.inverse_ops if rollback_plan else ()))),
        live=snap is not None and snap.source == "live",
    )
    verdict = evaluate(ctx, approved_by=approved_by, extra=tuple(extra))
    plan = Plan(action_id=item.action_id, organization_id=item.organization_id, opportunity_id=item.opportunity_id,
                action=action, operations=operations, snapshot=snap, observed_state=observed, verdict=verdict,
                rollback_plan=rollback_plan, created_at=frame.now)
    return BuiltPlan(item, plan, facts, snapshot if isinstance(snapshot, PlatformError) else None)
