"""Email verdicts and experiments on synthetic data: a known effect is detected at the stated power, and no
effect is flagged no more often than the stated error rate (many seeded trials; each bound allows three
standard errors of the simulation). Series verdicts: test_verdict_calibration.py."""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime, timedelta

from operator_ai.measurement import experiments
from operator_ai.measurement.judge import judge_rate
from operator_ai.measurement.windows import FINAL_ALPHA
from schemas.experiments import Experiment, ExperimentStatus, StopRules, Variant
from schemas.metrics import EmailCounts
from tests.unit.measurement.synthetic import binomial


def slack(rate: float, trials: int) -> float:
    return 3 * math.sqrt(rate * (1 - rate) / trials)


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
