"""Checkpoint windows (whole days, execution day excluded), due times, and which spec judges an action."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from operator_ai.measurement.specs import SPECS, entity_id, spec_for
from operator_ai.measurement.windows import FINAL_ALPHA, INTERIM_ALPHA, due, is_final, schedule
from schemas.common import ActionStatus
from schemas.metrics import MetricEntity
from tests.unit.measurement.records import EXECUTED_AT, executed


def day(d: int, h: int = 0) -> datetime:
    return datetime(2026, 11, d, h, tzinfo=UTC)


def test_windows_are_whole_days_around_the_execution_day() -> None:
    first, second, last = schedule(executed())
    assert (first.hours, first.days, first.final, first.alpha) == (24, 1, False, INTERIM_ALPHA)
    assert first.before == (day(22), day(23)) and first.after == (day(24), day(25))
    assert first.due_at == day(25)  # the 24th is complete only at midnight, after the +24 h mark (9:00 on the 24th)
    assert (second.days, second.before, second.after) == (3, (day(20), day(23)), (day(24), day(27)))
    assert (last.days, last.final, last.alpha) == (7, True, FINAL_ALPHA)
    assert last.before == (day(16), day(23)) and last.due_at == datetime(2026, 12, 1, tzinfo=UTC)


def test_due_checkpoints_in_order_and_a_late_run_catches_up() -> None:
    record = executed()
    assert due(record, day(24, 23)) == []
    assert [c.index for c in due(record, day(25))] == [0]
    assert [c.index for c in due(record, datetime(2026, 12, 9, tzinfo=UTC))] == [0, 1, 2]  # late: all three
    measured = record.next(ActionStatus.MEASURED, day(25), "run-2",
                           result={"measurements": [{"index": 0, "final": False, "verdict": "inconclusive"}]})
    assert [c.index for c in due(measured, datetime(2026, 12, 9, tzinfo=UTC))] == [1, 2]
    final = measured.next(ActionStatus.MEASURED, day(27), "run-3", result={
        "measurements": [{"index": 0, "final": False}, {"index": 1, "final": True, "verdict": "failed"}]})
    assert is_final(final) and due(final, datetime(2026, 12, 9, tzinfo=UTC)) == []


def test_a_row_without_checkpoints_has_nothing_due() -> None:
    record = executed(hours=())
    assert schedule(record) == [] and due(record, EXECUTED_AT + timedelta(days=30)) == []


def test_short_checkpoints_still_compare_one_whole_day() -> None:
    [cp] = schedule(executed(hours=(6,)))
    assert cp.days == 1 and cp.due_at == day(25) and cp.final


def test_budget_and_bid_cuts_are_judged_on_efficiency() -> None:
    up = executed(facts={"budget_before": "250.00", "budget_after": "287.50"})
    down = executed(facts={"budget_before": "250.00", "budget_after": "150.00"})
    assert spec_for(up).metric == "conversions" and spec_for(up).guard == "efficiency"
    assert spec_for(down).metric == "efficiency" and spec_for(down).guard is None
    keyword_target = {"customer_id": "1234567890", "ad_group_id": "2001", "criterion_id": "3001"}
    bid_cut = executed("adjust_keyword_bid", action={"type": "adjust_keyword_bid", "target": keyword_target},
                       facts={"bid_before": "1.20", "bid_after": "0.90"})
    assert spec_for(bid_cut).metric == "efficiency" and spec_for(bid_cut).entity == MetricEntity.KEYWORD
    assert entity_id(bid_cut, spec_for(bid_cut)) == "2001~3001"
    assert entity_id(up, spec_for(up)) == "117"


def test_specs_can_be_overridden_and_unknown_types_are_not_measured() -> None:
    record = executed("pause_campaign")
    custom = {"pause_campaign": SPECS["add_negative_keywords"]}
    assert spec_for(record, custom).metric == "efficiency"
    unknown = spec_for(executed("teleport"))
    assert unknown.family == "none" and "teleport" in unknown.reason
    assert spec_for(executed("trigger_automation")).describe().startswith("not measured")
