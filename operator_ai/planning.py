"""Plan building: batched snapshots per account, change facts, guardrail verdicts, rollback plans.

Pure with respect to our own state (no claims, no log rows), so `operator plan` can show exactly what a
run would decide without side effects; only the platform reads touch the outside.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from connectors.base import PlatformConnector, PlatformError, RetryableError
from guardrails.context import GuardrailContext, budget_key
from guardrails.engine import evaluate
from guardrails.limits import Limits
from operator_ai.planner import PlannedOpportunity
from rollback.registry import spec_for
from schemas.actions import Action
from schemas.common import Outcome, Platform
from schemas.facts import ChangeFacts, PastAction
from schemas.impact import TrackingHold
from schemas.policy import KillSwitchState, OrgPolicy
from schemas.records import Plan
from schemas.snapshots import Snapshot, SnapshotPart, SnapshotRequest
from schemas.verdict import RuleResult

log = logging.getLogger("operator.plan")


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
    org_daily_budgets: dict[str, Decimal] | None = None  # every active budget of the org, by `budget_key`
    budgets_error: PlatformError | None = None  # why the org's budgets could not be read (None: read or not asked)

    tracking_holds: tuple[TrackingHold, ...] = ()  # issue 14: the org's holds in force

    def take_budgets(self, answers: Mapping[str, Snapshot | PlatformError], accounts: Iterable[str]) -> None:
        """The org's active budgets from the budget parts of a batched read (`read_snapshots` with
        `budget_accounts`): all or nothing — one unreadable account leaves the total unknown."""
        budgets: dict[str, Decimal] = {}
        for account in accounts:
            answer = answers.get(budgets_request_key(account))
            if not isinstance(answer, Snapshot) or answer.account_budgets is None:
                self.budgets_error = answer if isinstance(answer, PlatformError) else PlatformError(
                    f"the budgets of Google Ads account {account} were not returned")
                self.org_daily_budgets, self.org_total_daily_budget = None, None
                return
            budgets.update((budget_key(account, b.budget_id), b.amount) for b in answer.account_budgets)
        self.org_daily_budgets = budgets
        self.org_total_daily_budget = sum(budgets.values(), Decimal(0))

    def reserve(self, plan: Plan, facts: ChangeFacts) -> None:
        """Count an action we are about to execute, so later actions in the same run see it (a budget
        increase counts against the org's total at once; a cut frees nothing until it has landed)."""
        self.executed_last_hour += 1
        self.executed_last_24h += 1
        before, after, budget = facts.budget_before, facts.budget_after, plan.snapshot and plan.snapshot.budget
        if before is not None and after is not None and after > before and self.org_total_daily_budget is not None:
            key = budget_key(plan.action.account_id(), budget.budget_id) if budget else None
            if self.org_daily_budgets is not None and key is not None and key in self.org_daily_budgets:
                self.org_total_daily_budget += max(Decimal(0), after - self.org_daily_budgets[key])
                self.org_daily_budgets[key] = max(after, self.org_daily_budgets[key])
            else:
                self.org_total_daily_budget += after - before
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


def budgets_request_key(account_id: str) -> str:
    return f"org-budgets:{account_id}"


def budget_accounts(policy: OrgPolicy, actions: Iterable[Action]) -> tuple[str, ...]:
    """The accounts whose budgets a run must read: every connected Google Ads account, when any action
    changes a budget (the org cap and reallocation rules judge it against the org's whole spend)."""
    changes_budget = any(SnapshotPart.BUDGET in spec_for(a).snapshot_request(
        a, key="probe", window_days=1, organization_id=policy.organization_id).parts for a in actions)
    return tuple(policy.connected.google_ads_customer_ids) if changes_budget else ()


def read_snapshots(
    connectors: Mapping[Platform, PlatformConnector],
    actions: Iterable[tuple[str, Action]],
    organization_id: str,
    window_days: int,
    now: datetime,
    *,
    budget_accounts: Iterable[str] = (),
) -> dict[str, Snapshot | PlatformError]:
    """One snapshot call per (platform, account) for all actions of the run; with `budget_accounts`,
    each of those Google Ads accounts is also asked for its budgets, in the same call as its actions
    (answered under `budgets_request_key(account)`)."""
    groups: dict[tuple[Platform, str], list[SnapshotRequest]] = defaultdict(list)
    for action_id, action in actions:
        groups[(action.platform, action.account_id())].append(spec_for(action).snapshot_request(
            action, key=action_id, window_days=window_days, organization_id=organization_id))
    for account in budget_accounts:
        groups[(Platform.GOOGLE_ADS, account)].append(SnapshotRequest(
            key=budgets_request_key(account), organization_id=organization_id, platform=Platform.GOOGLE_ADS,
            account_id=account, parts=frozenset({SnapshotPart.ACCOUNT_BUDGETS}), window_days=window_days))
    answers: dict[str, Snapshot | PlatformError] = {}
    for (platform, account), requests in groups.items():
        connector = connectors.get(platform)
        try:
            if connector is None:
                raise PlatformError(f"no connector configured for {platform.value}")
            result = connector.snapshot(account, requests, now)
        except PlatformError as error:
            result = {r.key: error for r in requests}
        except Exception as error:  # a defect in an adapter: say so (with the traceback), judge again later
            log.exception("the %s adapter failed reading %s", platform.value, account)
            failure = RetryableError(f"the {platform.value} adapter failed unexpectedly ({type(error).__name__}: "
                                     f"{error}); see the service log", code="ADAPTER_ERROR")
            result = {r.key: failure for r in requests}
        for request in requests:
            answers[request.key] = result.get(request.key) or PlatformError(
                f"the platform returned no snapshot for {request.key}")
    return answers


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
        org_daily_budgets=frame.org_daily_budgets,
        executed_last_hour=frame.executed_last_hour, executed_last_24h=frame.executed_last_24h,
        operations=tuple(op.op for op in (*operations, *(rollback_plan.inverse_ops if rollback_plan else ()))),
        live=snap is not None and snap.source == "live",
        tracking_holds=frame.tracking_holds,
    )
    verdict = evaluate(ctx, approved_by=approved_by, extra=tuple(extra))
    plan = Plan(action_id=item.action_id, organization_id=item.organization_id, opportunity_id=item.opportunity_id,
                action=action, operations=operations, snapshot=snap, observed_state=observed, verdict=verdict,
                rollback_plan=rollback_plan, created_at=frame.now)
    return BuiltPlan(item, plan, facts, snapshot if isinstance(snapshot, PlatformError) else None)
