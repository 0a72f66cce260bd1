"""One action explained in plain words: what changed in money terms, every rule with the numbers it saw,
the pre-execution checks, the rollback plan, the measurements and who did what when.

Built from the log row alone (the same row `operator explain` prints), so the page explains what was
decided, not what would be decided today. Nothing here is markup: the templates escape it.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from operator_ai.http.view import _changes, _entity_name
from operator_ai.measurement.summary import describe, horizon_note, measured
from schemas.records import ActionRecord

DAYS_PER_MONTH = Decimal("30.4")
SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "AUD": "A$", "CAD": "C$", "JPY": "¥", "INR": "₹"}
# (facts before, facts after, label, per) — the money a change moves, from the plan's facts
MONEY_FACTS = (("budget_before", "budget_after", "Daily budget", "day"),
               ("bid_before", "bid_after", "Max. CPC bid", "click"))


@dataclass(frozen=True)
class Rule:
    rule_id: str
    outcome: str
    message: str
    numbers: str


@dataclass(frozen=True)
class Check:
    check_id: str
    passed: bool
    message: str
    numbers: str


@dataclass(frozen=True)
class Event:
    status: str
    at: str
    by: str | None
    note: str | None


@dataclass(frozen=True)
class Measurement:
    label: str
    final: bool
    verdict: str
    metric: str | None
    before: str
    after: str
    interval: str | None
    reason: str | None
    value_before: str | None  # the judged metric's number before and after (the chart's bars)
    value_after: str | None


@dataclass(frozen=True)
class Explanation:
    """Everything the action page shows, as plain data (the JSON answer is this, too)."""

    action_id: str
    organization_id: str
    status: str
    action_type: str
    platform: str
    title: str
    entity: str | None
    rationale: str | None
    money: tuple[str, ...]  # "Daily budget $70.00 → $91.00, +$21.00/day, about +$638/month"
    changes: tuple[dict[str, Any], ...]
    outcome: str | None
    rules: tuple[Rule, ...]
    checks: tuple[Check, ...]
    rollback_reversibility: str | None
    rollback_steps: tuple[str, ...]
    not_reversible: tuple[str, ...]
    measurements: tuple[Measurement, ...]
    measurement_summary: str
    measurement_plan: str  # the measurement horizon: when the final verdict is due, and why
    events: tuple[Event, ...]
    error: str | None
    plan_hash: str | None


def money_text(amount: Decimal, currency: str) -> str:
    symbol = SYMBOLS.get(currency)
    text = f"{abs(amount):,.2f}"
    sign = "-" if amount < 0 else ""
    return f"{sign}{symbol}{text}" if symbol else f"{sign}{text} {currency}"


def _signed(amount: Decimal, currency: str) -> str:
    return ("+" if amount >= 0 else "") + money_text(amount, currency)


def _dec(value: Any) -> Decimal | None:
    try:
        return None if value is None else Decimal(str(value))
    except InvalidOperation:
        return None


def money_lines(facts: dict[str, Any], currency: str) -> tuple[str, ...]:
    lines = []
    for before_key, after_key, label, per in MONEY_FACTS:
        before, after = _dec(facts.get(before_key)), _dec(facts.get(after_key))
        if before is None or after is None:
            continue
        delta = after - before
        change = f"{money_text(before, currency)} → {money_text(after, currency)}"
        line = f"{label} {change}, {_signed(delta, currency)}/{per}"
        if per == "day":
            monthly = (delta * DAYS_PER_MONTH).quantize(Decimal(1))
            line += f", about {_signed(monthly, currency).removesuffix('.00')}/month"
        lines.append(line)
    if facts.get("is_pause"):
        lines.append("Pauses the campaign: its spend stops while it is paused")
    return tuple(lines)


def _numbers(observed: Any) -> str:
    if not isinstance(observed, dict):
        return ""
    return ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in observed.items() if not isinstance(v, list | dict))


def _figures(values: Any) -> str:
    keys = ("conversions", "cost", "clicks", "cpa", "sends", "rate", "variant")
    return ", ".join(f"{k} {values[k]}" for k in keys if isinstance(values, dict) and values.get(k) is not None)


def _interval(item: dict[str, Any]) -> str | None:
    for key in ("interval", "ci", "confidence_interval"):
        value = item.get(key)
        if isinstance(value, dict) and value.get("low") is not None:
            return f"{value.get('low')} to {value.get('high')}"
        if isinstance(value, list | tuple) and len(value) == 2:
            return f"{value[0]} to {value[1]}"
    return None


def _metric_value(item: dict[str, Any], side: str) -> str | None:
    values = item.get(side)
    if not isinstance(values, dict):
        return None
    value = values.get(item.get("metric") or "conversions")
    return None if value is None or isinstance(value, dict | list) else str(value)


def _step(op: dict[str, Any]) -> str:
    name = str(op.get("op", "operation")).replace("_", " ")
    rest = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in op.items() if k != "op")
    return f"{name}: {rest}" if rest else name


def explain(record: ActionRecord, events: list[ActionRecord]) -> Explanation:
    payload = record.payload or {}
    opportunity = payload.get("opportunity") or {}
    snapshot = payload.get("snapshot") if isinstance(payload.get("snapshot"), dict) else {}
    currency = str(((snapshot or {}).get("account") or {}).get("currency") or "USD")
    plan = record.rollback_plan
    verdict = record.verdict
    return Explanation(
        action_id=record.action_id, organization_id=record.organization_id, status=record.status.value,
        action_type=record.action_type, platform=str(record.platform),
        title=str(opportunity.get("title") or record.action_type), entity=_entity_name(snapshot),
        rationale=opportunity.get("rationale"),
        money=money_lines(payload.get("facts") or {}, currency),
        changes=tuple(_changes(plan.before_state, plan.expected_state)) if plan else (),
        outcome=verdict.outcome.value if verdict else None,
        rules=tuple(Rule(r.rule_id, r.outcome.value if r.applies else "n/a", r.message, _numbers(r.observed))
                    for r in verdict.rules) if verdict else (),
        checks=tuple(Check(c.check_id, c.passed, c.message, _numbers(c.observed)) for c in record.checks),
        rollback_reversibility=plan.reversibility.value if plan else None,
        rollback_steps=tuple(_step(op.model_dump(mode="json")) for op in plan.inverse_ops) if plan else (),
        not_reversible=tuple(plan.irreversible_parts) if plan else (),
        measurements=tuple(Measurement(str(m.get("label")), bool(m.get("final")), str(m.get("verdict")),
                                       m.get("metric"), _figures(m.get("before")), _figures(m.get("after")),
                                       _interval(m), m.get("reason"), _metric_value(m, "before"),
                                       _metric_value(m, "after")) for m in measured(record)),
        measurement_summary=describe(record), measurement_plan=horizon_note(record),
        events=tuple(Event(e.status.value, e.event_time.isoformat(timespec="seconds"), person_of(e),
                           e.error_message or _decision_note(e)) for e in events),
        error=record.error_message, plan_hash=record.plan_hash)


def person_of(record: ActionRecord) -> str | None:
    """Who wrote this row: the person who rolled back or decided, else whoever executed."""
    result = record.result or {}
    if record.status.value in {"ROLLING_BACK", "ROLLED_BACK", "ROLLBACK_FAILED"}:
        by = (result.get("rollback") or {}).get("by")
        if by:
            return str(by)
    if record.status.value in {"APPROVED", "REJECTED"}:
        by = (result.get("decision") or {}).get("decided_by")
        if by:
            return str(by)
    return record.executed_by


def _decision_note(record: ActionRecord) -> str | None:
    decision = (record.result or {}).get("decision") or {}
    note = decision.get("note") or decision.get("reason")
    return f"{decision.get('via', '')}: {note}".strip(": ") if note else None
