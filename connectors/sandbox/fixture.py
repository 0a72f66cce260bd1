"""The sandbox fixture (`operator_ai/samples/sandbox.json`, documented in docs/formats.md): its schema and
how it is seeded into the SQLite file.

Dates in the fixture are relative to the moment of seeding (`started_days_ago`, `scheduled_in_hours`,
`last_updated_days_ago`) so the demo stays meaningful whenever it is first run; seeding resolves them to
absolute dates and stores those. Metric totals are spread over the window's days (see `metrics.py`).
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from connectors.local.db import Database
from connectors.sandbox.activecampaign_ops import MESSAGE_IDS_START, RUN_IDS_START
from connectors.sandbox.entities import Account, Entities, put_account
from connectors.sandbox.google_ads_ops import CRITERION_IDS_START
from connectors.sandbox.metrics import Totals, seed_series
from connectors.sandbox.realism import Simulation
from connectors.sandbox.scenarios import LEARNING_STATUSES, AccountModel, Event, add_event, set_model
from schemas.actions import AcAccountId, BiddingScheme
from schemas.common import CustomerId, Money, NumericId, OrgId, Url
from schemas.opportunity import describe_validation_error


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class MetricsIn(_In):
    cost: Money = Decimal(0)
    conversions: Decimal = Field(default=Decimal(0), ge=0, allow_inf_nan=False)
    conversion_value: Money = Decimal(0)
    clicks: int = Field(default=0, ge=0)
    impressions: int = Field(default=0, ge=0)

    def totals(self) -> Totals:
        return Totals(self.cost, self.conversions, self.conversion_value, self.clicks, self.impressions)


class NegativeIn(_In):
    text: str
    match_type: Literal["EXACT", "PHRASE", "BROAD"] = "EXACT"


class SearchTermIn(_In):
    text: str
    cost: Money = Decimal(0)
    conversions: Decimal = Field(default=Decimal(0), ge=0, allow_inf_nan=False)
    clicks: int = Field(default=0, ge=0)


class BudgetIn(_In):
    budget_id: NumericId
    amount: Money
    explicitly_shared: bool = False


class CampaignIn(_In):
    campaign_id: NumericId
    name: str
    note: str = ""
    status: Literal["ENABLED", "PAUSED", "REMOVED"] = "ENABLED"
    labels: tuple[str, ...] = ()
    started_days_ago: int | None = Field(default=None, ge=0)
    start_date: date | None = None
    budget_id: NumericId
    bidding: BiddingScheme = BiddingScheme(strategy="manual_cpc")
    budget_elasticity: float = Field(default=1.0, ge=0, le=3)  # 1: days scale with the budget; 0: not at all
    metrics: MetricsIn = MetricsIn()
    negatives: tuple[NegativeIn, ...] = ()
    search_terms: tuple[SearchTermIn, ...] = ()

    @model_validator(mode="after")
    def _one_start(self) -> CampaignIn:
        if (self.started_days_ago is None) == (self.start_date is None):
            raise ValueError("give exactly one of started_days_ago or start_date")
        if self.started_days_ago == 0 and self.metrics != MetricsIn():
            raise ValueError("a campaign started today has no complete day to hold its metrics")
        return self


class KeywordIn(_In):
    criterion_id: NumericId
    text: str
    note: str = ""
    match_type: Literal["EXACT", "PHRASE", "BROAD"] = "EXACT"
    status: Literal["ENABLED", "PAUSED", "REMOVED"] = "ENABLED"
    cpc_bid: Money | None = None  # None: inherits the ad group's default bid
    bid_elasticity: float = Field(default=1.0, ge=0, le=3)
    metrics: MetricsIn = MetricsIn()


class AdGroupIn(_In):
    ad_group_id: NumericId
    campaign_id: NumericId
    cpc_bid: Money
    keywords: tuple[KeywordIn, ...] = ()


class SimulationIn(_In):
    """The account's realism knobs (`connectors/sandbox/realism.py`); each defaults to `Simulation`'s."""

    seed: int | None = None  # default: the fixture's seed
    dispersion: float | None = Field(default=None, gt=0)
    traffic_dispersion: float | None = Field(default=None, gt=0)
    weekday: tuple[float, float, float, float, float, float, float] | None = None
    drift_sd: float | None = Field(default=None, ge=0, le=0.5)
    entity_drift_sd: float | None = Field(default=None, ge=0, le=0.5)
    shock_rate: float | None = Field(default=None, ge=0, le=1)
    shock_sd: float | None = Field(default=None, ge=0, le=2)
    shock_max_days: int | None = Field(default=None, ge=1, le=30)
    lag_same_day: float | None = Field(default=None, ge=0, le=1)
    lag_delayed_mean_days: float | None = Field(default=None, gt=0, le=60)
    lag_max_days: int | None = Field(default=None, ge=0, le=90)
    learning_days: int | None = Field(default=None, ge=1, le=60)
    learning_factor: float | None = Field(default=None, ge=0, le=2)
    learning_dispersion: float | None = Field(default=None, gt=0)

    def resolve(self, seed: int) -> dict[str, object]:
        given = self.model_dump(exclude_none=True)
        return {**Simulation(seed=seed).__dict__, **given}


class EventIn(_In):
    """A scripted scenario (`connectors/sandbox/scenarios.py`), dated relative to seeding."""

    kind: Literal["shift", "conversion_shift", "tracking_outage", "learning"]
    from_days: int = 0  # first day = seeding day + n (negative: already in the history)
    days: int | None = Field(default=None, ge=1)  # none: open-ended
    factor: float | None = Field(default=None, ge=0, allow_inf_nan=False)  # default 0 for an outage, else 1
    campaigns: tuple[NumericId, ...] | None = None  # none: every campaign of the account
    status: str = "LEARNING_SETTING_CHANGE"
    note: str = ""

    @model_validator(mode="after")
    def _status(self) -> EventIn:
        if self.kind == "learning" and self.status not in LEARNING_STATUSES:
            raise ValueError(f"learning status must be one of {', '.join(LEARNING_STATUSES)}")
        return self

    def event(self, today: date) -> Event:
        first = today + timedelta(days=self.from_days)
        factor = self.factor if self.factor is not None else (0.0 if self.kind == "tracking_outage" else 1.0)
        return Event(kind=self.kind, first=first, last=first + timedelta(days=self.days - 1) if self.days else None,
                     factor=factor, campaigns=self.campaigns, status=self.status, note=self.note)


class GoogleAdsAccountIn(_In):
    customer_id: CustomerId
    organization_id: OrgId
    name: str = ""
    currency: str = "USD"
    min_daily_budget: Money = Decimal("1.00")
    budgets: tuple[BudgetIn, ...] = ()
    campaigns: tuple[CampaignIn, ...] = ()
    ad_groups: tuple[AdGroupIn, ...] = ()
    simulation: SimulationIn = SimulationIn()
    events: tuple[EventIn, ...] = ()

    @model_validator(mode="after")
    def _references(self) -> GoogleAdsAccountIn:
        budgets = {b.budget_id for b in self.budgets}
        campaigns = {c.campaign_id for c in self.campaigns}
        if len(budgets) != len(self.budgets) or len(campaigns) != len(self.campaigns):
            raise ValueError("budget and campaign ids must be unique")
        for campaign in self.campaigns:
            if campaign.budget_id not in budgets:
                raise ValueError(f"campaign {campaign.campaign_id} uses unknown budget {campaign.budget_id}")
        for group in self.ad_groups:
            if group.campaign_id not in campaigns:
                raise ValueError(f"ad group {group.ad_group_id} is in unknown campaign {group.campaign_id}")
        for event in self.events:
            unknown = sorted(set(event.campaigns or ()) - campaigns)
            if unknown:
                raise ValueError(f"{event.kind} event names unknown campaign(s) {', '.join(unknown)}")
        return self


class EmailCampaignIn(_In):
    campaign_id: NumericId
    name: str
    note: str = ""
    type: str = "single"
    status: int = Field(ge=0, le=6)
    scheduled_in_hours: float | None = None
    subject: str
    send_amt: int = Field(default=0, ge=0)
    total_amt: int = Field(default=0, ge=0)
    series_id: str = "0"
    opens: int = Field(default=0, ge=0)
    clicks: int = Field(default=0, ge=0)


class AutomationIn(_In):
    automation_id: NumericId
    name: str
    note: str = ""
    status: Literal[1, 2] = 1


class RunIn(_In):
    automation_id: NumericId
    status: Literal[1, 2] = 1  # 1 in progress, 2 completed


class ContactIn(_In):
    contact_id: NumericId
    email: str
    note: str = ""
    subscribed: bool = True
    runs: tuple[RunIn, ...] = ()


class ActiveCampaignAccountIn(_In):
    account_id: AcAccountId
    organization_id: OrgId
    base_url: str
    currency: str = "USD"
    campaigns: tuple[EmailCampaignIn, ...] = ()
    automations: tuple[AutomationIn, ...] = ()
    contacts: tuple[ContactIn, ...] = ()

    @model_validator(mode="after")
    def _references(self) -> ActiveCampaignAccountIn:
        automations = {a.automation_id for a in self.automations}
        for contact in self.contacts:
            for run in contact.runs:
                if run.automation_id not in automations:
                    raise ValueError(f"contact {contact.contact_id} runs unknown automation {run.automation_id}")
        return self


class PageIn(_In):
    url: Url
    title: str
    last_updated_days_ago: int | None = Field(default=None, ge=0)


class ContentSiteIn(_In):
    site: str  # hostname
    organization_id: OrgId
    pages: tuple[PageIn, ...] = ()


class SandboxFixture(_In):
    version: Literal[1]
    description: str = ""
    window_days: int = Field(default=14, ge=1, le=90)  # the window the metric totals cover
    history_days: int = Field(default=56, ge=0, le=365)  # pre-period days before that window
    seed: int = 0  # the day model's seed (accounts may override it in `simulation`)
    google_ads: tuple[GoogleAdsAccountIn, ...] = ()
    activecampaign: tuple[ActiveCampaignAccountIn, ...] = ()
    content: tuple[ContentSiteIn, ...] = ()


class FixtureError(ValueError):
    pass


def load_fixture(path: str | Path) -> SandboxFixture:
    try:
        return SandboxFixture.model_validate(json.loads(Path(path).read_text(encoding="utf-8")))
    except ValidationError as error:
        raise FixtureError(f"{path}: {describe_validation_error(error)}") from None
    except (OSError, ValueError) as error:
        raise FixtureError(f"{path}: {error}") from None


def seed_fixture(db: Database, fixture: SandboxFixture, now: datetime) -> bool:
    """Write the fixture's accounts unless the sandbox already has accounts; True when it seeded."""
    today = now.astimezone(UTC).date()
    with db.write() as tx:
        if tx.execute("SELECT 1 FROM sandbox_accounts LIMIT 1").fetchone() is not None:
            return False
        for google in fixture.google_ads:
            _seed_google(Entities(tx, "google_ads", google.customer_id), google, today, fixture)
        for ac in fixture.activecampaign:
            _seed_activecampaign(Entities(tx, "activecampaign", ac.account_id), ac, now)
        for site in fixture.content:
            ents = Entities(tx, "content", site.site)
            put_account(tx, Account("content", site.site, site.organization_id, {}))
            for page in site.pages:
                updated = (today - timedelta(days=page.last_updated_days_ago)).isoformat() \
                    if page.last_updated_days_ago is not None else None
                ents.put("page", page.url, {"url": page.url, "title": page.title, "last_updated": updated})
    return True


def _seed_google(ents: Entities, account: GoogleAdsAccountIn, today: date, fixture: SandboxFixture) -> None:
    put_account(ents.conn, Account("google_ads", account.customer_id, account.organization_id, {
        "name": account.name, "currency": account.currency, "min_daily_budget": str(account.min_daily_budget)}))
    set_model(ents, simulation=account.simulation.resolve(fixture.seed), anchor=today)
    for event in account.events:
        add_event(ents, event.event(today))
    model = AccountModel.load(ents)
    first, last = today - timedelta(days=fixture.window_days), today - timedelta(days=1)
    history_from = first - timedelta(days=fixture.history_days)
    for budget in account.budgets:
        ents.put("budget", budget.budget_id, {"budget_id": budget.budget_id, "amount": str(budget.amount),
                                              "explicitly_shared": budget.explicitly_shared})
    starts: dict[str, date] = {}
    for c in account.campaigns:
        start = c.start_date or today - timedelta(days=c.started_days_ago or 0)
        starts[c.campaign_id] = start
        metric_state = seed_series(ents, model, "campaign", c.campaign_id, c.metrics.totals(), max(first, start),
                                   last, history_from=max(history_from, start), campaign_id=c.campaign_id)
        ents.put("campaign", c.campaign_id, {
            "campaign_id": c.campaign_id, "name": c.name, "status": c.status, "labels": list(c.labels),
            "start_date": start.isoformat(), "budget_id": c.budget_id,
            "bidding": c.bidding.model_dump(mode="json", exclude_none=True),
            "budget_elasticity": c.budget_elasticity, **metric_state,
        })
        for negative in c.negatives:
            criterion_id = ents.next_id("criterion", CRITERION_IDS_START)
            ents.put("negative", f"{c.campaign_id}~{criterion_id}", {
                "campaign_id": c.campaign_id, "criterion_id": criterion_id, "text": negative.text,
                "match_type": negative.match_type})
        for term in c.search_terms:
            ents.put("search_term", f"{c.campaign_id}|{term.text}", {
                "campaign_id": c.campaign_id, "text": term.text, "cost": str(term.cost),
                "conversions": str(term.conversions), "clicks": term.clicks})
    for group in account.ad_groups:
        ents.put("ad_group", group.ad_group_id, {"ad_group_id": group.ad_group_id, "campaign_id": group.campaign_id,
                                                 "cpc_bid": str(group.cpc_bid)})
        for k in group.keywords:
            key = f"{group.ad_group_id}~{k.criterion_id}"
            metric_state = seed_series(ents, model, "keyword", key, k.metrics.totals(),
                                       max(first, starts[group.campaign_id]), last,
                                       history_from=max(history_from, starts[group.campaign_id]),
                                       campaign_id=group.campaign_id)
            ents.put("keyword", key, {
                "ad_group_id": group.ad_group_id, "criterion_id": k.criterion_id, "campaign_id": group.campaign_id,
                "text": k.text, "match_type": k.match_type, "status": k.status,
                "cpc_bid": None if k.cpc_bid is None else str(k.cpc_bid), "bid_elasticity": k.bid_elasticity,
                **metric_state,
            })


def _seed_activecampaign(ents: Entities, account: ActiveCampaignAccountIn, now: datetime) -> None:
    put_account(ents.conn, Account("activecampaign", account.account_id, account.organization_id, {
        "base_url": account.base_url, "currency": account.currency}))
    for c in account.campaigns:
        message_id = ents.next_id("message", MESSAGE_IDS_START)
        ents.put("message", message_id, {"message_id": message_id, "campaign_id": c.campaign_id,
                                         "subject": c.subject, "tag": None})
        scheduled = (now + timedelta(hours=c.scheduled_in_hours)).astimezone(UTC).replace(microsecond=0) \
            if c.scheduled_in_hours is not None else None
        ents.put("email_campaign", c.campaign_id, {
            "campaign_id": c.campaign_id, "name": c.name, "type": c.type, "status": c.status,
            "scheduled_at": scheduled.isoformat() if scheduled else None, "send_amt": c.send_amt,
            "total_amt": c.total_amt, "series_id": c.series_id, "message_ids": [message_id], "opens": c.opens,
            "clicks": c.clicks, "split_tests": [],
        })
    for a in account.automations:
        ents.put("automation", a.automation_id, {"automation_id": a.automation_id, "name": a.name, "status": a.status})
    for contact in account.contacts:
        ents.put("contact", contact.contact_id, {"contact_id": contact.contact_id, "email": contact.email,
                                                 "subscribed": contact.subscribed})
        for run in contact.runs:
            run_id = ents.next_id("contact_automation", RUN_IDS_START)
            ents.put("contact_automation", run_id, {"run_id": run_id, "contact_id": contact.contact_id,
                                                    "automation_id": run.automation_id, "status": run.status,
                                                    "added_at": now.isoformat()})
