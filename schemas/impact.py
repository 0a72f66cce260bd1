"""What a counterfactual verdict records, and the tracking hold (issue 14).

A series verdict compares the treated entity with a control built from comparable campaigns of the same
account; `ImpactEstimate` is the statistics part of the measurement record (`result.measurement.impact`
in the actions log). Its JSON is a documented, stable shape (docs/measurement.md "The record"): the
weekly report and the web console show the effect with its interval and the control used from it.

`TrackingHold`: when conversions collapse across a whole account at once (a broken tag, not a market),
the org's automatic rollbacks and spend increases are held until conversions come back or a person
clears it. Guardrails read it as an input (they stay pure); the measurement step sets and clears it.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from schemas.common import FrozenModel, ZonedDatetime

# The verdict of one checkpoint. Only `failed` can lead to an automatic rollback; `immature` (days still
# inside the conversion-lag allowance), `learning` (the bidding strategy reports it is learning) and
# `confounded` (another change to the entity or its budget inside the windows) never can.
VerdictName = Literal["successful", "failed", "inconclusive", "immature", "learning", "confounded"]
WAITING_VERDICTS: frozenset[str] = frozenset({"immature", "learning"})  # the checkpoint is judged again later
NEVER_ROLLED_BACK: frozenset[str] = frozenset({"immature", "learning", "confounded", "inconclusive", "successful"})


class ControlInfo(FrozenModel):
    """The control a verdict was judged against."""

    kind: Literal["campaigns", "none"]
    entities: tuple[str, ...] = ()  # the campaigns summed into the control
    excluded: dict[str, str] = Field(default_factory=dict)  # campaign -> why it was left out
    reason: str | None = None  # kind "none": why no usable control exists
    pre_days: int = 0  # pre-period days used to calibrate the treated/control ratio and the dispersion
    pre_correlation: float | None = None  # of daily treated and control counts in the pre-period


class ImpactEstimate(FrozenModel):
    """The effect of the action on its metric with honest uncertainty."""

    model: str  # the model in words, e.g. "conditional binomial difference-in-differences, quasi-binomial"
    metric: str
    control: ControlInfo
    dispersion: float | None = None  # estimated from the pre-period (1 = Poisson); None when not estimable
    effect_pct: float | None = None  # treated vs counterfactual, relative change in %
    ci_low_pct: float | None = None
    ci_high_pct: float | None = None
    ci_level: float = 0.9  # two-sided level of [ci_low, ci_high] (its ends are the one-sided 95 % bounds)
    p_value_harm: float | None = None  # one-sided, H0: no change, against a change the wrong way
    p_value_benefit: float | None = None  # one-sided, against a change the expected way
    observed: float | None = None  # the metric's events in the after window (e.g. conversions)
    expected: float | None = None  # what the counterfactual predicts for the after window
    difference: float | None = None  # observed − expected (in events; "+12 conversions")
    difference_low: float | None = None
    difference_high: float | None = None
    min_harmful_effect_pct: float | None = None  # a harm must exceed this before an automatic rollback
    rollback_evidence: bool = False  # statistical evidence AND an effect beyond the minimum harmful effect
    notes: tuple[str, ...] = ()


class TrackingHold(FrozenModel):
    """A hold on an org's automatic rollbacks and spend increases after an account-wide conversion collapse."""

    organization_id: str
    platform: str = "google_ads"
    account_id: str
    active: bool
    set_at: ZonedDatetime
    set_by: str = "operator:tracking-breaker"  # or the person who cleared it
    reason: str
    evidence: dict[str, str] = Field(default_factory=dict)  # campaigns collapsed, expected vs seen, days
    cleared_at: ZonedDatetime | None = None


class MeasurementHorizon(FrozenModel):
    """When the final verdict of a daily-series action is due, planned from its pre-period alone.

    A fixed 7-day final window finds a 30 % drop at 20 conversions a day 8 times in 10 only when days are
    Poisson-like; with the two to three times wider spread of real accounts it needs two or three weeks. So
    the measurement plans its own length, once, from what it knows before the change (the pre-period's
    volume, dispersion and control): the shortest whole-week final window with the target power, at least
    the org's scheduled final checkpoint and at most `max_days`. Planned from the pre-period only, the
    plan cannot peek at the effect; earlier checkpoints stay interim (only overwhelming harm ends early)."""

    scheduled_days: int  # the final window the org's checkpoints scheduled
    final_days: int  # the planned final window (>= scheduled_days, <= max_days unless scheduled longer)
    max_days: int
    design_drop_pct: float  # the drop of the measured count the plan is sized to find
    target_power: float
    power_scheduled: float | None = None  # planned power of the scheduled final window
    power_planned: float | None = None  # planned power of the planned final window
    dispersion: float | None = None  # pre-period dispersion the plan used
    per_day: float | None = None  # the treated entity's pre-period events per day
    control: bool = False  # planned with a usable control
    reason: str = ""
