"""After windows leave out the treated campaign's learning period (`settling.after_start`, used by
`windows.schedule`/`due` and `checks.judge_series_checkpoint`): the day after the last day a run saw it
learning, and for a bid-strategy change at least the org's `learning_allowance_days`; window lengths, the
before windows and the pre-period do not move."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from guardrails.limits import LimitLoosenedError, resolve_limits
from operator_ai.measurement.checks import judge_series_checkpoint
from operator_ai.measurement.runner import _news
from operator_ai.measurement.windows import due, schedule
from schemas.common import ActionStatus
from schemas.metrics import EntitySeries
from schemas.records import ActionRecord
from tests.unit.measurement.records import executed
from tests.unit.measurement.test_series_checkpoint import SCALE_UP, Checks, others, reading, rows


def day(d: int, h: int = 0, month: int = 11) -> datetime:
    return datetime(2026, month, d, h, tzinfo=UTC)


def seen_learning(record: ActionRecord, *times: datetime, index: int = 0) -> ActionRecord:
    """The record after runs at `times` saw its campaign learning (one `learning` row each)."""
    found = [{"index": index, "verdict": "learning", "final": False, "measured_at": t.isoformat(),
              "learning_status": "LEARNING_BUDGET_CHANGE"} for t in times]
    return record.next(ActionStatus.MEASURED, times[-1], "run-9", result={"measurements": found})


def test_a_bid_strategy_change_leaves_out_its_learning_allowance() -> None:
    first, second, last = schedule(executed("change_bid_strategy"))  # executed 09:00 on the 23rd
    # learning assumed until 09:00 on the 30th: the after windows start on the 1st, the next whole day
    assert first.after == (day(1, month=12), day(2, month=12)) and first.due_at == day(2, month=12)
    assert second.after == (day(1, month=12), day(4, month=12))
    assert last.after == (day(1, month=12), day(8, month=12)) and last.days == 7
    assert first.before == (day(22), day(23)) and last.before == (day(16), day(23))  # the before side stays
    assert "learning_allowance_days" in (last.moved or "")
    assert "after_window_moved" in last.describe()
    assert schedule(executed("change_bid_strategy"), 14)[0].after[0] == day(8, month=12)  # an org's longer one
    assert schedule(executed("change_bid_strategy"), 0)[0].after[0] == day(24)
    unmoved = schedule(executed())[0]  # a budget change learns only when a run sees it learning
    assert unmoved.after == (day(24), day(25)) and unmoved.moved is None
    assert "after_window_moved" not in unmoved.describe()


def test_after_windows_start_the_day_after_the_last_day_seen_learning() -> None:
    record = seen_learning(executed(), day(25, 9), day(26, 9), day(27, 21))
    windows = schedule(record)
    assert [cp.after for cp in windows] == [(day(28), day(29)), (day(28), day(1, month=12)), (day(28), day(5, month=12))]
    assert [cp.days for cp in windows] == [1, 3, 7] and windows[0].before == (day(22), day(23))
    assert windows[0].due_at == day(29) and "through 2026-11-27" in (windows[0].moved or "")
    # a bid-strategy change still learning past its allowance: the later of the two
    late = seen_learning(executed("change_bid_strategy"), day(25, 9), day(2, 9, month=12))
    assert schedule(late)[0].after[0] == day(3, month=12)


def test_the_checkpoint_waiting_on_learning_is_read_on_every_run() -> None:
    record = seen_learning(executed(), day(25, 9))  # its window moved to the 26th: due at midnight on the 27th
    assert [cp.index for cp in due(record, day(25, 21))] == [0]  # re-read: is it still learning?
    settled = record.next(ActionStatus.MEASURED, day(26, 9), "run-10", result={"measurements": [
        *record.result["measurements"], {"index": 0, "verdict": "immature", "final": False,
                                         "measured_at": day(26, 9).isoformat()}]})
    assert due(settled, day(26, 21)) == []  # settled: it waits for its moved window
    assert [cp.index for cp in due(settled, day(27))] == [0]


def test_learning_is_written_once_a_day() -> None:
    [cp] = schedule(executed(hours=(24,)))
    last: dict[str, Any] = {"index": 0, "verdict": "learning", "measured_at": day(25, 9).isoformat()}
    assert not _news(last, cp, "learning", day(25, 21))
    assert _news(last, cp, "learning", day(26, 0))
    assert _news({**last, "verdict": "immature"}, cp, "learning", day(25, 21))
    assert not _news({**last, "verdict": "immature"}, cp, "immature", day(26, 9))  # immature: once


def _answers(record: ActionRecord, treated: Any) -> dict[str, Any]:
    controls = others(EntitySeries(entity_id="201", days=rows(40), status="ENABLED"))
    return {f"{record.action_id}:series": treated, f"{record.action_id}:controls": controls}


def test_learning_is_seen_before_a_moved_window_is_over_and_a_settled_one_waits_as_immature() -> None:
    record = seen_learning(executed(facts={"budget_before": "100", "budget_after": "115"}), day(25, 9))
    cp = schedule(record)[0]  # after window: the 26th
    now = day(26, 9)
    still = reading("t", rows(20, last=2), learning_status="LEARNING_BUDGET_CHANGE")  # through the 25th
    judged = judge_series_checkpoint(Checks(now), record, SCALE_UP, cp, _answers(record, still))  # type: ignore[arg-type]
    assert judged is not None and judged[0].verdict == "learning" and not judged[1]
    assert judged[0].extra["learning_status"] == "LEARNING_BUDGET_CHANGE"
    settled = reading("t", rows(20, last=2), learning_status="ENABLED")
    judged = judge_series_checkpoint(Checks(now), record, SCALE_UP, cp, _answers(record, settled))  # type: ignore[arg-type]
    assert judged is not None and judged[0].verdict == "immature" and not judged[1]
    assert "moved past the learning period" in judged[0].reason
    # still learning three weeks after the checkpoint's time: closed without a verdict
    stuck = judge_series_checkpoint(Checks(cp.at + timedelta(days=22)), record, SCALE_UP, cp,  # type: ignore[arg-type]
                                    _answers(record, still))
    assert stuck is not None and stuck[0].verdict == "learning" and stuck[1]


def test_a_policy_may_lengthen_the_learning_allowance_never_shorten_it() -> None:
    assert resolve_limits({"learning_allowance_days": 14}).learning_allowance_days == 14
    with pytest.raises(LimitLoosenedError, match="learning_allowance_days"):
        resolve_limits({"learning_allowance_days": 3})


def test_the_pre_period_leaves_out_the_learning_of_an_earlier_bid_strategy_change() -> None:
    """The Operator changed campaign 117's bid strategy 20 days before this budget increase: its week of
    learning (conversions at half) would lower the baseline and make a neutral increase look like a gain."""
    record = executed(facts={"budget_before": "100", "budget_after": "115"})
    earlier_at = record.executed_at - timedelta(days=20)  # type: ignore[operator]
    earlier = executed("change_bid_strategy", at=earlier_at).model_copy(update={"action_id": "act-" + "b" * 24})
    exec_day = record.executed_at.date()  # type: ignore[union-attr]
    learnt = {earlier_at.date() + timedelta(days=d) for d in range(7)}
    treated = reading("t", tuple(r.model_copy(update={"conversions": r.conversions / 2}) if r.day in learnt else r
                                 for r in rows(20)))
    cp = schedule(record)[-1]
    mature = datetime.combine(exec_day + timedelta(days=20), datetime.min.time(), tzinfo=UTC)
    judged = judge_series_checkpoint(Checks(mature, log=[earlier]), record, SCALE_UP, cp,  # type: ignore[arg-type]
                                     _answers(record, treated))
    assert judged is not None
    impact = judged[0].extra["impact"]
    # the learning ends at 09:00 twelve days before this change: 12 settled pre-period days remain
    assert impact["control"]["pre_days"] == 12 and abs(impact["effect_pct"]) < 5, impact
    assert judged[0].verdict == "inconclusive"
