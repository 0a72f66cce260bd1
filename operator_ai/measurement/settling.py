"""Where a checkpoint's after window starts: after the treated campaign's learning period (issue 14).

A bid-strategy change — and on Google Ads a budget or setting change too — puts the campaign's Smart
Bidding into learning (`LEARNING_*` bidding-strategy statuses) while it calibrates to the new objective:
up to 2-3 conversion cycles, performance fluctuating meanwhile. An after window made of learning days
judges the calibration, not the change. So the after windows of an action start on the first day after
its learning period, as far as the Operator knows it:

- the day after the last day a measurement of this action saw the treated campaign learning (its own
  `learning` rows: one per day while the campaign still learns, each with its status and `measured_at`);
  the bidding-strategy status is only reported as of the read, so runs are the only witnesses;
- for action types known to put the campaign into learning (`MeasureSpec.puts_into_learning`), never
  before the first whole day after `executed_at` + the org's `learning_allowance_days` (default 7): a
  learning period no run saw (runs stopped, or it was over before the first checkpoint was read) is
  still left out.

The window keeps its length; the before window and the pre-period (before the execution day) do not move.
The pre-period leaves out the learning period of the Operator's own earlier change to the campaign
(`settled_after`: where that change's after windows start), when enough days remain.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta

from operator_ai.measurement.specs import spec_for
from operator_ai.measurement.summary import measured
from schemas.records import ActionRecord


def seen_learning_through(record: ActionRecord) -> tuple[date, str] | None:
    """The last day a measurement of this action saw its campaign learning, and the status it reported."""
    seen = []
    for m in measured(record):
        if m.get("verdict") == "learning" and m.get("measured_at"):
            day = datetime.fromisoformat(str(m["measured_at"])).astimezone(UTC).date()
            seen.append((day, str(m.get("learning_status") or "a learning status")))
    return max(seen, default=None)


def after_start(record: ActionRecord, executed_at: datetime, allowance_days: int) -> tuple[date, str | None]:
    """The first day of the action's after windows, and why it is later than the day after the execution."""
    start, why = executed_at.astimezone(UTC).date() + timedelta(days=1), None
    if spec_for(record).puts_into_learning and allowance_days > 0:
        settled = (executed_at + timedelta(days=allowance_days)).astimezone(UTC).date() + timedelta(days=1)
        if settled > start:
            start, why = settled, (f"a {record.action_type} puts the campaign into learning: its first "
                                   f"{allowance_days} days are left out (learning_allowance_days)")
    seen = seen_learning_through(record)
    if seen is not None and seen[0] + timedelta(days=1) > start:
        start, why = seen[0] + timedelta(days=1), f"the campaign was seen learning ({seen[1]}) through {seen[0]}"
    return start, why


def settled_after(earlier: Iterable[ActionRecord], allowance_days: int) -> date | None:
    """The first day after the learning periods of the Operator's earlier changes to a campaign (`earlier`):
    where their own after windows start (a rolled-back bid-strategy change learns again from the rollback);
    None when none of them is known to have learnt."""
    found = []
    for other in earlier:
        changed = other.rolled_back_at or other.executed_at
        if changed is not None:
            start, why = after_start(other, changed, allowance_days)
            if why is not None:
                found.append(start)
    return max(found, default=None)
