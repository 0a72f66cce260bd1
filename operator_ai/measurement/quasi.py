"""Quasi-likelihood tests behind counterfactual verdicts (issue 14; docs/measurement.md "The verdict").

The model. Conversions (or clicks) of the treated entity on day t are y_t, those of the control (comparable
campaigns of the same account, summed) c_t. Anything that moves the whole account on a day — weekday,
market drift, a holiday, an outage, conversion lag — multiplies both, so given n_t = y_t + c_t the
treated share is binomial with p_t = ρ·k_t / (ρ·k_t + kc_t), where k_t, kc_t are the exposures (1 per day,
or the day's cost for an efficiency metric) and ρ the treated/control rate ratio; the day factors cancel.
The action's effect is the change of ρ between the pre-period and the after window: a difference in
differences on the log scale, R = ρ_after / ρ_pre.

Real counts are overdispersed, so the binomial variance is scaled by φ (quasi-binomial), estimated from
the pre-period alone as Pearson χ² / (days − 1) and never below 1. Aggregated over each period the data
is a 2×2 table; the test of H0: R = r0 is the likelihood-ratio statistic of that table under the odds
ratio fixed at r0 (closed form: a quadratic), divided by φ, as a signed root referred to Student's t with
the degrees of freedom φ̂ supports (`effective_df`) — the quasi-likelihood test, which unlike a Wald test
stays sound when a window has no events at all (a paused campaign). The interval inverts the same test.

Without a control the comparison is the entity against its own pre-period (a Poisson rate ratio with
exposures, the conditional binomial of the after share); the same φ and signed root apply, but nothing
cancels a market move, so the verdict asks for stronger evidence (`verdict.py`).

Pure and scalar except `dispersion` (numpy); scipy's t distribution for tails and quantiles.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

LOG_BOUND = 12.0  # |log R| beyond this is reported as unbounded
MIN_PHI = 1.0
MIN_DF = 2  # a φ̂ from lumpy days is still worth something: never fewer degrees of freedom


@dataclass(frozen=True)
class Table:
    """One comparison aggregated over its periods: treated and control events and exposures.

    `control` None: the entity against its own pre-period (no control)."""

    treated_pre: float
    treated_after: float
    exposure_pre: float
    exposure_after: float
    control_pre: float | None = None
    control_after: float | None = None
    control_exposure_pre: float | None = None
    control_exposure_after: float | None = None

    @property
    def has_control(self) -> bool:
        return self.control_pre is not None and self.control_after is not None

    def exposure_factor(self) -> float:
        """The odds ratio that "no effect" means once exposures are accounted for."""
        factor = self.exposure_after / self.exposure_pre
        if self.has_control:
            factor /= (self.control_exposure_after or 0.0) / (self.control_exposure_pre or 1.0)
        return factor

    def ratio(self) -> float:
        """R: the after/pre change of the treated rate relative to the control's (or to its own past)."""
        if self.treated_pre <= 0:
            return math.inf if self.treated_after > 0 else math.nan
        odds = self.treated_after / self.treated_pre
        if self.has_control:
            control_after, control_pre = self.control_after or 0.0, self.control_pre or 0.0
            if control_after <= 0:
                return math.nan
            odds *= control_pre / control_after
        return odds / self.exposure_factor()

    def prediction(self) -> float:
        """What the counterfactual predicts for the treated entity's after window (R = 1)."""
        base = self.treated_pre * self.exposure_factor()
        if self.has_control:
            base *= (self.control_after or 0.0) / (self.control_pre or 1.0)
        return base


def _xlogx_over(obs: float, fit: float) -> float:
    if obs <= 0:
        return 0.0
    if fit <= 0:
        return math.inf
    return obs * math.log(obs / fit)


def deviance(table: Table, ratio0: float) -> float:
    """Likelihood-ratio statistic G² of H0: R = ratio0 against R free (binomial / conditional Poisson)."""
    psi = ratio0 * table.exposure_factor()
    a, c = table.treated_after, table.treated_pre
    if not table.has_control:
        total = a + c
        if total <= 0:
            return 0.0
        share = psi / (1.0 + psi)  # exposure factor folded into psi: share = psi·K_a / (K_pre + psi·K_a)
        return max(0.0, 2.0 * (_xlogx_over(a, total * share) + _xlogx_over(c, total * (1.0 - share))))
    b, d = table.control_after or 0.0, table.control_pre or 0.0
    n_after, n_pre, treated = a + b, c + d, a + c
    x = _fitted_after(n_after, n_pre, treated, psi)
    cells = ((a, x), (b, n_after - x), (c, treated - x), (d, n_pre - treated + x))
    return max(0.0, 2.0 * sum(_xlogx_over(obs, fit) for obs, fit in cells))


def _fitted_after(n_after: float, n_pre: float, treated: float, psi: float) -> float:
    """The after/treated cell of the 2×2 table with the observed margins and odds ratio psi."""
    low, high = max(0.0, treated - n_pre), min(n_after, treated)
    qa = 1.0 - psi
    qb = n_pre - treated + psi * (n_after + treated)
    qc = -psi * n_after * treated
    if abs(qa) < 1e-12:
        x = -qc / qb if qb else low
    else:
        disc = max(0.0, qb * qb - 4.0 * qa * qc)
        q = -0.5 * (qb + math.copysign(math.sqrt(disc), qb))
        candidates = [r for r in ((q / qa) if qa else math.nan, (qc / q) if q else math.nan) if r == r]
        inside = [r for r in candidates if low - 1e-9 <= r <= high + 1e-9]
        x = inside[0] if inside else (candidates[0] if candidates else low)
    return min(high, max(low, x))


def signed_root(table: Table, ratio0: float, phi: float) -> float:
    """sign(log R̂ − log ratio0) · sqrt(G² / φ): large positive = evidence that R > ratio0."""
    estimate = table.ratio()
    if estimate != estimate:  # nan: nothing to compare
        return 0.0
    g2 = deviance(table, ratio0)
    sign = 1.0 if estimate > ratio0 else -1.0
    return sign * math.sqrt(g2 / max(phi, MIN_PHI))


def t_sf(x: float, df: float) -> float:
    """Student's t upper tail (scipy.special.stdtr: the ufunc behind scipy.stats.t, without its overhead)."""
    from scipy.special import stdtr

    return float(stdtr(df, -x))


def t_ppf(q: float, df: float) -> float:
    from scipy.special import stdtrit

    return float(stdtrit(df, q))


def p_values(table: Table, ratio0: float, phi: float, df: float) -> tuple[float, float]:
    """One-sided p-values (less, greater) of H0: R = ratio0."""
    r = signed_root(table, ratio0, phi)
    greater = t_sf(r, df)
    return 1.0 - greater, greater


def interval(table: Table, phi: float, df: float, level: float) -> tuple[float, float]:
    """Two-sided `level` interval of R by inverting the signed-root test (bounds may be 0 or inf)."""
    from scipy.optimize import brentq

    quantile = t_ppf(0.5 + level / 2.0, df)
    estimate = table.ratio()
    if estimate != estimate:
        return math.nan, math.nan
    centre = math.log(estimate) if 0 < estimate < math.inf else (-LOG_BOUND if estimate == 0 else LOG_BOUND)
    centre = min(LOG_BOUND, max(-LOG_BOUND, centre))

    def gap(log_ratio: float, target: float) -> float:  # decreasing in log_ratio
        return signed_root(table, math.exp(log_ratio), phi) - target

    def bound(target: float, step: float) -> float:
        # walk out from the estimate until the test rejects, then solve on that bracket (Brent)
        inner, outer = centre, centre + step
        while abs(outer) < LOG_BOUND and (gap(outer, target) > 0) == (step > 0):
            inner, outer = outer, outer + step
            step *= 2.0
        outer = min(LOG_BOUND, max(-LOG_BOUND, outer))
        if (gap(outer, target) > 0) == (step > 0):
            return outer  # unbounded on this side
        return float(brentq(gap, min(inner, outer), max(inner, outer), args=(target,), xtol=1e-4))

    spread = quantile * math.sqrt(max(phi, MIN_PHI) * _wald_variance(table))
    low, high = bound(quantile, -max(spread, 0.05)), bound(-quantile, max(spread, 0.05))
    return (0.0 if low <= -LOG_BOUND else math.exp(low)), (math.inf if high >= LOG_BOUND else math.exp(high))


def _wald_variance(table: Table) -> float:
    """Var(log R) with a 0.5 correction for empty cells: only to bracket the interval's search."""
    cells = [table.treated_pre, table.treated_after]
    if table.has_control:
        cells += [table.control_pre or 0.0, table.control_after or 0.0]
    return sum(1.0 / (c + 0.5) for c in cells)


def dispersion(treated: Sequence[float], exposure: Sequence[float], control: Sequence[float] | None = None,
               control_exposure: Sequence[float] | None = None) -> tuple[float, int]:
    """Pearson φ of the pre-period days (days carrying no information are skipped) and its degrees of freedom.

    With a control: residuals of the daily treated share around ρ̂; without: of the daily counts around
    the pre-period rate. Returns (φ ≥ 1, days used − 1). Plain Python: a month of days is faster so than
    through numpy's per-call overhead (golden-tested against statsmodels' GLM Pearson χ²)."""
    resid2: list[float] = []
    if control is None:
        total_k = sum(exposure)
        rate = sum(treated) / total_k if total_k > 0 else 0.0
        for y, k in zip(treated, exposure, strict=True):
            mu = rate * k
            if mu > 0:
                resid2.append((y - mu) ** 2 / mu)
    else:
        kc_all = control_exposure if control_exposure is not None else [1.0] * len(control)
        rows = [(y, c, k, kc) for y, c, k, kc in zip(treated, control, exposure, kc_all, strict=True)
                if k > 0 and kc > 0 and y + c > 0]
        y_sum, c_sum = sum(r[0] for r in rows), sum(r[1] for r in rows)
        if y_sum <= 0 or c_sum <= 0:
            return MIN_PHI, max(0, len(rows) - 1)
        rho = (y_sum / sum(r[2] for r in rows)) / (c_sum / sum(r[3] for r in rows))
        for y, c, k, kc in rows:
            p = rho * k / (rho * k + kc)
            n = y + c
            resid2.append((y - n * p) ** 2 / (n * p * (1.0 - p)))
    days = len(resid2)
    if days < 2:
        return MIN_PHI, max(0, days - 1)
    return max(MIN_PHI, sum(resid2) / (days - 1)), effective_df(resid2)


def effective_df(resid2: Sequence[float]) -> int:
    """Degrees of freedom of φ̂ that its actual spread supports (Satterthwaite: 2·E[φ̂]² / Var[φ̂]).

    Pearson χ²/df is a χ²(df)/df only when the daily residuals are near-normal. At a few events a day, or
    with lumpy (overdispersed) days, the squared residuals are far more variable, φ̂ is often well below the
    true φ and a t with days − 1 degrees of freedom is too sure of it: intervals too narrow, p-values too
    small. The variance of the squared residuals, estimated from the same days, says how sure φ̂ really is;
    near-normal residuals give back about days − 1."""
    days = len(resid2)
    mean = sum(resid2) / days
    spread = sum((r - mean) ** 2 for r in resid2) / (days - 1)
    if spread <= 0 or mean <= 0:
        return days - 1
    return max(MIN_DF, min(days - 1, math.floor(2.0 * days * mean * mean / spread)))
