"""What a platform read returns before an action: entity state plus the metrics the rules need.

A `SnapshotRequest` says which parts to read; connectors batch all requests of one account into as few
reads as they can and answer one `Snapshot` per request key. Parts not requested stay `None`.
"""

from __future__ import annotations

from datetime import date, timedelta, timezone
from decimal import Decimal
from enum import StrEnum
from typing import Literal

from pydantic import Field

from schemas.actions import BiddingScheme
from schemas.changes import OutsideChange
from schemas.common import FrozenModel, Money, Platform, ZonedDatetime


class SnapshotPart(StrEnum):
    ACCOUNT = "account"
    CAMPAIGN = "campaign"
    BUDGET = "budget"
    PERFORMANCE = "performance"
    NEGATIVES = "negatives"
    SEARCH_TERMS = "search_terms"
    KEYWORD = "keyword"
    EMAIL_CAMPAIGN = "email_campaign"
    AUTOMATION = "automation"
    CONTENT = "content"
    CHANGES = "changes"  # outside changes to the request's entities (Google Ads change_event)
    ACCOUNT_BUDGETS = "account_budgets"  # every budget the account's enabled campaigns spend from


class SnapshotRequest(FrozenModel):
    key: str  # usually the action id; answers are keyed by it
    organization_id: str  # connectors enforce the org's account allowlist before any call
    platform: Platform
    account_id: str
    parts: frozenset[SnapshotPart]
    campaign_id: str | None = None
    ad_group_id: str | None = None
    criterion_id: str | None = None
    automation_id: str | None = None
    contact_ids: tuple[str, ...] = ()
    contact_emails: tuple[str, ...] = ()
    url: str | None = None
    topic: str | None = None
    window_days: int = Field(default=14, ge=1, le=90)


class AccountState(FrozenModel):
    account_id: str
    currency: str = "USD"
    total_daily_budget: Money = Decimal(0)  # sum over the account's enabled campaigns
    min_daily_budget: Money = Decimal("1.00")  # the platform minimum for a budget


# The last time zone on earth to finish a calendar day (UTC-12): a date in an unknown zone ends by then.
LAST_ZONE_TO_END_A_DAY = timezone(timedelta(hours=-12))


class CampaignState(FrozenModel):
    campaign_id: str
    name: str
    status: Literal["ENABLED", "PAUSED", "REMOVED"]
    labels: tuple[str, ...] = ()
    start_date: date | None = None  # in the account's time zone
    # When the campaign's runtime counts from: its start time when the platform states one, else the END of
    # its start date in the account's time zone (a campaign may have started at any time that day).
    started_at: ZonedDatetime | None = None
    bidding: BiddingScheme
    budget_id: str | None = None
    channel: str | None = None  # advertising channel type (Google Ads: "SEARCH", "DISPLAY", ...); None = unknown
    learning_status: str | None = None  # bidding strategy system status, e.g. "LEARNING_NEW"; None = unknown


class BudgetState(FrozenModel):
    """A campaign budget. `amount` is the *daily* amount; a custom-period budget (Google Ads `CUSTOM_PERIOD`:
    `total_amount` over the campaign's dates) has no daily amount (`amount=None`)."""

    budget_id: str
    amount: Money | None
    explicitly_shared: bool = False
    reference_count: int = 1
    period: Literal["DAILY", "CUSTOM_PERIOD"] = "DAILY"
    total_amount: Money | None = None

    @property
    def shared(self) -> bool:
        """Changing it changes every campaign using it (explicitly shared, or used by several)."""
        return self.explicitly_shared or self.reference_count > 1


class AccountBudget(FrozenModel):
    """One budget that enabled campaigns of the account spend from; a shared budget appears once."""

    budget_id: str
    amount: Money
    enabled_campaigns: int = 1


class Performance(FrozenModel):
    """Totals over the last `window_days` (ending at the read)."""

    window_days: int
    cost: Money = Decimal(0)
    conversions: Decimal = Decimal(0)
    conversion_value: Money = Decimal(0)
    clicks: int = 0
    impressions: int = 0
    data_as_of: ZonedDatetime | None = None  # freshness of the metrics themselves

    @property
    def roas(self) -> Decimal | None:
        if self.cost == 0:
            return None
        return (self.conversion_value / self.cost).quantize(Decimal("0.0001"))

    @property
    def avg_daily_cost(self) -> Decimal:
        return (self.cost / Decimal(self.window_days)).quantize(Decimal("0.01"))


class NegativeKeywordState(FrozenModel):
    text: str
    match_type: str
    resource_name: str | None = None


class SearchTermState(FrozenModel):
    text: str
    conversions: Decimal = Decimal(0)
    cost: Money = Decimal(0)
    clicks: int = 0


class KeywordState(FrozenModel):
    ad_group_id: str
    criterion_id: str
    campaign_id: str
    text: str
    match_type: str
    status: str = "ENABLED"
    cpc_bid: Money | None = None  # None: inherits the ad group default
    effective_cpc_bid: Money
    bid_source: Literal["CRITERION", "AD_GROUP", "CAMPAIGN_BIDDING_STRATEGY"] = "CRITERION"
    campaign_bidding_strategy: str = "manual_cpc"
    performance: Performance | None = None


class EmailCampaignState(FrozenModel):
    campaign_id: str
    name: str
    type: str = "single"
    status: int  # 0 draft, 1 scheduled, 2 sending, 3 paused, 4 stopped, 5 completed, 6 disabled
    scheduled_at: ZonedDatetime | None = None
    send_amt: int = 0
    total_amt: int = 0
    series_id: str = "0"
    subject: str | None = None
    message_ids: tuple[str, ...] = ()
    split_percentages: dict[str, int] = Field(default_factory=dict)  # message id -> share (split campaigns)
    test_tags: tuple[str, ...] = ()  # sandbox only: Operator-made split tests (the live API keeps no names)
    test_message_ids: dict[str, tuple[str, ...]] = Field(default_factory=dict)  # sandbox only: tag -> messages
    updated_at: ZonedDatetime | None = None  # AC `updated_timestamp`/`mdate`: last change by anyone
    opens: int = 0
    clicks: int = 0


class ContactState(FrozenModel):
    contact_id: str
    email: str
    subscribed: bool
    active_run_ids: tuple[str, ...] = ()  # runs of the target automation in progress


class AutomationState(FrozenModel):
    automation_id: str
    name: str
    status: int  # 1 active, 2 inactive
    contacts: tuple[ContactState, ...] = ()
    missing_contacts: tuple[str, ...] = ()  # asked-for ids/emails the account does not know


class ContentState(FrozenModel):
    key: str  # url or topic
    refresh_flagged: bool = False
    refresh_reason: str | None = None
    artifact_ids: tuple[str, ...] = ()  # live (not archived) artifacts for this key


class Snapshot(FrozenModel):
    key: str
    platform: Platform
    account_id: str
    read_at: ZonedDatetime
    source: Literal["sandbox", "live", "fake"] = "sandbox"
    account: AccountState | None = None
    campaign: CampaignState | None = None
    budget: BudgetState | None = None
    performance: Performance | None = None
    negatives: tuple[NegativeKeywordState, ...] | None = None
    search_terms: tuple[SearchTermState, ...] | None = None
    keyword: KeywordState | None = None
    email_campaign: EmailCampaignState | None = None
    automation: AutomationState | None = None
    content: ContentState | None = None
    account_budgets: tuple[AccountBudget, ...] | None = None
    missing: tuple[str, ...] = ()  # entities asked for that do not exist
    outside_changes: tuple[OutsideChange, ...] | None = None  # CHANGES: recent changes not made by the Operator
