"""The verdict of one checkpoint: `successful | failed | inconclusive`, with the numbers and the test.

Pure functions of the two windows (no I/O), so they can be tested on synthetic data at scale.

Rules (daily-series metrics, `rate_test` one-sided at the checkpoint's alpha):
- too little data (fewer than `min_events` events in both windows together, or no exposure) → inconclusive;
- the primary metric moved significantly the wrong way, or the guard dropped significantly by more than
  its tolerance → failed;
- the primary metric moved significantly the expected way and the guard's point estimate stayed within
  its tolerance → successful;
- anything else is within noise → inconclusive.
Email rates use the two-proportion z test the same way (no guard).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any, Literal

from operator_ai.measurement.specs import MeasureSpec
from operator_ai.measurement.stats import TestResult, rate_test, two_proportion_test
from schemas.metrics import EmailCounts, MetricReading

Verdict = Literal["successful", "failed", "inconclusive", "immature", "learning", "confounded"]
MIN_EVENTS = 10  # events (conversions, clicks) in both windows together before a count is judged
MIN_SENDS = 100  # sends per group before a rate is judged
_UNITS = {"conversions": "conversions", "efficiency": "conversions", "clicks": "clicks", "visits": "visits"}
_EXPOSURE = {"conversions": "days", "efficiency": "cost", "clicks": "days", "visits": "days"}
_NAMES = {"conversions": "conversions", "efficiency": "conversions per unit of cost", "clicks": "spend (clicks)",
          "visits": "visits"}


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


def _movement(metric: str, before: SeriesWindow, after: SeriesWindow) -> str:
    """The numbers behind a verdict, in the metric's own terms."""
    b, a = before.count(metric), after.count(metric)
    if metric == "efficiency":
        cpa_b, cpa_a = before.numbers()["cpa"], after.numbers()["cpa"]
        return f"CPA {cpa_b or 'n/a'} → {cpa_a or 'n/a'} ({b} → {a} conversions for {before.cost} → {after.cost})"
    if metric == "clicks":
        return f"clicks {b} → {a}, cost {before.cost} → {after.cost}"
    return f"{metric} {b} → {a} over {after.days} day(s) each"


def _beyond(spec: MeasureSpec) -> str:
    return f" by more than {spec.tolerance:.0%}" if spec.tolerance else ""


def _guard(spec: MeasureSpec, before: SeriesWindow, after: SeriesWindow, alpha: float) -> dict[str, Any] | None:
    """Whether the guard metric held: `dropped` (significantly beyond tolerance) and `within` (point estimate)."""
    if spec.guard is None:
        return None
    metric, floor = spec.guard, 1.0 - spec.tolerance
    b, a = before.count(metric), after.count(metric)
    eb, ea = before.exposure(metric), after.exposure(metric)
    info: dict[str, Any] = {"metric": metric, "tolerance": spec.tolerance, "before": b, "after": a}
    if b == 0 or eb <= 0 or ea <= 0:  # nothing to lose, or no exposure to judge it by
        return {**info, "dropped": False, "within": b == 0, "test": None, "p_value": None}
    result = rate_test(b, eb, a, ea, alternative="less", ratio0=floor)
    ratio = (a / ea) / (b / eb)
    return {**info, "dropped": result.p_value < alpha, "within": ratio >= floor, "ratio": round(ratio, 4),
            "test": f"{result.test}, H0: ratio >= {floor:g}", "p_value": round(result.p_value, 6)}


def judge_series(spec: MeasureSpec, before: SeriesWindow, after: SeriesWindow, *, alpha: float,
                 min_events: int = MIN_EVENTS) -> Judgement:
    metric = spec.metric
    b, a = before.count(metric), after.count(metric)
    eb, ea = before.exposure(metric), after.exposure(metric)
    common: dict[str, Any] = {"metric": metric, "before": before.numbers(), "after": after.numbers(), "alpha": alpha}
    if eb <= 0 or ea <= 0:
        which = "before" if eb <= 0 else "after"
        return Judgement("inconclusive", reason=f"no {_EXPOSURE[metric]} in the {which} window to compare "
                                                f"{metric} by", **common)
    if b + a < min_events:
        return Judgement("inconclusive", reason=f"too little data: {b + a} {_UNITS[metric]} in both windows "
                                                f"together (fewer than {min_events})", **common)
    up = spec.direction == "up"
    good = rate_test(b, eb, a, ea, alternative="greater" if up else "less")
    bad = rate_test(b, eb, a, ea, alternative="less" if up else "greater")
    guard = _guard(spec, before, after, alpha)
    effect = _effect(b, eb, a, ea)
    worse, better = ("fell", "rose") if up else ("rose", "fell")
    moved = _movement(metric, before, after)
    if bad.p_value < alpha:
        return _with(common, "failed", f"{_NAMES[metric]} {worse} significantly: {moved}", bad, effect, guard)
    if guard is not None and guard["dropped"]:  # the guard's own test is the evidence of harm
        return Judgement("failed", reason=f"{_NAMES[guard['metric']]} dropped significantly{_beyond(spec)}: "
                                          f"{_movement(guard['metric'], before, after)}",
                         test=f"{guard['test']}, one-sided (less)", p_value=guard["p_value"], effect_pct=effect,
                         guard=guard, **common)
    if good.p_value < alpha:
        if guard is None or guard["within"]:
            return _with(common, "successful", f"{_NAMES[metric]} {better} significantly: {moved}", good, effect,
                         guard)
        return _with(common, "inconclusive", f"{_NAMES[metric]} {better} significantly ({moved}), but "
                                             f"{guard['metric']} fell{_beyond(spec)} (not significantly)", good,
                     effect, guard)
    return _with(common, "inconclusive", f"within noise: {moved} (p={good.p_value:.3f} ≥ {alpha:g})",
                 good, effect, guard)


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
