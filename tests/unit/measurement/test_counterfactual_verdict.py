"""The counterfactual verdict on hand-made daily series, its gates (confounded / learning / immature), the
tracking-break circuit breaker and the guardrail that holds spend increases."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from operator_ai.measurement.breaker import check_account, update_holds
from operator_ai.measurement.specs import SPECS, MeasureSpec
from operator_ai.measurement.verdict import Panel, gate, judge_panel
from schemas.impact import ControlInfo, TrackingHold
from schemas.metrics import DailyMetrics, EntityChange, EntitySeries

PAUSE = SPECS["pause_campaign"]
SCALE_UP = SPECS["adjust_campaign_budget"]
CONVERSIONS_UP = MeasureSpec("series", "conversions", "up")
WEEK = [1.1, 1.1, 1.05, 1.0, 0.95, 0.9, 0.9]
CONTROL = ControlInfo(kind="campaigns", entities=("2", "3"), pre_days=28)


def days(level: float, n: int, start: int = 0, dip: float = 1.0) -> list[float]:
    """Steady daily counts with a weekday shape (deterministic: the verdict's logic, not noise)."""
    return [round(level * WEEK[(start + i) % 7] * dip) for i in range(n)]


def panel(treated_pre: list[float], treated_after: list[float], control_pre: list[float] | None,
          control_after: list[float] | None, **extra: list[float]) -> Panel:
    def series(values: list[float] | None, key: str = "conversions") -> dict[str, list[float]] | None:
        if values is None:
            return None
        out = {key: values, "cost": [100.0] * len(values), "clicks": [10 * v for v in values]}
        return out

    control = CONTROL if control_pre is not None else ControlInfo(kind="none", reason="no other campaign")
    return Panel(series(treated_pre) or {}, {**(series(treated_after) or {}), **extra}, series(control_pre),
                 series(control_after), control, before={}, after={})


def test_a_drop_against_a_steady_control_fails_with_rollback_evidence() -> None:
    result = judge_panel(CONVERSIONS_UP, panel(days(20, 28), days(12, 7, 28), days(80, 28), days(80, 7, 28)),
                         alpha=0.05, min_harm_pct=10)
    impact = result.extra["impact"]
    assert result.verdict == "failed" and result.extra["rollback_evidence"] is True
    assert impact["control"]["entities"] == ["2", "3"] and impact["model"].startswith("difference-in-differences")
    assert impact["effect_pct"] < -30 and impact["ci_low_pct"] < impact["effect_pct"] < impact["ci_high_pct"] < 0
    assert impact["dispersion"] >= 1 and impact["p_value_harm"] < 0.001
    assert impact["difference"] < 0 and impact["expected"] > impact["observed"]


def test_an_account_wide_dip_is_not_harm() -> None:
    # a neutral change while the whole account dips 40 %: before/after alone would call it a collapse
    dip = panel(days(20, 28), days(20, 7, 28, dip=0.6), days(80, 28), days(80, 7, 28, dip=0.6))
    result = judge_panel(CONVERSIONS_UP, dip, alpha=0.05, min_harm_pct=10)
    assert result.verdict == "inconclusive" and abs(result.extra["impact"]["effect_pct"]) < 5
    alone = judge_panel(CONVERSIONS_UP, panel(days(20, 28), days(20, 7, 28, dip=0.6), None, None), alpha=0.05,
                        min_harm_pct=10)
    assert alone.verdict == "failed"  # without a control the same data looks like harm


def test_without_a_control_failed_needs_ten_times_the_evidence() -> None:
    pre, after = days(20, 28), days(20, 7, 28, dip=0.82)  # -18 %: clear with a control, marginal alone
    controlled = judge_panel(CONVERSIONS_UP, panel(pre, after, days(80, 28), days(80, 7, 28)), alpha=0.05,
                             min_harm_pct=10)
    alone = judge_panel(CONVERSIONS_UP, panel(pre, after, None, None), alpha=0.05, min_harm_pct=10)
    assert controlled.verdict == "failed"
    assert alone.verdict == "inconclusive" and alone.extra["impact"]["control"]["kind"] == "none"
    assert "no usable control" in alone.extra["impact"]["notes"][0]


def test_a_significant_harm_below_the_minimum_is_failed_but_not_rolled_back() -> None:
    # -6 % on a big campaign: statistically clear, practically below the 10 % minimum harmful effect
    big = panel(days(2000, 28), days(2000, 7, 28, dip=0.94), days(8000, 28), days(8000, 7, 28))
    result = judge_panel(CONVERSIONS_UP, big, alpha=0.05, min_harm_pct=10)
    assert result.verdict == "failed" and result.extra["rollback_evidence"] is False
    never = judge_panel(CONVERSIONS_UP, panel(days(20, 28), days(5, 7, 28), days(80, 28), days(80, 7, 28)),
                        alpha=0.05, min_harm_pct=None)
    assert never.verdict == "failed" and never.extra["rollback_evidence"] is False


def test_a_pause_that_lost_conversions_fails_on_its_guard_and_a_wasteful_one_succeeds() -> None:
    zero = [0.0] * 7
    lost = judge_panel(PAUSE, panel(days(5, 28), zero, days(40, 28), days(40, 7, 28)), alpha=0.05, min_harm_pct=10)
    assert lost.verdict == "failed" and "conversions dropped significantly" in lost.reason
    assert lost.extra["rollback_evidence"] is True and lost.extra["impact"]["metric"] == "conversions"
    assert lost.extra["impact"]["effect_pct"] == -100.0
    # a campaign with clicks but no conversions: pausing it loses nothing and stops the spend
    wasteful = Panel({"conversions": [0.0] * 28, "clicks": [50.0] * 28, "cost": [100.0] * 28},
                     {"conversions": zero, "clicks": zero, "cost": zero},
                     {"conversions": days(40, 28), "clicks": [400.0] * 28, "cost": [800.0] * 28},
                     {"conversions": days(40, 7, 28), "clicks": [400.0] * 7, "cost": [800.0] * 7}, CONTROL, {}, {})
    assert judge_panel(PAUSE, wasteful, alpha=0.05, min_harm_pct=10).verdict == "successful"


def test_thin_data_is_inconclusive() -> None:
    result = judge_panel(CONVERSIONS_UP, panel([0.0] * 27 + [3.0], [1.0] * 5 + [0.0] * 2, days(80, 28), days(80, 7, 28)),
                         alpha=0.05, min_harm_pct=10)
    assert result.verdict == "inconclusive" and "too little data" in result.reason


# --------------------------------------------------------------------------- gates

TODAY = date(2026, 3, 20)
AT = datetime(2026, 3, 10, 9, tzinfo=UTC)


def test_gates_in_order_confounded_learning_immature() -> None:
    change = EntityChange(entity_id="1", changed_at=AT, kind="budget", actor="ana@example.com")
    assert gate(after_last_day=TODAY - timedelta(days=9), today=TODAY, lag_days=3, learning_status="LEARNING_NEW",
                changes=[change]) == ("confounded", gate(after_last_day=TODAY, today=TODAY, lag_days=3,
                                                         learning_status=None, changes=[change])[1])  # type: ignore[index]
    learning = gate(after_last_day=TODAY - timedelta(days=9), today=TODAY, lag_days=3,
                    learning_status="LEARNING_BUDGET_CHANGE", changes=())
    assert learning is not None and learning[0] == "learning"
    assert gate(after_last_day=TODAY - timedelta(days=9), today=TODAY, lag_days=3, learning_status="ENABLED",
                changes=()) is None


def test_immature_until_the_lag_allowance_has_passed() -> None:
    last = date(2026, 3, 16)
    # yesterday (19th) is the last complete day; with 3 days of lag the 16th is mature on the 20th
    assert gate(after_last_day=last, today=date(2026, 3, 19), lag_days=3, learning_status=None,
                changes=())[0] == "immature"  # type: ignore[index]
    assert gate(after_last_day=last, today=date(2026, 3, 20), lag_days=3, learning_status=None, changes=()) is None
    assert gate(after_last_day=last, today=date(2026, 3, 20), lag_days=7, learning_status=None,
                changes=())[0] == "immature"  # type: ignore[index]


# --------------------------------------------------------------------------- tracking breaker


def campaign(ident: str, level: float, recent: float, *, today: date = TODAY) -> EntitySeries:
    rows = []
    for back in range(1, 36):
        day = today - timedelta(days=back)
        value = recent if back <= 2 else level
        rows.append(DailyMetrics(day=day, conversions=Decimal(str(value)), clicks=int(level * 10)))
    return EntitySeries(entity_id=ident, days=tuple(rows), status="ENABLED")


def test_an_account_wide_collapse_trips_the_breaker() -> None:
    finding = check_account("123", [campaign("1", 20, 1), campaign("2", 10, 0), campaign("3", 30, 2)], TODAY)
    assert finding.collapsed and set(finding.collapsed_campaigns) == {"1", "2", "3"}
    assert "conversions collapsed across account 123" in finding.reason()


def test_a_market_dip_or_one_broken_campaign_does_not_trip_it() -> None:
    dip = check_account("123", [campaign("1", 20, 10), campaign("2", 10, 5), campaign("3", 30, 15)], TODAY)
    assert not dip.collapsed and not dip.recovered  # half the usual: lag plus a dip, not a broken tag
    one = check_account("123", [campaign("1", 20, 0), campaign("2", 10, 10), campaign("3", 30, 30)], TODAY)
    assert not one.collapsed and one.collapsed_campaigns == ("1",)
    thin = check_account("123", [campaign("1", 1, 0), campaign("2", 1, 0)], TODAY)
    assert not thin.collapsed and "fewer than two campaigns" in thin.note


class _Holds:
    def __init__(self) -> None:
        self.rows: dict[str, TrackingHold] = {}

    def tracking_holds(self, organization_id: str) -> list[TrackingHold]:
        return [h for h in self.rows.values() if h.organization_id == organization_id]

    def put_tracking_hold(self, hold: TrackingHold) -> None:
        self.rows[hold.account_id] = hold


def test_holds_are_set_once_and_cleared_when_conversions_come_back() -> None:
    store = _Holds()
    broken = {"123": check_account("123", [campaign("1", 20, 0), campaign("2", 10, 0)], TODAY)}
    first = update_holds(store, "org", broken, AT)
    again = update_holds(store, "org", broken, AT + timedelta(days=1))
    assert len(first.set) == 1 and "123" in first.active and not again.set and "123" in again.active
    healthy = {"123": check_account("123", [campaign("1", 20, 19), campaign("2", 10, 11)], TODAY)}
    cleared = update_holds(store, "org", healthy, AT + timedelta(days=2))
    assert len(cleared.cleared) == 1 and not cleared.active and not store.rows["123"].active


def test_the_guardrail_holds_spend_increases_only() -> None:
    from guardrails.rules.safety import tracking_hold
    from schemas.common import Outcome
    from tests.unit.guardrails import factories as f

    hold = TrackingHold(organization_id="org", account_id="123", active=True, set_at=AT, reason="collapsed")
    increase = f.budget_ctx("100", "110")
    held = tracking_hold(increase.__class__(**{**increase.__dict__, "tracking_holds": (hold,)}))
    assert held.outcome == Outcome.BLOCK and "spend increases are held" in held.message
    assert tracking_hold(increase).outcome == Outcome.ALLOW
    pause = f.pause_ctx()
    assert tracking_hold(pause.__class__(**{**pause.__dict__, "tracking_holds": (hold,)})).outcome == Outcome.ALLOW
