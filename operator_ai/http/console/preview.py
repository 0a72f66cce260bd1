"""What a rollback would do, shown before a person confirms it: the rollback executor's own dry run (it
reads the platform, compares with the state the action left, and writes nothing), so the preview and
the rollback cannot disagree about drift or the emergency stop."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from operator_ai.http.console.explain import money_lines
from operator_ai.orchestrator import new_run_id
from operator_ai.wiring import Services
from rollback.executor import ROLLBACKABLE, RollbackExecutor, RollbackOutcome
from schemas.records import ActionRecord


@dataclass(frozen=True)
class FieldPreview:
    field: str
    now_on_platform: Any
    rollback_sets: Any
    drifted: bool  # someone changed it since the action ran


@dataclass(frozen=True)
class RollbackPreview:
    action_id: str
    title: str
    action_type: str
    status: str  # the executor's dry-run status: dry_run (it can go ahead), refused, skipped, failed
    can_confirm: bool
    message: str
    drift: str  # the drift check's result in words
    fields: tuple[FieldPreview, ...]
    not_reversible: tuple[str, ...]
    undoes: tuple[str, ...] = ()  # the change being undone, in money terms


@dataclass(frozen=True)
class SincePreview:
    since: str
    since_text: str
    items: tuple[RollbackPreview, ...]
    can_confirm: bool


def executor(services: Services) -> RollbackExecutor:
    return RollbackExecutor(services.log, services.state, services.connectors, services.clock)


def _title(record: ActionRecord) -> str:
    return str(((record.payload or {}).get("opportunity") or {}).get("title") or record.action_type)


def describe(record: ActionRecord, outcome: RollbackOutcome) -> RollbackPreview:
    plan = record.rollback_plan
    before = dict(plan.before_state) if plan else {}
    expected = dict(plan.expected_state) if plan else {}
    known = outcome.status == "dry_run" or bool(outcome.diff)  # the platform was read and compared
    fields = []
    for key in sorted(set(before) | set(expected)):
        if before.get(key) == expected.get(key) and key not in outcome.diff:
            continue
        found = outcome.diff[key]["found"] if key in outcome.diff else expected.get(key)
        fields.append(FieldPreview(key, found if known else "not read", before.get(key), key in outcome.diff))
    if outcome.diff:
        drift = "changed since the action ran: the rollback is refused so a newer change is not overwritten"
    elif known:
        drift = "no drift: the platform still shows what the action set"
    else:
        drift = "not checked: " + outcome.message
    payload = record.payload or {}
    snapshot = payload.get("snapshot") if isinstance(payload.get("snapshot"), dict) else {}
    currency = str(((snapshot or {}).get("account") or {}).get("currency") or "USD")
    return RollbackPreview(record.action_id, _title(record), record.action_type, outcome.status,
                           outcome.status == "dry_run" and "emergency stop is on" not in outcome.message,
                           outcome.message, drift, tuple(fields), tuple(outcome.irreversible_parts),
                           money_lines(payload.get("facts") or {}, currency))


def rollback_preview(services: Services, record: ActionRecord, person: str) -> RollbackPreview:
    outcome = executor(services).rollback(record.action_id, actor=person, run_id=new_run_id(services.clock()),
                                          dry_run=True, reason="console preview")
    return describe(record, outcome)


def since_records(services: Services, org: str, since: datetime) -> list[ActionRecord]:
    """What `rollback_since` would undo, newest first (its own query and order)."""
    records = services.log.query(organization_id=org, since=since, statuses=sorted(ROLLBACKABLE), limit=10_000)
    executed = [r for r in records if (r.executed_at or r.event_time) >= since]
    executed.sort(key=lambda r: (r.executed_at or r.event_time, r.action_id), reverse=True)
    return executed


def since_preview(services: Services, org: str, since: datetime, since_text: str, person: str) -> SincePreview:
    items = tuple(rollback_preview(services, r, person) for r in since_records(services, org, since)[:200])
    return SincePreview(since.isoformat(timespec="seconds"), since_text, items,
                        any(i.can_confirm for i in items))
