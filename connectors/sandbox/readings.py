"""Metric readings of the sandbox platforms (the `MetricReader` port): daily series for Google Ads
entities, running totals for ActiveCampaign campaigns, messages and the account baseline.

Days are UTC days, as the sandbox advances them. A window `[start, end)` covers the days that lie wholly
inside it; days not over yet (today and later) are left out and the reading says it is incomplete.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, time, timedelta

from connectors.sandbox.changes import changes_for
from connectors.sandbox.entities import Entities
from connectors.sandbox.metrics import daily
from connectors.sandbox.scenarios import AccountModel
from schemas.metrics import (
    DailyMetrics,
    EmailCounts,
    EntitySeries,
    MetricEntity,
    MetricReading,
    MetricRequest,
    not_measurable,
)


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


def covered_days(start: datetime, end: datetime, now: datetime) -> tuple[date, date, bool]:
    """The whole UTC days inside [start, end) that are over at `now`, and whether that is all of them."""
    first = start.astimezone(UTC).date()
    if _day_start(first) < start:
        first += timedelta(days=1)
    last = end.astimezone(UTC).date() - timedelta(days=1)  # the last day that ends at or before `end`
    yesterday = now.astimezone(UTC).date() - timedelta(days=1)
    complete = last <= yesterday
    return first, min(last, yesterday), complete


def _rows(ents: Entities, kind: str, entity_id: str, first: date, last: date,
          today: date) -> tuple[DailyMetrics, ...]:
    rows = daily(ents, kind, entity_id, first, last, as_of=today) if first <= last else []
    return tuple(DailyMetrics(day=day, cost=t.cost, conversions=t.conversions, conversion_value=t.conversion_value,
                              clicks=t.clicks, impressions=t.impressions) for day, t in rows)


def ads_reading(ents: Entities, request: MetricRequest, now: datetime) -> MetricReading:
    if request.entity == MetricEntity.ACCOUNT_CAMPAIGNS:
        return account_campaigns_reading(ents, request, now)
    if request.entity == MetricEntity.CAMPAIGN:
        kind, found = "campaign", ents.get("campaign", request.entity_id)
    elif request.entity == MetricEntity.KEYWORD:
        kind, found = "keyword", ents.get("keyword", request.entity_id)
    else:
        return not_measurable(request.key, now, f"Google Ads has no {request.entity.value} metrics")
    if found is None:
        return not_measurable(request.key, now, f"{kind} {request.entity_id} does not exist in the account")
    first, last, complete = covered_days(request.start, request.end, now)
    today = now.astimezone(UTC).date()
    campaign_id = request.entity_id if kind == "campaign" else str(found.get("campaign_id", ""))
    status = bidding_system_status(ents, campaign_id, today)
    return MetricReading(
        key=request.key, read_at=now, first_day=first if first <= last else None,
        last_day=last if first <= last else None, complete=complete,
        days=_rows(ents, kind, request.entity_id, first, last, today),
        attributes={"status": str(found.get("status", "")), "bidding_strategy_system_status": status,
                    "campaign_id": campaign_id},
        learning_status=status, changes=changes_for(ents, campaign_id, request.start, request.end),
        changes_known=True, conversion_lag_days=lag_days(AccountModel.load(ents)),
        reason="sandbox days are UTC days")


def account_campaigns_reading(ents: Entities, request: MetricRequest, now: datetime) -> MetricReading:
    """Every campaign of the account but `exclude_ids`, one daily series each (the control pool)."""
    first, last, complete = covered_days(request.start, request.end, now)
    today = now.astimezone(UTC).date()
    series = []
    for campaign in ents.all("campaign"):
        campaign_id = campaign["campaign_id"]
        if campaign_id in request.exclude_ids or campaign["status"] == "REMOVED":
            continue
        series.append(EntitySeries(
            entity_id=campaign_id, days=_rows(ents, "campaign", campaign_id, first, last, today),
            status=str(campaign["status"]), learning_status=bidding_system_status(ents, campaign_id, today),
            budget_id=campaign.get("budget_id"),
            changes=changes_for(ents, campaign_id, request.start, request.end), changes_known=True))
    return MetricReading(
        key=request.key, read_at=now, first_day=first if first <= last else None,
        last_day=last if first <= last else None, complete=complete, series=tuple(series), changes_known=True,
        conversion_lag_days=lag_days(AccountModel.load(ents)), attributes={"campaigns": str(len(series))},
        reason="sandbox days are UTC days")


def lag_days(model: AccountModel, share: float = 0.95) -> int:
    """Days after which `share` of a day's conversions are credited, from the account's lag model (what
    Google Ads' conversion-lag buckets would show)."""
    sim = model.sim
    if sim.lag_same_day >= share:
        return 0
    days = math.ceil(-sim.lag_delayed_mean_days * math.log((1 - share) / (1 - sim.lag_same_day)))
    return max(1, min(sim.lag_max_days, days))


def bidding_system_status(ents: Entities, campaign_id: str, today: date) -> str:
    """Google Ads' `campaign.bidding_strategy_system_status` for a campaign: PAUSED, a LEARNING_* status
    while a learning event covers today, else ENABLED."""
    campaign = ents.get("campaign", campaign_id)
    if campaign is None:
        return "UNKNOWN"
    if campaign.get("status") != "ENABLED":
        return "PAUSED"
    learning = AccountModel.load(ents).learning(today, campaign_id)
    return learning.status if learning is not None else "ENABLED"


def _counts(data: dict[str, object], sends_field: str) -> EmailCounts:
    return EmailCounts(sends=int(str(data.get(sends_field, 0))), opens=int(str(data.get("opens", 0))),
                       clicks=int(str(data.get("clicks", 0))))


def email_reading(ents: Entities, request: MetricRequest, now: datetime) -> MetricReading:
    """Running totals: the platform keeps no time series, so the window only says when it was read."""
    if request.entity == MetricEntity.EMAIL_CAMPAIGN:
        campaign = ents.get("email_campaign", request.entity_id)
        if campaign is None:
            return not_measurable(request.key, now, f"email campaign {request.entity_id} does not exist")
        return MetricReading(key=request.key, read_at=now, cumulative=True, email=_counts(campaign, "send_amt"),
                             attributes={"status": str(campaign["status"]),
                                         "total": str(campaign.get("total_amt", 0))})
    if request.entity == MetricEntity.EMAIL_MESSAGE:
        message = ents.get("message", request.entity_id)
        if message is None:
            return not_measurable(request.key, now, f"message {request.entity_id} does not exist")
        return MetricReading(key=request.key, read_at=now, cumulative=True, email=_counts(message, "sends"),
                             attributes={"campaign_id": str(message.get("campaign_id", ""))})
    if request.entity == MetricEntity.EMAIL_ACCOUNT:
        sent = [c for c in ents.all("email_campaign")
                if int(c.get("send_amt", 0)) > 0 and c["campaign_id"] not in request.exclude_ids]
        total = EmailCounts(sends=sum(int(c.get("send_amt", 0)) for c in sent),
                            opens=sum(int(c.get("opens", 0)) for c in sent),
                            clicks=sum(int(c.get("clicks", 0)) for c in sent))
        return MetricReading(key=request.key, read_at=now, cumulative=True, email=total,
                             attributes={"campaigns": str(len(sent))})
    return not_measurable(request.key, now, f"ActiveCampaign has no {request.entity.value} metrics")

