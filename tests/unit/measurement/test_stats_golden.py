"""Golden tests: the hand-written tests in `stats.py` (email rates, experiments) against scipy/statsmodels."""

from __future__ import annotations

import pytest
from scipy import stats
from statsmodels.stats.proportion import proportions_ztest

from operator_ai.measurement.stats import binom_cdf, binom_sf, normal_sf, two_proportion_test, z_quantile


@pytest.mark.parametrize(("xa", "na", "xb", "nb"), [(200, 1000, 230, 1000), (30, 1000, 45, 1200), (5, 90, 0, 70),
                                                    (900, 5000, 1010, 5100)])
def test_two_proportion_z_matches_statsmodels(xa: int, na: int, xb: int, nb: int) -> None:
    for alternative, sm_alternative in (("greater", "larger"), ("less", "smaller"), ("two-sided", "two-sided")):
        ours = two_proportion_test(xa, na, xb, nb, alternative=alternative)  # type: ignore[arg-type]
        z, p = proportions_ztest([xb, xa], [nb, na], alternative=sm_alternative)
        assert ours.statistic == pytest.approx(z, rel=1e-9, abs=1e-12)
        assert ours.p_value == pytest.approx(p, rel=1e-9, abs=1e-15)


@pytest.mark.parametrize(("k", "n", "p"), [(0, 10, 0.3), (3, 10, 0.3), (40, 100, 0.35), (200, 210, 0.9), (7, 7, 0.5)])
def test_binomial_tails_match_scipy(k: int, n: int, p: float) -> None:
    assert binom_sf(k, n, p) == pytest.approx(stats.binom.sf(k - 1, n, p), rel=1e-9, abs=1e-15)
    assert binom_cdf(k, n, p) == pytest.approx(stats.binom.cdf(k, n, p), rel=1e-9, abs=1e-15)


def test_normal_tails_match_scipy() -> None:
    for z in (-3.0, -0.5, 0.0, 1.645, 4.0):
        assert normal_sf(z) == pytest.approx(stats.norm.sf(z), rel=1e-9, abs=1e-15)
    assert z_quantile(0.975) == pytest.approx(stats.norm.ppf(0.975), rel=1e-12)
