"""The control pool of a counterfactual verdict (`controls.py`, `series.eligible_controls`): a keyword's own
campaign never controls for it, and only steady campaigns do — not one launched in the pre-period, idle on
many days, or ramping on its own — each left out with its reason in the record."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

from operator_ai.measurement.checks import judge_series_checkpoint
from operator_ai.measurement.controls import NO_HOLDER, holder
from operator_ai.measurement.specs import spec_for
from operator_ai.measurement.windows import schedule
from schemas.metrics import DailyMetrics, EntitySeries, MetricReading
from tests.unit.measurement.records import EXECUTED_AT, executed
from tests.unit.measurement.test_series_checkpoint import MATURE, WEEK, Checks

EXEC_DAY = EXECUTED_AT.date()
KEYWORD_TARGET = {"customer_id": "1234567890", "ad_group_id": "2001", "criterion_id": "3001"}


def days(level: Callable[[int], float], *, first: int = -28, last: int = 7,
         idle: tuple[int, ...] = ()) -> tuple[DailyMetrics, ...]:
    """Days `first`..`last` around the execution day (0 left out) at `level(offset)` a day, weekday-shaped;
    `idle` days have no row (no activity)."""
    out = []
    for offset in range(first, last + 1):
        if offset == 0 or offset in idle:
            continue
        day = EXEC_DAY + timedelta(days=offset)
        value = level(offset) * WEEK[day.weekday()]
        out.append(DailyMetrics(day=day, conversions=Decimal(round(value)), cost=Decimal(100),
                                clicks=round(value * 10), impressions=round(value * 100)))
    return tuple(out)


def flat(value: float, after: float | None = None) -> Callable[[int], float]:
    return lambda offset: value if offset < 0 or after is None else after


def judge(record: Any, treated: tuple[DailyMetrics, ...], *series: EntitySeries, log: tuple[Any, ...] = (),
          **attributes: str) -> tuple[Any, dict[str, Any]]:
    reading = MetricReading(key="t", read_at=EXECUTED_AT, days=treated, first_day=treated[0].day,
                            last_day=treated[-1].day, attributes=attributes)
    controls = MetricReading(key="c", read_at=EXECUTED_AT, series=series)
    answers = {f"{record.action_id}:series": reading, f"{record.action_id}:controls": controls}
    judged = judge_series_checkpoint(Checks(MATURE, log=list(log)), record, spec_for(record),  # type: ignore[arg-type]
                                     schedule(record)[-1],
                                     answers)
    assert judged is not None
    return judged[0], judged[0].extra["impact"]


def campaign(entity_id: str, rows: tuple[DailyMetrics, ...]) -> EntitySeries:
    return EntitySeries(entity_id=entity_id, days=rows, status="ENABLED")


def keyword_bid(snapshot: dict[str, Any] | None) -> Any:
    return executed("adjust_keyword_bid", action={"type": "adjust_keyword_bid", "target": KEYWORD_TARGET},
                    facts={"bid_before": "1.00", "bid_after": "1.20"}, snapshot=snapshot)


def test_a_keyword_is_judged_against_a_control_without_its_own_campaign() -> None:
    """The keyword's conversions rise 10 → 15 a day; its campaign 119 contains it and rises by the same 5.
    With 119 in the control the treatment leaks into it and the +50 % reads as about +29 %."""
    record = keyword_bid({"keyword": {"ad_group_id": "2001", "criterion_id": "3001", "campaign_id": "119"}})
    own = campaign("119", days(flat(20, 25)))  # the keyword's campaign: the treated keyword is part of it
    _, impact = judge(record, days(flat(10, 15)), own, campaign("201", days(flat(10))))
    assert impact["control"]["entities"] == ["201"]
    assert impact["control"]["excluded"] == {"119": "holds the treated keyword"}
    # (at 10 a day a week is judged as interim: the final verdict waits for its horizon, horizon.py)
    assert 45 < impact["effect_pct"] < 55 and impact["p_value_benefit"] < 0.025


def test_a_campaign_whose_keyword_the_operator_changed_is_no_control() -> None:
    """Another action of ours raised a keyword's bid in campaign 119 three days before: 119 is changed."""
    other = keyword_bid({"keyword": {"campaign_id": "119"}}).model_copy(update={
        "action_id": "act-" + "b" * 24, "executed_at": EXECUTED_AT - timedelta(days=3)})
    record = executed(facts={"budget_before": "100", "budget_after": "115"})
    _, impact = judge(record, days(flat(20)), campaign("119", days(flat(20))), campaign("201", days(flat(40))),
                      log=(other,))
    control = impact["control"]
    assert control["entities"] == ["201"] and control["excluded"] == {"119": "changed in the period "
                                                                             "(adjust_keyword_bid)"}
    # and a budget change to 119 itself is confounded by that keyword change two days into its after window
    on_119 = executed(action={"type": "adjust_campaign_budget", "target": {"customer_id": "1234567890",
                                                                           "campaign_id": "119"}},
                      facts={"budget_before": "100", "budget_after": "115"})
    later = other.model_copy(update={"executed_at": EXECUTED_AT + timedelta(days=2)})
    reading = MetricReading(key="t", read_at=EXECUTED_AT, days=days(flat(20)), first_day=EXEC_DAY - timedelta(days=28),
                            last_day=EXEC_DAY + timedelta(days=7))
    judged = judge_series_checkpoint(Checks(MATURE, log=[later]), on_119, spec_for(on_119),  # type: ignore[arg-type]
                                     schedule(on_119)[-1], {f"{on_119.action_id}:series": reading})
    assert judged is not None and judged[0].verdict == "confounded" and "adjust_keyword_bid" in judged[0].reason


def test_a_keyword_whose_campaign_is_unknown_gets_no_control_and_the_reading_can_name_it() -> None:
    pool = (campaign("119", days(flat(20, 25))), campaign("201", days(flat(10))))
    _, impact = judge(keyword_bid(None), days(flat(10, 15)), *pool)
    assert impact["control"]["kind"] == "none" and impact["control"]["reason"] == NO_HOLDER
    _, impact = judge(keyword_bid(None), days(flat(10, 15)), *pool, campaign_id="119")  # the keyword reading's
    assert impact["control"]["entities"] == ["201"] and impact["control"]["excluded"] == {
        "119": "holds the treated keyword"}
    assert holder(executed()).campaign == "117" and not holder(executed()).keyword  # a campaign action's own


def test_a_campaign_launched_in_the_pre_period_no_longer_makes_a_neutral_increase_fail() -> None:
    """Campaign 202 started ten days before the action: the control's pre-period level is too low, so the
    treated share seems to fall by a third after the action though nothing changed."""
    record = executed(facts={"budget_before": "100", "budget_after": "115"})
    young = campaign("202", days(flat(40), first=-10))
    judgement, impact = judge(record, days(flat(20)), campaign("201", days(flat(40))), young)
    launched = (EXEC_DAY - timedelta(days=10)).isoformat()
    assert impact["control"]["excluded"] == {"202": f"started during the pre-period (first active day {launched})"}
    assert impact["control"]["entities"] == ["201"]
    assert judgement.verdict == "inconclusive" and abs(impact["effect_pct"]) < 5, judgement.reason


def test_campaigns_spending_from_the_treated_campaigns_budget_are_not_its_control() -> None:
    """+30 % on budget 505, which campaigns 115 and 116 share: both gain a third. With 116 in the control
    the increase reads as about +12 %."""
    record = executed(action={"type": "adjust_campaign_budget", "target": {"customer_id": "1234567890",
                                                                           "campaign_id": "115"}},
                      facts={"budget_before": "100", "budget_after": "130"},
                      snapshot={"campaign": {"campaign_id": "115", "budget_id": "505"},
                                "budget": {"budget_id": "505", "amount": "100"}})
    sharing = EntitySeries(entity_id="116", days=days(flat(20, 26)), status="ENABLED", budget_id="505")
    other = EntitySeries(entity_id="201", days=days(flat(30)), status="ENABLED", budget_id="601")
    _, impact = judge(record, days(flat(20, 26)), sharing, other)
    assert impact["control"]["entities"] == ["201"]
    assert impact["control"]["excluded"] == {"116": "spends from the treated campaign's budget 505"}
    assert 25 < impact["effect_pct"] < 35


def test_idle_stopping_and_ramping_campaigns_are_left_out_with_their_reason() -> None:
    record = executed(facts={"budget_before": "100", "budget_after": "115"})
    steady = (campaign("201", days(flat(40))), campaign("202", days(flat(30), idle=(-20,))))  # one idle day is fine
    gappy = campaign("203", days(flat(30), idle=(-25, -24, -18, -11, -4)))
    stopped = campaign("204", days(flat(30), last=4))  # ran out of its dates in the after window
    ramping = campaign("205", days(lambda offset: 10 + max(0, offset + 28) * 1.5))  # 10 → 50 a day
    judgement, impact = judge(record, days(flat(20)), *steady, gappy, stopped, ramping)
    excluded = impact["control"]["excluded"]
    assert impact["control"]["entities"] == ["201", "202"]
    assert excluded["203"] == "active on only 23 of 28 pre-period days"
    assert excluded["204"] == "active on only 4 of 7 after-window days"
    assert excluded["205"].startswith("ramped during the pre-period (clicks ×")
    assert judgement.verdict == "inconclusive" and abs(impact["effect_pct"]) < 5


def test_a_move_of_the_whole_account_is_no_ramp() -> None:
    """Every campaign grows alike through the pre-period (the market): none is a ramp of its own."""
    record = executed(facts={"budget_before": "100", "budget_after": "115"})
    grow = lambda base: (lambda offset: base * (1 + max(0, offset + 28) * 0.05))  # noqa: E731
    _, impact = judge(record, days(grow(20)), campaign("201", days(grow(40))), campaign("202", days(grow(30))))
    assert impact["control"]["entities"] == ["201", "202"] and impact["control"]["excluded"] == {}
    _, impact = judge(record, days(grow(20)), campaign("201", days(grow(40))))  # alone: against the treated
    assert impact["control"]["entities"] == ["201"]


def test_a_pre_period_shortened_by_a_young_treated_campaign_judges_activity_on_its_own_days() -> None:
    """The treated campaign is 12 days old: its pre-period starts then, and a control launched before that is
    steady over it."""
    record = executed(facts={"budget_before": "100", "budget_after": "115"})
    _, impact = judge(record, days(flat(20), first=-12), campaign("201", days(flat(40), first=-15)))
    assert impact["control"]["entities"] == ["201"] and impact["control"]["pre_days"] == 12
