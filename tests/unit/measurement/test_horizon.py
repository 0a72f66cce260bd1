"""The measurement horizon (`horizon.py`): the final verdict waits until the test has the power to find a
30 % drop — at once on Poisson-like days, whole weeks longer on the noisy days of real accounts — planned
from the pre-period alone; and the checkpoints it adds (`windows.extension_days`)."""

from __future__ import annotations

import numpy as np
import pytest

from operator_ai.measurement.horizon import MAX_FINAL_DAYS, MIN_USEFUL_POWER, TARGET_POWER, plan, power
from operator_ai.measurement.specs import SPECS
from operator_ai.measurement.verdict import Panel, judge_panel
from operator_ai.measurement.windows import extension_days
from schemas.impact import ControlInfo
from tests.unit.measurement.test_counterfactual_verdict import CONVERSIONS_UP, days
from tests.unit.measurement.test_counterfactual_verdict import panel as steady_panel

SCALE_UP = SPECS["adjust_campaign_budget"]
CONTROL = ControlInfo(kind="campaigns", entities=("2", "3", "4", "5"), pre_days=28)


def drawn(per_day: float, dispersion: float, n: int, rng: np.random.Generator) -> list[float]:
    """Gamma-Poisson days: variance = dispersion x mean (1: Poisson)."""
    mean = np.full(n, per_day)
    if dispersion > 1:
        shape = per_day / (dispersion - 1)
        mean = rng.gamma(shape, 1 / shape, size=n) * per_day
    return [float(v) for v in rng.poisson(mean)]


def noisy_panel(per_day: float, dispersion: float, seed: int, *, control: bool = True,
                after: list[float] | None = None) -> Panel:
    rng = np.random.default_rng(seed)
    treated_pre, control_pre = drawn(per_day, dispersion, 28, rng), drawn(4 * per_day, dispersion, 28, rng)
    treated_after = after if after is not None else drawn(per_day, dispersion, 7, rng)
    control_after = drawn(4 * per_day, dispersion, 7, rng)
    info = CONTROL if control else ControlInfo(kind="none", reason="no other campaign")
    return Panel({"conversions": treated_pre}, {"conversions": treated_after},
                 {"conversions": control_pre} if control else None, {"conversions": control_after} if control else None,
                 info, before={}, after={})


@pytest.mark.parametrize("seed", range(5))
def test_poisson_like_days_keep_the_scheduled_final_checkpoint(seed: int) -> None:
    horizon = plan(SCALE_UP, noisy_panel(20, 1.0, seed), scheduled_days=7)
    assert horizon.final_days == 7 and horizon.power_scheduled is not None
    assert horizon.power_scheduled >= TARGET_POWER and "has the power" in horizon.reason
    assert horizon.control and horizon.design_drop_pct == 30


@pytest.mark.parametrize("seed", range(5))
def test_noisy_days_wait_whole_weeks_longer(seed: int) -> None:
    horizon = plan(SCALE_UP, noisy_panel(20, 3.0, seed), scheduled_days=7)
    assert horizon.final_days in (14, 21, 28, 35) and horizon.dispersion is not None and horizon.dispersion > 1.5
    assert horizon.power_scheduled is not None and horizon.power_scheduled < TARGET_POWER
    assert horizon.power_planned is not None and horizon.power_planned > horizon.power_scheduled
    assert f"waits {horizon.final_days} days" in horizon.reason or horizon.final_days == MAX_FINAL_DAYS


def test_the_plan_never_looks_at_the_after_window() -> None:
    harmed = plan(SCALE_UP, noisy_panel(20, 2.0, 7, after=[5.0] * 7), scheduled_days=7)
    neutral = plan(SCALE_UP, noisy_panel(20, 2.0, 7, after=[20.0] * 7), scheduled_days=7)
    assert harmed == neutral


def test_without_a_control_the_stronger_bar_needs_more_days() -> None:
    with_control = plan(SCALE_UP, noisy_panel(20, 2.0, 3), scheduled_days=7)
    alone = plan(SCALE_UP, noisy_panel(20, 2.0, 3, control=False), scheduled_days=7)
    assert not alone.control and alone.final_days >= with_control.final_days
    assert alone.power_scheduled is not None and with_control.power_scheduled is not None
    assert alone.power_scheduled < with_control.power_scheduled


def test_a_small_campaign_waits_the_longest_or_if_even_that_is_a_coin_toss_keeps_its_schedule() -> None:
    longest = plan(SCALE_UP, noisy_panel(5, 2.0, 1), scheduled_days=7)
    assert longest.final_days == MAX_FINAL_DAYS and longest.power_planned is not None
    assert MIN_USEFUL_POWER <= longest.power_planned < TARGET_POWER and "waits the longest" in longest.reason
    tiny = plan(SCALE_UP, noisy_panel(1, 2.0, 1), scheduled_days=7)
    assert tiny.final_days == 7 and "too few conversions" in tiny.reason


def test_a_pause_keeps_its_schedule_its_harm_is_total() -> None:
    horizon = plan(SPECS["pause_campaign"], noisy_panel(20, 3.0, 1), scheduled_days=7)
    assert horizon.final_days == 7 and "shows at once" in horizon.reason


def test_nothing_to_plan_from_or_an_org_that_already_waits_long_keeps_its_schedule() -> None:
    empty = plan(SCALE_UP, noisy_panel(20, 1.0, 1, after=[0.0] * 7).__class__(
        {"conversions": [0.0] * 28}, {"conversions": [0.0] * 7}, None, None, ControlInfo(kind="none"), {}, {}),
        scheduled_days=7)
    assert empty.final_days == 7 and "no conversions" in empty.reason
    patient = plan(SCALE_UP, noisy_panel(20, 3.0, 1), scheduled_days=42)
    assert patient.final_days == 42 and "already waits" in patient.reason


def test_power_grows_with_days_and_falls_with_noise() -> None:
    common = {"treated_pre": 560.0, "pre_days": 28, "control_pre": 2240.0, "df": 27}
    by_days = [power(d, phi=2.0, **common) for d in (7, 14, 21, 28)]  # type: ignore[arg-type]
    assert by_days == sorted(by_days) and 0.5 < by_days[0] < by_days[-1] < 1
    assert power(7, phi=3.0, **common) < power(7, phi=1.0, **common)  # type: ignore[arg-type]


@pytest.mark.parametrize(("scheduled", "final", "added"), [
    (7, 7, []), (7, 21, [14, 21]), (7, 35, [14, 21, 28, 35]), (10, 21, [14, 21]), (7, 30, [14, 21, 28, 30]),
    (3, 7, [7])])
def test_the_checkpoints_a_horizon_adds(scheduled: int, final: int, added: list[int]) -> None:
    assert extension_days(scheduled, final) == added


def test_an_interim_failure_beyond_its_boundary_carries_rollback_evidence() -> None:
    # p_harm ≈ 0.00057: past the interim boundary (0.001), which is itself far stronger than the final
    # checkpoint's rollback bar (0.0125); it used to need 0.4 x 0.001 as well, so an interim failure that
    # ended the measurement could never be rolled back automatically
    result = judge_panel(CONVERSIONS_UP, steady_panel(days(20, 28), days(13, 7, 28), days(80, 28), days(80, 7, 28)),
                         alpha=0.001, min_harm_pct=10)
    assert result.verdict == "failed" and result.p_value is not None and 0.0004 < result.p_value < 0.001
    assert result.extra["rollback_evidence"] is True
    final = judge_panel(CONVERSIONS_UP, steady_panel(days(20, 28), days(16, 7, 28), days(80, 28), days(80, 7, 28)),
                        alpha=0.05, min_harm_pct=10)
    assert final.verdict == "failed" and final.p_value is not None and final.p_value > 0.02
    assert final.extra["rollback_evidence"] is False
    # the final bar is α/4 = 0.0125 (it was 0.02: false automatic rollbacks reached 2.8 % in a no-effect cell
    # of the calibration benchmark, the issue aims at 2 %): p ≈ 0.0175 with a 22 % harm is failed, a person decides
    near = judge_panel(CONVERSIONS_UP, steady_panel(days(20, 28), days(15.5, 7, 28), days(80, 28), days(80, 7, 28)),
                       alpha=0.05, min_harm_pct=10)
    assert near.verdict == "failed" and near.p_value is not None and 0.0125 < near.p_value < 0.02
    assert near.extra["impact"]["effect_pct"] < -20 and near.extra["rollback_evidence"] is False


def test_a_person_is_told_when_the_final_verdict_is_due_and_why() -> None:
    from operator_ai.measurement.summary import horizon_note
    from tests.unit.measurement.records import executed

    longer = plan(SCALE_UP, noisy_panel(20, 3.0, 0), scheduled_days=7)
    record = executed(facts={"budget_before": "100", "budget_after": "115"})
    assert horizon_note(record) == ""  # not planned yet
    with_plan = record.model_copy(update={"result": {"horizon": longer.model_dump(mode="json")}})
    assert horizon_note(with_plan) == f"final verdict planned at +{longer.final_days} days: {longer.reason}"
    kept = plan(SCALE_UP, noisy_panel(20, 1.0, 0), scheduled_days=7)
    assert horizon_note(record.model_copy(update={"result": {"horizon": kept.model_dump(mode="json")}})) == ""
