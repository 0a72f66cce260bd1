"""The Google-Ads-like sandbox platform: snapshots part by part, metrics advancing day by day.

Entities of a customer (see `fixture.py` for how they are seeded):
campaign {campaign_id, name, status, labels, start_date, budget_id, bidding, daily_profile, metrics_through},
budget {budget_id, amount, explicitly_shared}, ad_group {ad_group_id, campaign_id, cpc_bid},
keyword "<ad_group>~<criterion>" {…, cpc_bid or null, daily_profile, metrics_through},
negative "<campaign>~<criterion>" {campaign_id, criterion_id, text, match_type},
search_term "<campaign>|<text>" {campaign_id, text, conversions, cost, clicks}.
Operations are in `google_ads_ops.py`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, ClassVar

from connectors.sandbox.changes import outside_changes
from connectors.sandbox.entities import Entities, get_account
from connectors.sandbox.google_ads_ops import GOOGLE_ADS_OPERATIONS, negative_resource_name
from connectors.sandbox.metrics import extend, scale_to, window
from connectors.sandbox.platform import OpHandler, SandboxPlatform
from connectors.sandbox.readings import ads_reading, bidding_system_status
from connectors.sandbox.scenarios import AccountModel
from schemas.actions import BiddingScheme
from schemas.changes import OutsideChange
from schemas.common import Platform
from schemas.metrics import MetricReading, MetricRequest
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


class GoogleAdsSandbox(SandboxPlatform):
    platform: ClassVar[Platform] = Platform.GOOGLE_ADS
    operations: ClassVar[dict[str, OpHandler]] = GOOGLE_ADS_OPERATIONS

    def advance(self, ents: Entities, today: date) -> None:
        """Materialise metric days up to yesterday; campaigns scale with their budget, keywords with their
        effective bid (see `metrics.py`), days follow the account's day model (`scenarios.py`)."""
        through = today - timedelta(days=1)
        model = AccountModel.load(ents)
        campaigns = {c["campaign_id"]: c for c in ents.all("campaign")}
        for campaign_id, campaign in campaigns.items():
            budget = ents.get("budget", campaign["budget_id"]) if campaign.get("budget_id") else None
            scale, state = scale_to(campaign, "profile_budget", Decimal(budget["amount"]) if budget else None,
                                    float(campaign.get("budget_elasticity", 1.0)))
            updated = extend(ents, model, "campaign", campaign_id, state, through,
                             active=campaign["status"] == "ENABLED", start=_start(campaign), campaign_id=campaign_id,
                             scale=scale)
            if updated != campaign:
                ents.put("campaign", campaign_id, updated)
        for keyword in ents.all("keyword"):
            campaign = campaigns.get(keyword["campaign_id"], {})
            active = keyword["status"] == "ENABLED" and campaign.get("status") == "ENABLED"
            key = f"{keyword['ad_group_id']}~{keyword['criterion_id']}"
            bid = keyword.get("cpc_bid") or (ents.get("ad_group", keyword["ad_group_id"]) or {}).get("cpc_bid")
            scale, state = scale_to(keyword, "profile_bid", Decimal(bid) if bid is not None else None,
                                    float(keyword.get("bid_elasticity", 1.0)))
            updated = extend(ents, model, "keyword", key, state, through, active=active, start=_start(campaign),
                             campaign_id=keyword["campaign_id"], scale=scale)
            if updated != keyword:
                ents.put("keyword", key, updated)

    def measure(self, ents: Entities, request: MetricRequest, now: datetime) -> MetricReading:
        return ads_reading(ents, request, now)

    def read(self, ents: Entities, request: SnapshotRequest, now: datetime) -> Snapshot:
        return _Reader(ents, request, now).snapshot()


_FIELD = {SnapshotPart.CHANGES: "outside_changes"}  # Snapshot fields not named like their part
CHANGE_DAYS = 14  # how far back a snapshot's CHANGES part looks, like the live connector's change_event read


def _start(campaign: dict[str, Any]) -> date | None:
    value = campaign.get("start_date")
    return date.fromisoformat(value) if value else None


class _Reader:
    """Answers one request; each part has its own reader (a registry, not a chain of ifs)."""

    def __init__(self, ents: Entities, request: SnapshotRequest, now: datetime):
        self.ents, self.request, self.now = ents, request, now
        self.missing: list[str] = []
        self.keyword: dict[str, Any] | None = None
        if request.ad_group_id and request.criterion_id:
            key = f"{request.ad_group_id}~{request.criterion_id}"
            self.keyword = ents.get("keyword", key)
            if self.keyword is None and SnapshotPart.KEYWORD in request.parts:
                self.missing.append(f"keyword:{key}")
        self.campaign_id = request.campaign_id or (self.keyword or {}).get("campaign_id")
        self.campaign = ents.get("campaign", self.campaign_id) if self.campaign_id else None
        if self.campaign_id and self.campaign is None and request.parts & _CAMPAIGN_PARTS:
            self.missing.append(f"campaign:{self.campaign_id}")
        today = self.today = now.astimezone(UTC).date()  # metric days are UTC days, as the platform advances them
        self.last_day = today - timedelta(days=1)
        self.first_day = today - timedelta(days=request.window_days)

    def snapshot(self) -> Snapshot:
        parts: dict[str, Any] = {}
        for part in sorted(self.request.parts):
            reader = _READERS.get(part)
            value = reader(self) if reader else None
            if value is not None:
                parts[_FIELD.get(part, part.value)] = value
        return Snapshot(key=self.request.key, platform=Platform.GOOGLE_ADS, account_id=self.ents.account_id,
                        read_at=self.now, source="sandbox", missing=tuple(dict.fromkeys(self.missing)), **parts)

    def performance(self, kind: str, entity_id: str) -> Performance:
        totals = window(self.ents, kind, entity_id, self.first_day, self.last_day, as_of=self.today)
        return Performance(window_days=self.request.window_days, cost=totals.cost, conversions=totals.conversions,
                           conversion_value=totals.conversion_value, clicks=totals.clicks,
                           impressions=totals.impressions, data_as_of=self.now)

    def account(self) -> AccountState:
        info = get_account(self.ents.conn, "google_ads", self.ents.account_id)
        data = info.data if info else {}
        enabled_budgets = {c["budget_id"] for c in self.ents.all("campaign") if c["status"] == "ENABLED"}
        total = sum((Decimal(b["amount"]) for b in self.ents.all("budget") if b["budget_id"] in enabled_budgets),
                    Decimal(0))
        return AccountState(account_id=self.ents.account_id, currency=data.get("currency", "USD"),
                            total_daily_budget=total, min_daily_budget=Decimal(data.get("min_daily_budget", "1.00")))

    def account_budgets(self) -> tuple[AccountBudget, ...]:
        """Every budget an enabled campaign spends from, once (a shared budget serves several)."""
        users: dict[str, int] = {}
        for campaign in self.ents.all("campaign"):
            if campaign["status"] == "ENABLED" and campaign.get("budget_id"):
                users[campaign["budget_id"]] = users.get(campaign["budget_id"], 0) + 1
        return tuple(AccountBudget(budget_id=b["budget_id"], amount=Decimal(b["amount"]),
                                   enabled_campaigns=users[b["budget_id"]])
                     for b in sorted(self.ents.all("budget"), key=lambda b: b["budget_id"]) if b["budget_id"] in users)

    def campaign_state(self) -> CampaignState | None:
        c = self.campaign
        if c is None:
            return None
        start = _start(c)
        # Sandbox accounts keep UTC days; a start date alone counts from the end of that day.
        started_at = datetime.combine(start + timedelta(days=1), time.min, tzinfo=UTC) if start else None
        return CampaignState(campaign_id=c["campaign_id"], name=c["name"], status=c["status"],
                             labels=tuple(c.get("labels", ())), start_date=start, started_at=started_at,
                             bidding=BiddingScheme.model_validate(c["bidding"]), budget_id=c.get("budget_id"),
                             learning_status=bidding_system_status(self.ents, c["campaign_id"], self.today))

    def budget(self) -> BudgetState | None:
        if self.campaign is None or not self.campaign.get("budget_id"):
            return None
        budget = self.ents.get("budget", self.campaign["budget_id"])
        if budget is None:
            self.missing.append(f"budget:{self.campaign['budget_id']}")
            return None
        references = sum(1 for c in self.ents.all("campaign")
                         if c.get("budget_id") == budget["budget_id"] and c["status"] != "REMOVED")
        return BudgetState(budget_id=budget["budget_id"], amount=Decimal(budget["amount"]),
                           explicitly_shared=bool(budget.get("explicitly_shared")), reference_count=references)

    def campaign_performance(self) -> Performance | None:
        return self.performance("campaign", self.campaign["campaign_id"]) if self.campaign else None

    def negatives(self) -> tuple[NegativeKeywordState, ...] | None:
        if self.campaign is None:
            return None
        return tuple(
            NegativeKeywordState(text=n["text"], match_type=n["match_type"], resource_name=negative_resource_name(
                self.ents.account_id, n["campaign_id"], n["criterion_id"]))
            for n in self.ents.all("negative") if n["campaign_id"] == self.campaign["campaign_id"]
        )

    def search_terms(self) -> tuple[SearchTermState, ...] | None:
        if self.campaign is None:
            return None
        terms = [t for t in self.ents.all("search_term") if t["campaign_id"] == self.campaign["campaign_id"]]
        terms.sort(key=lambda t: (-Decimal(t["cost"]), t["text"]))
        return tuple(SearchTermState(text=t["text"], conversions=Decimal(t["conversions"]), cost=Decimal(t["cost"]),
                                     clicks=int(t["clicks"])) for t in terms)

    def changes(self) -> tuple[OutsideChange, ...]:
        keyword_key = f"{self.keyword['ad_group_id']}~{self.keyword['criterion_id']}" if self.keyword else None
        return outside_changes(self.ents, self.campaign_id, keyword_key, self.now - timedelta(days=CHANGE_DAYS),
                               self.now)

    def keyword_state(self) -> KeywordState | None:
        k = self.keyword
        if k is None:
            return None
        ad_group = self.ents.get("ad_group", k["ad_group_id"]) or {}
        campaign = self.campaign or {}
        strategy = BiddingScheme.model_validate(campaign["bidding"]).strategy if campaign else "manual_cpc"
        own = Decimal(k["cpc_bid"]) if k.get("cpc_bid") is not None else None
        default = Decimal(ad_group.get("cpc_bid", "0.01"))
        source = "CRITERION" if own is not None else "AD_GROUP"
        if strategy != "manual_cpc":
            source = "CAMPAIGN_BIDDING_STRATEGY"
        return KeywordState(
            ad_group_id=k["ad_group_id"], criterion_id=k["criterion_id"], campaign_id=k["campaign_id"],
            text=k["text"], match_type=k["match_type"], status=k["status"], cpc_bid=own,
            effective_cpc_bid=own if own is not None else default, bid_source=source,
            campaign_bidding_strategy=strategy,
            performance=self.performance("keyword", f"{k['ad_group_id']}~{k['criterion_id']}"),
        )


_CAMPAIGN_PARTS = frozenset({SnapshotPart.CAMPAIGN, SnapshotPart.BUDGET, SnapshotPart.PERFORMANCE,
                             SnapshotPart.NEGATIVES, SnapshotPart.SEARCH_TERMS})
_READERS: dict[SnapshotPart, Callable[[_Reader], Any]] = {
    SnapshotPart.ACCOUNT: _Reader.account,
    SnapshotPart.ACCOUNT_BUDGETS: _Reader.account_budgets,
    SnapshotPart.CAMPAIGN: _Reader.campaign_state,
    SnapshotPart.BUDGET: _Reader.budget,
    SnapshotPart.PERFORMANCE: _Reader.campaign_performance,
    SnapshotPart.NEGATIVES: _Reader.negatives,
    SnapshotPart.SEARCH_TERMS: _Reader.search_terms,
    SnapshotPart.KEYWORD: _Reader.keyword_state,
    SnapshotPart.CHANGES: _Reader.changes,
}
