"""Experiments (spec §8, appendix A `experiments`): a subject-line test with its variants and stop rules.

One row per experiment, keyed by `experiment_id`; unlike the actions log it changes over time
(`running` → `decided` | `stopped` | `cancelled`), so it lives in a store that can update a row. The
appendix columns are kept; `action_id`, `account_id` and `updated_at` are what the implementation adds.
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Any, Literal

from pydantic import Field

from schemas.common import FrozenModel, ZonedDatetime


class ExperimentStatus(StrEnum):
    RUNNING = "running"
    DECIDED = "decided"  # a winner was found by the test
    STOPPED = "stopped"  # a stop rule ended it without a winner (no detectable difference, time or audience up)
    CANCELLED = "cancelled"  # the action behind it was rolled back


class Variant(FrozenModel):
    variant_id: str  # the platform's message id
    label: str  # the subject line
    control: bool = False  # the campaign's original message


class StopRules(FrozenModel):
    """The fixed-horizon design of a test: decide once, when runtime and sample are both reached."""

    alpha: Decimal = Decimal("0.05")  # two-sided, Bonferroni-split over the comparisons with the leader
    power: Decimal = Decimal("0.8")
    minimum_detectable_lift: Decimal = Decimal("0.25")  # relative (0.25: 20 % -> 25 % open rate)
    baseline_rate: Decimal = Decimal("0.2")  # the rate the sample size was computed for
    required_sends_per_variant: int = Field(default=0, ge=0)
    max_runtime_days: int = Field(default=14, ge=1)
    stop_when_sent: bool = True  # the campaign finished sending: no more data will come


class Experiment(FrozenModel):
    experiment_id: str
    organization_id: str
    opportunity_id: str | None = None
    type: Literal["subject_line"] = "subject_line"
    entity_id: str  # the email campaign id
    account_id: str
    action_id: str
    variants: tuple[Variant, ...] = Field(min_length=2)
    primary_metric: Literal["open_rate", "click_rate"] = "open_rate"
    started_at: ZonedDatetime
    minimum_runtime_days: int = Field(default=1, ge=0)
    stop_rules: StopRules = StopRules()
    guardrails: dict[str, Any] = Field(default_factory=dict)  # the verdict rule ids the action passed
    status: ExperimentStatus = ExperimentStatus.RUNNING
    winner: str | None = None  # variant_id
    results: dict[str, Any] = Field(default_factory=dict)
    updated_at: ZonedDatetime | None = None
