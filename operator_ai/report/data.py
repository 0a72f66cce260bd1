"""The weekly report's numbers, computed from the actions log (and the state store for approvals and
experiments). One plain, JSON-ready dict: the Markdown/HTML renderers and `--format json` all show it.

Which actions count: every action with a log row in the period (its latest status is the one reported).
Events are counted on the day they happened (UTC): executions, final verdicts, rollbacks. The measured
impact sums the before/after windows of the final verdicts reached in the period — the change seen
around each action, not a causal estimate of it.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from operator_ai.measurement.runner import experiment_store
from operator_ai.measurement.summary import final_verdict, is_measured
from operator_ai.wiring import Services
from schemas.common import ActionStatus
from schemas.records import ActionRecord

VERDICTS = ("successful", "failed", "inconclusive")
LOG_LIMIT = 100_000


def _dec(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value)) if value is not None else None
    except ArithmeticError:
        return None


def _delta(measurement: dict[str, Any], field: str) -> Decimal | None:
    before = _dec((measurement.get("before") or {}).get(field))
    after = _dec((measurement.get("after") or {}).get(field))
    return None if before is None or after is None else after - before


def _in(at: datetime, since: datetime, until: datetime) -> bool:
    return since <= at <= until


def build_report(services: Services, *, since: datetime, until: datetime,
                 organization_id: str | None = None) -> dict[str, Any]:
    latest = services.log.query(organization_id=organization_id, since=since, limit=LOG_LIMIT)
    latest = [r for r in latest if r.event_time <= until]
    history = {r.action_id: services.log.events(r.action_id) for r in latest}
    events = {aid: [e for e in rows if _in(e.event_time, since, until)] for aid, rows in history.items()}
    first_final = {aid: next((e.seq for e in rows if final_verdict(e) is not None), None)
                   for aid, rows in history.items()}  # a final verdict is counted on the row that reached it
    days = [(since + timedelta(days=n)).date() for n in range((until.date() - since.date()).days + 1)]
    timeline: dict[date, Counter[str]] = {d: Counter() for d in days}
    impact, rollbacks = [], []
    for record in latest:
        for event in events[record.action_id]:
            bucket = timeline.setdefault(event.event_time.date(), Counter())
            if event.status == ActionStatus.EXECUTED:
                bucket["executed"] += 1
            elif event.status in (ActionStatus.ROLLED_BACK, ActionStatus.ROLLBACK_FAILED):
                bucket["rolled_back"] += event.status == ActionStatus.ROLLED_BACK
                rollbacks.append(_rollback(event))
            elif event.seq == first_final[record.action_id] and (verdict := final_verdict(event)) is not None:
                bucket["measured"] += is_measured(verdict)
                conversions = _delta(verdict, "conversions")
                bucket["conversions_delta_cents"] += int((conversions or 0) * 100)
                impact.append(_impact(event, verdict))
    finals = Counter(i["verdict"] for i in impact if i["measurable"])
    measured = sum(finals.values())
    by_type: dict[str, Counter[str]] = defaultdict(Counter)
    for record in latest:
        by_type[record.action_type][record.status.value] += 1
    return {
        "title": "Operator weekly report",
        "mode": services.mode,
        "organization_id": organization_id,
        "period": {"since": since.isoformat(), "until": until.isoformat(), "days": len(days)},
        "actions": {
            "total": len(latest),
            "by_status": dict(sorted(Counter(r.status.value for r in latest).items())),
            "by_type": {t: dict(sorted(c.items())) for t, c in sorted(by_type.items())},
            "executed": sum(c["executed"] for c in timeline.values()),
        },
        "measurement": {
            "final_verdicts": {v: finals.get(v, 0) for v in VERDICTS},
            "not_measurable": sum(1 for i in impact if not i["measurable"]),
            "success_rate": round(finals["successful"] / measured, 4) if measured else None,
            "being_measured": sum(1 for r in latest if r.status in (ActionStatus.EXECUTED, ActionStatus.MEASURED)
                                  and final_verdict(r) is None),
            "impact": impact,
            "totals": _totals(impact),
        },
        "rollbacks": rollbacks,
        "pending_approvals": _pending(services, organization_id),
        "experiments": _experiments(services, organization_id, since),
        "timeline": [{"day": d.isoformat(), "executed": c["executed"], "measured": c["measured"],
                      "rolled_back": c["rolled_back"],
                      "conversions_delta": str(Decimal(c["conversions_delta_cents"]) / 100)}
                     for d, c in sorted(timeline.items())],
    }


def _impact(event: ActionRecord, verdict: dict[str, Any]) -> dict[str, Any]:
    return {"action_id": event.action_id, "organization_id": event.organization_id, "type": event.action_type,
            "at": event.event_time.isoformat(), "checkpoint": verdict.get("label"), "verdict": verdict.get("verdict"),
            "metric": verdict.get("metric"), "before": verdict.get("before") or {},
            "after": verdict.get("after") or {}, "effect_pct": verdict.get("effect_pct"),
            "p_value": verdict.get("p_value"), "test": verdict.get("test"), "reason": verdict.get("reason"),
            "measurable": is_measured(verdict), **_counterfactual(verdict.get("impact"))}


def _counterfactual(impact: Any) -> dict[str, Any]:
    """The counterfactual estimate behind a verdict (issue 14): the effect with its interval, what the
    control predicted, and which control it was — None where the verdict had none (email, old rows)."""
    if not isinstance(impact, dict):
        return {"interval": None, "control": None, "expected": None, "difference": None}
    control = impact.get("control") or {}
    low, high = impact.get("ci_low_pct"), impact.get("ci_high_pct")
    return {
        "interval": None if low is None or high is None else
        {"low_pct": low, "high_pct": high, "level": impact.get("ci_level")},
        "control": {"kind": control.get("kind"), "campaigns": list(control.get("entities") or ()),
                    "reason": control.get("reason"), "model": impact.get("model")},
        "expected": impact.get("expected"), "difference": impact.get("difference"),
    }


def _totals(impact: list[dict[str, Any]]) -> dict[str, str]:
    sums = {"conversions_delta": Decimal(0), "cost_delta": Decimal(0), "conversion_value_delta": Decimal(0)}
    for item in impact:
        for key in sums:
            sums[key] += _delta(item, key.removesuffix("_delta")) or 0
    return {key: str(value) for key, value in sums.items()}


def _rollback(event: ActionRecord) -> dict[str, Any]:
    info = (event.result or {}).get("rollback") or {}
    return {"action_id": event.action_id, "organization_id": event.organization_id, "type": event.action_type,
            "at": event.event_time.isoformat(), "status": event.status.value, "by": info.get("by"),
            "reason": info.get("reason"), "automatic": str(info.get("reason") or "").startswith("auto-rollback"),
            "error": event.error_message}


def _pending(services: Services, organization_id: str | None) -> list[dict[str, Any]]:
    return [{"action_id": p.action_id, "organization_id": p.organization_id, "summary": p.summary,
             "requested_at": p.requested_at.isoformat(), "expires_at": p.expires_at.isoformat()}
            for p in services.state.list_pending(organization_id)]


def _experiments(services: Services, organization_id: str | None, since: datetime) -> list[dict[str, Any]]:
    store = experiment_store(services)
    if store is None:
        return []
    return [{"experiment_id": e.experiment_id, "organization_id": e.organization_id, "campaign_id": e.entity_id,
             "status": e.status.value, "primary_metric": e.primary_metric, "winner": e.winner,
             "winner_label": next((v.label for v in e.variants if v.variant_id == e.winner), None),
             "reason": e.results.get("reason")}
            for e in store.list_experiments(organization_id)
            if e.status.value == "running" or (e.updated_at or e.started_at) >= since]
