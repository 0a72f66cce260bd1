"""Metric readings of the sandbox platforms (the `MetricReader` port): daily series for Google Ads
entities, running totals for ActiveCampaign campaigns, messages and the account baseline.

Days are UTC days, as the sandbox advances them. A window `[start, end)` covers the days that lie wholly
inside it; days not over yet (today and later) are left out and the reading says it is incomplete.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from connectors.sandbox.entities import Entities
from connectors.sandbox.metrics import daily
from schemas.metrics import DailyMetrics, EmailCounts, MetricEntity, MetricReading, MetricRequest, not_measurable


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


def ads_reading(ents: Entities, request: MetricRequest, now: datetime) -> MetricReading:
    if request.entity == MetricEntity.CAMPAIGN:
        kind, found = "campaign", ents.get("campaign", request.entity_id)
    elif request.entity == MetricEntity.KEYWORD:
        kind, found = "keyword", ents.get("keyword", request.entity_id)
    else:
        return not_measurable(request.key, now, f"Google Ads has no {request.entity.value} metrics")
    if found is None:
        return not_measurable(request.key, now, f"{kind} {request.entity_id} does not exist in the account")
    first, last, complete = covered_days(request.start, request.end, now)
    rows = daily(ents, kind, request.entity_id, first, last) if first <= last else []
    return MetricReading(
        key=request.key, read_at=now, first_day=first if first <= last else None,
        last_day=last if first <= last else None, complete=complete,
        days=tuple(DailyMetrics(day=day, cost=t.cost, conversions=t.conversions, conversion_value=t.conversion_value,
                                clicks=t.clicks, impressions=t.impressions) for day, t in rows),
        attributes={"status": str(found.get("status", ""))}, reason="sandbox days are UTC days")


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

