"""`read_metrics` for Google Ads: window totals per campaign or keyword, one GAQL query per entity kind
and window (`segments.date BETWEEN` the window's first and last day, not selected, so each entity
answers one total row). The window's UTC midnights name calendar days, read as the account's own days
(Google Ads reports by the account's time zone); days not over yet there are left out, and an entity
without a row served nothing in the window.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from connectors.google_ads import gaql
from connectors.google_ads.convert import from_micros
from schemas.metrics import DailyMetrics, MetricEntity, MetricReading, MetricRequest, not_measurable

Search = Callable[[str], list[Any]]


def _zone(search: Search) -> ZoneInfo:
    rows = search(gaql.customer_query())
    name = rows[0].customer.time_zone if rows and rows[0].customer.time_zone else "UTC"
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _days(request: MetricRequest, zone: ZoneInfo, now: datetime) -> tuple[date, date, bool]:
    """The calendar days the window names (its UTC midnights), read as the account's own days, that are
    over in the account's time zone at `now`; and whether that is all of them."""
    start, end = request.start.astimezone(UTC), request.end.astimezone(UTC)
    first = start.date() if start.time() == time(0) else start.date() + timedelta(days=1)
    last = end.date() - timedelta(days=1)
    yesterday = now.astimezone(zone).date() - timedelta(days=1)
    return first, min(last, yesterday), last <= yesterday


def _decimal(value: float) -> Decimal:
    return Decimal(repr(round(value, 6))).normalize()


def read_metrics(search: Search, customer_id: str, requests: list[MetricRequest],
                 now: datetime) -> dict[str, MetricReading]:
    zone = _zone(search)
    answers: dict[str, MetricReading] = {}
    groups: dict[tuple[MetricEntity, date, date], dict[str, list[MetricRequest]]] = defaultdict(
        lambda: defaultdict(list))
    spans: dict[str, tuple[date, date, bool]] = {}
    for request in requests:
        if request.entity not in (MetricEntity.CAMPAIGN, MetricEntity.KEYWORD):
            answers[request.key] = not_measurable(request.key, now, f"Google Ads has no {request.entity.value} "
                                                                    "metrics")
            continue
        spans[request.key] = first, last, complete = _days(request, zone, now)
        if first > last:
            answers[request.key] = MetricReading(key=request.key, read_at=now, complete=complete,
                                                 granularity="window", reason=f"account days ({zone.key})")
            continue
        if request.entity == MetricEntity.CAMPAIGN:
            name = gaql.digits(request.entity_id, "campaign id")
        else:
            ad_group, _, criterion = request.entity_id.partition("~")
            name = gaql.keyword_resource_name(customer_id, ad_group, criterion)
        groups[(request.entity, first, last)][name].append(request)
    for (entity, first, last), members in groups.items():
        build = gaql.campaign_metrics_query if entity == MetricEntity.CAMPAIGN else gaql.keyword_metrics_query
        totals: dict[str, list[Any]] = defaultdict(list)
        for chunk in gaql.chunks(members):
            for row in search(partial(build, start=first, end=last)(chunk)):
                key = str(row.campaign.id) if entity == MetricEntity.CAMPAIGN else row.ad_group_criterion.resource_name
                totals[key].append(row.metrics)
        for name, asked in members.items():
            rows = totals.get(name, [])
            day = DailyMetrics(day=first, cost=from_micros(sum(m.cost_micros for m in rows)),
                               conversions=_decimal(sum(m.conversions for m in rows)),
                               conversion_value=_decimal(sum(m.conversions_value for m in rows)).quantize(
                                   Decimal("0.01")),
                               clicks=sum(m.clicks for m in rows), impressions=sum(m.impressions for m in rows))
            for request in asked:
                complete = spans[request.key][2]
                answers[request.key] = MetricReading(
                    key=request.key, read_at=now, days=(day,) if rows else (), first_day=first, last_day=last,
                    complete=complete, granularity="window", reason=f"account days ({zone.key})")
    return answers
