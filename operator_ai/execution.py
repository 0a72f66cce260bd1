"""Executing allowed plans for one account: pre-execution checks, write-ahead, apply, results.

Shared by scheduled runs and human approvals, so both paths check and log identically. The kill switch
is read again immediately before the platform call; an ambiguous failure becomes UNCERTAIN and is
settled later by reading state, never by sending again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from connectors.base import ActionsLog, OpportunitySource, PlatformConnector, PlatformError, StateStore
from guardrails.checks import (
    check_kill_switch,
    check_no_similar_failure,
    check_no_unsettled_change,
    check_opportunity_current,
    check_plan_fresh,
    check_platform_connected,
)
from guardrails.engine import DRY_RUN_RULES
from guardrails.limits import Limits
from operator_ai.journal import checkpoints, plan_record
from operator_ai.planning import BuiltPlan, read_snapshots
from rollback.registry import spec_for
from schemas.common import ActionStatus, Platform
from schemas.facts import PastAction
from schemas.operations import ApplyOutcome, ApplyResult, ErrorKind, OpBatch
from schemas.records import ActionRecord
from schemas.snapshots import Snapshot
from schemas.verdict import CheckResult

log = logging.getLogger("operator.execute")

# Apply failures that say nothing about the action itself (nothing landed): retried by a later run.
TRANSIENT_ERRORS = frozenset({ErrorKind.RETRYABLE, ErrorKind.RATE_LIMITED, ErrorKind.QUOTA})

# A failed check with one of these ids may pass later: the action is released for a later run.
DEFERRABLE_CHECKS = frozenset({"kill_switch", "platform_connected", "plan_fresh", "no_similar_failure",
                               "no_unsettled_change"})


@dataclass
class ExecutionContext:
    log: ActionsLog
    state: StateStore
    opportunities: OpportunitySource
    connectors: Mapping[Platform, PlatformConnector]
    clock: Callable[[], datetime]
    run_id: str
    limits: Limits
    history: list[PastAction]
    connection_cache: dict[tuple[Platform, str], str | None] = field(default_factory=dict)


@dataclass
class Executed:
    record: ActionRecord
    done: bool  # claim finished for good (False: release for a later run)


def _connection_error(ctx: ExecutionContext, platform: Platform, account: str) -> str | None:
    key = (platform, account)
    if key not in ctx.connection_cache:
        connector = ctx.connectors.get(platform)
        try:
            if connector is None:
                raise PlatformError(f"no connector configured for {platform.value}")
            connector.check_connection(account)
            ctx.connection_cache[key] = None
        except PlatformError as error:
            ctx.connection_cache[key] = error.message
        except Exception as error:  # a defect in the adapter, not a missing connector: logged, checked again later
            log.exception("the %s adapter failed checking the connection of %s", platform.value, account)
            ctx.connection_cache[key] = f"the {platform.value} adapter failed unexpectedly ({type(error).__name__}: " \
                                        f"{error}); see the service log"
    return ctx.connection_cache[key]


def _pre_checks(ctx: ExecutionContext, built: BuiltPlan, fresh: Snapshot | PlatformError | None) -> list[CheckResult]:
    plan, action = built.plan, built.action
    now = ctx.clock()
    current = ctx.opportunities.current_status(plan.opportunity_id) if plan.opportunity_id else None
    status, expires_at = current if current else ("missing", None)
    entity_key = built.facts.entity_key if built.facts else ""
    return [
        check_kill_switch(ctx.state.kill_switches(plan.organization_id)),
        check_opportunity_current(status, expires_at, now),
        check_platform_connected(_connection_error(ctx, action.platform, action.account_id())),
        check_no_similar_failure(ctx.history, entity_key, action.type, now, ctx.limits),
        check_no_unsettled_change(ctx.history, entity_key, plan.action_id),
        _fresh_check(built, fresh),
    ]


def _fresh_check(built: BuiltPlan, fresh: Snapshot | PlatformError | None) -> CheckResult:
    """The plan is not stale — and when the state cannot be re-read now, it is not known to be fresh."""
    if isinstance(fresh, Snapshot):
        return check_plan_fresh(built.plan.observed_state, spec_for(built.action).observed_state(built.action, fresh))
    reason = fresh.message if isinstance(fresh, PlatformError) else "the platform returned no state"
    return CheckResult(check_id="plan_fresh", passed=False, message=f"could not re-read the entity state: {reason}",
                       observed={"error": reason})


def execute_account(ctx: ExecutionContext, plans: list[BuiltPlan], previous: dict[str, ActionRecord],
                    executed_by: str) -> list[Executed]:
    """Run the allowed plans of one (platform, account): checks → EXECUTING rows → apply → result rows."""
    if not plans:
        return []
    platform, account = plans[0].action.platform, plans[0].action.account_id()
    org = plans[0].plan.organization_id
    now = ctx.clock()
    stopped = check_kill_switch(ctx.state.kill_switches(org))
    if not stopped.passed:  # not even the fresh read goes out during a stop
        return [_deferred(ctx, b, previous.get(b.plan.action_id), stopped) for b in plans]
    fresh = read_snapshots(ctx.connectors, [(b.plan.action_id, b.action) for b in plans], org,
                           int(ctx.limits.window_days), now)
    outcomes: list[Executed] = []
    ready: list[tuple[BuiltPlan, ActionRecord]] = []
    for built in plans:
        checks = _pre_checks(ctx, built, fresh.get(built.plan.action_id))
        failed = [c for c in checks if not c.passed]
        prev = previous.get(built.plan.action_id)
        if failed:
            first = failed[0]
            status = ActionStatus.EXPIRED if first.check_id == "opportunity_current" and "expired" in first.message \
                else ActionStatus.BLOCKED
            record = plan_record(built.item, built.plan, built.facts, status, now, ctx.run_id, prev,
                                 checks=tuple(checks), error_message=f"pre-execution check {first.check_id}: "
                                                                      f"{first.message}",
                                 result={"deferred": first.check_id in DEFERRABLE_CHECKS})
            outcomes.append(Executed(record, done=first.check_id not in DEFERRABLE_CHECKS))
            continue
        ready.append((built, plan_record(built.item, built.plan, built.facts, ActionStatus.EXECUTING, now,
                                         ctx.run_id, prev, checks=tuple(checks), executed_by=executed_by)))
    if not ready:
        return outcomes
    # Write-ahead: the EXECUTING rows, with their rollback plans, are durable before the platform call.
    ctx.log.append([record for _, record in ready])
    switch = ctx.state.kill_switches(org)
    last_check = check_kill_switch(switch)
    if not last_check.passed:
        for _, record in ready:
            outcomes.append(Executed(record.next(ActionStatus.BLOCKED, ctx.clock(), ctx.run_id,
                                                 error_message=f"pre-execution check kill_switch: {last_check.message}",
                                                 checks=(*record.checks, last_check), result={"deferred": True}),
                                     done=False))
        return outcomes
    batches = [OpBatch(key=b.plan.action_id, organization_id=org, platform=platform, account_id=account,
                       ops=b.plan.operations) for b, _ in ready]
    sent_at = ctx.clock()  # when the platform call goes out: what `executed_at` records
    results = _apply(ctx, platform, account, batches)
    for (built, record), result in zip(ready, results, strict=True):
        outcomes.append(_result_row(ctx, built, record, result, executed_by, sent_at))
    return outcomes


def _deferred(ctx: ExecutionContext, built: BuiltPlan, prev: ActionRecord | None, check: CheckResult) -> Executed:
    record = plan_record(built.item, built.plan, built.facts, ActionStatus.BLOCKED, ctx.clock(), ctx.run_id, prev,
                         checks=(check,), error_message=f"pre-execution check {check.check_id}: {check.message}",
                         result={"deferred": True})
    return Executed(record, done=False)


def _apply(ctx: ExecutionContext, platform: Platform, account: str, batches: list[OpBatch]) -> list[ApplyResult]:
    try:
        results = ctx.connectors[platform].apply(account, batches, validate_only=False)
    except PlatformError as error:
        outcome = ApplyOutcome.UNCERTAIN if error.kind.value == "uncertain" else ApplyOutcome.FAILED
        return [ApplyResult(key=b.key, outcome=outcome, error=error.info()) for b in batches]
    by_key = {r.key: r for r in results}
    return [by_key.get(b.key) or ApplyResult(key=b.key, outcome=ApplyOutcome.UNCERTAIN,
                                             details={"note": "the connector returned no result for this action"})
            for b in batches]


def _result_row(ctx: ExecutionContext, built: BuiltPlan, record: ActionRecord, result: ApplyResult,
                executed_by: str, sent_at: datetime) -> Executed:
    now = ctx.clock()
    body: dict[str, Any] = {"outcome": result.outcome.value, "details": result.details,
                            "request_ids": list(result.request_ids)}
    if result.error is not None:  # kind, code and retry-after: what a person needs to decide what next
        body["error"] = result.error.model_dump(mode="json")
    if result.outcome == ApplyOutcome.APPLIED:
        plan = record.rollback_plan
        if plan is not None:
            plan = spec_for(built.action).finalize_rollback_plan(plan, result)
        row = record.next(ActionStatus.EXECUTED, now, ctx.run_id, executed_at=sent_at, executed_by=executed_by,
                          result=body, rollback_plan=plan,
                          measurement_checkpoints=checkpoints(sent_at, ctx.limits.measurement_checkpoint_hours))
        return Executed(row, done=True)
    message = result.error.message if result.error else "no error message"
    if result.outcome == ApplyOutcome.UNCERTAIN:
        row = record.next(ActionStatus.UNCERTAIN, now, ctx.run_id, result=body,
                          error_message=f"outcome unknown, will be settled by reading state: {message}")
        return Executed(row, done=False)
    if result.error is not None and result.error.kind in TRANSIENT_ERRORS:
        # Nothing landed and the platform, not the action, was the problem: a later run tries again.
        body["retry_later"] = True
        row = record.next(ActionStatus.FAILED, now, ctx.run_id, result=body,
                          error_message=f"{message} (nothing changed; a later run tries again)")
        return Executed(row, done=False)
    row = record.next(ActionStatus.FAILED, now, ctx.run_id, result=body, error_message=message)
    return Executed(row, done=True)


def validate_dry_runs(connectors: Mapping[Platform, PlatformConnector],
                      plans: list[BuiltPlan]) -> dict[str, dict[str, Any]]:
    """With real credentials, a dry run asks the platform to validate the operations (nothing changes):
    the platform's own checks become part of the dry run. Sandbox connectors are skipped."""
    groups: dict[tuple[Platform, str], list[BuiltPlan]] = {}
    for built in plans:
        connector = connectors.get(built.action.platform)
        only_dry_run_blocks = all(r.rule_id in DRY_RUN_RULES for r in built.plan.verdict.blocking)
        if connector is not None and connector.mode == "LIVE" and built.plan.operations and only_dry_run_blocks:
            groups.setdefault((built.action.platform, built.action.account_id()), []).append(built)
    answers: dict[str, dict[str, Any]] = {}
    for (platform, account), members in groups.items():
        batches = [OpBatch(key=b.plan.action_id, organization_id=b.plan.organization_id, platform=platform,
                           account_id=account, ops=b.plan.operations) for b in members]
        try:
            results = connectors[platform].apply(account, batches, validate_only=True)
        except PlatformError as error:
            results = [ApplyResult(key=b.key, outcome=ApplyOutcome.FAILED, error=error.info()) for b in batches]
        for result in results:
            answers[result.key] = {"platform_validation": {
                "outcome": result.outcome.value, "error": result.error.message if result.error else None}}
    return answers
