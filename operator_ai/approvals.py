"""Human approval (spec §6): a named person approves a specific plan, once, for its organization.

On approval the Operator re-reads state (a stale plan is refused and re-planned on the next run) and runs
the guardrails again: the approval satisfies `needs_approval` results only — a `block` still blocks.
"""

from __future__ import annotations

import re
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from connectors.base import ApprovalError, PendingApproval, StoreError
from guardrails.limits import resolve_limits
from operator_ai.execution import ExecutionContext, execute_account
from operator_ai.frame import load_frame, read_for_frame
from operator_ai.journal import plan_record
from operator_ai.orchestrator import DEFERRABLE_RULES, expire_approvals, new_run_id
from operator_ai.planner import PlannedOpportunity
from operator_ai.planning import build_plan
from operator_ai.readiness import not_now
from operator_ai.wiring import Services
from schemas.actions import parse_action
from schemas.common import ActionStatus, Outcome
from schemas.opportunity import parse_opportunity
from schemas.records import ActionRecord

# A human identity: an email address or a plain name; never the Operator itself or a model.
_APPROVER = re.compile(r"^[^\s@<>]{1,64}@[^\s@<>]{1,255}$|^[A-Za-z][A-Za-z .'-]{1,80}$")
_NOT_HUMAN = {"operator", "claude", "anthropic", "llm", "system", "ai", "bot"}


@dataclass(frozen=True)
class Decision:
    action_id: str
    status: str  # APPROVED+executed status, REJECTED, MANUAL, BLOCKED, ...
    message: str
    record: ActionRecord | None = None


def validate_approver(approver: str | None) -> str:
    name = (approver or "").strip()
    if not name or not _APPROVER.match(name) or name.casefold() in _NOT_HUMAN:
        raise ApprovalError("an approval needs a human approver identity (e.g. jane@example.com)")
    return name


def list_pending(services: Services,
                 organization_id: str | None = None) -> list[tuple[PendingApproval, ActionRecord | None]]:
    pending = services.state.list_pending(organization_id)
    latest = services.log.latest([p.action_id for p in pending])
    return [(p, latest.get(p.action_id)) for p in pending]


def decide(services: Services, action_id: str, *, approve: bool, approver: str, organization_id: str | None = None,
           plan_hash: str | None = None, via: str = "cli", note: str | None = None,
           edit: dict[str, Any] | None = None) -> Decision:
    """Record a single-use decision; on approval re-check and execute. Raises ApprovalError when refused.
    `edit` is a reduced version of the action the person approved instead (the console's "reduce to the
    largest allowed change"): it is re-planned and judged again like the original would be."""
    approver = validate_approver(approver)
    now = services.clock()
    run_id = new_run_id(now)
    expire_approvals(services, run_id)  # a decision after the TTL is refused, and the log says EXPIRED
    pending = services.state.get_approval(action_id)
    if pending is None:
        raise ApprovalError(f"no approval is pending for {action_id}")
    org = organization_id or pending.organization_id
    record = services.log.latest([action_id]).get(action_id)
    if record is None:
        raise ApprovalError(f"no log record for {action_id}")
    who = {"decided_by": approver, "decided_at": now.isoformat(), "via": via}
    if note:  # the approver's note, or a rejection's reason, travels on the decision's row
        who["note"] = note[:500]
    if edit is not None and approve:
        who["edited_to"] = edit.get("params")
    row = record.next(ActionStatus.APPROVED if approve else ActionStatus.REJECTED, now, run_id,
                      executed_by=approver, result={"decision": who})
    executable = "action" in record.payload and record.verdict is not None
    if approve and executable and _decidable(pending, org, plan_hash):
        _refuse_if_held(services, pending.organization_id, now)
    # One write where the backend can: a decision whose log row failed stays pending, so the person can
    # try again (consumed without its row, it would answer "already approved" and never execute). An
    # approved action is held in the same write, like a run holds what it executes: if this process dies
    # before the result, the lease runs out and the next run plans the action afresh (and asks again)
    # instead of leaving an approval nobody executes. A refusal leaves the batch normally, so what the
    # refusal wrote (an expiry) is kept.
    refusal: ApprovalError | None = None
    with services.batch():
        try:
            decided = services.state.decide(action_id, organization_id=org, approve=approve, decided_by=approver,
                                            plan_hash=plan_hash or pending.plan_hash, now=now)
        except ApprovalError as refused:
            refusal = refused
        else:
            services.log.append([row])
            held = approve and executable and _hold(services, action_id, run_id)
    if refusal is not None:
        raise refusal
    if not approve:
        return Decision(action_id, "REJECTED", f"rejected by {approver}", row)
    approved = row
    if not executable:
        manual = approved.next(ActionStatus.MANUAL, services.clock(), run_id,
                               error_message="approval-only action type: marked for manual execution by a person")
        services.log.append([manual])
        return Decision(action_id, "MANUAL", "approved; a person performs this action (the Operator never does)",
                        manual)
    if not held:
        blocked = approved.next(ActionStatus.BLOCKED, services.clock(), run_id, result={"deferred": True},
                                error_message="another run is processing this action; it will be re-planned")
        services.log.append([blocked])
        return Decision(action_id, "BLOCKED", blocked.error_message or "", blocked)
    if edit is not None:
        approved = approved.model_copy(update={"payload": {**approved.payload, "action": edit}})
    try:
        return _execute_approved(services, approved, decided, approver, run_id)
    except Exception:
        # A store failed (the log says how far it got; a write-ahead row is settled by reading, never sent
        # again): hand the action to the next run now rather than when the lease runs out.
        with suppress(StoreError):
            services.state.release(action_id, run_id, done=False)
        raise


def _decidable(pending: PendingApproval, organization_id: str, plan_hash: str | None) -> bool:
    """Still open for this org and plan: otherwise the store's own refusal (single-use, stale) is the answer."""
    return (pending.status == "pending" and pending.organization_id == organization_id
            and plan_hash in (None, pending.plan_hash))


def _refuse_if_held(services: Services, organization_id: str, now: datetime) -> None:
    """An approval the stop or a rate limit would only hold back is refused before it is recorded."""
    policy = services.state.get_org(organization_id)
    ceiling = services.settings.campaign_cap_ceiling
    limits = resolve_limits(policy.limits if policy else {}, campaign_cap_ceiling=ceiling)
    reason = not_now(services.state, organization_id, limits, now)
    if reason is not None:
        raise ApprovalError(reason)


def _hold(services: Services, action_id: str, run_id: str) -> bool:
    """Claim an approved action for its execution (its claim was finished when it was queued)."""
    services.state.reopen(action_id)
    return services.state.claim(action_id, run_id, services.clock(), services.settings.claim_lease_s)


def _execute_approved(services: Services, record: ActionRecord, approval: PendingApproval, approver: str,
                      run_id: str) -> Decision:
    org = record.organization_id
    policy = services.state.get_org(org)
    if policy is None:
        raise ApprovalError(f"organization {org} is not configured")
    now = services.clock()
    action = parse_action(record.payload["action"])
    raw = dict(record.payload.get("opportunity") or {})
    proposed_by = raw.pop("proposed_by", "scout")
    opportunity = parse_opportunity(raw)
    item = PlannedOpportunity("action", record.action_id, org, record.opportunity_id, opportunity, action,
                              proposed_by=proposed_by)
    frame = load_frame(services, policy, now, excluding=record.action_id)
    limits = frame.limits
    snaps = read_for_frame(services, frame, [(record.action_id, action)])
    built = build_plan(item, snaps[record.action_id], frame, approved_by=approver)
    previous = {record.action_id: record}
    if built.plan.observed_state != (record.payload.get("observed_state") or {}):
        row = plan_record(item, built.plan, built.facts, ActionStatus.BLOCKED, now, run_id, record,
                          error_message="stale plan: the entity changed since it was approved; it will be "
                                        "re-planned on the next run", result={"deferred": True})
        services.log.append([row])
        services.state.release(record.action_id, run_id, done=False)
        return Decision(record.action_id, "BLOCKED", row.error_message or "", row)
    if built.plan.verdict.outcome != Outcome.ALLOW:
        # A temporary block (stop, rate limits, stale data) sends the action back to the next run, which
        # plans it afresh and asks a person again; any other block is final.
        deferred = {r.rule_id for r in built.plan.verdict.blocking} <= DEFERRABLE_RULES
        later = "; it will be re-planned on a later run" if deferred else ""
        row = plan_record(item, built.plan, built.facts, ActionStatus.BLOCKED, now, run_id, record,
                          error_message=f"approved, but {built.plan.verdict.summary()} (approval never lifts a "
                                        f"block){later}", result={"deferred": deferred})
        services.log.append([row])
        services.state.release(record.action_id, run_id, done=not deferred)
        return Decision(record.action_id, "BLOCKED", row.error_message or "", row)
    ctx = ExecutionContext(log=services.log, state=services.state, opportunities=services.opportunities,
                           connectors=services.connectors, clock=services.clock, run_id=run_id, limits=limits,
                           history=frame.history)
    outcomes = execute_account(ctx, [built], previous, executed_by=approver)
    services.log.append([o.record for o in outcomes])
    outcome = outcomes[0]
    if outcome.record.status == ActionStatus.EXECUTED:
        services.state.record_execution(org, record.action_id, outcome.record.executed_at or now)
        if record.opportunity_id:
            services.opportunities.mark(record.opportunity_id, "actioned")
    # Not done (deferred, or UNCERTAIN): the next run takes it (and settles an UNCERTAIN one by reading).
    services.state.release(record.action_id, run_id, done=outcome.done)
    return Decision(record.action_id, outcome.record.status.value,
                    outcome.record.error_message or f"approved by {approver} and {outcome.record.status.value}",
                    outcome.record)
