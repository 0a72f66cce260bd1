"""Snapshots: every request of one customer answered from one GAQL query per entity kind.

The queries are planned from the union of all requests (all campaigns in one `IN (...)`, one metrics
query per distinct window), run, and the rows are then cut back into one `Snapshot` per request.
Micros become Decimal here and nowhere else.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from connectors.google_ads import gaql
from connectors.google_ads.changes import by_entity, read_outside_changes
from connectors.google_ads.convert import from_micros, scheme_from_campaign
from schemas.changes import OutsideChange
from schemas.common import Platform
from schemas.snapshots import (
    AccountBudget,
    AccountState,
    BudgetState,
    CampaignState,
    KeywordState,
    NegativeKeywordState,
    Performance,
    SearchTermState,
    Snapshot,
    SnapshotPart,
    SnapshotRequest,
)

Search = Callable[[str], list[Any]]  # GAQL -> rows, for one customer
P = SnapshotPart
_CAMPAIGN_PARTS = frozenset({P.CAMPAIGN, P.BUDGET, P.PERFORMANCE, P.NEGATIVES, P.SEARCH_TERMS, P.CHANGES})
_BID_SOURCES = {"AD_GROUP_CRITERION": "CRITERION", "AD_GROUP": "AD_GROUP",
                "CAMPAIGN_BIDDING_STRATEGY": "CAMPAIGN_BIDDING_STRATEGY"}


@dataclass
class _Totals:
    cost_micros: int = 0
    conversions: float = 0.0
    value: float = 0.0
    clicks: int = 0
    impressions: int = 0

    def add(self, metrics: Any) -> None:
        self.cost_micros += metrics.cost_micros
        self.conversions += metrics.conversions
        self.value += metrics.conversions_value
        self.clicks += metrics.clicks
        self.impressions += metrics.impressions

    def performance(self, window_days: int, as_of: datetime) -> Performance:
        return Performance(window_days=window_days, cost=from_micros(self.cost_micros),
                           conversions=_decimal(self.conversions),
                           conversion_value=_decimal(self.value).quantize(Decimal("0.01")),
                           clicks=self.clicks, impressions=self.impressions, data_as_of=as_of)


def _decimal(value: float) -> Decimal:
    """A metric double as Decimal, rounded to 6 places so float sums do not leak binary noise."""
    return Decimal(repr(round(value, 6))).normalize()


@dataclass
class _Plan:
    campaigns: set[str] = field(default_factory=set)
    labels: set[str] = field(default_factory=set)
    campaign_windows: dict[int, set[str]] = field(default_factory=lambda: defaultdict(set))
    negatives: set[str] = field(default_factory=set)
    term_windows: dict[int, set[str]] = field(default_factory=lambda: defaultdict(set))
    keywords: set[str] = field(default_factory=set)
    keyword_windows: dict[int, set[str]] = field(default_factory=lambda: defaultdict(set))
    account: bool = False
    changes: bool = False
    account_budgets: bool = False


def _keyword_name(customer_id: str, request: SnapshotRequest) -> str | None:
    if P.KEYWORD not in request.parts or not request.ad_group_id or not request.criterion_id:
        return None
    return gaql.keyword_resource_name(customer_id, request.ad_group_id, request.criterion_id)


def _plan(customer_id: str, requests: list[SnapshotRequest]) -> _Plan:
    plan = _Plan()
    for request in requests:
        parts, campaign = request.parts, request.campaign_id
        keyword = _keyword_name(customer_id, request)
        plan.account |= P.ACCOUNT in parts
        plan.changes |= P.CHANGES in parts
        plan.account_budgets |= P.ACCOUNT_BUDGETS in parts
        if keyword:
            plan.keywords.add(keyword)
            plan.keyword_windows[request.window_days].add(keyword)
        if campaign is None or not parts & _CAMPAIGN_PARTS:
            continue
        gaql.digits(campaign, "campaign id")
        plan.campaigns.add(campaign)
        if P.CAMPAIGN in parts:
            plan.labels.add(campaign)
        if P.PERFORMANCE in parts:
            plan.campaign_windows[request.window_days].add(campaign)
        if P.NEGATIVES in parts:
            plan.negatives.add(campaign)
        if P.SEARCH_TERMS in parts:
            plan.term_windows[request.window_days].add(campaign)
    return plan


def _window(today: date, days: int) -> tuple[date, date]:
    """The last `days` days in the account's time zone, today included (the window ends at the read)."""
    return today - timedelta(days=days - 1), today


class _Reader:
    def __init__(self, search: Search, customer_id: str, now: datetime):
        self.search, self.customer_id, self.now = search, customer_id, now
        rows = search(gaql.customer_query())
        customer = rows[0].customer if rows else None
        self.currency = customer.currency_code if customer and customer.currency_code else "USD"
        try:
            zone = ZoneInfo(customer.time_zone) if customer and customer.time_zone else ZoneInfo("UTC")
        except (ZoneInfoNotFoundError, ValueError):
            zone = ZoneInfo("UTC")
        self.zone = zone
        self.zone = zone
        self.today = now.astimezone(zone).date()
        self._budgets: tuple[AccountBudget, ...] | None = None

    def rows(self, build: Callable[[list[str]], str], ids: set[str]) -> list[Any]:
        return [row for chunk in gaql.chunks(ids) for row in self.search(build(chunk))]

    def campaigns(self, ids: set[str]) -> dict[str, Any]:
        return {str(row.campaign.id): row for row in self.rows(gaql.campaigns_query, ids)}

    def labels(self, ids: set[str]) -> dict[str, list[str]]:
        found: dict[str, list[str]] = defaultdict(list)
        for row in self.rows(gaql.labels_query, ids):
            found[str(row.campaign.id)].append(row.label.name)
        return found

    def enabled_budgets(self) -> tuple[AccountBudget, ...]:
        """Budgets of the enabled campaigns, each once (one query, shared by both parts that need it)."""
        if self._budgets is None:
            amounts: dict[str, int] = {}
            users: dict[str, int] = defaultdict(int)
            for row in self.search(gaql.enabled_budgets_query()):
                if row.campaign_budget.period.name == "CUSTOM_PERIOD":  # no daily amount
                    continue
                budget_id = str(row.campaign_budget.id)
                amounts[budget_id] = row.campaign_budget.amount_micros
                users[budget_id] += 1
            self._budgets = tuple(AccountBudget(budget_id=b, amount=from_micros(amounts[b]), enabled_campaigns=users[b])
                                  for b in sorted(amounts))
        return self._budgets

    def total_daily_budget(self) -> Decimal:
        return sum((b.amount for b in self.enabled_budgets()), Decimal(0))

    def campaign_metrics(self, windows: dict[int, set[str]]) -> dict[tuple[int, str], Performance]:
        found = {}
        for days, ids in windows.items():
            start, end = _window(self.today, days)
            totals: dict[str, _Totals] = defaultdict(_Totals)
            for row in self.rows(partial(gaql.campaign_metrics_query, start=start, end=end), ids):
                totals[str(row.campaign.id)].add(row.metrics)
            for campaign in ids:  # no row: nothing served in the window
                found[(days, campaign)] = totals[campaign].performance(days, self.now)
        return found

    def negatives(self, ids: set[str]) -> dict[str, list[NegativeKeywordState]]:
        found: dict[str, list[NegativeKeywordState]] = defaultdict(list)
        for row in self.rows(gaql.negatives_query, ids):
            criterion = row.campaign_criterion
            found[str(row.campaign.id)].append(NegativeKeywordState(
                text=criterion.keyword.text, match_type=criterion.keyword.match_type.name,
                resource_name=criterion.resource_name))
        return found

    def search_terms(self, windows: dict[int, set[str]]) -> dict[tuple[int, str], tuple[SearchTermState, ...]]:
        found = {}
        for days, ids in windows.items():
            start, end = _window(self.today, days)
            terms: dict[str, dict[str, _Totals]] = defaultdict(lambda: defaultdict(_Totals))
            for row in self.rows(partial(gaql.search_terms_query, start=start, end=end), ids):
                terms[str(row.campaign.id)][row.search_term_view.search_term].add(row.metrics)
            for campaign in ids:
                found[(days, campaign)] = tuple(
                    SearchTermState(text=text, conversions=_decimal(t.conversions), cost=from_micros(t.cost_micros),
                                    clicks=t.clicks)
                    for text, t in sorted(terms[campaign].items()))
        return found

    def keywords(self, names: set[str]) -> dict[str, Any]:
        return {row.ad_group_criterion.resource_name: row for row in self.rows(gaql.keywords_query, names)}

    def keyword_metrics(self, windows: dict[int, set[str]]) -> dict[tuple[int, str], Performance]:
        found = {}
        for days, names in windows.items():
            start, end = _window(self.today, days)
            totals: dict[str, _Totals] = defaultdict(_Totals)
            for row in self.rows(partial(gaql.keyword_metrics_query, start=start, end=end), names):
                totals[row.ad_group_criterion.resource_name].add(row.metrics)
            for name in names:
                found[(days, name)] = totals[name].performance(days, self.now)
        return found


def _start(value: str, zone: ZoneInfo) -> tuple[date | None, datetime | None]:
    """`campaign.start_date_time` ("yyyy-MM-dd HH:mm:ss", account time zone) as a date and the instant the
    runtime counts from. Midnight is what the API stores for a date-only start (and for a campaign created
    later that day), so it counts from the end of that day; another time of day is taken as stated."""
    if not value:
        return None, None
    day = date.fromisoformat(value[:10])
    clock = value[11:19]
    if clock and clock != "00:00:00":
        return day, datetime.fromisoformat(f"{value[:10]}T{clock}").replace(tzinfo=zone)
    return day, datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=zone)


def _campaign_state(row: Any, labels: list[str], zone: ZoneInfo) -> tuple[CampaignState | None, str | None]:
    campaign = row.campaign
    scheme, name = scheme_from_campaign(campaign)
    if scheme is None:
        return None, f"campaign {campaign.id}: bidding not supported by the Operator ({name})"
    status = campaign.status.name
    if status not in ("ENABLED", "PAUSED", "REMOVED"):
        return None, f"campaign {campaign.id}: unknown status {status}"
    start, started_at = _start(campaign.start_date_time, zone)
    budget_id = str(row.campaign_budget.id) if row.campaign_budget.id else None
    channel = campaign.advertising_channel_type.name
    learning = campaign.bidding_strategy_system_status.name
    return CampaignState(campaign_id=str(campaign.id), name=campaign.name, status=status,
                         labels=tuple(sorted(labels)), start_date=start, started_at=started_at, bidding=scheme,
                         budget_id=budget_id,
                         channel=None if channel in ("UNSPECIFIED", "UNKNOWN") else channel,
                         learning_status=None if learning in ("UNSPECIFIED", "UNKNOWN") else learning), None


def _budget_state(budget: Any) -> BudgetState:
    """A custom-period budget (`total_amount_micros` over the campaign's dates) has no daily amount: it is
    never read as 0.00 a day."""
    common = {"budget_id": str(budget.id), "explicitly_shared": bool(budget.explicitly_shared),
              "reference_count": budget.reference_count or 1}
    if budget.period.name == "CUSTOM_PERIOD":
        total = from_micros(budget.total_amount_micros) if "total_amount_micros" in budget else None
        return BudgetState(amount=None, period="CUSTOM_PERIOD", total_amount=total, **common)
    return BudgetState(amount=from_micros(budget.amount_micros), **common)


def _keyword_state(row: Any, performance: Performance) -> KeywordState | None:
    criterion = row.ad_group_criterion
    if "keyword" not in criterion:  # an audience or other non-keyword criterion
        return None
    own = criterion.cpc_bid_micros if "cpc_bid_micros" in criterion else None
    source = _BID_SOURCES.get(criterion.effective_cpc_bid_source.name) or ("CRITERION" if own else "AD_GROUP")
    if "effective_cpc_bid_micros" in criterion:
        effective = criterion.effective_cpc_bid_micros
    else:
        effective = own if own is not None else row.ad_group.cpc_bid_micros
    return KeywordState(
        ad_group_id=str(row.ad_group.id), criterion_id=str(criterion.criterion_id), campaign_id=str(row.campaign.id),
        text=criterion.keyword.text, match_type=criterion.keyword.match_type.name, status=criterion.status.name,
        cpc_bid=None if own is None or source == "AD_GROUP" else from_micros(own),
        effective_cpc_bid=from_micros(effective or 0), bid_source=source,
        campaign_bidding_strategy=row.campaign.bidding_strategy_type.name.lower(), performance=performance)


@dataclass
class _Read:
    """Everything the planned queries returned for one customer."""

    customer_id: str
    currency: str
    zone: ZoneInfo
    campaigns: dict[str, Any]
    labels: dict[str, list[str]]
    total_daily_budget: Decimal | None
    account_budgets: tuple[AccountBudget, ...] | None
    campaign_perf: dict[tuple[int, str], Performance]
    negatives: dict[str, list[NegativeKeywordState]]
    terms: dict[tuple[int, str], tuple[SearchTermState, ...]]
    keywords: dict[str, Any]
    keyword_perf: dict[tuple[int, str], Performance]
    changes: dict[str, list[OutsideChange]] | None = None  # by entity key; None: not asked


def _campaign_parts(request: SnapshotRequest, read: _Read, values: dict[str, Any], missing: list[str]) -> None:
    parts, campaign_id, days = request.parts, request.campaign_id, request.window_days
    assert campaign_id is not None
    row = read.campaigns.get(campaign_id)
    if row is None:
        missing.append(f"campaign {campaign_id}")
        return
    if P.CAMPAIGN in parts:
        values["campaign"], problem = _campaign_state(row, read.labels.get(campaign_id, []), read.zone)
        missing.extend([problem] if problem else [])
    if P.BUDGET in parts and row.campaign_budget.id:
        values["budget"] = _budget_state(row.campaign_budget)
    elif P.BUDGET in parts:
        missing.append(f"budget of campaign {campaign_id}")
    if P.PERFORMANCE in parts:
        values["performance"] = read.campaign_perf[(days, campaign_id)]
    if P.NEGATIVES in parts:
        values["negatives"] = tuple(read.negatives.get(campaign_id, ()))
    if P.SEARCH_TERMS in parts:
        values["search_terms"] = read.terms[(days, campaign_id)]


def _answer(request: SnapshotRequest, read: _Read, now: datetime) -> Snapshot:
    parts = request.parts
    values: dict[str, Any] = {}
    missing: list[str] = []
    if P.ACCOUNT in parts and read.total_daily_budget is not None:
        values["account"] = AccountState(account_id=read.customer_id, currency=read.currency,
                                         total_daily_budget=read.total_daily_budget)
    if P.ACCOUNT_BUDGETS in parts and read.account_budgets is not None:
        values["account_budgets"] = read.account_budgets
    if request.campaign_id is not None and parts & _CAMPAIGN_PARTS:
        _campaign_parts(request, read, values, missing)
    keyword_name = _keyword_name(read.customer_id, request)
    if keyword_name is not None:
        row = read.keywords.get(keyword_name)
        keyword = _keyword_state(row, read.keyword_perf[(request.window_days, keyword_name)]) if row else None
        if keyword is None:
            missing.append(f"keyword {request.ad_group_id}~{request.criterion_id}")
        else:
            values["keyword"] = keyword
            if P.PERFORMANCE in parts and request.campaign_id is None:  # a keyword request's metrics are its own
                values["performance"] = keyword.performance
    elif P.KEYWORD in parts:
        missing.append("keyword (the request names no ad group and criterion)")
    if request.campaign_id is None and keyword_name is None and parts & _CAMPAIGN_PARTS:
        missing.append("campaign (the request names no campaign)")
    if P.CHANGES in parts and read.changes is not None:
        keys = [f"google_ads:{read.customer_id}:campaign:{request.campaign_id}" if request.campaign_id else None,
                f"google_ads:{read.customer_id}:keyword:{request.ad_group_id}~{request.criterion_id}"
                if keyword_name else None]
        values["outside_changes"] = tuple(sorted((c for key in keys if key for c in read.changes.get(key, ())),
                                                 key=lambda c: c.changed_at))
    return Snapshot(key=request.key, platform=Platform.GOOGLE_ADS, account_id=read.customer_id, read_at=now,
                    source="live", missing=tuple(missing), **values)


def read_snapshots(search: Search, customer_id: str, requests: list[SnapshotRequest],
                   now: datetime) -> dict[str, Snapshot]:
    plan = _plan(customer_id, requests)
    reader = _Reader(search, customer_id, now)
    campaigns = reader.campaigns(plan.campaigns) if plan.campaigns else {}
    changes = None
    if plan.changes:
        budget_users: dict[str, set[str]] = defaultdict(set)
        for campaign_id, row in campaigns.items():
            if row.campaign_budget.id:
                budget_users[str(row.campaign_budget.id)].add(campaign_id)
        changes = by_entity(read_outside_changes(reader.search, customer_id, reader.zone, now, budget_users))
    read = _Read(
        customer_id=customer_id,
        currency=reader.currency,
        zone=reader.zone,
        campaigns=campaigns,
        labels=reader.labels(plan.labels) if plan.labels else {},
        total_daily_budget=reader.total_daily_budget() if plan.account else None,
        account_budgets=reader.enabled_budgets() if plan.account_budgets else None,
        campaign_perf=reader.campaign_metrics(plan.campaign_windows),
        negatives=reader.negatives(plan.negatives) if plan.negatives else {},
        terms=reader.search_terms(plan.term_windows),
        keywords=reader.keywords(plan.keywords) if plan.keywords else {},
        keyword_perf=reader.keyword_metrics(plan.keyword_windows),
        changes=changes,
    )
    return {request.key: _answer(request, read, now) for request in requests}
