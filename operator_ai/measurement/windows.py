"""Checkpoints and their windows: when a checkpoint is due and which days it compares.

Metrics are daily, so windows are whole days and the execution day — partly before, partly after the
change — belongs to neither. A checkpoint of h hours compares the n = max(1, h // 24) complete days
after the execution day with the n days before it, and is due on the first run after both the checkpoint
time and the last day of its after-window have passed. Windows depend only on the execution time, so a
late run measures exactly what a punctual one would have — except that the after windows start after the
treated campaign's learning period (`settling.after_start`: the day after the last day a run saw it
learning, and for a bid-strategy change at least the org's `learning_allowance_days`), keeping their length.

Interim checkpoints use the Haybittle–Peto boundary (`INTERIM_ALPHA`), the final one the nominal
`FINAL_ALPHA`: looking three times costs almost nothing in error rate, and only overwhelming evidence
of harm ends a measurement early.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from guardrails.limits import Limits
from operator_ai.measurement.settling import after_start
from operator_ai.measurement.summary import measured as measurements
from schemas.impact import WAITING_VERDICTS
from schemas.records import ActionRecord

FINAL_ALPHA = 0.05
INTERIM_ALPHA = 0.001
LEARNING_ALLOWANCE_DAYS = int(Limits.model_fields["learning_allowance_days"].default)


@dataclass(frozen=True)
class Checkpoint:
    index: int  # 0-based position in the action's schedule
    at: datetime  # the scheduled time (executed_at + hours)
    hours: int
    days: int  # window length
    before: tuple[datetime, datetime]  # [start, end)
    after: tuple[datetime, datetime]
    due_at: datetime
    final: bool  # the last scheduled checkpoint
    moved: str | None = None  # why the after window starts later than the day after the execution

    @property
    def alpha(self) -> float:
        return FINAL_ALPHA if self.final else INTERIM_ALPHA

    def label(self) -> str:
        return f"+{self.hours}h"

    def describe(self) -> dict[str, Any]:
        return {"index": self.index, "label": self.label(), "at": self.at.isoformat(), "hours": self.hours,
                "window_days": self.days, "final": self.final,
                "before_window": [t.isoformat() for t in self.before],
                "after_window": [t.isoformat() for t in self.after],
                **({"after_window_moved": self.moved} if self.moved else {})}


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


def schedule(record: ActionRecord, learning_allowance_days: int = LEARNING_ALLOWANCE_DAYS) -> list[Checkpoint]:
    """The action's checkpoints (from the EXECUTED row's `measurement_checkpoints`), oldest first."""
    executed_at = record.executed_at
    if executed_at is None or not record.measurement_checkpoints:
        return []
    day = executed_at.astimezone(UTC).date()
    start, moved = after_start(record, executed_at, learning_allowance_days)
    times = sorted(record.measurement_checkpoints)
    found = []
    for index, at in enumerate(times):
        hours = max(1, round((at - executed_at).total_seconds() / 3600))
        days = max(1, hours // 24)
        after_end = _midnight(start + timedelta(days=days))
        found.append(Checkpoint(
            index=index, at=at, hours=hours, days=days,
            before=(_midnight(day - timedelta(days=days)), _midnight(day)),
            after=(_midnight(start), after_end),
            due_at=max(at, after_end), final=index == len(times) - 1, moved=moved))
    return found


def extension_days(scheduled_days: int, final_days: int) -> list[int]:
    """The window lengths of the checkpoints a horizon adds after the scheduled final one: every whole week
    beyond it, and `final_days` itself."""
    more = list(range(7 * (scheduled_days // 7 + 1), final_days + 1, 7))
    if final_days > scheduled_days and (not more or more[-1] != final_days):
        more.append(final_days)
    return more


def extended(record: ActionRecord, final_days: int) -> tuple[datetime, ...]:
    """The action's checkpoint times with the final one moved out to `final_days` (a measurement horizon):
    every whole week beyond the scheduled final window becomes a checkpoint, the last one final."""
    times = tuple(sorted(record.measurement_checkpoints))
    found = schedule(record)
    if record.executed_at is None or not found:
        return times
    executed_at = record.executed_at
    return (*times, *(executed_at + timedelta(hours=24 * days) for days in extension_days(found[-1].days, final_days)))


def latest_measurement(record: ActionRecord) -> dict[str, Any] | None:
    done = measurements(record)
    return done[-1] if done else None


def is_final(record: ActionRecord) -> bool:
    last = latest_measurement(record)
    return bool(last and last.get("final"))


def due(record: ActionRecord, now: datetime,
        learning_allowance_days: int = LEARNING_ALLOWANCE_DAYS) -> list[Checkpoint]:
    """Checkpoints not measured yet whose time has come, in order. The one waiting on `learning` is read on
    every run (its window moves with each day the campaign is seen learning) until a run sees it settled."""
    if is_final(record):
        return []
    done = {m.get("index") for m in measurements(record) if m.get("verdict") not in WAITING_VERDICTS}
    last = latest_measurement(record) or {}
    learning = last.get("index") if last.get("verdict") == "learning" else None
    return [c for c in schedule(record, learning_allowance_days)
            if c.index not in done and (c.due_at <= now or c.index == learning)]
