"""The counterfactual verdict of one checkpoint on daily series (issue 14), as pure functions of arrays.

`judge_panel` compares the treated entity with its control (`quasi.py` has the model): the metric that is
expected to move (and the guard that must hold) is tested against "no change relative to the control".

- too little data (fewer than `MIN_EVENTS` events of the metric in the pre-period and the after window of
  the treated entity together), or no exposure in a period → inconclusive;
- the metric moved significantly the wrong way, or the guard dropped significantly beyond its tolerance
  → failed;
- the metric moved significantly the expected way and the guard's point estimate stayed within its
  tolerance → successful;
- otherwise → inconclusive (within noise).

Significance is at the checkpoint's α with a control; without a usable control nothing cancels a market
move, so every verdict needs α / `NO_CONTROL_FACTOR` (and the record says there was no control).

A `failed` verdict can lead to an automatic rollback only with `rollback_evidence`: the failing test at
the final checkpoint's α · `ROLLBACK_ALPHA_SHARE` (at an interim checkpoint: its own, far smaller α) AND a
point estimate of the harm beyond the org's minimum harmful effect for the action type (a guard: beyond its
tolerance and then the minimum). Otherwise a person decides.

`gate` gives the verdicts that never roll back and come before any test: `confounded`, `learning`,
`immature`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from operator_ai.measurement import quasi
from operator_ai.measurement.judge import Judgement, Verdict
from operator_ai.measurement.specs import MeasureSpec
from operator_ai.measurement.windows import FINAL_ALPHA
from schemas.impact import ControlInfo, ImpactEstimate
from schemas.metrics import EntityChange, is_learning

MIN_EVENTS = 10
MIN_CONTROL_EVENTS = 30  # control events in the pre-period before a control is usable
NO_CONTROL_FACTOR = 10.0
ROLLBACK_ALPHA_SHARE = 0.25  # final checkpoint: 0.05 → 0.0125 for an automatic rollback (docs/measurement.md)
SUCCESS_ALPHA_SHARE = 0.5  # final checkpoint: 0.025 one-sided, i.e. the two-sided 95 % interval above zero
CI_LEVEL = 0.9
MODEL_CONTROL = ("difference-in-differences against a control: conditional binomial of the treated share "
                 "(quasi-binomial, dispersion from the pre-period), signed-root likelihood-ratio test on t")
MODEL_ALONE = ("before/after against the entity's own pre-period (no usable control): quasi-Poisson rate "
               "ratio, dispersion from the pre-period, signed-root likelihood-ratio test on t")
_COUNT_KEY = {"conversions": "conversions", "efficiency": "conversions", "clicks": "clicks", "visits": "visits"}
_NAMES = {"conversions": "conversions", "efficiency": "conversions per unit of cost", "clicks": "spend (clicks)",
          "visits": "visits"}

Series = Mapping[str, Sequence[float]]  # metric name ("conversions", "clicks", "cost") -> daily values


@dataclass(frozen=True)
class Panel:
    """One checkpoint's daily data: the pre-period and the after window, treated and (summed) control."""

    treated_pre: Series
    treated_after: Series
    control_pre: Series | None
    control_after: Series | None
    control: ControlInfo
    before: dict[str, Any]  # the checkpoint's before-window numbers, for the record
    after: dict[str, Any]


def _values(series: Series | None, key: str, days: int) -> list[float]:
    found = series.get(key) if series is not None else None
    return [0.0] * days if found is None else [float(v) for v in found]


def _sum(series: Series | None, key: str) -> float:
    return float(sum(series.get(key, ()))) if series is not None else 0.0


def _exposure(series: Series, metric: str, days: int) -> list[float]:
    if metric == "efficiency":
        return _values(series, "cost", days)
    return [1.0] * days


def _length(series: Series) -> int:
    return max((len(v) for v in series.values()), default=0)


@dataclass(frozen=True)
class _Test:
    metric: str
    table: quasi.Table
    phi: float
    df: int
    ratio: float

    def p(self, ratio0: float = 1.0) -> tuple[float, float]:
        return quasi.p_values(self.table, ratio0, self.phi, self.df)


def _prepare(metric: str, panel: Panel, use_control: bool) -> _Test | str:
    """The aggregated table and pre-period dispersion for one metric, or why it cannot be tested."""
    key = _COUNT_KEY[metric]
    pre_days, after_days = _length(panel.treated_pre), _length(panel.treated_after)
    y_pre = _values(panel.treated_pre, key, pre_days)
    k_pre = _exposure(panel.treated_pre, metric, pre_days)
    k_after = _exposure(panel.treated_after, metric, after_days)
    unit = "cost" if metric == "efficiency" else "days"
    if sum(k_pre) <= 0 or sum(k_after) <= 0:
        which = "pre-period" if sum(k_pre) <= 0 else "after window"
        return f"no {unit} in the {which} to compare {metric} by"
    y_after = _sum(panel.treated_after, key)
    if use_control and panel.control_pre is not None and panel.control_after is not None:
        c_pre = _values(panel.control_pre, key, pre_days)
        kc_pre = _exposure(panel.control_pre, metric, pre_days)
        kc_after = _exposure(panel.control_after, metric, after_days)
        table = quasi.Table(sum(y_pre), y_after, sum(k_pre), sum(k_after), sum(c_pre), _sum(panel.control_after, key),
                            sum(kc_pre), sum(kc_after))
        phi, df = quasi.dispersion(y_pre, k_pre, c_pre, kc_pre)
    else:
        table = quasi.Table(sum(y_pre), y_after, sum(k_pre), sum(k_after))
        phi, df = quasi.dispersion(y_pre, k_pre)
    return _Test(metric, table, phi, max(df, 1), table.ratio())


def control_usable(metric: str, panel: Panel) -> str | None:
    """Why the panel's control cannot serve for this metric (None: it can)."""
    if panel.control.kind == "none" or panel.control_pre is None or panel.control_after is None:
        return panel.control.reason or "no comparable campaign"
    key = _COUNT_KEY[metric]
    if _sum(panel.control_pre, key) < MIN_CONTROL_EVENTS:
        return f"the control had fewer than {MIN_CONTROL_EVENTS} {key} in the pre-period"
    if _sum(panel.control_after, key) <= 0:
        return f"the control had no {key} in the after window"
    if metric == "efficiency" and (_sum(panel.control_pre, "cost") <= 0 or _sum(panel.control_after, "cost") <= 0):
        return "the control had no cost in a period"
    return None


def _pct(ratio: float) -> float | None:
    if ratio != ratio or ratio == math.inf:
        return None
    return round((ratio - 1.0) * 100.0, 2)


def _impact(test: _Test, panel: Panel, control: ControlInfo, harm_p: float, benefit_p: float, *,
            min_harm: float | None, rollback: bool, notes: tuple[str, ...]) -> ImpactEstimate:
    low, high = quasi.interval(test.table, test.phi, test.df, CI_LEVEL)
    expected = test.table.prediction()
    observed = test.table.treated_after

    def diff(ratio: float) -> float | None:
        return None if ratio != ratio or ratio == math.inf else round(expected * (ratio - 1.0), 2)

    return ImpactEstimate(
        model=MODEL_CONTROL if test.table.has_control else MODEL_ALONE, metric=test.metric, control=control,
        dispersion=round(test.phi, 4), effect_pct=_pct(test.ratio), ci_low_pct=_pct(low), ci_high_pct=_pct(high),
        ci_level=CI_LEVEL, p_value_harm=round(harm_p, 6), p_value_benefit=round(benefit_p, 6),
        observed=round(observed, 2), expected=round(expected, 2), difference=round(observed - expected, 2),
        difference_low=diff(low), difference_high=diff(high), min_harmful_effect_pct=min_harm,
        rollback_evidence=rollback, notes=notes)


def judge_panel(spec: MeasureSpec, panel: Panel, *, alpha: float, min_harm_pct: float | None) -> Judgement:
    """The checkpoint's verdict (see the module docstring); `min_harm_pct` None: never rolled back."""
    metric = spec.metric
    common: dict[str, Any] = {"metric": metric, "before": panel.before, "after": panel.after, "alpha": alpha}
    why_not = control_usable(metric, panel)
    control = panel.control if why_not is None else ControlInfo(
        kind="none", reason=why_not, excluded=panel.control.excluded, pre_days=panel.control.pre_days)
    prepared = _prepare(metric, panel, why_not is None)
    if isinstance(prepared, str):
        return Judgement("inconclusive", reason=prepared, **common)
    events = prepared.table.treated_pre + prepared.table.treated_after
    if events < MIN_EVENTS:
        return Judgement("inconclusive", reason=f"too little data: {events:g} {_COUNT_KEY[metric]} in the pre-period "
                                                f"and after window together (fewer than {MIN_EVENTS})", **common)
    level = alpha if why_not is None else alpha / NO_CONTROL_FACTOR
    up = spec.direction == "up"
    less, greater = prepared.p()
    harm_p, benefit_p = (less, greater) if up else (greater, less)
    guard = _guard(spec, panel, why_not is None, level)
    notes = () if why_not is None else (f"no usable control ({why_not}): evidence must be {NO_CONTROL_FACTOR:g}x "
                                        "stronger",)
    harm_cut = 1.0 - (min_harm_pct or 0.0) / 100.0
    # the rollback bar: the final checkpoint's α · share (÷ NO_CONTROL_FACTOR alike), and never above this
    # checkpoint's own α — an interim boundary (0.001) is already far stronger than the final bar (0.0125)
    strong = min(level, FINAL_ALPHA * ROLLBACK_ALPHA_SHARE * level / alpha)
    moved = _moved(prepared, up)
    if harm_p < level:
        beyond = prepared.ratio <= harm_cut if up else prepared.ratio >= 1.0 / harm_cut
        rollback = min_harm_pct is not None and harm_p < strong and beyond
        impact = _impact(prepared, panel, control, harm_p, benefit_p, min_harm=min_harm_pct, rollback=rollback,
                         notes=notes)
        return _judged("failed", f"{_NAMES[metric]} {'fell' if up else 'rose'} significantly against the "
                                 f"counterfactual: {moved}", harm_p, impact, guard, common)
    if guard is not None and guard["dropped"]:
        g_test: _Test = guard.pop("_test")
        rollback = min_harm_pct is not None and guard["p_value"] < strong and g_test.ratio <= guard["floor"] * harm_cut
        g_less, g_greater = g_test.p()
        impact = _impact(g_test, panel, control, g_less, g_greater, min_harm=min_harm_pct, rollback=rollback,
                         notes=notes)
        return _judged("failed", f"{_NAMES[g_test.metric]} dropped significantly{_beyond(spec)} against the "
                                 f"counterfactual: {_moved(g_test, True)}", guard["p_value"], impact, guard, common)
    if guard is not None:
        guard.pop("_test", None)
    impact = _impact(prepared, panel, control, harm_p, benefit_p, min_harm=min_harm_pct, rollback=False, notes=notes)
    if benefit_p < level * SUCCESS_ALPHA_SHARE:
        if guard is None or guard["within"]:
            return _judged("successful", f"{_NAMES[metric]} {'rose' if up else 'fell'} significantly against the "
                                         f"counterfactual: {moved}", benefit_p, impact, guard, common)
        return _judged("inconclusive", f"{_NAMES[metric]} moved the expected way ({moved}), but {guard['metric']} "
                                       f"fell{_beyond(spec)} (not significantly)", benefit_p, impact, guard, common)
    return _judged("inconclusive", f"within noise: {moved} (p={benefit_p:.3f} ≥ {level * SUCCESS_ALPHA_SHARE:g})",
                   benefit_p, impact,
                   guard, common)


def _moved(test: _Test, up: bool) -> str:
    effect = _pct(test.ratio)
    shown = "n/a" if effect is None else f"{effect:+.1f}%"
    versus = "vs control" if test.table.has_control else "vs its own pre-period"
    return (f"{shown} {versus}; {test.table.treated_after:g} {_COUNT_KEY[test.metric]} after, "
            f"{test.table.prediction():.1f} expected")


def _beyond(spec: MeasureSpec) -> str:
    return f" by more than {spec.tolerance:.0%}" if spec.tolerance else ""


def _guard(spec: MeasureSpec, panel: Panel, use_control: bool, level: float) -> dict[str, Any] | None:
    if spec.guard is None:
        return None
    floor = 1.0 - spec.tolerance
    info: dict[str, Any] = {"metric": spec.guard, "tolerance": spec.tolerance, "floor": floor}
    prepared = _prepare(spec.guard, panel, use_control and control_usable(spec.guard, panel) is None)
    if isinstance(prepared, str) or prepared.table.treated_pre <= 0:
        return {**info, "dropped": False, "within": True, "test": None, "p_value": None,
                "note": prepared if isinstance(prepared, str) else "nothing to lose"}
    less, _ = prepared.p(floor)
    return {**info, "dropped": less < level, "within": not prepared.ratio < floor,
            "ratio": None if prepared.ratio == math.inf else round(prepared.ratio, 4),
            "effect_pct": _pct(prepared.ratio), "dispersion": round(prepared.phi, 4),
            "test": f"signed-root quasi-likelihood ratio, H0: ratio >= {floor:g}", "p_value": round(less, 6),
            "_test": prepared}


def _judged(verdict: Verdict, reason: str, p_value: float, impact: ImpactEstimate, guard: dict[str, Any] | None,
            common: dict[str, Any]) -> Judgement:
    return Judgement(verdict, reason=reason, test=impact.model, p_value=p_value, effect_pct=impact.effect_pct,
                     guard=guard, extra={"impact": impact.model_dump(mode="json"),
                                         "rollback_evidence": impact.rollback_evidence}, **common)


# --------------------------------------------------------------------------- gates


def mature_through(today: date, lag_days: int) -> date:
    """The last day whose conversions count as credited at `today` (yesterday is the last complete day)."""
    return today - timedelta(days=1 + max(0, lag_days))


def gate(*, after_last_day: date, today: date, lag_days: int, learning_status: str | None,
         changes: Sequence[EntityChange]) -> tuple[Verdict, str] | None:
    """A verdict that comes before any test, or None. `changes`: other changes to the treated entity (or its
    budget) inside the windows, by anyone."""
    if changes:
        first = min(changes, key=lambda c: c.changed_at)
        who = first.actor or first.source
        return "confounded", (f"{len(changes)} other change(s) to the entity inside the windows (first: "
                              f"{first.kind} by {who} at {first.changed_at.isoformat()}); its effect cannot be "
                              "told apart")
    if is_learning(learning_status):
        return "learning", f"the bidding strategy reports {learning_status}: judged once it has settled"
    through = mature_through(today, lag_days)
    if after_last_day > through:
        return "immature", (f"conversions of {after_last_day.isoformat()} may still be credited (conversion-lag "
                            f"allowance {lag_days} day(s)): judged once mature")
    return None
