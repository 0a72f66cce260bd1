"""Golden tests: the hand-written quasi-likelihood statistics (`quasi.py`) against statsmodels and scipy."""

from __future__ import annotations

import math

import numpy as np
import pytest
import statsmodels.api as sm
from scipy import stats

from operator_ai.measurement import quasi

# the saturated two-row GLM separates perfectly and has no residual degrees of freedom: expected, harmless
pytestmark = [pytest.mark.filterwarnings("ignore::statsmodels.tools.sm_exceptions.PerfectSeparationWarning"),
              pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning"),
              pytest.mark.filterwarnings("ignore:divide by zero:RuntimeWarning")]
RNG = np.random.default_rng(20261206)
CASES = [tuple(float(v) for v in RNG.integers(1, 400, 4)) + tuple(float(v) for v in RNG.uniform(1, 20, 4))
         for _ in range(6)]


def _glm_deviance_gap(table: quasi.Table, ratio0: float) -> float:
    """Deviance of the model with the effect fixed at ratio0 minus that of the free model (statsmodels)."""
    log_offset = np.log([table.exposure_pre, table.exposure_after])
    if table.has_control:
        endog = np.array([[table.treated_pre, table.control_pre], [table.treated_after, table.control_after]])
        family = sm.families.Binomial()
        log_offset = log_offset - np.log([table.control_exposure_pre, table.control_exposure_after])
    else:
        endog, family = np.array([table.treated_pre, table.treated_after]), sm.families.Poisson()
    design = np.array([[1.0, 0.0], [1.0, 1.0]])
    free = sm.GLM(endog, design, family=family, offset=log_offset).fit()
    fixed = sm.GLM(endog, design[:, :1], family=family, offset=log_offset + np.array([0.0, math.log(ratio0)])).fit()
    return float(fixed.deviance - free.deviance)


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("ratio0", [0.7, 1.0, 1.3])
def test_the_deviance_is_the_glm_likelihood_ratio(case: tuple[float, ...], ratio0: float) -> None:
    y_pre, y_after, c_pre, c_after, k_pre, k_after, kc_pre, kc_after = case
    with_control = quasi.Table(y_pre, y_after, k_pre, k_after, c_pre, c_after, kc_pre, kc_after)
    alone = quasi.Table(y_pre, y_after, k_pre, k_after)
    assert quasi.deviance(with_control, ratio0) == pytest.approx(_glm_deviance_gap(with_control, ratio0), rel=1e-7,
                                                                 abs=1e-8)
    assert quasi.deviance(alone, ratio0) == pytest.approx(_glm_deviance_gap(alone, ratio0), rel=1e-7, abs=1e-8)


def test_dispersion_is_the_pearson_chi2_per_degree_of_freedom_of_the_glm() -> None:
    y = RNG.negative_binomial(5, 5 / (5 + 20), 28).astype(float)  # overdispersed treated counts
    c = RNG.negative_binomial(5, 5 / (5 + 60), 28).astype(float)
    k, kc = RNG.uniform(50, 150, 28), RNG.uniform(100, 300, 28)
    # with a control: binomial share with offset log(k/kc), intercept only
    glm = sm.GLM(np.column_stack([y, c]), np.ones((28, 1)), family=sm.families.Binomial(),
                 offset=np.log(k / kc)).fit()
    phi, df = quasi.dispersion(y, k, c, kc)
    # the closed-form rho is the Poisson-ratio estimate; the GLM's is the binomial MLE: close, not identical
    assert 2 <= df <= 27 and phi == pytest.approx(max(1.0, glm.pearson_chi2 / glm.df_resid), rel=0.05)
    same = quasi.dispersion(y, [1.0] * 28, c, [1.0] * 28)[0]  # equal exposures: the two estimates coincide
    glm_days = sm.GLM(np.column_stack([y, c]), np.ones((28, 1)), family=sm.families.Binomial()).fit()
    assert same == pytest.approx(max(1.0, glm_days.pearson_chi2 / glm_days.df_resid), rel=1e-9)
    poisson = sm.GLM(y, np.ones((28, 1)), family=sm.families.Poisson(), offset=np.log(k)).fit()
    assert quasi.dispersion(y, k)[0] == pytest.approx(max(1.0, poisson.pearson_chi2 / poisson.df_resid), rel=1e-9)


def test_lumpy_days_earn_fewer_degrees_of_freedom_than_even_ones() -> None:
    """φ̂ from a few big days among empty ones (one conversion a day on average) is far less sure than
    χ²(27)/27: the t's degrees of freedom follow the spread of the squared residuals (Satterthwaite)."""
    control = [30.0] * 28
    lumpy = [0.0] * 26 + [14.0, 14.0]
    even = [0.0, 2.0] * 14  # every squared residual equal: the χ² reading holds
    phi_lumpy, df_lumpy = quasi.dispersion(lumpy, [1.0] * 28, control, [1.0] * 28)
    _, df_even = quasi.dispersion(even, [1.0] * 28, control, [1.0] * 28)
    assert phi_lumpy > 5 and df_lumpy <= 6
    assert df_even == 27
    resid2 = RNG.chisquare(1, 2000) * 2.0  # normal residuals, φ = 2: about days − 1 (capped there)
    assert quasi.effective_df(list(resid2)) >= 1000
    table = quasi.Table(28, 16, 28, 7, 840, 182, 28, 7)
    assert quasi.interval(table, phi_lumpy, df_lumpy, 0.9)[1] > quasi.interval(table, phi_lumpy, 27, 0.9)[1]


def test_p_values_are_student_t_tails_of_the_signed_root() -> None:
    table = quasi.Table(560, 100, 28, 7, 2240, 560, 28, 7)
    root = quasi.signed_root(table, 1.0, 2.0)
    less, greater = quasi.p_values(table, 1.0, 2.0, 27)
    assert root < 0
    assert less == pytest.approx(stats.t.cdf(root, 27), rel=1e-9)
    assert greater == pytest.approx(stats.t.sf(root, 27), rel=1e-9)
    assert quasi.t_ppf(0.95, 27) == pytest.approx(stats.t.ppf(0.95, 27), rel=1e-9)


def test_the_interval_inverts_the_test() -> None:
    table = quasi.Table(560, 100, 28, 7, 2240, 560, 28, 7)
    low, high = quasi.interval(table, 2.0, 27, 0.9)
    q = stats.t.ppf(0.95, 27)
    assert low < table.ratio() < high
    assert quasi.signed_root(table, low, 2.0) == pytest.approx(q, abs=1e-3)
    assert quasi.signed_root(table, high, 2.0) == pytest.approx(-q, abs=1e-3)


def test_an_empty_after_window_is_tested_not_crashed() -> None:
    # a paused campaign: no conversions after; a Wald test would break down, the likelihood ratio does not
    table = quasi.Table(100, 0, 28, 7, 400, 380, 28, 7)
    less, _ = quasi.p_values(table, 1.0, 1.5, 27)
    low, high = quasi.interval(table, 1.5, 27, 0.9)
    assert table.ratio() == 0.0 and less < 1e-6 and low == 0.0 and 0 < high < 0.1
