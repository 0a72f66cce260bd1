"""Synthetic data for the statistical tests: seeded Poisson and binomial draws, window builders."""

from __future__ import annotations

import math
import random


def poisson(rng: random.Random, mean: float) -> int:
    """Knuth's method: exact, fine for the daily means used here (< 100)."""
    limit, product, count = math.exp(-mean), rng.random(), 0
    while product > limit:
        product *= rng.random()
        count += 1
    return count


def binomial(rng: random.Random, n: int, p: float) -> int:
    return sum(1 for _ in range(n) if rng.random() < p)
