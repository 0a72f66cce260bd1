"""The statistical tests behind verdicts and experiments, in plain Python (no numpy/scipy dependency).

- `rate_test`: exact conditional test for two Poisson rates with exposures (conversions per day, or per
  unit of cost). Given n = before + after events, under H0 (rate_after = ratio0 · rate_before) the after
  count is Binomial(n, p0) with p0 = ratio0·E_after / (E_before + ratio0·E_after); the p-value is an exact
  binomial tail (regularised incomplete beta). Exact, so it stays honest for small counts.
- `two_proportion_test`: pooled two-proportion z test (open or click rates).
- `sample_size_two_proportions` / `rate_test_power`: the design side (normal approximations), used to
  state the power of a test and the sample an experiment needs before it may be decided.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from statistics import NormalDist
from typing import Any, Literal

Alternative = Literal["greater", "less", "two-sided"]
_NORMAL = NormalDist()
_EPS = 3e-16
_TINY = 1e-300


@dataclass(frozen=True)
class TestResult:
    test: str  # what was run, in words (recorded with the verdict)
    alternative: Alternative
    p_value: float
    statistic: float | None = None
    detail: dict[str, Any] = field(default_factory=dict)


# --------------------------------------------------------------------------- distributions


def _beta_fraction(a: float, b: float, x: float) -> float:
    """Continued fraction of the incomplete beta function (modified Lentz)."""
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > _TINY else _TINY)
    h = d
    for m in range(1, 10_000):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > _TINY else _TINY)
        c = 1.0 + aa / c
        c = c if abs(c) > _TINY else _TINY
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > _TINY else _TINY)
        c = 1.0 + aa / c
        c = c if abs(c) > _TINY else _TINY
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < _EPS:
            break
    return h


def betainc(a: float, b: float, x: float) -> float:
    """Regularised incomplete beta I_x(a, b)."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    log_front = math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    if x < (a + 1.0) / (a + b + 2.0):
        return math.exp(log_front) * _beta_fraction(a, b, x) / a
    return 1.0 - math.exp(log_front) * _beta_fraction(b, a, 1.0 - x) / b


def binom_sf(k: int, n: int, p: float) -> float:
    """P(X >= k) for X ~ Binomial(n, p)."""
    if k <= 0:
        return 1.0
    if k > n:
        return 0.0
    return min(1.0, max(0.0, betainc(k, n - k + 1, p)))


def binom_cdf(k: int, n: int, p: float) -> float:
    """P(X <= k) for X ~ Binomial(n, p)."""
    return 1.0 - binom_sf(k + 1, n, p)


def normal_sf(z: float) -> float:
    return 1.0 - _NORMAL.cdf(z)


def z_quantile(probability: float) -> float:
    return _NORMAL.inv_cdf(probability)


# --------------------------------------------------------------------------- tests


def rate_test(before: int, before_exposure: float, after: int, after_exposure: float, *,
              alternative: Alternative, ratio0: float = 1.0) -> TestResult:
    """Exact conditional test of H0: rate_after = ratio0 · rate_before (see the module docstring)."""
    if before < 0 or after < 0 or before_exposure <= 0 or after_exposure <= 0:
        raise ValueError("counts must be >= 0 and exposures > 0")
    n = before + after
    p0 = ratio0 * after_exposure / (before_exposure + ratio0 * after_exposure)
    if alternative == "greater":
        p_value = binom_sf(after, n, p0)
    elif alternative == "less":
        p_value = binom_cdf(after, n, p0)
    else:
        p_value = min(1.0, 2.0 * min(binom_sf(after, n, p0), binom_cdf(after, n, p0)))
    ratio = None
    if before > 0:
        ratio = (after / after_exposure) / (before / before_exposure)
    return TestResult(test="exact conditional Poisson rate test (binomial on the after share)",
                      alternative=alternative, p_value=p_value, statistic=ratio,
                      detail={"n": n, "p0": round(p0, 6), "ratio0": ratio0})


def two_proportion_test(successes_a: int, trials_a: int, successes_b: int, trials_b: int, *,
                        alternative: Alternative) -> TestResult:
    """Pooled two-proportion z test of H0: p_b = p_a ("greater": p_b > p_a)."""
    if trials_a <= 0 or trials_b <= 0:
        raise ValueError("both groups need at least one trial")
    pa, pb = successes_a / trials_a, successes_b / trials_b
    pooled = (successes_a + successes_b) / (trials_a + trials_b)
    se = math.sqrt(pooled * (1 - pooled) * (1 / trials_a + 1 / trials_b))
    z = 0.0 if se == 0 else (pb - pa) / se
    if alternative == "greater":
        p_value = normal_sf(z)
    elif alternative == "less":
        p_value = _NORMAL.cdf(z)
    else:
        p_value = min(1.0, 2.0 * normal_sf(abs(z)))
    return TestResult(test="two-proportion z test (pooled)", alternative=alternative, p_value=p_value,
                      statistic=z, detail={"rate_a": round(pa, 6), "rate_b": round(pb, 6)})


# --------------------------------------------------------------------------- design


def sample_size_two_proportions(p1: float, p2: float, *, alpha: float, power: float) -> int:
    """Per-group sample for a two-sided two-proportion test to detect p1 vs p2 with the given power."""
    if not (0 < p1 < 1 and 0 < p2 < 1) or p1 == p2:
        raise ValueError("rates must be in (0, 1) and differ")
    z_a, z_b = z_quantile(1 - alpha / 2), z_quantile(power)
    mean = (p1 + p2) / 2
    top = z_a * math.sqrt(2 * mean * (1 - mean)) + z_b * math.sqrt(p1 * (1 - p1) + p2 * (1 - p2))
    return math.ceil((top / (p2 - p1)) ** 2)


def rate_test_power(expected_before: float, ratio: float, *, alpha: float, exposure_ratio: float = 1.0) -> float:
    """Approximate power of the one-sided `rate_test` (in the direction of `ratio`) when the before window
    expects `expected_before` events and the true after/before rate ratio is `ratio` (normal approximation
    of the conditional binomial)."""
    expected_after = expected_before * ratio * exposure_ratio
    n = expected_before + expected_after
    if n <= 0:
        return 0.0
    p0 = exposure_ratio / (1 + exposure_ratio)
    p1 = expected_after / n
    z_a = z_quantile(1 - alpha)
    margin = abs(p1 - p0) * math.sqrt(n) - z_a * math.sqrt(p0 * (1 - p0))
    spread = math.sqrt(p1 * (1 - p1))
    if spread == 0:  # e.g. every event in one window: the outcome is certain
        return 1.0 if margin > 0 else 0.0
    return _NORMAL.cdf(margin / spread)
