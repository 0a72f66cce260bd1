"""Checkpoint verdicts on hand-made windows: thin data, guards, the test and numbers that are recorded."""

from __future__ import annotations

from decimal import Decimal

from operator_ai.measurement.judge import SeriesWindow, judge_rate, judge_series
from operator_ai.measurement.specs import SPECS, MeasureSpec
from schemas.metrics import EmailCounts

D = Decimal
SCALE_UP = SPECS["adjust_campaign_budget"]
PAUSE = SPECS["pause_campaign"]
NEGATIVES = SPECS["add_negative_keywords"]


def w(days: int = 7, cost: str = "700", conversions: int = 0, clicks: int = 0, value: str = "0") -> SeriesWindow:
    return SeriesWindow(days=days, cost=D(cost), conversions=D(conversions), conversion_value=D(value), clicks=clicks)


def test_thin_data_is_inconclusive_and_says_so() -> None:
    result = judge_series(SCALE_UP, w(conversions=3), w(conversions=5), alpha=0.05)
    assert result.verdict == "inconclusive" and "too little data: 8 conversions" in result.reason
    assert result.test is None and result.p_value is None


def test_a_window_without_exposure_cannot_be_judged() -> None:
    result = judge_series(NEGATIVES, w(conversions=20), w(cost="0", conversions=20), alpha=0.05)
    assert result.verdict == "inconclusive" and "no cost in the after window" in result.reason


def test_a_helpful_increase_is_successful_with_its_numbers() -> None:
    result = judge_series(SCALE_UP, w(cost="1000", conversions=100, value="5000"),
                          w(cost="1200", conversions=150, value="7500"), alpha=0.05)
    assert result.verdict == "successful"
    assert result.p_value is not None and result.p_value < 0.05 and "one-sided (greater)" in (result.test or "")
    assert result.effect_pct == 50.0
    assert result.before["cpa"] == "10.00" and result.after["roas"] == "6.25"
    assert result.guard is not None and result.guard["within"] and not result.guard["dropped"]


def test_more_conversions_bought_at_a_collapsing_cpa_fail_on_the_guard() -> None:
    # 2.5 x the spend for 1.3 x the conversions: efficiency halves, far beyond the 20 % tolerance
    result = judge_series(SCALE_UP, w(cost="1000", conversions=100), w(cost="2500", conversions=130), alpha=0.05)
    assert result.verdict == "failed" and "dropped significantly by more than 20%" in result.reason
    assert result.guard is not None and result.guard["dropped"] and result.p_value == result.guard["p_value"]


def test_a_lift_whose_guard_slipped_beyond_tolerance_is_not_called_a_success() -> None:
    # conversions up significantly, efficiency down ~30 % but on too little data to prove it
    result = judge_series(SCALE_UP, w(cost="100", conversions=10), w(cost="290", conversions=20), alpha=0.05)
    assert result.verdict != "successful"


def test_falling_conversions_after_an_increase_fail() -> None:
    result = judge_series(SCALE_UP, w(conversions=60), w(cost="800", conversions=30), alpha=0.05)
    assert result.verdict == "failed" and "conversions fell significantly" in result.reason


def test_a_pause_that_lost_conversions_fails_on_its_guard_test() -> None:
    result = judge_series(PAUSE, w(cost="600", conversions=12, clicks=400), w(cost="0"), alpha=0.05)
    assert result.verdict == "failed"
    assert result.p_value is not None and abs(result.p_value - 0.5**12) < 1e-6
    assert "conversions dropped significantly" in result.reason


def test_a_pause_of_a_wasteful_campaign_succeeds_and_a_small_loss_is_not_a_success() -> None:
    saved = judge_series(PAUSE, w(cost="600", clicks=400), w(cost="0"), alpha=0.05)
    assert saved.verdict == "successful" and "clicks 400 → 0, cost 600 → 0" in saved.reason
    lost_two = judge_series(PAUSE, w(cost="600", conversions=2, clicks=400), w(cost="0"), alpha=0.05)
    assert lost_two.verdict == "inconclusive" and "but conversions fell (not significantly)" in lost_two.reason


def test_noise_is_inconclusive_and_the_boundary_matters() -> None:
    before, after = w(conversions=50), w(conversions=72)
    assert judge_series(SCALE_UP, before, after, alpha=0.05).verdict == "successful"
    interim = judge_series(SCALE_UP, before, after, alpha=0.001)
    assert interim.verdict == "inconclusive" and "within noise" in interim.reason


def test_a_down_metric_succeeds_when_it_falls() -> None:
    spec = MeasureSpec("series", "clicks", "down")
    assert judge_series(spec, w(clicks=200), w(clicks=100), alpha=0.05).verdict == "successful"
    assert judge_series(spec, w(clicks=100), w(clicks=200), alpha=0.05).verdict == "failed"


def test_efficiency_is_reported_as_cpa() -> None:
    result = judge_series(NEGATIVES, w(cost="1000", conversions=40), w(cost="700", conversions=56), alpha=0.05)
    assert result.verdict == "successful" and "CPA 25.00 → 12.50" in result.reason


def test_email_rates() -> None:
    thin = judge_rate("open_rate", EmailCounts(sends=5000, opens=1000), EmailCounts(sends=40, opens=20), alpha=0.05)
    assert thin.verdict == "inconclusive" and "too little data" in thin.reason
    up = judge_rate("open_rate", EmailCounts(sends=5000, opens=1000), EmailCounts(sends=2000, opens=500), alpha=0.05)
    assert up.verdict == "successful" and up.after["rate"] == 0.25 and "two-proportion" in (up.test or "")
    down = judge_rate("click_rate", EmailCounts(sends=5000, clicks=250), EmailCounts(sends=2000, clicks=40),
                      alpha=0.05)
    assert down.verdict == "failed" and down.before["rate"] == 0.05
    assert judge_rate("open_rate", EmailCounts(sends=1000, opens=200), EmailCounts(sends=1000, opens=205),
                      alpha=0.05).verdict == "inconclusive"


def test_the_recorded_form_is_plain_json() -> None:
    import json

    data = judge_series(SCALE_UP, w(conversions=50), w(conversions=80), alpha=0.05).as_dict()
    assert json.loads(json.dumps(data))["verdict"] == "successful"
    assert set(data) >= {"verdict", "metric", "before", "after", "test", "p_value", "alpha", "reason", "guard"}
