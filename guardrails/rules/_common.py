"""Small helpers the rule modules share: result constructors, exact percentages, JSON-able observations.

Percentages and ratios are computed exactly (no rounding before a comparison), so a value just over a
threshold is never rounded back under it; rounding happens only in what is reported.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from enum import Enum
from typing import Any

from pydantic import BaseModel

from guardrails.context import GuardrailContext
from schemas.common import Outcome
from schemas.snapshots import LAST_ZONE_TO_END_A_DAY, Performance
from schemas.verdict import RuleResult

HUNDRED = Decimal(100)
CENT = Decimal("0.01")
HOUR = 1  # rolling windows, in hours (what the spec calls "the rolling hour" and "24 h")
DAY_HOURS = 24


_PLAIN: frozenset[type] = frozenset({str, int, float, bool, type(None)})


def jsonable(value: Any) -> Any:
    """Plain JSON values for `observed`: Decimals as strings, datetimes ISO, containers recursively."""
    kind = type(value)  # exact types first (most values): the isinstance chain below is for everything else
    if kind in _PLAIN:
        return value
    if kind is dict:
        return {str(k): jsonable(v) for k, v in value.items()}
    if kind is list or kind is tuple:
        return [jsonable(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = [jsonable(v) for v in value]
        return sorted(items) if isinstance(value, set | frozenset) else items
    return value


def result(rule_id: str, outcome: Outcome, message: str, observed: Mapping[str, Any] | None = None) -> RuleResult:
    return RuleResult(rule_id=rule_id, outcome=outcome, message=message, observed=jsonable(dict(observed or {})))


def allow(rule_id: str, message: str, observed: Mapping[str, Any] | None = None) -> RuleResult:
    return result(rule_id, Outcome.ALLOW, message, observed)


def needs_approval(rule_id: str, message: str, observed: Mapping[str, Any] | None = None) -> RuleResult:
    return result(rule_id, Outcome.NEEDS_APPROVAL, message, observed)


def block(rule_id: str, message: str, observed: Mapping[str, Any] | None = None) -> RuleResult:
    return result(rule_id, Outcome.BLOCK, message, observed)


def not_applicable(rule_id: str, reason: str) -> RuleResult:
    """The rule does not concern this action: recorded as an allow that did not apply."""
    return RuleResult(rule_id=rule_id, outcome=Outcome.ALLOW, message=reason, applies=False)


def pct_change(before: Decimal, after: Decimal) -> Decimal | None:
    """Exact change in percent of `before`; None when `before` is zero (any increase is unbounded)."""
    if before == 0:
        return None
    return (after - before) / before * HUNDRED


def show(value: Decimal | None) -> str | None:
    """A number rounded for people (messages and observed values only, never for comparisons)."""
    return None if value is None else str(value.quantize(CENT))


def hours_between(earlier: datetime, later: datetime) -> Decimal:
    """Exact elapsed hours (microsecond precision), negative when `earlier` is in the future."""
    delta: timedelta = later - earlier
    micros = (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
    return Decimal(micros) / Decimal(3_600_000_000)


def end_of_day_anywhere(day: date) -> datetime:
    """The latest instant a calendar day (in an unknown time zone) can end: a campaign with only a start
    date is counted from there, so its runtime is never overstated."""
    return datetime.combine(day + timedelta(days=1), time.min, tzinfo=LAST_ZONE_TO_END_A_DAY)


def roas_above(perf: Performance, threshold: Decimal) -> bool:
    """ROAS (conversion value / cost) strictly above `threshold`, compared without dividing."""
    return perf.cost > 0 and perf.conversion_value > threshold * perf.cost


def roas_below(perf: Performance, threshold: Decimal) -> bool:
    """ROAS strictly below `threshold`; callers treat zero cost (no ROAS) separately."""
    return perf.conversion_value < threshold * perf.cost


def perf_observed(perf: Performance | None) -> dict[str, Any]:
    if perf is None:
        return {"performance": None}
    return {
        "window_days": perf.window_days,
        "cost": perf.cost,
        "conversions": perf.conversions,
        "conversion_value": perf.conversion_value,
        "roas": perf.roas,
    }


def scaled_performance(ctx: GuardrailContext) -> tuple[str, Performance | None]:
    """The metrics behind an increase: the keyword's for a bid change, else the campaign's."""
    facts = ctx.facts
    if facts.is_bid_increase and not facts.is_budget_increase:
        keyword = ctx.snapshot.keyword if ctx.snapshot else None
        return "keyword", keyword.performance if keyword else None
    return "campaign", ctx.snapshot.performance if ctx.snapshot else None
