"""How long a daily-series action is measured before its final verdict (issue 14: power at real noise).

The final checkpoint's window is planned from the pre-period alone (`schemas.impact.MeasurementHorizon`
says why): for whole-week windows n from the org's scheduled final window up to `MAX_FINAL_DAYS`, the
planned power of the final one-sided test to find the action type's design drop (`MeasureSpec.design_drop`,
30 % of conversions), and the first n that reaches `TARGET_POWER`. When no window gets there, the longest
is chosen if it reaches `MIN_USEFUL_POWER` at least; a campaign too small for even that is judged at the
scheduled checkpoint (five weeks for a coin toss is not worth keeping a change unjudged).

`TARGET_POWER` is 85 %, not the 80 % the issue asks of the verdict: the plan cannot foresee what happens
after the change (an account-wide dip, conversions still being credited at the checkpoint, a φ̂ below the
truth), and the calibration benchmark shows those cost about five points.

The planned variance of log R is the 2×2 table's, scaled by the pre-period dispersion φ̂:
φ̂ · (1/Y_pre + 1/(ȳ·n·(1 − drop)) + 1/C_pre + 1/(c̄·n)) with ȳ, c̄ the treated and control events per
pre-period day (without a usable control only the treated terms, at α / NO_CONTROL_FACTOR, as the verdict).
Power = P(T_df > t_{1−α, df} − |log(1 − drop)| / sd): the verdict's own test, its own df.
"""

from __future__ import annotations

import math

from operator_ai.measurement import quasi
from operator_ai.measurement.specs import MeasureSpec
from operator_ai.measurement.verdict import MIN_CONTROL_EVENTS, NO_CONTROL_FACTOR, Panel
from operator_ai.measurement.windows import FINAL_ALPHA, extension_days
from schemas.impact import MeasurementHorizon

TARGET_POWER = 0.85
MIN_USEFUL_POWER = 0.50
MAX_FINAL_DAYS = 35


def _count_key(spec: MeasureSpec) -> str:
    """Conversions whenever the verdict can fail on them (metric or guard), else the metric's own count."""
    if {spec.metric, spec.guard} & {"conversions", "efficiency"}:
        return "conversions"
    return "clicks" if spec.metric == "clicks" else spec.metric


def power(days: int, *, treated_pre: float, pre_days: int, control_pre: float | None, phi: float, df: int,
          drop: float = 0.30, alpha: float = FINAL_ALPHA) -> float:
    """Planned one-sided power of the final test at an after window of `days` days."""
    per_day = treated_pre / pre_days
    variance = 1.0 / treated_pre + 1.0 / (per_day * days * (1.0 - drop))
    if control_pre is not None:
        variance += 1.0 / control_pre + 1.0 / (control_pre / pre_days * days)
    else:
        alpha /= NO_CONTROL_FACTOR
    shift = abs(math.log(1.0 - drop)) / math.sqrt(phi * variance)
    return quasi.t_sf(quasi.t_ppf(1.0 - alpha, df) - shift, df)


def plan(spec: MeasureSpec, panel: Panel, *, scheduled_days: int,
         max_days: int = MAX_FINAL_DAYS) -> MeasurementHorizon:
    """The action's final window, from the panel's pre-period only (its after window is never looked at)."""
    key, drop = _count_key(spec), spec.design_drop
    base = {"scheduled_days": scheduled_days, "max_days": max_days, "design_drop_pct": round((drop or 0) * 100, 1),
            "target_power": TARGET_POWER}
    treated = [float(v) for v in panel.treated_pre.get(key, ())]
    pre_days, treated_pre = len(treated), sum(treated)
    if drop is None or pre_days < 2 or treated_pre <= 0 or scheduled_days >= max_days:
        why = ("the action's harm is total and shows at once: the scheduled checkpoints see it" if drop is None
               else "the org's final checkpoint already waits the longest" if scheduled_days >= max_days
               else f"no {key} in the pre-period to plan from")
        return MeasurementHorizon(final_days=scheduled_days, reason=why, **base)
    control = panel.control_pre.get(key) if panel.control_pre is not None and panel.control.kind != "none" else None
    control_values = [float(v) for v in control] if control is not None else None
    if control_values is not None and sum(control_values) < MIN_CONTROL_EVENTS:
        control_values = None
    ones = [1.0] * pre_days
    phi, df = (quasi.dispersion(treated, ones, control_values, ones) if control_values is not None
               else quasi.dispersion(treated, ones))
    common = {"treated_pre": treated_pre, "pre_days": pre_days, "phi": phi, "df": max(df, 1), "drop": drop,
              "control_pre": sum(control_values) if control_values is not None else None}
    chosen, reached = max_days, power(max_days, **common)
    for days in [scheduled_days, *extension_days(scheduled_days, max_days)]:  # the checkpoints it would add
        found = power(days, **common)
        if found >= TARGET_POWER:
            chosen, reached = days, found
            break
    scheduled = power(scheduled_days, **common)
    if reached < MIN_USEFUL_POWER:
        chosen, reached = scheduled_days, scheduled
        why = (f"too few {key} for a reliable verdict: even {max_days} days would find a {drop:.0%} drop less than "
               f"{MIN_USEFUL_POWER:.0%} of the time, so it is judged at the scheduled {scheduled_days}-day checkpoint")
    elif chosen == scheduled_days:
        why = f"the scheduled {scheduled_days}-day final window has the power to find a {drop:.0%} drop"
    elif reached >= TARGET_POWER:
        why = (f"a {scheduled_days}-day window would find a {drop:.0%} drop {scheduled:.0%} of the time at "
               f"this volume and noise: the final verdict waits {chosen} days")
    else:
        why = (f"even {max_days} days find a {drop:.0%} drop only {reached:.0%} of the time at this volume and "
               f"noise: the final verdict waits the longest ({max_days} days)")
    return MeasurementHorizon(final_days=chosen, power_scheduled=round(scheduled, 3), power_planned=round(reached, 3),
                              dispersion=round(phi, 4), per_day=round(treated_pre / pre_days, 3),
                              control=control_values is not None, reason=why, **base)
