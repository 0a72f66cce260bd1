"""Sandbox metrics as daily series, so windows, freshness and "before vs after" measurement work.

The fixture gives window totals per campaign/keyword. Seeding writes `history_days` of pre-period days
before that window (drawn from the account's day model, `realism.py` / `scenarios.py`), and spreads the
totals over the window's days in proportion to the model's draws, so the window sums to the totals
exactly and still looks like a real account (weekday season, drift, shocks, overdispersed conversions).
Each entity keeps its level (`daily_profile`: the expected day at volume factor 1) and the last
materialised day (`metrics_through`); reads extend the series day by day up to yesterday: an enabled
entity keeps spending around its level, a paused one spends nothing. A simulation can write days of its
own (`put_day`; days already written are kept). Complete days only: today's partial day appears tomorrow.

Actions change what later days look like, so measurement has something to measure: a campaign's days
scale with its budget relative to the budget its level was learnt at (`profile_budget`), to the power
of its `budget_elasticity` (default 1: budget-limited); a keyword's with its effective bid
(`profile_bid`, `bid_elasticity`). Days are materialised lazily, but every apply advances the series
first, so the days before a change are written at the old budget and the days after it at the new one.

Stored days hold the conversions finally credited; a read applies the conversion lag to days from the
account's anchor (the seeding day) on: the fixture's seeded days are reported as given.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, Decimal
from typing import Any

from connectors.sandbox.entities import Entities
from connectors.sandbox.realism import credited, draw_day
from connectors.sandbox.realism import poisson as poisson  # re-exported: the exact draw the sandbox uses
from connectors.sandbox.scenarios import AccountModel

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


def _split(total: Decimal, unit: Decimal, weights: list[Decimal]) -> list[Decimal]:
    """Split `total` into len(weights) multiples of `unit` proportional to the weights, summing exactly
    (largest remainder; ties go to the earlier day). All-zero weights split evenly."""
    if sum(weights) <= 0:
        weights = [Decimal(1)] * len(weights)
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


def _dec(value: float) -> Decimal:
    return Decimal(repr(round(value, 9)))


def put_day(ents: Entities, kind: str, entity_id: str, day: date, totals: Totals, *, replace: bool = True) -> None:
    """Write one day; with replace=False an existing day (e.g. written by a simulation) wins."""
    ents.conn.execute(
        _PUT_DAY_REPLACE if replace else _PUT_DAY_KEEP,
        (ents.platform, ents.account_id, kind, entity_id, day.isoformat(), str(totals.cost), str(totals.conversions),
         str(totals.conversion_value), totals.clicks, totals.impressions),
    )


def _day_totals(profile: dict[str, Decimal], traffic: float, conversions: int) -> Totals:
    """A simulated day from the levels, the drawn traffic volume and the final conversion count."""
    per_conversion = profile["conversion_value"] / profile["conversions"] if profile["conversions"] > 0 else Decimal(0)
    volume = _dec(traffic)
    return Totals(cost=(profile["cost"] * volume).quantize(CENT), conversions=Decimal(conversions),
                  conversion_value=(Decimal(conversions) * per_conversion).quantize(CENT),
                  clicks=int((profile["clicks"] * volume).to_integral_value(ROUND_HALF_EVEN)),
                  impressions=int((profile["impressions"] * volume).to_integral_value(ROUND_HALF_EVEN)))


def seed_series(ents: Entities, model: AccountModel, kind: str, entity_id: str, totals: Totals, first: date,
                last: date, *, history_from: date, campaign_id: str | None) -> dict[str, Any]:
    """Write the pre-period days [history_from, first) and the window [first, last] summing to `totals`;
    return the entity's metric state (`daily_profile`, `metrics_through`) to store on it."""
    days = _days(first, last) if first <= last else []
    if not days:
        if totals != Totals():
            raise ValueError(f"{kind} {entity_id}: metrics given but no complete day in the window")
        return {"daily_profile": Totals().to_json(), "metrics_through": last.isoformat()}
    history = _days(history_from, first - timedelta(days=1)) if history_from < first else []
    key = model.entity_key(kind, entity_id)
    volume = model.volume(kind, entity_id, campaign_id, history + days)
    rate = {day: model.conversion_rate(day, campaign_id) for day in history + days}
    window_volume = sum(volume[d] for d in days)
    window_conversion = sum(volume[d] * rate[d] for d in days)
    profile = {name: Decimal(str(value)) / _dec(window_volume) for name, value in totals.to_json().items()}
    conversion_level = float(totals.conversions) / window_conversion if window_conversion > 0 else 0.0
    profile["conversions"] = _dec(conversion_level)
    if totals.conversions > 0:
        profile["conversion_value"] = _dec(conversion_level * float(totals.conversion_value / totals.conversions))
    draws = {d: draw_day(model.sim, key, d, volume[d], conversion_level * volume[d] * rate[d],
                         learning=model.learning(d, campaign_id) is not None) for d in history + days}
    traffic = [_dec(draws[d].traffic) for d in days]
    conversion_weights = [Decimal(draws[d].conversions) for d in days]
    if sum(conversion_weights) <= 0:
        conversion_weights = [_dec(draws[d].traffic * rate[d]) for d in days]
    conversion_unit = Decimal(1) if totals.conversions == totals.conversions.to_integral_value() else CENT
    columns = (
        _split(totals.cost, CENT, traffic),
        _split(totals.conversions, conversion_unit, conversion_weights),
        _split(totals.conversion_value, CENT, conversion_weights),
        _split(Decimal(totals.clicks), Decimal(1), traffic),
        _split(Decimal(totals.impressions), Decimal(1), traffic),
    )
    for day in history:
        put_day(ents, kind, entity_id, day, _day_totals(profile, draws[day].traffic, draws[day].conversions))
    for index, day in enumerate(days):
        cost, conversions, value, clicks, impressions = (column[index] for column in columns)
        put_day(ents, kind, entity_id, day, Totals(cost, conversions, value, int(clicks), int(impressions)))
    return {"daily_profile": {name: str(value) for name, value in profile.items()}, "metrics_through": last.isoformat()}


def scale_to(state: dict[str, Any], field: str, current: Decimal | None,
             elasticity: float = 1.0) -> tuple[Decimal, dict[str, Any]]:
    """How much bigger the entity's days are now than when its level was learnt: (`current` (budget or
    bid) over the value remembered in `field`) ** elasticity; the field is set the first time it is seen
    (before any change, because every read and apply advances the series first)."""
    if current is None or current <= 0:
        return Decimal(1), state
    if state.get(field) is None:
        return Decimal(1), {**state, field: str(current)}
    baseline = Decimal(str(state[field]))
    if baseline <= 0:
        return Decimal(1), state
    return _dec(float(current / baseline) ** elasticity), state


def extend(ents: Entities, model: AccountModel, kind: str, entity_id: str, state: dict[str, Any], through: date, *,
           active: bool, start: date | None, campaign_id: str | None, scale: Decimal = Decimal(1)) -> dict[str, Any]:
    """Materialise the days after `metrics_through` up to `through`; return the updated metric state."""
    last = date.fromisoformat(state["metrics_through"])
    if last >= through:
        return state
    profile = {name: Decimal(str(value)) for name, value in state["daily_profile"].items()}
    key = model.entity_key(kind, entity_id)
    days = [d for d in _days(last + timedelta(days=1), through) if active and (start is None or d >= start)]
    volume = model.volume(kind, entity_id, campaign_id, days)
    for day in days:
        expected = volume[day] * float(scale)
        draw = draw_day(model.sim, key, day, expected,
                        float(profile["conversions"]) * expected * model.conversion_rate(day, campaign_id),
                        learning=model.learning(day, campaign_id) is not None)
        put_day(ents, kind, entity_id, day, _day_totals(profile, draw.traffic, draw.conversions), replace=False)
    return {**state, "metrics_through": through.isoformat()}


def daily(ents: Entities, kind: str, entity_id: str, first: date, last: date, *,
          as_of: date | None = None) -> list[tuple[date, Totals]]:
    """The materialised days of [first, last] with activity, oldest first. With `as_of` (the read day),
    conversions of the simulated days are those credited by then (conversion lag)."""
    rows = ents.conn.execute(
        "SELECT day, cost, conversions, conversion_value, clicks, impressions FROM sandbox_metrics WHERE "
        "platform = ? AND account_id = ? AND entity_kind = ? AND entity_id = ? AND day BETWEEN ? AND ? ORDER BY day",
        (ents.platform, ents.account_id, kind, entity_id, first.isoformat(), last.isoformat()),
    ).fetchall()
    out = [(date.fromisoformat(row["day"]), Totals(Decimal(row["cost"]), Decimal(row["conversions"]),
                                                   Decimal(row["conversion_value"]), int(row["clicks"]),
                                                   int(row["impressions"]))) for row in rows]
    if as_of is None or not out:
        return out
    model = AccountModel.load(ents)
    key = model.entity_key(kind, entity_id)
    return [(day, _lagged(model, key, day, totals, as_of) if day >= model.anchor else totals) for day, totals in out]


def _lagged(model: AccountModel, key: str, day: date, totals: Totals, as_of: date) -> Totals:
    whole = int(totals.conversions.to_integral_value(ROUND_DOWN))
    shown = credited(model.sim, key, day, whole, as_of)
    if shown == whole:
        return totals
    value = (totals.conversion_value * Decimal(shown) / totals.conversions).quantize(CENT)
    return Totals(totals.cost, Decimal(shown), value, totals.clicks, totals.impressions)


def window(ents: Entities, kind: str, entity_id: str, first: date, last: date, *,
           as_of: date | None = None) -> Totals:
    total = Totals()
    for _, totals in daily(ents, kind, entity_id, first, last, as_of=as_of):
        total = total + totals
    return total
