"""The verdict function on synthetic data: a known effect is detected at the stated power, and no effect
is flagged no more often than the stated error rate (many seeded trials; each bound allows three standard
errors of the simulation, so a correct implementation fails with probability ~0.1 %)."""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime, timedelta

from operator_ai.measurement import experiments
from operator_ai.measurement.judge import judge_rate, judge_series
from operator_ai.measurement.specs import SPECS
from operator_ai.measurement.stats import rate_test_power
from operator_ai.measurement.windows import FINAL_ALPHA, INTERIM_ALPHA
from schemas.experiments import Experiment, ExperimentStatus, StopRules, Variant
from schemas.metrics import EmailCounts
from tests.unit.measurement.synthetic import binomial, window

SCALE_UP = SPECS["adjust_campaign_budget"]
PAUSE = SPECS["pause_campaign"]
# The documented power scenario (docs/measurement.md): 20 conversions a day, 7-day windows, +35 % lift.
DAILY, DAYS, LIFT, STATED_POWER = 20.0, 7, 1.35, 0.8


def slack(rate: float, trials: int) -> float:
    return 3 * math.sqrt(rate * (1 - rate) / trials)


def verdicts(trials: int, seed: int, lift: float, alpha: float) -> dict[str, int]:
    rng = random.Random(seed)
    counts = {"successful": 0, "failed": 0, "inconclusive": 0}
    for _ in range(trials):
        before = window(rng, DAYS, DAILY, cost_per_day=400)
        after = window(rng, DAYS, DAILY * lift, cost_per_day=400 * lift)  # spend scales with the budget
        counts[judge_series(SCALE_UP, before, after, alpha=alpha).verdict] += 1
    return counts


def test_a_known_lift_is_detected_at_the_stated_power() -> None:
    analytic = rate_test_power(DAILY * DAYS, LIFT, alpha=FINAL_ALPHA)
    assert analytic >= STATED_POWER
    trials = 400
    counts = verdicts(trials, seed=11, lift=LIFT, alpha=FINAL_ALPHA)
    detected = counts["successful"] / trials
    assert detected >= analytic - slack(analytic, trials), counts
    assert counts["failed"] == 0


def test_no_effect_is_not_flagged_above_the_error_rate() -> None:
    trials = 2000
    counts = verdicts(trials, seed=12, lift=1.0, alpha=FINAL_ALPHA)
    for verdict in ("successful", "failed"):  # each one-sided test holds alpha on its own
        assert counts[verdict] / trials <= FINAL_ALPHA + slack(FINAL_ALPHA, trials), counts


def test_interim_checkpoints_need_overwhelming_evidence() -> None:
    trials = 2000
    counts = verdicts(trials, seed=13, lift=1.0, alpha=INTERIM_ALPHA)
    flagged = (counts["successful"] + counts["failed"]) / trials
    assert flagged <= 2 * INTERIM_ALPHA + slack(2 * INTERIM_ALPHA, trials), counts


def test_pausing_a_converting_campaign_fails_and_pausing_a_wasteful_one_succeeds() -> None:
    rng = random.Random(14)
    trials, failed, succeeded = 300, 0, 0
    for _ in range(trials):
        before = window(rng, DAYS, 3.0, cost_per_day=150, clicks_per_day=60)
        stopped = window(rng, DAYS, 0.0, cost_per_day=0, clicks_per_day=0)
        failed += judge_series(PAUSE, before, stopped, alpha=FINAL_ALPHA).verdict == "failed"
        wasteful = window(rng, DAYS, 0.0, cost_per_day=150, clicks_per_day=60)
        succeeded += judge_series(PAUSE, wasteful, stopped, alpha=FINAL_ALPHA).verdict == "successful"
    assert failed / trials >= 0.99 and succeeded == trials


def test_email_rates_hold_the_error_rate_and_find_a_real_lift() -> None:
    rng = random.Random(15)
    trials, sends = 600, 1100  # 1,100 per group: 80 % power for 20 % -> 25 % (two-sided 0.05)
    null_flags = lift_found = 0
    for _ in range(trials):
        baseline = EmailCounts(sends=sends, opens=binomial(rng, sends, 0.2))
        same = EmailCounts(sends=sends, opens=binomial(rng, sends, 0.2))
        better = EmailCounts(sends=sends, opens=binomial(rng, sends, 0.25))
        null_flags += judge_rate("open_rate", baseline, same, alpha=FINAL_ALPHA).verdict != "inconclusive"
        lift_found += judge_rate("open_rate", baseline, better, alpha=FINAL_ALPHA).verdict == "successful"
    assert null_flags / trials <= 2 * FINAL_ALPHA + slack(2 * FINAL_ALPHA, trials)
    assert lift_found / trials >= 0.8 - slack(0.8, trials)  # one-sided at 0.05: more than the two-sided 80 %


def _experiment(rates: list[float]) -> Experiment:
    base = StopRules()
    rules = base.model_copy(update={"required_sends_per_variant": 1325})  # 3 variants: alpha 0.025 each
    return Experiment(experiment_id="exp-x", organization_id="org-acme", entity_id="31", account_id="acme-mail",
                      action_id="act-x", variants=tuple(Variant(variant_id=str(i), label=f"s{i}", control=i == 0)
                                                        for i in range(len(rates))),
                      started_at=datetime(2026, 11, 1, tzinfo=UTC), stop_rules=rules)


def _decide(rng: random.Random, rates: list[float]) -> Experiment:
    experiment = _experiment(rates)
    n = experiment.stop_rules.required_sends_per_variant
    counts = {str(i): EmailCounts(sends=n, opens=binomial(rng, n, p)) for i, p in enumerate(rates)}
    return experiments.evaluate(experiment, counts, None, experiment.started_at + timedelta(days=3))


def test_experiments_name_no_winner_among_equals_and_find_a_real_one() -> None:
    rng = random.Random(16)
    trials = 150
    false_winners = sum(_decide(rng, [0.2, 0.2, 0.2]).status == ExperimentStatus.DECIDED for _ in range(trials))
    assert false_winners / trials <= 0.05 + slack(0.05, trials)
    right = sum(_decide(rng, [0.2, 0.2, 0.25]).winner == "2" for _ in range(trials))
    # planned for 80 % power against one rival; against two it is lower (both comparisons must win)
    assert right / trials >= 0.6
