"""Windowed metric reads for impact measurement (spec §8): what to read, and what the platform answered.

A `MetricRequest` names one entity and a time range `[start, end)`; the connector answers a
`MetricReading`. Ads platforms report complete days (a daily series); email platforms only keep running
totals per campaign or message, so their readings are cumulative as of the read (`cumulative=True`) and
the measurement compares them with the snapshot taken at execution. A platform (or entity) without
metrics answers `measurable=False` with the reason, so the verdict can say why nothing was measured.

Counterfactual verdicts (issue 14) read, in the same batched call per account: the treated entity's daily
series from at least 28 days before the execution day (`PRE_PERIOD_DAYS`) to the end of the after window,
and the same range for every other campaign of the account (`MetricEntity.ACCOUNT_CAMPAIGNS`, answered as
`MetricReading.series`, one `EntitySeries` per campaign) — the pool the control is built from and the
input of the tracking-break circuit breaker. Each series may carry the entity's bidding-strategy status at
read time (`learning_status`, e.g. Google Ads `campaign.bidding_strategy_system_status`) and the changes
made to it by anyone, where the platform reports them (`changes`, e.g. Google Ads `change_event`;
`changes_known=True` says the platform was asked, so an empty tuple means "none").
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Literal

from pydantic import Field, model_validator

from schemas.common import FrozenModel, Money, Platform, ZonedDatetime


class MetricEntity(StrEnum):
    CAMPAIGN = "campaign"  # Google Ads campaign: daily series
    KEYWORD = "keyword"  # Google Ads keyword "<ad_group_id>~<criterion_id>": daily series
    EMAIL_CAMPAIGN = "email_campaign"  # email campaign: cumulative sends/opens/clicks
    EMAIL_MESSAGE = "email_message"  # one message (split-test variant): cumulative sends/opens/clicks
    EMAIL_ACCOUNT = "email_account"  # the account's other campaigns together (a baseline rate)
    PAGE = "page"  # a content page (no platform metrics in this version)
    # every campaign of a Google Ads account except `exclude_ids`: daily series per campaign (`series`)
    ACCOUNT_CAMPAIGNS = "account_campaigns"


PRE_PERIOD_DAYS = 28  # daily history before the execution day that calibrates a counterfactual verdict
LEARNING_PREFIX = "LEARNING"  # bidding-strategy statuses that mean "still learning" start with it


def is_learning(status: str | None) -> bool:
    """Google Ads `BiddingStrategySystemStatus` LEARNING_NEW / _SETTING_CHANGE / _BUDGET_CHANGE / ..."""
    return bool(status) and str(status).upper().startswith(LEARNING_PREFIX)


class MetricRequest(FrozenModel):
    key: str  # answers are keyed by it
    organization_id: str  # connectors enforce the org's account allowlist before any call
    platform: Platform
    account_id: str
    entity: MetricEntity
    entity_id: str
    start: ZonedDatetime  # inclusive
    # exclusive. Daily platforms return the whole days inside [start, end); measurement windows are UTC
    # midnights naming calendar days, which a platform reporting in the account's time zone reads as its days.
    end: ZonedDatetime
    exclude_ids: tuple[str, ...] = ()  # EMAIL_ACCOUNT: campaigns left out of the baseline

    @model_validator(mode="after")
    def _ordered(self) -> MetricRequest:
        if self.end < self.start:
            raise ValueError("a metric window must not end before it starts")
        return self


class DailyMetrics(FrozenModel):
    day: date
    cost: Money = Decimal(0)
    conversions: Decimal = Decimal(0)
    conversion_value: Money = Decimal(0)
    clicks: int = 0
    impressions: int = 0


class EmailCounts(FrozenModel):
    sends: int = Field(default=0, ge=0)
    opens: int = Field(default=0, ge=0)  # unique opens
    clicks: int = Field(default=0, ge=0)  # unique clicks


class EntityChange(FrozenModel):
    """A change to an entity made by anyone (the Operator, a person in the UI, a script, the platform)."""

    entity_id: str  # the campaign (a change to a campaign's budget is reported on the campaign(s) using it)
    changed_at: ZonedDatetime
    kind: str = "other"  # budget | bidding | status | targeting | keywords | ads | other
    actor: str = ""  # who: user email, "operator", client type — as the platform reports it
    source: Literal["platform", "operator_log"] = "platform"
    detail: str = ""


class EntitySeries(FrozenModel):
    """One entity's daily series inside an ACCOUNT_CAMPAIGNS reading (days without a row had no activity)."""

    entity_id: str
    days: tuple[DailyMetrics, ...] = ()
    status: str = ""  # ENABLED / PAUSED / REMOVED at read time
    learning_status: str | None = None  # bidding-strategy system status at read time; None = not reported
    changes: tuple[EntityChange, ...] = ()
    changes_known: bool = False
    budget_id: str | None = None  # the budget it spends from (Google Ads campaign_budget.id); None = not reported

    @property
    def learning(self) -> bool:
        return is_learning(self.learning_status)


class MetricReading(FrozenModel):
    key: str
    read_at: ZonedDatetime
    measurable: bool = True
    reason: str | None = None  # why not measurable, or a caveat (e.g. "account time zone")
    # Daily platforms: one row per day with activity; days of the window without a row had none. A platform
    # read by window totals (granularity "window") answers one row for the whole window, dated its first day.
    days: tuple[DailyMetrics, ...] = ()
    granularity: Literal["day", "window"] = "day"
    first_day: date | None = None  # the complete days the reading covers
    last_day: date | None = None
    complete: bool = True  # False: part of the window is not over (or not reported) yet
    # Email platforms: running totals as of `read_at`.
    email: EmailCounts | None = None
    cumulative: bool = False
    attributes: dict[str, str] = Field(default_factory=dict)  # e.g. campaign status, total recipients
    # Counterfactual inputs (daily platforms). The treated entity's own reading carries its status and
    # changes; an ACCOUNT_CAMPAIGNS reading carries one series per other campaign in `series`.
    learning_status: str | None = None  # bidding-strategy system status at read time; None = not reported
    changes: tuple[EntityChange, ...] = ()  # changes to the entity by anyone inside [start, end)
    changes_known: bool = False  # True: the platform reports changes by others (so `()` means none)
    conversion_lag_days: int | None = None  # days until ~all conversions of a day are credited, if known
    series: tuple[EntitySeries, ...] = ()

    @property
    def learning(self) -> bool:
        return is_learning(self.learning_status)

    def total(self) -> DailyMetrics | None:
        """The window's sum (dated by its first day), or None for a reading without a daily series."""
        if self.first_day is None:
            return None
        return DailyMetrics(
            day=self.first_day,
            cost=sum((d.cost for d in self.days), Decimal(0)),
            conversions=sum((d.conversions for d in self.days), Decimal(0)),
            conversion_value=sum((d.conversion_value for d in self.days), Decimal(0)),
            clicks=sum(d.clicks for d in self.days),
            impressions=sum(d.impressions for d in self.days),
        )

    @property
    def day_count(self) -> int:
        if self.first_day is None or self.last_day is None:
            return 0
        return (self.last_day - self.first_day).days + 1


def not_measurable(key: str, read_at: ZonedDatetime, reason: str) -> MetricReading:
    return MetricReading(key=key, read_at=read_at, measurable=False, reason=reason)
