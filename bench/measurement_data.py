"""Simulated ad accounts for the measurement calibration benchmark (bench/measurement.py).

Written from what real Google Ads accounts look like, not from the verdict's model, and sharing no code
with operator_ai or the sandbox. One simulated action = one account of several campaigns over 28 + 1 + 35
days (pre-period, execution day, after); campaign 0 is treated. Per campaign and day:

    expected = base volume · weekday profile (shared, plus a small per-campaign wobble)
               · account drift (multiplicative random walk shared by all campaigns)
               · account shock (a dip of all campaigns for a few days after the change)
               · effect (campaign 0 only, every day after the execution day)
    conversions ~ Poisson(expected · Gamma(k, 1/k))   (gamma-Poisson = negative binomial; variance/mean = D)

Conversion lag: each conversion is credited to its click day but reported 0, 1, 2, ... days later
(geometric, half on the first day, a tail to 10 days), so a read on day T under-reports the most recent days.
Vectorised over simulations with numpy.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

PRE_DAYS = 28
AFTER_DAYS = 42  # simulated after the execution day (reads happen up to here: a 28-day horizon, matured)
CAMPAIGNS = 5  # per account: the treated one and four others
WEEKDAY = np.array([1.12, 1.10, 1.06, 1.02, 0.96, 0.84, 0.80])  # Mon..Sun, a typical B2C search account
MAX_DELAY = 10
DELAY_HALF = 0.5  # share credited on the day after, halving each day after that


@dataclass(frozen=True)
class Cell:
    dispersion: float  # variance / mean of daily conversions (1 = Poisson)
    drift: bool  # 3 %/day shared random walk
    shock: bool  # account-wide dip after the change
    lag: bool  # conversions reported late
    volume: float  # treated campaign's conversions per day

    def label(self) -> str:
        return (f"D{self.dispersion:g} drift={'on' if self.drift else 'off'} shock={'on' if self.shock else 'off'} "
                f"lag={'on' if self.lag else 'off'} {self.volume:g}/day")


@dataclass(frozen=True)
class Accounts:
    """`true[s, c, d]`: conversions that happened; `delays[s, c, d, j]`: how many are reported j days late."""

    true: np.ndarray
    delays: np.ndarray | None
    exec_day: int = PRE_DAYS  # index of the execution day

    def reported(self, today: int) -> np.ndarray:
        """What a read on day `today` (days before it complete) shows for every day before it."""
        days = self.true.shape[2]
        out = self.true.astype(float).copy()
        if self.delays is not None:
            age = today - 1 - np.arange(days)  # yesterday has age 0
            visible = np.arange(self.delays.shape[3])[None, :] <= age[:, None]  # [day, delay]
            out = (self.delays * visible[None, None, :, :]).sum(axis=3).astype(float)
        out[:, :, today:] = 0.0
        return out


def _delay_shares() -> np.ndarray:
    shares = DELAY_HALF * (1 - DELAY_HALF) ** np.arange(MAX_DELAY + 1)
    shares[-1] += 1.0 - shares.sum()
    return shares


def simulate(cell: Cell, effect: float, sims: int, rng: np.random.Generator) -> Accounts:
    days = PRE_DAYS + 1 + AFTER_DAYS
    # campaign sizes: treated at the cell's volume, the others 0.5x to 2x of it
    base = np.empty((sims, CAMPAIGNS))
    base[:, 0] = cell.volume
    base[:, 1:] = cell.volume * np.exp(rng.uniform(np.log(0.5), np.log(2.0), size=(sims, CAMPAIGNS - 1)))
    start = rng.integers(0, 7, size=sims)  # weekday of day 0
    weekday = WEEKDAY[(start[:, None] + np.arange(days)[None, :]) % 7]  # [s, d]
    wobble = np.exp(rng.normal(0, 0.04, size=(sims, CAMPAIGNS, 7)))  # campaigns' own weekday shape
    own_weekday = np.take_along_axis(wobble, ((start[:, None] + np.arange(days)[None, :]) % 7)[:, None, :]
                                     .repeat(CAMPAIGNS, axis=1), axis=2)
    level = np.ones((sims, days))
    if cell.drift:
        level = np.exp(np.cumsum(rng.normal(0, 0.03, size=(sims, days)), axis=1))
    if cell.shock:
        begin = PRE_DAYS + 1 + rng.integers(0, 5, size=sims)  # within the first days after the change
        length = rng.integers(2, 6, size=sims)
        depth = rng.uniform(0.4, 0.7, size=sims)  # the account keeps 40-70 % of its conversions
        d = np.arange(days)[None, :]
        inside = (d >= begin[:, None]) & (d < (begin + length)[:, None])
        level = level * np.where(inside, depth[:, None], 1.0)
    effect_curve = np.ones((sims, CAMPAIGNS, days))
    effect_curve[:, 0, PRE_DAYS + 1:] = 1.0 + effect
    mean = base[:, :, None] * weekday[:, None, :] * own_weekday * level[:, None, :] * effect_curve
    if cell.dispersion > 1:
        shape = mean / (cell.dispersion - 1.0)  # gamma shape k: var = mu + mu^2/k = D * mu
        mean = rng.gamma(np.maximum(shape, 1e-9), 1.0 / np.maximum(shape, 1e-9)) * mean
    true = rng.poisson(mean)
    delays = rng.multinomial(true, _delay_shares()) if cell.lag else None
    return Accounts(true=true, delays=delays)
