"""Reading verdicts back from the log: one place that knows where a measurement lives on a row."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

from schemas.records import ActionRecord


def measured(record: ActionRecord) -> list[dict[str, Any]]:
    """Every checkpoint result recorded for the action, oldest first (carried on every later row)."""
    return list((record.result or {}).get("measurements") or [])


def final_verdict(record: ActionRecord) -> dict[str, Any] | None:
    """The final checkpoint result, or None while the action is still being measured (or never was)."""
    found = measured(record)
    return found[-1] if found and found[-1].get("final") else None


def describe(record: ActionRecord) -> str:
    """One line for tables: the latest verdict, marked final or interim, and why."""
    found = measured(record)
    if not found:
        return ""
    last = found[-1]
    stage = "final" if last.get("final") else "interim"
    text = f"{last.get('verdict')} ({stage} {last.get('label')}): {last.get('reason')}"
    rollback = (record.result or {}).get("rollback") or {}
    note = (record.result or {}).get("auto_rollback") or {}
    if rollback.get("by"):
        text = f"rolled back by {rollback['by']} after {text}"
    elif last.get("verdict") == "failed" and note:
        text += f"; auto-rollback {note.get('status')}"
    return text


def planned_horizon(record: ActionRecord) -> dict[str, Any] | None:
    """The action's measurement horizon (`schemas.impact.MeasurementHorizon` as JSON), once planned."""
    found = (record.result or {}).get("horizon")
    return found if isinstance(found, dict) else None


def horizon_note(record: ActionRecord) -> str:
    """When the final verdict is planned and why, once the measurement horizon moved it (empty otherwise)."""
    plan = planned_horizon(record) or {}
    if not plan or int(plan.get("final_days") or 0) <= int(plan.get("scheduled_days") or 0):
        return ""
    return f"final verdict planned at +{plan['final_days']} days: {plan.get('reason')}"


def is_measured(verdict: dict[str, Any]) -> bool:
    """False for a verdict that only says nothing could be measured (no metric for the action type)."""
    return verdict.get("measurable", True) is not False


def verdict_counts(records: Iterable[ActionRecord]) -> dict[str, int]:
    """Final verdicts over the given (latest) rows, rolled-back actions included; actions nothing could be
    measured for count as `not_measurable`."""
    return dict(Counter(v["verdict"] if is_measured(v) else "not_measurable"
                        for r in records if (v := final_verdict(r)) is not None))
