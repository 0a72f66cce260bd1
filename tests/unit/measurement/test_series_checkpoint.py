"""From platform readings to a verdict (`checks.judge_series_checkpoint`): the control is built from the
account's comparable campaigns, changes by anyone confound, learning and lag make the checkpoint wait."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from guardrails.limits import Limits
from operator_ai.measurement.checks import judge_series_checkpoint
from operator_ai.measurement.series import own_changes
from operator_ai.measurement.specs import SPECS
from operator_ai.measurement.windows import schedule
from schemas.common import ActionStatus
from schemas.metrics import DailyMetrics, EntityChange, EntitySeries, MetricReading
from tests.unit.measurement.records import EXECUTED_AT, executed

SCALE_UP = SPECS["adjust_campaign_budget"]
RECORD = executed(facts={"budget_before": "100", "budget_after": "115"})
FINAL = schedule(RECORD)[-1]
EXEC_DAY = EXECUTED_AT.date()
WEEK = [1.1, 1.1, 1.05, 1.0, 0.95, 0.9, 0.9]


def rows(level: float, *, after: float | None = None, first: int = -28, last: int = 7) -> tuple[DailyMetrics, ...]:
    out = []
    for offset in range(first, last + 1):
        if offset == 0:
            continue
        value = level if offset < 0 or after is None else after
        day = EXEC_DAY + timedelta(days=offset)
        out.append(DailyMetrics(day=day, conversions=Decimal(round(value * WEEK[day.weekday()])),
                                cost=Decimal(100), clicks=int(value * 10)))
    return tuple(out)


def reading(key: str, days: tuple[DailyMetrics, ...], **extra: Any) -> MetricReading:
    return MetricReading(key=key, read_at=EXECUTED_AT, days=days, first_day=days[0].day, last_day=days[-1].day,
                         **extra)


def others(*series: EntitySeries) -> MetricReading:
    return MetricReading(key=f"{RECORD.action_id}:controls", read_at=EXECUTED_AT, series=series)


@dataclass
class Checks:
    now: datetime
    limits: Limits = field(default_factory=Limits)
    log: list[Any] = field(default_factory=list)

    def own_changes(self, action_id: str) -> list[EntityChange]:
        return own_changes(self.log, action_id)

    @property
    def own_log(self) -> list[Any]:
        return self.log


MATURE = datetime.combine(EXEC_DAY + timedelta(days=12), datetime.min.time(), tzinfo=EXECUTED_AT.tzinfo)


def answers(treated: MetricReading, controls: MetricReading) -> dict[str, Any]:
    return {f"{RECORD.action_id}:series": treated, f"{RECORD.action_id}:controls": controls}


def test_a_neutral_increase_during_an_account_wide_dip_is_not_failed() -> None:
    treated = reading("t", rows(20, after=12))
    controls = others(EntitySeries(entity_id="201", days=rows(40, after=24), status="ENABLED"),
                      EntitySeries(entity_id="202", days=rows(30, after=18), status="ENABLED"),
                      EntitySeries(entity_id="203", days=rows(30, after=60), status="ENABLED",
                                   learning_status="LEARNING_BUDGET_CHANGE"),
                      EntitySeries(entity_id="204", days=rows(30), status="PAUSED"))
    judged = judge_series_checkpoint(Checks(MATURE), RECORD, SCALE_UP, FINAL, answers(treated, controls))  # type: ignore[arg-type]
    assert judged is not None
    judgement, final, _ = judged
    impact = judgement.extra["impact"]
    assert judgement.verdict == "inconclusive" and final
    assert impact["control"]["entities"] == ["201", "202"]
    assert set(impact["control"]["excluded"]) == {"203", "204"}
    assert abs(impact["effect_pct"]) < 5 and judgement.before["days"] == 7 and judgement.after["days"] == 7


def test_a_real_drop_against_the_same_control_fails_with_evidence() -> None:
    treated = reading("t", rows(20, after=8))
    controls = others(EntitySeries(entity_id="201", days=rows(40), status="ENABLED"),
                      EntitySeries(entity_id="202", days=rows(30), status="ENABLED"))
    judgement, final, _ = judge_series_checkpoint(Checks(MATURE), RECORD, SCALE_UP, FINAL,  # type: ignore[arg-type, misc]
                                               answers(treated, controls))
    assert judgement.verdict == "failed" and final and judgement.extra["rollback_evidence"] is True


def test_a_control_changed_by_the_operator_is_left_out_and_a_change_to_the_treated_campaign_confounds() -> None:
    other = executed("pause_campaign", action={"type": "pause_campaign",
                                               "target": {"customer_id": "1234567890", "campaign_id": "201"}},
                     at=EXECUTED_AT - timedelta(days=3)).model_copy(update={"action_id": "act-" + "b" * 24})
    treated = reading("t", rows(20))
    controls = others(EntitySeries(entity_id="201", days=rows(40), status="ENABLED"),
                      EntitySeries(entity_id="202", days=rows(30), status="ENABLED"))
    judgement, _, _ = judge_series_checkpoint(Checks(MATURE, log=[other]), RECORD, SCALE_UP, FINAL,  # type: ignore[arg-type, misc]
                                           answers(treated, controls))
    assert judgement.extra["impact"]["control"]["entities"] == ["202"]
    assert "changed in the period" in judgement.extra["impact"]["control"]["excluded"]["201"]
    # someone edits the treated campaign's budget in the UI two days after the action
    outside = EntityChange(entity_id="117", changed_at=EXECUTED_AT + timedelta(days=2), kind="budget",
                           actor="ana@example.com")
    ours = EntityChange(entity_id="117", changed_at=EXECUTED_AT + timedelta(minutes=1), kind="budget",
                        actor="GOOGLE_ADS_API")  # this very action, as the platform reports it
    confounded = reading("t", rows(20), changes=(ours, outside), changes_known=True)
    judgement, final, _ = judge_series_checkpoint(Checks(MATURE), RECORD, SCALE_UP, FINAL,  # type: ignore[arg-type, misc]
                                               answers(confounded, controls))
    assert judgement.verdict == "confounded" and final and "ana@example.com" in judgement.reason
    assert own_changes([other.model_copy(update={"status": ActionStatus.BLOCKED})], RECORD.action_id) == []


def test_learning_and_lag_make_the_checkpoint_wait() -> None:
    controls = others(EntitySeries(entity_id="201", days=rows(40), status="ENABLED"))
    learning = reading("t", rows(20, after=5), learning_status="LEARNING_SETTING_CHANGE")
    judgement, final, _ = judge_series_checkpoint(Checks(MATURE), RECORD, SCALE_UP, FINAL,  # type: ignore[arg-type, misc]
                                               answers(learning, controls))
    assert judgement.verdict == "learning" and not final
    stuck = judge_series_checkpoint(Checks(MATURE + timedelta(days=30)), RECORD, SCALE_UP, FINAL,  # type: ignore[arg-type]
                                    answers(learning, controls))
    assert stuck is not None and stuck[0].verdict == "learning" and stuck[1]  # closed unjudged at last
    fresh = reading("t", rows(20, after=5))
    due = datetime.combine(EXEC_DAY + timedelta(days=9), datetime.min.time(), tzinfo=EXECUTED_AT.tzinfo)
    judgement, final, _ = judge_series_checkpoint(Checks(due), RECORD, SCALE_UP, FINAL,  # type: ignore[arg-type, misc]
                                               answers(fresh, controls))
    assert judgement.verdict == "immature" and not final and "conversion-lag allowance 3" in judgement.reason
    platform_lag = reading("t", rows(20, after=5), conversion_lag_days=7)
    judgement, _, _ = judge_series_checkpoint(Checks(MATURE), RECORD, SCALE_UP, FINAL,  # type: ignore[arg-type, misc]
                                           answers(platform_lag, controls))
    assert judgement.verdict == "immature"  # the platform says its conversions take a week


def test_window_totals_are_not_measurable_and_an_unfinished_window_waits() -> None:
    controls = others()
    totals = reading("t", rows(20), granularity="window")
    judgement, final, _ = judge_series_checkpoint(Checks(MATURE), RECORD, SCALE_UP, FINAL,  # type: ignore[arg-type, misc]
                                               answers(totals, controls))
    assert judgement.verdict == "inconclusive" and final and "daily series" in judgement.reason
    short = reading("t", rows(20, last=5))
    assert judge_series_checkpoint(Checks(MATURE), RECORD, SCALE_UP, FINAL,  # type: ignore[arg-type]
                                   answers(short, controls)) is None


def test_a_waiting_checkpoint_is_still_due() -> None:
    from operator_ai.measurement.windows import due

    waiting = RECORD.model_copy(update={"result": {"measurements": [
        {"index": 0, "verdict": "successful", "final": False}, {"index": 1, "verdict": "immature", "final": False}]}})
    assert [cp.index for cp in due(waiting, MATURE)] == [1, 2]


def test_a_young_campaigns_pre_period_starts_on_its_first_active_day() -> None:
    young = reading("t", rows(20, first=-10, after=20))  # ten days old at the change, steady since
    controls = others(EntitySeries(entity_id="201", days=rows(40), status="ENABLED"))
    judgement, _, _ = judge_series_checkpoint(Checks(MATURE), RECORD, SCALE_UP, FINAL,  # type: ignore[arg-type, misc]
                                           answers(young, controls))
    impact = judgement.extra["impact"]
    assert judgement.verdict == "inconclusive" and impact["control"]["pre_days"] == 10
    assert abs(impact["effect_pct"]) < 5  # not +180 % "growth" from the days before it existed


def test_an_earlier_change_to_the_campaign_starts_its_pre_period_afresh() -> None:
    # the Operator doubled 117's budget 15 days before this action (before the windows: not a confounder)
    earlier = executed(at=EXECUTED_AT - timedelta(days=15)).model_copy(update={"action_id": "act-" + "c" * 24})
    days = tuple(d if d.day >= EXEC_DAY - timedelta(days=14) else d.model_copy(update={"conversions": Decimal(10)})
                 for d in rows(20))
    treated = reading("t", days)
    controls = others(EntitySeries(entity_id="201", days=rows(40), status="ENABLED"))
    judgement, _, _ = judge_series_checkpoint(Checks(MATURE, log=[earlier]), RECORD, SCALE_UP, FINAL,  # type: ignore[arg-type, misc]
                                           answers(treated, controls))
    impact = judgement.extra["impact"]
    assert judgement.verdict == "inconclusive" and impact["control"]["pre_days"] == 14
    assert abs(impact["effect_pct"]) < 5
