"""Building action records: one place decides what a row carries (payload, verdict, plan, checks).

Keeps the orchestrator, approvals and settlement writing identical rows for identical facts.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from operator_ai.planner import PlannedOpportunity
from schemas.common import IN_FLIGHT, ActionStatus, Platform
from schemas.facts import ChangeFacts, PastAction
from schemas.records import ActionRecord, Plan

EXECUTED_STATUSES = frozenset({ActionStatus.EXECUTED, ActionStatus.ROLLING_BACK, ActionStatus.ROLLED_BACK,
                               ActionStatus.ROLLBACK_FAILED, ActionStatus.MEASURED})


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


# Who a row names when no person caused it: the scheduled (or hand-started) run of the Operator.
RUN_ACTOR = "operator"


def facts_payload(facts: ChangeFacts) -> dict[str, Any]:
    return _jsonable({f.name: getattr(facts, f.name) for f in dataclasses.fields(facts)})


def opportunity_summary(item: PlannedOpportunity) -> dict[str, Any]:
    """The validated opportunity as it was judged (approvals re-judge it from here)."""
    opp = item.opportunity
    if opp is None:
        return {"opportunity_id": item.opportunity_id}
    return {**opp.model_dump(mode="json"), "proposed_by": item.proposed_by}


def input_record(item: PlannedOpportunity, status: ActionStatus, now: datetime, run_id: str,
                 previous: ActionRecord | None, raw: Any = None) -> ActionRecord:
    """A row for an opportunity that never became a judged action (bad input, expired, approval-only),
    written by a run: it names the Operator as the one who caused it."""
    action_type = item.action_type
    payload: dict[str, Any] = {"opportunity": opportunity_summary(item), "reason": item.reason}
    if item.opportunity is not None and item.opportunity.action is not None:
        payload["action"] = item.opportunity.action.model_dump(mode="json")
    elif raw is not None and status == ActionStatus.REJECTED_INPUT:
        payload["raw"] = _truncated_raw(raw)
    return ActionRecord(
        action_id=item.action_id,
        opportunity_id=item.opportunity_id,
        organization_id=item.organization_id,
        action_type=action_type,
        platform=item.action.platform if item.action else (item.opportunity.platform.value
                                                          if item.opportunity and item.opportunity.platform
                                                          else "unknown"),
        payload=payload,
        status=status,
        event_time=now,
        seq=previous.seq + 1 if previous else 0,
        run_id=run_id,
        executed_by=RUN_ACTOR,
        error_message=item.reason if status == ActionStatus.REJECTED_INPUT else None,
    )


def _truncated_raw(raw: Any) -> Any:
    text = raw if isinstance(raw, str) else repr(raw)
    if isinstance(raw, dict):
        return {str(k)[:100]: (v if isinstance(v, int | float | bool | None) else str(v)[:500])
                for k, v in list(raw.items())[:50]}
    return text[:2000]


def plan_record(item: PlannedOpportunity, plan: Plan, facts: ChangeFacts | None, status: ActionStatus,
                now: datetime, run_id: str, previous: ActionRecord | None, **fields: Any) -> ActionRecord:
    """A row for a judged action: the whole plan travels in the payload so it can be explained and replayed.
    It names who caused it: the Operator's run unless `executed_by` says otherwise (a person's approval)."""
    payload = {
        "action": plan.action.model_dump(mode="json"),
        "opportunity": opportunity_summary(item),
        "snapshot": plan.snapshot.model_dump(mode="json") if plan.snapshot else None,
        "observed_state": plan.observed_state,
        "operations": [op.model_dump(mode="json") for op in plan.operations],
        "facts": facts_payload(facts) if facts else None,
        "plan_created_at": plan.created_at.isoformat(),
    }
    return ActionRecord(
        action_id=plan.action_id,
        opportunity_id=plan.opportunity_id,
        organization_id=plan.organization_id,
        action_type=plan.action.type,
        platform=plan.action.platform,
        payload=payload,
        status=status,
        event_time=now,
        seq=previous.seq + 1 if previous else 0,
        run_id=run_id,
        verdict=plan.verdict,
        rollback_plan=plan.rollback_plan,
        plan_hash=plan.plan_hash,
        **{"executed_by": RUN_ACTOR, **fields},
    )


def checkpoints(executed_at: datetime, hours: tuple[int, ...]) -> tuple[datetime, ...]:
    return tuple(executed_at + timedelta(hours=h) for h in hours)


def past_action(record: ActionRecord) -> PastAction:
    """History entry for the rate, cooldown, cumulative-budget and similar-failure rules. An action whose
    outcome is still unknown (EXECUTING, UNCERTAIN) counts as executed: it may well have landed."""
    facts = (record.payload or {}).get("facts") or {}

    def dec(name: str) -> Decimal | None:
        value = facts.get(name)
        return Decimal(str(value)) if value is not None else None

    executed = (record.executed_at is not None or record.status in EXECUTED_STATUSES
                or record.status in IN_FLIGHT)
    return PastAction(
        action_id=record.action_id,
        action_type=record.action_type,
        entity_key=facts.get("entity_key") or f"{record.platform}:{record.action_id}",
        # A transient platform failure (nothing landed) is not held against the next similar action.
        status="FAILED_TRANSIENT" if (record.result or {}).get("retry_later") else record.status.value,
        at=record.executed_at or record.event_time,
        executed=executed,
        campaign_key=facts.get("campaign_key"),
        budget_before=dec("budget_before"),
        budget_after=dec("budget_after"),
    )


def platform_of(value: Platform | str) -> Platform:
    return value if isinstance(value, Platform) else Platform(value)
