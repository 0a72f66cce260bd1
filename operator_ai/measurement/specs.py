"""What "helped" means per action type: the metric read, the direction expected, the guard that must hold.

One table (`SPECS`) so that changing how an action type is judged is a one-line edit (or an override
passed to `measure_due`). Budget and bid changes are judged by their direction: an increase must buy more
conversions without a collapse in efficiency; a cut must improve efficiency.

Metrics on a daily series are counts with an exposure (the test compares rates):
  conversions  conversions per day          efficiency  conversions per unit of cost (CPA's inverse)
  clicks       clicks per day (spend proxy)  visits      page visits per day (no content metrics yet)
Email metrics are proportions: open_rate (unique opens / sends), click_rate (unique clicks / sends).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any, Literal

from schemas.metrics import MetricEntity
from schemas.records import ActionRecord

Family = Literal["series", "email_rate", "experiment", "none"]
SeriesMetric = Literal["conversions", "efficiency", "clicks", "visits"]
EmailMetric = Literal["open_rate", "click_rate"]


@dataclass(frozen=True)
class MeasureSpec:
    family: Family
    metric: str = ""
    direction: Literal["up", "down"] = "up"
    guard: SeriesMetric | None = None  # must hold: a significant drop beyond `tolerance` fails the action
    tolerance: float = 0.0  # relative drop of the guard that is still acceptable (0.2: 20 %)
    entity: MetricEntity | None = None
    rollback_on_failure: bool = True  # False: the action cannot sensibly be undone once judged
    reason: str = ""  # family "none": why nothing is measured
    # the drop of conversions its final verdict is sized to find (horizon.py); None: the scheduled checkpoints
    # suffice (a pause stops a campaign's conversions altogether, which the first checkpoints already see)
    design_drop: float | None = 0.30
    # the platform always puts the campaign into learning after this action: its first
    # `learning_allowance_days` are left out of the after windows even when no run saw it learning (settling.py)
    puts_into_learning: bool = False

    def describe(self) -> str:
        if self.family == "none":
            return f"not measured: {self.reason}"
        guard = f"; {self.guard} must not drop more than {self.tolerance:.0%}" if self.guard else ""
        return f"{self.metric} expected {self.direction}{guard}"


SCALE_UP = MeasureSpec("series", "conversions", "up", guard="efficiency", tolerance=0.2, entity=MetricEntity.CAMPAIGN)
SCALE_DOWN = MeasureSpec("series", "efficiency", "up", entity=MetricEntity.CAMPAIGN)
CONTENT = MeasureSpec("series", "visits", "up", entity=MetricEntity.PAGE, rollback_on_failure=False)

SPECS: dict[str, MeasureSpec] = {
    "pause_campaign": MeasureSpec("series", "clicks", "down", guard="conversions", tolerance=0.0,
                                  entity=MetricEntity.CAMPAIGN, design_drop=None),
    "adjust_campaign_budget": SCALE_UP,  # a decrease is judged as SCALE_DOWN (see `spec_for`)
    "adjust_keyword_bid": replace(SCALE_UP, entity=MetricEntity.KEYWORD),
    "add_negative_keywords": MeasureSpec("series", "efficiency", "up", guard="conversions", tolerance=0.1,
                                         entity=MetricEntity.CAMPAIGN),
    "change_bid_strategy": MeasureSpec("series", "efficiency", "up", guard="conversions", tolerance=0.1,
                                       entity=MetricEntity.CAMPAIGN, puts_into_learning=True),
    # judged on clicks: Apple Mail Privacy Protection makes opens count machines (experiments.judged_metric)
    "adjust_send_time": MeasureSpec("email_rate", "click_rate", "up", entity=MetricEntity.EMAIL_CAMPAIGN,
                                    rollback_on_failure=False),
    "create_subject_line_test": MeasureSpec("experiment", "click_rate", "up", entity=MetricEntity.EMAIL_MESSAGE,
                                            rollback_on_failure=False),
    "pause_email_campaign": MeasureSpec("none", reason="a paused campaign sends nothing afterwards, so there is no "
                                                       "after-rate to compare; its effect is the sends it avoided"),
    "trigger_automation": MeasureSpec("none", reason="per-contact engagement of automation runs is not read in "
                                                     "this version"),
    "generate_content_brief": CONTENT,
    "suggest_internal_links": CONTENT,
    "flag_content_refresh": CONTENT,
}


def _facts(record: ActionRecord) -> dict[str, Any]:
    return (record.payload or {}).get("facts") or {}


def _decreases(facts: Mapping[str, Any], before: str, after: str) -> bool:
    if facts.get(before) is None or facts.get(after) is None:
        return False
    return Decimal(str(facts[after])) < Decimal(str(facts[before]))


def spec_for(record: ActionRecord, specs: Mapping[str, MeasureSpec] | None = None) -> MeasureSpec:
    """The spec for one executed action; a budget or bid cut is judged on efficiency instead of volume."""
    table = SPECS if specs is None else specs
    spec = table.get(record.action_type)
    if spec is None:
        return MeasureSpec("none", reason=f"no measurement is defined for {record.action_type}")
    facts = _facts(record)
    if spec == SCALE_UP and _decreases(facts, "budget_before", "budget_after"):
        return SCALE_DOWN
    if record.action_type == "adjust_keyword_bid" and _decreases(facts, "bid_before", "bid_after"):
        return replace(SCALE_DOWN, entity=MetricEntity.KEYWORD)
    return spec


def entity_id(record: ActionRecord, spec: MeasureSpec) -> str | None:
    """The platform id of the measured entity, from the recorded action's target."""
    target = ((record.payload or {}).get("action") or {}).get("target") or {}
    if spec.entity == MetricEntity.KEYWORD:
        if target.get("ad_group_id") and target.get("criterion_id"):
            return f"{target['ad_group_id']}~{target['criterion_id']}"
        return None
    if spec.entity == MetricEntity.PAGE:
        return target.get("url") or target.get("topic")
    return target.get("campaign_id")
