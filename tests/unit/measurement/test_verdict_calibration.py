"""The series verdict on realistic simulated accounts: with no true effect it is not flagged above its error
rates; a known harm is found at the stated power. The generator here is the tests' own (negative-binomial
days, weekday shape, shared drift and a shared dip) — independent of the verdict and of bench/. Bounded in
CI; `--slow` runs ten times the trials. Each bound allows three standard errors of the simulation."""

from __future__ import annotations

import math

import numpy as np
import pytest

from operator_ai.measurement.specs import MeasureSpec
from operator_ai.measurement.verdict import Panel, judge_panel
from operator_ai.measurement.windows import FINAL_ALPHA
from schemas.impact import ControlInfo

SPEC = MeasureSpec("series", "conversions", "up")
PRE, AFTER, OTHERS = 28, 7, 3
CONTROL = ControlInfo(kind="campaigns", entities=("2", "3", "4"), pre_days=PRE)


def accounts(rng: np.random.Generator, trials: int, volume: float, effect: float, variance_ratio: float) -> np.ndarray:
    """[trial, campaign, day] daily conversions; campaign 0 is treated from day PRE on."""
    days = PRE + AFTER
    sizes = np.concatenate([np.full((trials, 1), volume), rng.uniform(0.5, 2.0, (trials, OTHERS)) * volume], axis=1)
    weekday = np.array([1.1, 1.08, 1.04, 1.0, 0.97, 0.9, 0.91])[(np.arange(days) + rng.integers(0, 7))[None, :] % 7]
    market = np.exp(np.cumsum(rng.normal(0, 0.025, (trials, days)), axis=1))  # shared drift
    market[:, PRE + 2:PRE + 5] *= rng.uniform(0.5, 0.9, (trials, 1))  # a shared dip after the change
    mean = sizes[:, :, None] * weekday[None, :, :] * market[:, None, :]
    mean[:, 0, PRE:] *= 1.0 + effect
    k = mean / (variance_ratio - 1.0)
    return rng.poisson(rng.gamma(k, mean / k))


def verdicts(trials: int, seed: int, effect: float, *, volume: float = 20.0,
             variance_ratio: float = 2.0) -> dict[str, float]:
    data = accounts(np.random.default_rng(seed), trials, volume, effect, variance_ratio).astype(float)
    counts = {"failed": 0, "successful": 0, "rollback": 0}
    for trial in data:
        control = trial[1:].sum(axis=0)
        panel = Panel({"conversions": trial[0, :PRE]}, {"conversions": trial[0, PRE:]}, {"conversions": control[:PRE]},
                      {"conversions": control[PRE:]}, CONTROL, {}, {})
        judged = judge_panel(SPEC, panel, alpha=FINAL_ALPHA, min_harm_pct=10.0)
        counts["failed"] += judged.verdict == "failed"
        counts["successful"] += judged.verdict == "successful"
        counts["rollback"] += bool(judged.extra.get("rollback_evidence"))
    return {name: value / trials for name, value in counts.items()}


def slack(rate: float, trials: int) -> float:
    return 3 * math.sqrt(rate * (1 - rate) / trials)


@pytest.mark.parametrize("variance_ratio", [1.5, 3.0])
def test_no_effect_stays_within_the_error_rates(variance_ratio: float) -> None:
    trials = 400
    rates = verdicts(trials, seed=int(variance_ratio * 10), effect=0.0, variance_ratio=variance_ratio)
    assert rates["failed"] <= FINAL_ALPHA + slack(FINAL_ALPHA, trials), rates
    assert rates["successful"] <= FINAL_ALPHA / 2 + slack(FINAL_ALPHA / 2, trials), rates
    assert rates["rollback"] <= 0.02 + slack(0.02, trials), rates


def test_no_effect_at_one_and_a_half_conversions_a_day_stays_within_the_error_rates() -> None:
    """Low volume with lumpy days (variance 3x the mean): the pre-period's φ̂ is least sure here."""
    trials = 400
    rates = verdicts(trials, seed=15, effect=0.0, volume=1.5, variance_ratio=3.0)
    assert rates["failed"] <= FINAL_ALPHA + slack(FINAL_ALPHA, trials), rates
    assert rates["successful"] <= FINAL_ALPHA / 2 + slack(FINAL_ALPHA / 2, trials), rates
    assert rates["rollback"] <= 0.02 + slack(0.02, trials), rates


def test_a_forty_percent_drop_is_found_and_rolled_back() -> None:
    trials = 200
    rates = verdicts(trials, seed=7, effect=-0.4, variance_ratio=1.5)
    assert rates["failed"] >= 0.8 - slack(0.8, trials), rates
    assert rates["rollback"] >= 0.7 - slack(0.7, trials), rates
    assert rates["successful"] == 0


@pytest.mark.slow
@pytest.mark.parametrize("variance_ratio", [1.5, 2.0, 3.0])
def test_no_effect_at_scale(variance_ratio: float) -> None:
    trials = 4000
    rates = verdicts(trials, seed=100 + int(variance_ratio * 10), effect=0.0, variance_ratio=variance_ratio)
    assert rates["failed"] <= FINAL_ALPHA + slack(FINAL_ALPHA, trials), rates
    assert rates["successful"] <= FINAL_ALPHA / 2 + slack(FINAL_ALPHA / 2, trials), rates
    assert rates["rollback"] <= 0.02 + slack(0.02, trials), rates


@pytest.mark.slow
def test_power_at_scale() -> None:
    trials = 2000
    rates = verdicts(trials, seed=99, effect=-0.3, variance_ratio=1.5)
    assert rates["failed"] >= 0.75 - slack(0.75, trials), rates
