"""In-memory Google Ads accounts for the fake, held as the library's own v26 protobuf messages.

Amounts in the builder helpers are decimal strings (account currency); they become micros here, the way
the real API stores them. Output-only fields (bidding_strategy_type, reference_count, effective bids)
are derived from state whenever they are read, as Google would.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from google.ads.googleads.v26.common.types import bidding
from google.ads.googleads.v26.resources.types import (
    ad_group,
    ad_group_criterion,
    campaign,
    campaign_budget,
    campaign_criterion,
)

Campaign = campaign.Campaign.pb()
CampaignBudget = campaign_budget.CampaignBudget.pb()
AdGroup = ad_group.AdGroup.pb()
AdGroupCriterion = ad_group_criterion.AdGroupCriterion.pb()
CampaignCriterion = campaign_criterion.CampaignCriterion.pb()
SCHEME_TYPES = {
    "manual_cpc": bidding.ManualCpc.pb(),
    "maximize_conversions": bidding.MaximizeConversions.pb(),
    "maximize_conversion_value": bidding.MaximizeConversionValue.pb(),
    "target_cpa": bidding.TargetCpa.pb(),
    "target_roas": bidding.TargetRoas.pb(),
    "target_spend": bidding.TargetSpend.pb(),
}


SEARCH_CHANNEL = Campaign.DESCRIPTOR.fields_by_name["advertising_channel_type"].enum_type.values_by_name["SEARCH"].number
CUSTOM_PERIOD = CampaignBudget.DESCRIPTOR.fields_by_name["period"].enum_type.values_by_name["CUSTOM_PERIOD"].number
API_USER = "operator-sa@example.iam.gserviceaccount.com"  # who the fake's API client is in change_event


@dataclass(frozen=True)
class Change:
    """One change_event row as the API reports it (`changed_fields` as mask paths)."""

    at: datetime  # in the account's time zone, naive (change_event reports local times without a zone)
    resource_type: str  # ChangeEventResourceType name: CAMPAIGN, CAMPAIGN_BUDGET, ...
    resource_name: str
    operation: str  # CREATE / UPDATE / REMOVE
    client_type: str  # ChangeClientType name
    user_email: str
    changed_fields: tuple[str, ...] = ()
    campaign: str | None = None


def micros(amount: str | Decimal | int | float) -> int:
    return int(Decimal(str(amount)) * 1_000_000)


@dataclass
class Day:
    cost_micros: int = 0
    conversions: float = 0.0
    value: float = 0.0
    clicks: int = 0
    impressions: int = 0


@dataclass
class Account:
    customer_id: str
    currency: str = "USD"
    time_zone: str = "America/New_York"
    manager_id: str | None = None  # the direct manager: calls must name a manager of its tree as login-customer-id
    upper_managers: tuple[str, ...] = ()  # managers above `manager_id` (their login-customer-id reaches it too)
    direct_access: bool = False  # the user is a user of the account itself (login-customer-id may be absent)
    campaigns: dict[int, Any] = field(default_factory=dict)
    budgets: dict[int, Any] = field(default_factory=dict)
    ad_groups: dict[int, Any] = field(default_factory=dict)
    keywords: dict[str, Any] = field(default_factory=dict)  # ad group criteria by resource name
    negatives: dict[str, Any] = field(default_factory=dict)  # campaign criteria by resource name
    labels: dict[int, list[str]] = field(default_factory=dict)
    campaign_days: dict[int, dict[date, Day]] = field(default_factory=dict)
    keyword_days: dict[str, dict[date, Day]] = field(default_factory=dict)
    term_days: dict[tuple[int, int, str], dict[date, Day]] = field(default_factory=dict)
    next_id: int = 900_000
    changes: list[Change] = field(default_factory=list)
    clock: datetime | None = None  # "now" in the account's zone (naive) for API changes; None: the wall clock
    learning: dict[int, str] = field(default_factory=dict)  # campaign -> bidding_strategy_system_status name

    @property
    def prefix(self) -> str:
        return f"customers/{self.customer_id}"

    def admits(self, login_customer_id: str | None) -> bool:
        """Whether a call with this `login-customer-id` reaches the account (the manager hierarchy rule:
        the login customer must be a manager above it, or the account itself for a direct user)."""
        if self.manager_id is None:
            return True
        if login_customer_id in (self.manager_id, *self.upper_managers):
            return True
        return self.direct_access and login_customer_id in (None, self.customer_id)

    def new_id(self) -> int:
        self.next_id += 1
        return self.next_id

    # ------------------------------------------------------------------ builders

    def add_budget(self, budget_id: int, amount: str, *, shared: bool = False, total: str | None = None) -> None:
        """A daily budget of `amount`, or (with `total`) a custom-period budget of `total` over its dates."""
        budget = CampaignBudget(resource_name=f"{self.prefix}/campaignBudgets/{budget_id}", id=budget_id,
                                name=f"Budget {budget_id}", explicitly_shared=shared, period="DAILY")
        if total is None:
            budget.amount_micros = micros(amount)
        else:
            budget.period, budget.total_amount_micros = CUSTOM_PERIOD, micros(total)
        self.budgets[budget_id] = budget

    def add_campaign(self, campaign_id: int, name: str, *, budget: int, status: str = "ENABLED",
                     scheme: str = "manual_cpc", start: str = "2025-01-10", channel: str = "SEARCH",
                     **scheme_fields: Any) -> None:
        row = Campaign(resource_name=f"{self.prefix}/campaigns/{campaign_id}", id=campaign_id, name=name,
                       status=status, campaign_budget=self.budgets[budget].resource_name,
                       start_date_time=f"{start} 00:00:00", advertising_channel_type=channel)
        member = getattr(row, scheme)
        member.SetInParent()
        for key, value in scheme_fields.items():
            setattr(member, key, value)
        self.campaigns[campaign_id] = row

    def add_ad_group(self, ad_group_id: int, campaign_id: int, cpc_bid: str) -> None:
        self.ad_groups[ad_group_id] = AdGroup(
            resource_name=f"{self.prefix}/adGroups/{ad_group_id}", id=ad_group_id, name=f"Ad group {ad_group_id}",
            campaign=self.campaigns[campaign_id].resource_name, cpc_bid_micros=micros(cpc_bid))

    def add_keyword(self, ad_group_id: int, criterion_id: int, text: str, match_type: str,
                    cpc_bid: str | None = None, *, status: str = "ENABLED") -> str:
        name = f"{self.prefix}/adGroupCriteria/{ad_group_id}~{criterion_id}"
        criterion = AdGroupCriterion(resource_name=name, criterion_id=criterion_id, status=status, type_="KEYWORD",
                                     negative=False,
                                     ad_group=self.ad_groups[ad_group_id].resource_name)
        criterion.keyword.text, criterion.keyword.match_type = text, match_type
        if cpc_bid is not None:
            criterion.cpc_bid_micros = micros(cpc_bid)
        self.keywords[name] = criterion
        return name

    def add_negative(self, campaign_id: int, text: str, match_type: str) -> str:
        criterion_id = self.new_id()
        name = f"{self.prefix}/campaignCriteria/{campaign_id}~{criterion_id}"
        criterion = CampaignCriterion(resource_name=name, criterion_id=criterion_id, negative=True,
                                      campaign=self.campaigns[campaign_id].resource_name, status="ENABLED",
                                      type_="KEYWORD")
        criterion.keyword.text, criterion.keyword.match_type = text, match_type
        self.negatives[name] = criterion
        return name

    def add_label(self, campaign_id: int, name: str) -> None:
        self.labels.setdefault(campaign_id, []).append(name)

    def add_campaign_day(self, campaign_id: int, day: date, **metrics: Any) -> None:
        self.campaign_days.setdefault(campaign_id, {})[day] = _day(**metrics)

    def add_keyword_day(self, keyword: str, day: date, **metrics: Any) -> None:
        self.keyword_days.setdefault(keyword, {})[day] = _day(**metrics)

    def add_term_day(self, campaign_id: int, ad_group_id: int, term: str, day: date, **metrics: Any) -> None:
        self.term_days.setdefault((campaign_id, ad_group_id, term), {})[day] = _day(**metrics)

    def record_change(self, change: Change) -> None:
        self.changes.append(change)

    def local_now(self) -> datetime:
        """The account's "now" (naive, in its time zone), as change_event times are reported."""
        from zoneinfo import ZoneInfo

        return self.clock or datetime.now(ZoneInfo(self.time_zone)).replace(tzinfo=None)

    def record_api_change(self, resource_type: str, resource_name: str, operation: str,
                          paths: list[str]) -> None:
        """What change_event shows for a mutate through the API (client GOOGLE_ADS_API, the API user)."""
        now = self.local_now()
        campaign = None
        if resource_type == "CAMPAIGN":
            campaign = resource_name
        elif resource_type == "CAMPAIGN_CRITERION":
            campaign = f"{self.prefix}/campaigns/{resource_name.rsplit('/', 1)[1].split('~')[0]}"
        self.changes.append(Change(now.replace(microsecond=0),
                                   resource_type, resource_name, operation, "GOOGLE_ADS_API", API_USER,
                                   tuple(p for p in paths if p != "resource_name"), campaign))

    # ------------------------------------------------------------------ derived (output-only) fields

    def campaign_view(self, campaign_id: int) -> Any:
        row = Campaign()
        row.CopyFrom(self.campaigns[campaign_id])
        member = row.WhichOneof("campaign_bidding_strategy")
        row.bidding_strategy_type = member.upper() if member and member != "bidding_strategy" else "UNSPECIFIED"
        row.bidding_strategy_system_status = self.learning.get(campaign_id, "ENABLED")
        return row

    def budget_view(self, budget_name: str) -> Any:
        budget_id = int(budget_name.rsplit("/", 1)[1])
        row = CampaignBudget()
        row.CopyFrom(self.budgets[budget_id])
        row.reference_count = sum(1 for c in self.campaigns.values() if c.campaign_budget == budget_name)
        return row

    def keyword_view(self, name: str) -> Any:
        row = AdGroupCriterion()
        row.CopyFrom(self.keywords[name])
        group = self.ad_groups[int(row.ad_group.rsplit("/", 1)[1])]
        if row.HasField("cpc_bid_micros"):
            row.effective_cpc_bid_micros, row.effective_cpc_bid_source = row.cpc_bid_micros, "AD_GROUP_CRITERION"
        else:
            row.effective_cpc_bid_micros, row.effective_cpc_bid_source = group.cpc_bid_micros, "AD_GROUP"
        return row

    def campaign_of_group(self, ad_group_name: str) -> int:
        group = self.ad_groups[int(ad_group_name.rsplit("/", 1)[1])]
        return int(group.campaign.rsplit("/", 1)[1])

    # ------------------------------------------------------------------ what tests assert on

    def fingerprint(self) -> tuple[bytes, ...]:
        """Every entity's bytes: equal fingerprints mean nothing changed."""
        stores = (self.campaigns, self.budgets, self.ad_groups, self.keywords, self.negatives)
        return tuple(m.SerializeToString(deterministic=True) for store in stores for _, m in sorted(store.items()))

    def status(self, campaign_id: int) -> str:
        return Campaign.DESCRIPTOR.fields_by_name["status"].enum_type.values_by_number[
            self.campaigns[campaign_id].status].name

    def budget_amount(self, budget_id: int) -> Decimal:
        return Decimal(self.budgets[budget_id].amount_micros) / 1_000_000

    def keyword_bid(self, name: str) -> Decimal | None:
        criterion = self.keywords[name]
        return Decimal(criterion.cpc_bid_micros) / 1_000_000 if criterion.HasField("cpc_bid_micros") else None

    def scheme(self, campaign_id: int) -> tuple[str | None, dict[str, Any]]:
        row = self.campaigns[campaign_id]
        member = row.WhichOneof("campaign_bidding_strategy")
        if member is None or member == "bidding_strategy":
            return member, {}
        values = {f.name: v for f, v in getattr(row, member).ListFields()}
        return member, values

    def negative_texts(self, campaign_id: int) -> list[tuple[str, str]]:
        enum = CampaignCriterion.DESCRIPTOR.fields_by_name["keyword"].message_type.fields_by_name["match_type"]
        prefix = f"{self.prefix}/campaignCriteria/{campaign_id}~"
        return sorted((c.keyword.text, enum.enum_type.values_by_number[c.keyword.match_type].name)
                      for name, c in self.negatives.items() if name.startswith(prefix))


def _day(cost: str | float = 0, conversions: float = 0.0, value: float = 0.0, clicks: int = 0,
         impressions: int = 0) -> Day:
    return Day(cost_micros=micros(cost), conversions=float(conversions), value=float(value), clicks=clicks,
               impressions=impressions)
