"""The tests' arithmetic: exact binomial tails, the conditional Poisson test, z tests, design formulas."""

from __future__ import annotations

import math

import pytest

from operator_ai.measurement.stats import (
    binom_cdf,
    binom_sf,
    rate_test,
    rate_test_power,
    sample_size_two_proportions,
    two_proportion_test,
)


def brute_sf(k: int, n: int, p: float) -> float:
    return sum(math.comb(n, j) * p**j * (1 - p) ** (n - j) for j in range(max(k, 0), n + 1))


@pytest.mark.parametrize("n", [1, 2, 7, 30, 151])
@pytest.mark.parametrize("p", [0.02, 0.3, 0.5, 0.81])
def test_binomial_tails_match_the_definition(n: int, p: float) -> None:
    for k in range(-1, n + 2):
        assert binom_sf(k, n, p) == pytest.approx(brute_sf(k, n, p), abs=1e-12)
        assert binom_cdf(k, n, p) == pytest.approx(1 - brute_sf(k + 1, n, p), abs=1e-12)


def test_rate_test_is_the_binomial_on_the_after_share() -> None:
    # equal exposures: under H0 the after count of n events is Binomial(n, 1/2)
    assert rate_test(12, 7, 0, 7, alternative="less").p_value == pytest.approx(0.5**12)
    result = rate_test(10, 1.0, 30, 3.0, alternative="greater")  # same rate, three times the exposure
    assert result.detail["p0"] == pytest.approx(0.75) and result.statistic == pytest.approx(1.0)
    assert result.p_value == pytest.approx(brute_sf(30, 40, 0.75))
    shifted = rate_test(20, 7, 20, 7, alternative="less", ratio0=0.8)  # H0: after >= 0.8 x before
    assert shifted.detail["p0"] == pytest.approx(0.8 / 1.8, abs=1e-6)


def test_two_sided_rate_test_doubles_the_smaller_tail() -> None:
    one = rate_test(5, 7, 15, 7, alternative="greater").p_value
    assert rate_test(5, 7, 15, 7, alternative="two-sided").p_value == pytest.approx(2 * one)


def test_rate_test_refuses_impossible_input() -> None:
    with pytest.raises(ValueError):
        rate_test(3, 0, 4, 7, alternative="less")
    with pytest.raises(ValueError):
        rate_test(-1, 7, 4, 7, alternative="less")


def test_two_proportion_z_test_matches_the_textbook_value() -> None:
    result = two_proportion_test(200, 1000, 250, 1000, alternative="greater")
    pooled = 450 / 2000
    z = 0.05 / math.sqrt(pooled * (1 - pooled) * (2 / 1000))
    assert result.statistic == pytest.approx(z)
    assert result.p_value == pytest.approx(0.5 * math.erfc(z / math.sqrt(2)))
    assert two_proportion_test(200, 1000, 250, 1000, alternative="two-sided").p_value == pytest.approx(
        2 * result.p_value)
    assert two_proportion_test(0, 10, 0, 10, alternative="greater").p_value == pytest.approx(0.5)


def test_design_formulas() -> None:
    # 20 % vs 25 %, two-sided alpha 0.05, power 0.8: about 1,100 per group (standard tables: 1,091-1,094)
    assert 1085 <= sample_size_two_proportions(0.2, 0.25, alpha=0.05, power=0.8) <= 1100
    assert rate_test_power(140, 1.0, alpha=0.05) == pytest.approx(0.05, abs=1e-9)  # no effect: the error rate
    assert rate_test_power(140, 1.35, alpha=0.05) > rate_test_power(140, 1.2, alpha=0.05)
    with pytest.raises(ValueError):
        sample_size_two_proportions(0.2, 0.2, alpha=0.05, power=0.8)
