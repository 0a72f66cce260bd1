"""`operator plan`: what a run would decide now — same planner, snapshots and guardrails, no side effects."""

from __future__ import annotations

from typing import Any

from guardrails.engine import DRY_RUN_RULES
from operator_ai.frame import load_frame, read_for_frame
from operator_ai.planning import build_plan
from operator_ai.wiring import Services
from schemas.common import Outcome


def preview(services: Services, org_ids: list[str] | None = None) -> list[dict[str, Any]]:
    now = services.clock()
    items: list[dict[str, Any]] = []
    for policy in services.state.list_orgs():
        org = policy.organization_id
        if org_ids and org not in org_ids:
            continue
        frame = load_frame(services, policy, now)
        planned = [services.planner.plan(raw, policy, now) for raw in services.opportunities.pull_approved(org, now)]
        latest = services.log.latest([p.action_id for p in planned])
        actionable = [p for p in planned if p.kind == "action"]
        snaps = read_for_frame(services, frame, [(p.action_id, p.action) for p in actionable])
        for item in planned:
            base = {"organization_id": org, "action_id": item.action_id, "opportunity_id": item.opportunity_id,
                    "current_status": latest[item.action_id].status.value if item.action_id in latest else None}
            if item.kind != "action":
                items.append({**base, "would_be": item.kind.upper(), "type": item.approval_only_kind,
                              "rules": [], "detail": item.reason or ""})
                continue
            built = build_plan(item, snaps[item.action_id], frame)
            verdict = built.plan.verdict
            blocking = {r.rule_id for r in verdict.blocking}
            if verdict.outcome == Outcome.BLOCK:
                would_be = "DRY_RUN" if blocking <= DRY_RUN_RULES else "BLOCKED"
            elif verdict.outcome == Outcome.NEEDS_APPROVAL:
                would_be = "PENDING_APPROVAL"
            else:
                would_be = "EXECUTE"
                if built.facts is not None:
                    frame.reserve(built.plan, built.facts)
            if base["current_status"] is not None:
                would_be = f"{would_be} (last logged: {base['current_status']})"
            items.append({**base, "would_be": would_be, "type": built.action.type,
                          "rules": verdict.rule_ids(Outcome.BLOCK) or verdict.rule_ids(Outcome.NEEDS_APPROVAL),
                          "detail": verdict.summary(), "plan_hash": built.plan.plan_hash,
                          "operations": [op.model_dump(mode="json") for op in built.plan.operations]})
    return items
