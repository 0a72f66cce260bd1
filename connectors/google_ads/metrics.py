"""`read_metrics` for Google Ads: daily series per campaign or keyword, every other campaign of the account
(`ACCOUNT_CAMPAIGNS`), the bidding strategy's learning status and the changes others made, for counterfactual
verdicts (issue 14) — one batched set of queries per call.

- Days: `segments.date` is selected, so each entity answers one row per day with activity. The window's UTC
  midnights name calendar days, read as the account's own days (Google Ads reports by the account's time
  zone); days not over yet there are left out.
- Learning status: `campaign.bidding_strategy_system_status` at read time (a keyword: its campaign's, whose
  id the keyword reading names in `attributes["campaign_id"]`).
- Changes: one `change_event` query (see changes.py; made through the API are the Operator's own and left
  out). change_event keeps 30 days: an older range is answered with the changes since then, and
  `attributes["changes_known_since"]` says from when they are known.
"""

# ruff: noqa: S608 - GAQL, not SQL; every interpolated value is a checked id, resource name or date

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from connectors.google_ads import gaql
from connectors.google_ads.changes import MAX_DAYS, read_outside_changes
from connectors.google_ads.convert import from_micros
from schemas.changes import OutsideChange
from schemas.metrics import (
    DailyMetrics,
    EntityChange,
    EntitySeries,
    MetricEntity,
    MetricReading,
    MetricRequest,
    not_measurable,
)

Search = Callable[[str], list[Any]]
_DAILY = (MetricEntity.CAMPAIGN, MetricEntity.KEYWORD, MetricEntity.ACCOUNT_CAMPAIGNS)


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


def _day(day: date, metrics: Any) -> DailyMetrics:
    return DailyMetrics(day=day, cost=from_micros(metrics.cost_micros), conversions=_decimal(metrics.conversions),
                        conversion_value=_decimal(metrics.conversions_value).quantize(Decimal("0.01")),
                        clicks=metrics.clicks, impressions=metrics.impressions)


def _during(first: date, last: date) -> str:
    return f"segments.date BETWEEN '{first.isoformat()}' AND '{last.isoformat()}'"


_METRICS = ", ".join(gaql.METRIC_FIELDS)


def _campaign_days(search: Search, ids: list[str], first: date, last: date) -> dict[str, dict[date, DailyMetrics]]:
    found: dict[str, dict[date, DailyMetrics]] = defaultdict(dict)
    for chunk in gaql.chunks(ids):
        query = (f"SELECT campaign.id, segments.date, {_METRICS} FROM campaign "
                 f"WHERE campaign.id IN ({', '.join(gaql.digits(i, 'id') for i in chunk)}) AND {_during(first, last)}")
        for row in search(query):
            day = date.fromisoformat(row.segments.date)
            found[str(row.campaign.id)][day] = _day(day, row.metrics)
    return found


def _keyword_days(search: Search, names: list[str], first: date, last: date
                  ) -> tuple[dict[str, dict[date, DailyMetrics]], dict[str, str]]:
    found: dict[str, dict[date, DailyMetrics]] = defaultdict(dict)
    campaign_of: dict[str, str] = {}
    for chunk in gaql.chunks(names):
        quoted = ", ".join(f"'{name}'" for name in chunk)
        query = (f"SELECT ad_group_criterion.resource_name, campaign.id, segments.date, {_METRICS} FROM keyword_view "
                 f"WHERE ad_group_criterion.resource_name IN ({quoted}) AND {_during(first, last)}")
        for row in search(query):
            day = date.fromisoformat(row.segments.date)
            name = row.ad_group_criterion.resource_name
            found[name][day] = _day(day, row.metrics)
            campaign_of[name] = str(row.campaign.id)
    return found, campaign_of


def _campaigns(search: Search) -> dict[str, Any]:
    """Every campaign not removed: status, learning status and budget (one row each)."""
    query = ("SELECT campaign.id, campaign.status, campaign.bidding_strategy_system_status, campaign_budget.id "
             "FROM campaign WHERE campaign.status != 'REMOVED'")
    return {str(row.campaign.id): row for row in search(query)}


def _status(row: Any | None, field: str) -> str | None:
    if row is None:
        return None
    name = getattr(row.campaign, field).name
    return None if name in ("UNSPECIFIED", "UNKNOWN") else name


def _entity_change(entity_id: str, change: OutsideChange) -> EntityChange:
    fields = ", ".join(change.changed_fields)
    return EntityChange(entity_id=entity_id, changed_at=change.changed_at, kind=change.kind, actor=change.actor,
                        source="platform", detail=f"{change.resource_type} {change.operation}"
                                              + (f" ({fields})" if fields else ""))


class _Changes:
    """The account's outside changes since the oldest day asked about (at most what change_event keeps)."""

    def __init__(self, search: Search, customer_id: str, zone: ZoneInfo, now: datetime, since: date,
                 campaigns: dict[str, Any]):
        users: dict[str, set[str]] = defaultdict(set)
        for campaign_id, row in campaigns.items():
            if row.campaign_budget.id:
                users[str(row.campaign_budget.id)].add(campaign_id)
        days = min((now.astimezone(zone).date() - since).days + 1, MAX_DAYS)
        self.known_since = now.astimezone(zone).date() - timedelta(days=days)
        self.customer_id = customer_id
        self.by_key: dict[str, list[OutsideChange]] = defaultdict(list)
        for change in read_outside_changes(search, customer_id, zone, now, users, days=days):
            self.by_key[change.entity_key].append(change)

    def of(self, kind: str, entity_id: str, start: datetime, end: datetime) -> tuple[EntityChange, ...]:
        changes = self.by_key.get(f"google_ads:{self.customer_id}:{kind}:{entity_id}", [])
        return tuple(_entity_change(entity_id, c) for c in sorted(changes, key=lambda c: c.changed_at)
                     if start <= c.changed_at < end)


def read_metrics(search: Search, customer_id: str, requests: list[MetricRequest],
                 now: datetime) -> dict[str, MetricReading]:
    zone = _zone(search)
    answers: dict[str, MetricReading] = {}
    spans: dict[str, tuple[date, date, bool]] = {}
    daily = []
    for request in requests:
        if request.entity not in _DAILY:
            answers[request.key] = not_measurable(request.key, now, f"Google Ads has no {request.entity.value} "
                                                                    "metrics")
            continue
        spans[request.key] = _days(request, zone, now)
        daily.append(request)
    if not daily:
        return answers
    campaigns = _campaigns(search)
    first = min(spans[r.key][0] for r in daily)
    last = max(spans[r.key][1] for r in daily)
    changes = _Changes(search, customer_id, zone, now, min(first, now.astimezone(zone).date()), campaigns)
    wanted_campaigns = {gaql.digits(r.entity_id, "campaign id") for r in daily if r.entity == MetricEntity.CAMPAIGN}
    for request in daily:
        if request.entity == MetricEntity.ACCOUNT_CAMPAIGNS:
            wanted_campaigns |= set(campaigns) - set(request.exclude_ids)
    keywords = {r.key: gaql.keyword_resource_name(customer_id, *r.entity_id.partition("~")[::2])
                for r in daily if r.entity == MetricEntity.KEYWORD}
    any_day = first <= last
    campaign_days = _campaign_days(search, sorted(wanted_campaigns), first, last) if wanted_campaigns and any_day \
        else {}
    keyword_days, campaign_of = _keyword_days(search, sorted(set(keywords.values())), first, last) \
        if keywords and any_day else ({}, {})
    known = {"changes_known_since": changes.known_since.isoformat(), "time_zone": zone.key}

    def days_in(series: dict[date, DailyMetrics], span: tuple[date, date, bool]) -> tuple[DailyMetrics, ...]:
        return tuple(series[d] for d in sorted(series) if span[0] <= d <= span[1])

    for request in daily:
        span = spans[request.key]
        common: dict[str, Any] = {"key": request.key, "read_at": now, "complete": span[2], "granularity": "day",
                                  "first_day": span[0] if span[0] <= span[1] else None,
                                  "last_day": span[1] if span[0] <= span[1] else None,
                                  "reason": f"account days ({zone.key})", "changes_known": True,
                                  "attributes": dict(known)}
        if request.entity == MetricEntity.CAMPAIGN:
            row = campaigns.get(request.entity_id)
            answers[request.key] = MetricReading(
                days=days_in(campaign_days.get(request.entity_id, {}), span),
                learning_status=_status(row, "bidding_strategy_system_status"),
                changes=changes.of("campaign", request.entity_id, request.start, request.end), **common)
        elif request.entity == MetricEntity.KEYWORD:
            name = keywords[request.key]
            campaign = campaigns.get(campaign_of.get(name, ""))
            if name in campaign_of:  # the keyword's campaign (keyword_view campaign.id): never its control
                common["attributes"]["campaign_id"] = campaign_of[name]
            answers[request.key] = MetricReading(
                days=days_in(keyword_days.get(name, {}), span),
                learning_status=_status(campaign, "bidding_strategy_system_status"),
                changes=changes.of("keyword", request.entity_id, request.start, request.end), **common)
        else:
            series = tuple(
                EntitySeries(entity_id=campaign_id, days=days_in(campaign_days.get(campaign_id, {}), span),
                             status=_status(row, "status") or "", changes_known=True,
                             budget_id=str(row.campaign_budget.id) if row.campaign_budget.id else None,
                             learning_status=_status(row, "bidding_strategy_system_status"),
                             changes=changes.of("campaign", campaign_id, request.start, request.end))
                for campaign_id, row in sorted(campaigns.items()) if campaign_id not in request.exclude_ids)
            answers[request.key] = MetricReading(series=series, **common)
    return answers
