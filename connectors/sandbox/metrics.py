"""Sandbox metrics as daily series, so windows, freshness and "before vs after" measurement work.

The fixture gives window totals per campaign/keyword. Seeding spreads them over the window's days with
deterministic weights (0.8–1.2, from a hash of entity and day) so the window sums to the totals exactly.
Each entity keeps its daily average (`daily_profile`) and the last materialised day (`metrics_through`);
reads extend the series day by day up to yesterday: an enabled entity keeps spending at its profile
(times the day's weight), a paused one spends nothing. A later simulation can write days of its own
(`put_day`; days already written are kept). Complete days only: today's partial day appears tomorrow.

Actions change what later days look like, so measurement has something to measure: a campaign's days
scale with its budget relative to the budget its profile was learnt at (`profile_budget`), a keyword's
with its effective bid (`profile_bid`) — the sandbox treats every campaign as limited by its budget. A
materialised day's conversions are a Poisson draw around the day's expected value (seeded by entity and
day, so the same sandbox always produces the same series); conversion value follows at the profile's value
per conversion. Days are materialised lazily, but every apply advances the series first, so the days before
a change are written at the old budget and the days after it at the new one.
"""

from __future__ import annotations

import hashlib
import math
import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, Decimal
from typing import Any

from connectors.sandbox.entities import Entities

CENT = Decimal("0.01")
_PUT_DAY = ("INTO sandbox_metrics (platform, account_id, entity_kind, entity_id, day, cost, conversions, "
            "conversion_value, clicks, impressions) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
_PUT_DAY_REPLACE = "INSERT OR REPLACE " + _PUT_DAY
_PUT_DAY_KEEP = "INSERT OR IGNORE " + _PUT_DAY


@dataclass(frozen=True)
class Totals:
    cost: Decimal = Decimal(0)
    conversions: Decimal = Decimal(0)
    conversion_value: Decimal = Decimal(0)
    clicks: int = 0
    impressions: int = 0

    def to_json(self) -> dict[str, Any]:
        return {"cost": str(self.cost), "conversions": str(self.conversions),
                "conversion_value": str(self.conversion_value), "clicks": self.clicks,
                "impressions": self.impressions}

    def __add__(self, other: Totals) -> Totals:
        return Totals(self.cost + other.cost, self.conversions + other.conversions,
                      self.conversion_value + other.conversion_value, self.clicks + other.clicks,
                      self.impressions + other.impressions)


def weight(entity_key: str, day: date) -> Decimal:
    digest = hashlib.sha256(f"{entity_key}|{day.isoformat()}".encode()).hexdigest()
    return (Decimal("0.8") + Decimal("0.4") * Decimal(int(digest[:8], 16)) / Decimal(0xFFFFFFFF)).quantize(
        Decimal("0.0001"))


def _split(total: Decimal, unit: Decimal, weights: list[Decimal]) -> list[Decimal]:
    """Split `total` into len(weights) multiples of `unit` proportional to the weights, summing exactly
    (largest remainder; ties go to the earlier day)."""
    units = int((total / unit).to_integral_value(ROUND_HALF_EVEN))
    whole = sum(weights)
    exact = [Decimal(units) * w / whole for w in weights]
    parts = [int(x.to_integral_value(ROUND_DOWN)) for x in exact]
    order = sorted(range(len(weights)), key=lambda i: (-(exact[i] - parts[i]), i))
    for i in order[: units - sum(parts)]:
        parts[i] += 1
    return [Decimal(p) * unit for p in parts]


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def put_day(ents: Entities, kind: str, entity_id: str, day: date, totals: Totals, *, replace: bool = True) -> None:
    """Write one day; with replace=False an existing day (e.g. written by a simulation) wins."""
    ents.conn.execute(
        _PUT_DAY_REPLACE if replace else _PUT_DAY_KEEP,
        (ents.platform, ents.account_id, kind, entity_id, day.isoformat(), str(totals.cost), str(totals.conversions),
         str(totals.conversion_value), totals.clicks, totals.impressions),
    )


def seed_series(ents: Entities, kind: str, entity_id: str, totals: Totals, first: date, last: date) -> dict[str, Any]:
    """Write the daily series for [first, last] summing to `totals`; return the entity's metric state
    (`daily_profile`, `metrics_through`) to store on it."""
    days = _days(first, last) if first <= last else []
    if not days:
        if totals != Totals():
            raise ValueError(f"{kind} {entity_id}: metrics given but no complete day in the window")
        return {"daily_profile": Totals().to_json(), "metrics_through": last.isoformat()}
    key = f"{ents.account_id}:{kind}:{entity_id}"
    weights = [weight(key, d) for d in days]
    conversion_unit = Decimal(1) if totals.conversions == totals.conversions.to_integral_value() else CENT
    columns = (
        _split(totals.cost, CENT, weights),
        _split(totals.conversions, conversion_unit, weights),
        _split(totals.conversion_value, CENT, weights),
        _split(Decimal(totals.clicks), Decimal(1), weights),
        _split(Decimal(totals.impressions), Decimal(1), weights),
    )
    for index, day in enumerate(days):
        cost, conversions, value, clicks, impressions = (column[index] for column in columns)
        put_day(ents, kind, entity_id, day, Totals(cost, conversions, value, int(clicks), int(impressions)))
    n = Decimal(len(days))
    profile = {name: str(Decimal(value) / n) for name, value in totals.to_json().items()}
    return {"daily_profile": profile, "metrics_through": last.isoformat()}


def poisson(rng: random.Random, mean: float) -> int:
    """A Poisson draw: Knuth's product method for small means, a rounded normal beyond (a sandbox, not a lab)."""
    if mean <= 0:
        return 0
    if mean > 50:
        return max(0, round(rng.gauss(mean, math.sqrt(mean))))
    limit, product, count = math.exp(-mean), rng.random(), 0
    while product > limit:
        product *= rng.random()
        count += 1
    return count


def day_rng(entity_key: str, day: date) -> random.Random:
    digest = hashlib.sha256(f"{entity_key}|{day.isoformat()}|draw".encode()).hexdigest()
    return random.Random(int(digest[:16], 16))


def scale_to(state: dict[str, Any], field: str, current: Decimal | None) -> tuple[Decimal, dict[str, Any]]:
    """How much bigger the entity's days are now than when its profile was learnt: `current` (budget or
    bid) over the value remembered in `field`, which is set the first time it is seen (before any change,
    because every read and apply advances the series first)."""
    if current is None or current <= 0:
        return Decimal(1), state
    if state.get(field) is None:
        return Decimal(1), {**state, field: str(current)}
    baseline = Decimal(str(state[field]))
    return (current / baseline if baseline > 0 else Decimal(1)), state


def simulated_day(profile: dict[str, Decimal], entity_key: str, day: date, scale: Decimal = Decimal(1)) -> Totals:
    """One day at the entity's profile: weighted volume times `scale`, conversions drawn around it."""
    w = weight(entity_key, day) * scale
    expected = profile["conversions"] * w
    conversions = Decimal(poisson(day_rng(entity_key, day), float(expected)))
    per_conversion = profile["conversion_value"] / profile["conversions"] if profile["conversions"] > 0 else Decimal(0)
    return Totals(
        cost=(profile["cost"] * w).quantize(CENT),
        conversions=conversions,
        conversion_value=(conversions * per_conversion).quantize(CENT),
        clicks=int((profile["clicks"] * w).to_integral_value(ROUND_HALF_EVEN)),
        impressions=int((profile["impressions"] * w).to_integral_value(ROUND_HALF_EVEN)),
    )


def extend(ents: Entities, kind: str, entity_id: str, state: dict[str, Any], through: date, *, active: bool,
           start: date | None, scale: Decimal = Decimal(1)) -> dict[str, Any]:
    """Materialise the days after `metrics_through` up to `through`; return the updated metric state."""
    last = date.fromisoformat(state["metrics_through"])
    if last >= through:
        return state
    profile = {name: Decimal(str(value)) for name, value in state["daily_profile"].items()}
    key = f"{ents.account_id}:{kind}:{entity_id}"
    for day in _days(last + timedelta(days=1), through):
        if active and (start is None or day >= start):
            put_day(ents, kind, entity_id, day, simulated_day(profile, key, day, scale), replace=False)
    return {**state, "metrics_through": through.isoformat()}


def daily(ents: Entities, kind: str, entity_id: str, first: date, last: date) -> list[tuple[date, Totals]]:
    """The materialised days of [first, last] with activity, oldest first."""
    rows = ents.conn.execute(
        "SELECT day, cost, conversions, conversion_value, clicks, impressions FROM sandbox_metrics WHERE "
        "platform = ? AND account_id = ? AND entity_kind = ? AND entity_id = ? AND day BETWEEN ? AND ? ORDER BY day",
        (ents.platform, ents.account_id, kind, entity_id, first.isoformat(), last.isoformat()),
    ).fetchall()
    return [(date.fromisoformat(row["day"]), Totals(Decimal(row["cost"]), Decimal(row["conversions"]),
                                                    Decimal(row["conversion_value"]), int(row["clicks"]),
                                                    int(row["impressions"]))) for row in rows]


def window(ents: Entities, kind: str, entity_id: str, first: date, last: date) -> Totals:
    total = Totals()
    for _, totals in daily(ents, kind, entity_id, first, last):
        total = total + totals
    return total
