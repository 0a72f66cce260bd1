"""Synthetic data for the statistical tests: seeded Poisson and binomial draws, window builders."""

from __future__ import annotations

import math
import random
from decimal import Decimal

from operator_ai.measurement.judge import SeriesWindow


def poisson(rng: random.Random, mean: float) -> int:
    """Knuth's method: exact, fine for the daily means used here (< 100)."""
    limit, product, count = math.exp(-mean), rng.random(), 0
    while product > limit:
        product *= rng.random()
        count += 1
    return count


def binomial(rng: random.Random, n: int, p: float) -> int:
    return sum(1 for _ in range(n) if rng.random() < p)


def window(rng: random.Random, days: int, conversions_per_day: float, cost_per_day: float = 100.0,
           clicks_per_day: float = 0.0, value_per_conversion: float = 50.0) -> SeriesWindow:
    """`days` complete days of a campaign: Poisson conversions and clicks, a steady cost."""
    conversions = sum(poisson(rng, conversions_per_day) for _ in range(days))
    clicks = sum(poisson(rng, clicks_per_day) for _ in range(days)) if clicks_per_day else 0
    return SeriesWindow(days=days, cost=Decimal(str(round(cost_per_day * days, 2))), conversions=Decimal(conversions),
                        conversion_value=Decimal(str(round(conversions * value_per_conversion, 2))), clicks=clicks)
