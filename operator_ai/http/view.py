"""One pending approval as plain data: the JSON API returns it and the HTML page renders it.

Everything a person needs to decide: what changes (before → after), why a person is asked (the rules
that need approval, with their numbers), every other rule that was checked, the rollback plan, and the
time left. Values come from the log row; none of it is trusted to be safe markup.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from connectors.base import PendingApproval
from schemas.common import Outcome
from schemas.records import ActionRecord

_ENTITY_FIELDS = (("campaign", "name"), ("keyword", "text"), ("email_campaign", "name"), ("automation", "name"),
                  ("content", "url"))


def time_left(seconds: int) -> str:
    if seconds <= 0:
        return "expired"
    hours, minutes = divmod(seconds // 60, 60)
    if hours:
        return f"{hours} h {minutes:02d} min"
    return f"{max(minutes, 1)} min"


def _entity_name(snapshot: Any) -> str | None:
    if not isinstance(snapshot, dict):
        return None
    for part, name in _ENTITY_FIELDS:
        value = (snapshot.get(part) or {}).get(name) if isinstance(snapshot.get(part), dict) else None
        if value:
            return str(value)
    return None


def _changes(before: dict[str, Any], after: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"field": key, "before": before.get(key), "after": after.get(key)}
            for key in sorted(set(before) | set(after)) if before.get(key) != after.get(key)]


def pending_view(pending: PendingApproval, record: ActionRecord | None, now: datetime) -> dict[str, Any]:
    payload = record.payload if record else {}
    opportunity = payload.get("opportunity") or {}
    action = payload.get("action") or {}
    verdict = record.verdict if record else None
    rollback = record.rollback_plan if record else None
    rules = [r.model_dump(mode="json") for r in verdict.rules] if verdict else []
    seconds = max(0, int((pending.expires_at - now).total_seconds()))
    return {
        "action_id": pending.action_id,
        "organization_id": pending.organization_id,
        "plan_hash": pending.plan_hash,
        "action_type": record.action_type if record else None,
        "platform": str(record.platform) if record else None,
        "title": opportunity.get("title") or (record.action_type if record else pending.action_id),
        "rationale": opportunity.get("rationale"),
        "confidence": opportunity.get("confidence"),
        "opportunity_id": opportunity.get("opportunity_id"),
        "scout_approved_by": opportunity.get("approved_by"),
        "proposed_by": opportunity.get("proposed_by"),
        "evidence": opportunity.get("evidence") or {},
        "summary": pending.summary,
        "requested_at": pending.requested_at.isoformat(),
        "expires_at": pending.expires_at.isoformat(),
        "seconds_left": seconds,
        "time_left": time_left(seconds),
        "manual": verdict is None,  # approval-only type: approving hands it to a person; the Operator never acts
        "target": action.get("target") or {},
        "params": action.get("params") or {},
        "entity": _entity_name(payload.get("snapshot")),
        "changes": _changes(rollback.before_state, rollback.expected_state) if rollback else [],
        "operations": payload.get("operations") or [],
        "needs_approval": [r for r in rules if r["outcome"] == Outcome.NEEDS_APPROVAL.value],
        "blocking": [r for r in rules if r["outcome"] == Outcome.BLOCK.value],
        "rules": rules,
        "rollback": rollback.model_dump(mode="json") if rollback else None,
    }
