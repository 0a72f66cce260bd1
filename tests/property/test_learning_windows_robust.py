"""Whatever runs saw the campaign learning, whatever the execution time, checkpoints and allowance: no
after window holds a day a run saw the campaign learning (nor, for a bid-strategy change, a day inside its
learning allowance), every window keeps its length, the before windows stay before the execution day, and
a checkpoint is never due before its (moved) after window is over — unless it is the one waiting on
`learning`, which is re-read on every run."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from operator_ai.measurement.windows import due, schedule
from schemas.common import ActionStatus
from tests.unit.measurement.records import executed

START = datetime(2026, 11, 1, tzinfo=UTC)


@given(at_minutes=st.integers(0, 60 * 24 * 30), action_type=st.sampled_from(["change_bid_strategy",
                                                                          "adjust_campaign_budget"]),
       hours=st.lists(st.integers(1, 24 * 28), min_size=1, max_size=4, unique=True),
       seen_hours=st.lists(st.integers(24, 24 * 30), max_size=6), allowance=st.integers(0, 21),
       later_hours=st.integers(0, 24 * 60))
def test_no_after_window_holds_a_learning_day(at_minutes: int, action_type: str, hours: list[int],
                                             seen_hours: list[int], allowance: int, later_hours: int) -> None:
    at = START + timedelta(minutes=at_minutes)
    record = executed(action_type, hours=tuple(hours), at=at)
    seen = sorted(at + timedelta(hours=h) for h in seen_hours)
    if seen:
        record = record.next(ActionStatus.MEASURED, seen[-1], "run-2", result={"measurements": [
            {"index": 0, "verdict": "learning", "final": False, "measured_at": t.isoformat()} for t in seen]})
    exec_day = at.date()
    learning_days = {t.date() for t in seen}
    if action_type == "change_bid_strategy":
        allowance_end = at + timedelta(days=allowance)
        learning_days |= {exec_day + timedelta(days=d) for d in range((allowance_end.date() - exec_day).days + 1)}
    checkpoints = schedule(record, allowance)
    assert [cp.hours for cp in checkpoints] == sorted(max(1, h) for h in hours)
    for cp in checkpoints:
        first, end = cp.after[0].date(), cp.after[1].date()
        assert first > exec_day and (end - first).days == cp.days
        assert all(first > d for d in learning_days)
        assert cp.before == (cp.before[0], datetime.combine(exec_day, datetime.min.time(), tzinfo=UTC))
        assert cp.due_at >= cp.after[1] and cp.due_at >= cp.at
        assert (cp.moved is not None) == (first > exec_day + timedelta(days=1))
    now = at + timedelta(hours=later_hours)
    for cp in due(record, now, allowance):
        assert cp.due_at <= now or (seen and cp.index == 0)
