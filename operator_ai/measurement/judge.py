"""A checkpoint's `Judgement` (verdict, reason, numbers, test) and the email-rate verdict.

Daily-series verdicts are counterfactual (`verdict.py`: the treated entity against a control of the same
account). Email rates use the two-proportion z test against the account's baseline, one-sided at the
checkpoint's alpha: significantly worse → failed, significantly better → successful, else inconclusive
(no guard).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any, Literal

from operator_ai.measurement.stats import TestResult, two_proportion_test
from schemas.metrics import EmailCounts, MetricReading

Verdict = Literal["successful", "failed", "inconclusive", "immature", "learning", "confounded"]
MIN_SENDS = 100  # sends per group before a rate is judged
_EXPOSURE = {"conversions": "days", "efficiency": "cost", "clicks": "days", "visits": "days"}


def _ratio(numerator: Decimal, denominator: Decimal, places: str = "0.01") -> str | None:
    return None if denominator == 0 else str((numerator / denominator).quantize(Decimal(places)))


@dataclass(frozen=True)
class SeriesWindow:
    """Totals of one window of complete days."""

    days: int
    cost: Decimal = Decimal(0)
    conversions: Decimal = Decimal(0)
    conversion_value: Decimal = Decimal(0)
    clicks: int = 0

    @classmethod
    def from_reading(cls, reading: MetricReading) -> SeriesWindow:
        total = reading.total()
        if total is None:
            return cls(days=0)
        return cls(days=reading.day_count, cost=total.cost, conversions=total.conversions,
                   conversion_value=total.conversion_value, clicks=total.clicks)

    def count(self, metric: str) -> int:
        """Events of a metric as a whole count (platforms may report fractional conversions)."""
        if metric in ("conversions", "efficiency"):
            return int(self.conversions.to_integral_value(ROUND_HALF_EVEN))
        return self.clicks

    def exposure(self, metric: str) -> float:
        return float(self.cost) if _EXPOSURE[metric] == "cost" else float(self.days)

    def numbers(self) -> dict[str, Any]:
        return {"days": self.days, "cost": str(self.cost), "conversions": str(self.conversions),
                "conversion_value": str(self.conversion_value), "clicks": self.clicks,
                "cpa": _ratio(self.cost, self.conversions), "roas": _ratio(self.conversion_value, self.cost)}


@dataclass(frozen=True)
class Judgement:
    verdict: Verdict
    metric: str
    reason: str
    before: dict[str, Any]
    after: dict[str, Any]
    alpha: float
    test: str | None = None
    p_value: float | None = None
    effect_pct: float | None = None  # relative change of the primary metric's rate
    guard: dict[str, Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        extra = data.pop("extra")
        if data["p_value"] is not None:
            data["p_value"] = round(data["p_value"], 6)
        return {**data, **extra}


def _effect(before: int, before_exposure: float, after: int, after_exposure: float) -> float | None:
    if before == 0 or before_exposure <= 0 or after_exposure <= 0:
        return None
    return round(((after / after_exposure) / (before / before_exposure) - 1) * 100, 2)


def _with(common: dict[str, Any], verdict: Verdict, reason: str, result: TestResult, effect: float | None,
          guard: dict[str, Any] | None) -> Judgement:
    return Judgement(verdict, reason=reason, test=f"{result.test}, one-sided ({result.alternative})",
                     p_value=result.p_value, effect_pct=effect, guard=guard, **common)


def _rate(counts: EmailCounts, metric: str) -> int:
    return counts.opens if metric == "open_rate" else counts.clicks


def _email_numbers(counts: EmailCounts, metric: str) -> dict[str, Any]:
    rate = None if counts.sends == 0 else round(_rate(counts, metric) / counts.sends, 4)
    return {"sends": counts.sends, "opens": counts.opens, "clicks": counts.clicks, "rate": rate}


def judge_rate(metric: str, baseline: EmailCounts, observed: EmailCounts, *, alpha: float,
               min_sends: int = MIN_SENDS) -> Judgement:
    """An email rate (open or click) after the action against its baseline."""
    common: dict[str, Any] = {"metric": metric, "before": _email_numbers(baseline, metric),
              "after": _email_numbers(observed, metric), "alpha": alpha}
    if baseline.sends < min_sends or observed.sends < min_sends:
        return Judgement("inconclusive", reason=f"too little data: {baseline.sends} baseline and {observed.sends} "
                                                f"sends after the action (fewer than {min_sends} in a group)", **common)
    xb, xa = _rate(baseline, metric), _rate(observed, metric)
    good = two_proportion_test(xb, baseline.sends, xa, observed.sends, alternative="greater")
    bad = two_proportion_test(xb, baseline.sends, xa, observed.sends, alternative="less")
    effect = _effect(xb, baseline.sends, xa, observed.sends)
    if bad.p_value < alpha:
        return _with(common, "failed", f"{metric} significantly below the baseline", bad, effect, None)
    if good.p_value < alpha:
        return _with(common, "successful", f"{metric} significantly above the baseline", good, effect, None)
    return _with(common, "inconclusive", f"within noise: {metric} p={good.p_value:.3f} ≥ {alpha:g}", good, effect,
                 None)
