"""How the sandbox's ad days look: the noise, seasons, drift, shocks, lag and learning of real accounts.

This model is deliberately independent of the impact verdict (`operator_ai/measurement`): it shares no
code with it and does not draw from the verdict's model, so measurement is tested against data it did not
assume. Per entity (campaign or keyword) and day d the expected volume is

    level × weekday(d) × drift(d) × shock(d) × events(d) × scale

- `weekday`: the account's week pattern (Mon..Sun, normalised to a mean of 1);
- `drift`: a multiplicative random walk anchored at the seeding day — the account's (the market, shared
  by all its campaigns) times a smaller one of the entity's own;
- `shock`: shocks shared by every campaign of the account (a holiday, a competitor), starting on random
  days and lasting a few days;
- `events`: scripted scenarios (`scenarios.py`): a dip, a true effect, a tracking outage, learning;
- `scale`: budget (campaigns) or bid (keywords) relative to the one the level was learnt at, to the
  power of the entity's elasticity (1: budget-limited, 0: spends the same whatever the budget).

A day's traffic (cost, clicks, impressions) is that volume times a gamma factor (shape
`traffic_dispersion`, mean 1); its conversions are a Poisson draw around volume × another gamma factor
(shape `dispersion`): a gamma–Poisson (negative binomial) count, variance μ + μ²/dispersion. Conversions
are credited to the click day but reported late: each gets a lag in days (0 with `lag_same_day`, else
exponential with mean `lag_delayed_mean_days`, capped at `lag_max_days`); a day read at age a shows the
conversions whose lag is below a, so a day read later is higher. Every draw is seeded by (seed, entity,
day, purpose): the same sandbox produces the same series.
"""

from __future__ import annotations

import hashlib
import math
import random
from collections.abc import Iterable
from dataclasses import dataclass, fields
from datetime import date, timedelta
from functools import lru_cache
from statistics import NormalDist
from typing import Any

WEEKDAY = (1.08, 1.10, 1.07, 1.03, 0.97, 0.85, 0.90)  # Mon..Sun: B2B-ish search, quieter weekends
_NORMAL = NormalDist()


@dataclass(frozen=True)
class Simulation:
    """One account's realism knobs (the fixture's `simulation` block; every field optional)."""

    seed: int = 0
    dispersion: float = 15.0  # gamma shape of day-to-day conversion noise (inf: Poisson)
    traffic_dispersion: float = 50.0  # gamma shape of day-to-day traffic noise
    weekday: tuple[float, ...] = WEEKDAY
    drift_sd: float = 0.02  # sd of the account's daily log-drift step (the market)
    entity_drift_sd: float = 0.01  # sd of each entity's own daily log-drift step
    shock_rate: float = 0.02  # chance per account-day that a shared shock starts
    shock_sd: float = 0.2  # sd of a shock's log-magnitude
    shock_max_days: int = 4
    lag_same_day: float = 0.5  # share of conversions reported by the end of their click day
    lag_delayed_mean_days: float = 3.0
    lag_max_days: int = 30
    learning_days: int = 7  # a bid-strategy change puts the campaign into learning this long
    learning_factor: float = 0.85  # conversion rate while learning, relative to settled
    learning_dispersion: float = 5.0  # extra gamma noise on conversions while learning

    @classmethod
    def from_data(cls, data: dict[str, Any] | None) -> Simulation:
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in (data or {}).items() if k in known}
        if "weekday" in values:
            values["weekday"] = tuple(float(w) for w in values["weekday"])
        return cls(**values)

    def weekday_factor(self, day: date) -> float:
        pattern = self.weekday if len(self.weekday) == 7 else WEEKDAY
        return pattern[day.weekday()] * 7 / sum(pattern)


def _digest(*parts: object) -> bytes:
    return hashlib.blake2b("|".join(str(p) for p in parts).encode(), digest_size=16).digest()


def day_rng(seed: int, key: str, day: date, purpose: str) -> random.Random:
    return random.Random(int.from_bytes(_digest(seed, key, day.isoformat(), purpose), "big"))


def _uniforms(*parts: object) -> tuple[float, float]:
    """Two independent uniforms in (0, 1) from a hash (cheap: no generator object per draw)."""
    digest = _digest(*parts)
    return ((int.from_bytes(digest[:8], "big") + 0.5) / 2.0 ** 64,
            (int.from_bytes(digest[8:], "big") + 0.5) / 2.0 ** 64)


def _normal(*parts: object) -> float:
    return _NORMAL.inv_cdf(_uniforms(*parts)[0])


def log_walk(seed: int, key: str, sd: float, anchor: date, days: Iterable[date]) -> dict[date, float]:
    """A Gaussian random walk in log space, 0 at `anchor`, evaluated at `days` in one pass per side."""
    wanted = sorted(set(days))
    if sd <= 0 or not wanted:
        return dict.fromkeys(wanted, 0.0)
    out: dict[date, float] = {}
    after = [d for d in wanted if d > anchor]
    level, current = 0.0, anchor
    for d in after:
        while current < d:
            current += timedelta(days=1)
            level += sd * _normal(seed, key, current.isoformat(), "walk")
        out[d] = level
    level, current = 0.0, anchor
    for d in reversed([d for d in wanted if d <= anchor]):
        while current > d:
            level -= sd * _normal(seed, key, current.isoformat(), "walk")
            current -= timedelta(days=1)
        out[d] = level
    return out


@lru_cache(maxsize=65536)
def shock(sim: Simulation, account_key: str, day: date) -> float:
    """The product of the shared shocks running on `day` (1.0 on most days)."""
    factor = 1.0
    longest = max(1, sim.shock_max_days)
    for back in range(longest):
        start = (day - timedelta(days=back)).isoformat()
        starts, length_u = _uniforms(sim.seed, account_key, start, "shock")
        if starts >= sim.shock_rate:
            continue
        if back < 1 + int(length_u * longest):
            factor *= math.exp(sim.shock_sd * _normal(sim.seed, account_key, start, "shock size"))
    return factor


def poisson(rng: random.Random, mean: float) -> int:
    """An exact Poisson draw (inversion, in chunks of at most 30 so large means stay exact and finite)."""
    count = 0
    remaining = max(0.0, mean)
    while remaining > 0:
        chunk = min(remaining, 30.0)
        remaining -= chunk
        k, p = 0, math.exp(-chunk)
        cumulative, u = p, rng.random()
        while u > cumulative and k < 1000:
            k += 1
            p *= chunk / k
            cumulative += p
        count += k
    return count


def gamma_factor(rng: random.Random, shape: float) -> float:
    """A gamma variate with mean 1 (variance 1/shape); exactly 1 for an infinite or absent shape."""
    if not math.isfinite(shape) or shape <= 0:
        return 1.0
    return rng.gammavariate(shape, 1.0 / shape)


@dataclass(frozen=True)
class DayDraw:
    """One simulated day before rounding to money and counts: traffic volume and final conversions."""

    traffic: float  # multiplies the cost / clicks / impressions levels
    conversions: int


def draw_day(sim: Simulation, key: str, day: date, traffic_mean: float, conversion_mean: float, *,
             learning: bool) -> DayDraw:
    """Draw one day's traffic factor and final conversion count around their expected values."""
    rng = day_rng(sim.seed, key, day, "day")
    traffic_noise = gamma_factor(rng, sim.traffic_dispersion)
    rate_noise = gamma_factor(rng, sim.dispersion)
    if learning:
        rate_noise *= sim.learning_factor * gamma_factor(rng, sim.learning_dispersion)
    return DayDraw(traffic=traffic_mean * traffic_noise,
                   conversions=poisson(rng, conversion_mean * traffic_noise * rate_noise))


def lags(sim: Simulation, key: str, day: date, count: int) -> list[int]:
    """The reporting lag (days after the click day) of each of the day's conversions."""
    rng = day_rng(sim.seed, key, day, "lag")
    out = []
    for _ in range(count):
        if rng.random() < sim.lag_same_day:
            out.append(0)
        else:
            out.append(min(sim.lag_max_days, max(1, math.ceil(rng.expovariate(1.0 / sim.lag_delayed_mean_days)))))
    return out


def credited(sim: Simulation, key: str, day: date, final: int, as_of: date) -> int:
    """How many of the day's `final` conversions are reported when read on `as_of` (a later day)."""
    age = (as_of - day).days  # 1 for yesterday
    if final <= 0 or age > sim.lag_max_days:
        return final
    if age <= 0:
        return 0
    return sum(1 for lag in lags(sim, key, day, final) if lag < age)
