"""Small builders for guardrail inputs: healthy defaults, override only what a test is about.

The defaults describe an autonomous org in the `full` phase whose actions pass every rule, so a test
that changes one number sees exactly the rule it targets fire. Reusable by other test packages.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from guardrails.context import GuardrailContext
from guardrails.limits import Limits, resolve_limits
from schemas.actions import (
    Action,
    AddNegativeKeywords,
    AdjustCampaignBudget,
    AdjustKeywordBid,
    BiddingScheme,
    ChangeBidStrategy,
    GenerateContentBrief,
    PauseCampaign,
    PauseEmailCampaign,
    SuggestInternalLinks,
    TriggerAutomation,
)
from schemas.common import AutonomyMode, Platform, RolloutPhase
from schemas.facts import ChangeFacts, PastAction, negative_keyword_notation
from schemas.policy import ActiveCampaignAccount, ConnectedAccounts, KillSwitch, KillSwitchState, OrgPolicy
from schemas.records import Reversibility
from schemas.snapshots import (
    AccountState,
    AutomationState,
    BudgetState,
    CampaignState,
    ContactState,
    KeywordState,
    Performance,
    SearchTermState,
    Snapshot,
)

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
ORG = "org-acme"
CUSTOMER = "1234567890"
CAMPAIGN = "111"
AD_GROUP = "222"
CRITERION = "333"
AC_ACCOUNT = "acme"
SITE = "acme.example"
CAMPAIGN_KEY = f"google_ads:{CUSTOMER}:campaign:{CAMPAIGN}"
KEYWORD_KEY = f"google_ads:{CUSTOMER}:keyword:{AD_GROUP}~{CRITERION}"
D = Decimal

_UNSET: Any = object()
_PAST_IDS = itertools.count(1)


# --------------------------------------------------------------------------- policy and limits


def connected(**overrides: Any) -> ConnectedAccounts:
    values: dict[str, Any] = {
        "google_ads_customer_ids": (CUSTOMER,),
        "activecampaign": (ActiveCampaignAccount(account_id=AC_ACCOUNT, base_url="https://acme.api-us1.com"),),
        "content_sites": (SITE,),
    }
    values.update(overrides)
    return ConnectedAccounts(**values)


def policy(**overrides: Any) -> OrgPolicy:
    values: dict[str, Any] = {
        "organization_id": ORG,
        "autonomy": AutonomyMode.AUTONOMOUS,
        "rollout_phase": RolloutPhase.FULL,
        "brand_patterns": (r"^brand\b",),
        "brand_labels": ("brand",),
        "connected": connected(),
    }
    values.update(overrides)
    return OrgPolicy(**values)


def limits(**overrides: Any) -> Limits:
    """Effective limits through the real loader, so tests cannot build limits a policy could not."""
    return resolve_limits({k: D(str(v)) for k, v in overrides.items()})


def kill_switch(scope: str = "global", *, active: bool = True) -> KillSwitchState:
    switch = KillSwitch(scope=scope, active=active, set_by="sam@acme.example", set_at=NOW, reason="runaway spend")
    return KillSwitchState(global_switch=switch) if scope == "global" else KillSwitchState(org_switch=switch)


# --------------------------------------------------------------------------- snapshot parts


def performance(**overrides: Any) -> Performance:
    """14 days, ROAS 3.0, 20 conversions, fresh."""
    values: dict[str, Any] = {
        "window_days": 14,
        "cost": D("1400.00"),
        "conversions": D(20),
        "conversion_value": D("4200.00"),
        "clicks": 700,
        "impressions": 20000,
        "data_as_of": NOW - timedelta(hours=1),
    }
    values.update(overrides)
    return Performance(**values)


def campaign(**overrides: Any) -> CampaignState:
    values: dict[str, Any] = {
        "campaign_id": CAMPAIGN,
        "name": "Generic – Widgets",
        "status": "ENABLED",
        "start_date": (NOW - timedelta(days=60)).date(),
        "bidding": BiddingScheme(strategy="manual_cpc"),
        "budget_id": "900",
    }
    values.update(overrides)
    return CampaignState(**values)


def budget(**overrides: Any) -> BudgetState:
    values: dict[str, Any] = {"budget_id": "900", "amount": D(100)}
    values.update(overrides)
    return BudgetState(**values)


def account(**overrides: Any) -> AccountState:
    values: dict[str, Any] = {"account_id": CUSTOMER, "total_daily_budget": D(10000), "min_daily_budget": D(1)}
    values.update(overrides)
    return AccountState(**values)


def keyword(**overrides: Any) -> KeywordState:
    values: dict[str, Any] = {
        "ad_group_id": AD_GROUP,
        "criterion_id": CRITERION,
        "campaign_id": CAMPAIGN,
        "text": "blue widgets",
        "match_type": "PHRASE",
        "cpc_bid": D("1.00"),
        "effective_cpc_bid": D("1.00"),
        "performance": performance(cost=D("300"), conversions=D(10), conversion_value=D("900")),
    }
    values.update(overrides)
    return KeywordState(**values)


def search_term(text: str, conversions: int | str = 0) -> SearchTermState:
    return SearchTermState(text=text, conversions=D(conversions), cost=D(10), clicks=5)


def contacts(count: int, *, unsubscribed: tuple[int, ...] = ()) -> tuple[ContactState, ...]:
    return tuple(
        ContactState(contact_id=str(i + 1), email=f"c{i + 1}@example.com", subscribed=i not in unsubscribed)
        for i in range(count)
    )


def automation(contact_states: tuple[ContactState, ...] = ()) -> AutomationState:
    return AutomationState(automation_id="77", name="Welcome", status=1, contacts=contact_states)


def snapshot(**overrides: Any) -> Snapshot:
    """A fresh Google Ads campaign snapshot: account, campaign, budget 100/day and performance."""
    values: dict[str, Any] = {
        "key": "snap",
        "platform": Platform.GOOGLE_ADS,
        "account_id": CUSTOMER,
        "read_at": NOW - timedelta(minutes=10),
        "account": account(),
        "campaign": campaign(),
        "budget": budget(),
        "performance": performance(),
    }
    values.update(overrides)
    return Snapshot(**values)


# --------------------------------------------------------------------------- actions


def pause_action(campaign_id: str = CAMPAIGN, customer_id: str = CUSTOMER) -> PauseCampaign:
    return PauseCampaign.model_validate({"target": {"customer_id": customer_id, "campaign_id": campaign_id}})


def budget_action(new: Decimal | str | int, campaign_id: str = CAMPAIGN) -> AdjustCampaignBudget:
    return AdjustCampaignBudget.model_validate(
        {"target": {"customer_id": CUSTOMER, "campaign_id": campaign_id}, "params": {"new_daily_budget": str(new)}}
    )


def bid_action(new: Decimal | str) -> AdjustKeywordBid:
    return AdjustKeywordBid.model_validate(
        {
            "target": {"customer_id": CUSTOMER, "ad_group_id": AD_GROUP, "criterion_id": CRITERION},
            "params": {"new_cpc_bid": str(new)},
        }
    )


def negatives_action(*keywords: tuple[str, str]) -> AddNegativeKeywords:
    return AddNegativeKeywords.model_validate(
        {
            "target": {"customer_id": CUSTOMER, "campaign_id": CAMPAIGN},
            "params": {"keywords": [{"text": t, "match_type": m} for t, m in keywords]},
        }
    )


def strategy_action() -> ChangeBidStrategy:
    return ChangeBidStrategy.model_validate(
        {"target": {"customer_id": CUSTOMER, "campaign_id": CAMPAIGN}, "params": {"strategy": "maximize_conversions"}}
    )


def automation_action(count: int, account_id: str = AC_ACCOUNT) -> TriggerAutomation:
    return TriggerAutomation.model_validate(
        {
            "target": {"account_id": account_id, "automation_id": "77"},
            "params": {"contact_ids": [str(i + 1) for i in range(count)]},
        }
    )


def email_pause_action(account_id: str = AC_ACCOUNT) -> PauseEmailCampaign:
    return PauseEmailCampaign.model_validate({"target": {"account_id": account_id, "campaign_id": "55"}})


def brief_action(*, topic: str | None = None, url: str | None = None) -> GenerateContentBrief:
    target = {k: v for k, v in (("topic", topic), ("url", url)) if v is not None}
    return GenerateContentBrief.model_validate({"target": target})


def links_action(url: str, *links: tuple[str, str]) -> SuggestInternalLinks:
    return SuggestInternalLinks.model_validate(
        {"target": {"url": url}, "params": {"links": [{"from_url": f, "to_url": t, "anchor": "see"} for f, t in links]}}
    )


# --------------------------------------------------------------------------- facts and history


def facts(**overrides: Any) -> ChangeFacts:
    values: dict[str, Any] = {"entity_key": CAMPAIGN_KEY, "campaign_key": CAMPAIGN_KEY}
    values.update(overrides)
    return ChangeFacts(**values)


def budget_facts(before: Decimal | str | int, after: Decimal | str | int, **overrides: Any) -> ChangeFacts:
    b, a = D(str(before)), D(str(after))
    values: dict[str, Any] = {
        "entity_key": f"{CAMPAIGN_KEY}:budget",
        "budget_before": b,
        "budget_after": a,
        "spend_increasing": a > b,
        "changes_campaign_spend": a < b,
    }
    values.update(overrides)
    return facts(**values)


def bid_facts(before: Decimal | str, after: Decimal | str, **overrides: Any) -> ChangeFacts:
    b, a = D(str(before)), D(str(after))
    values: dict[str, Any] = {
        "entity_key": KEYWORD_KEY,
        "bid_before": b,
        "bid_after": a,
        "spend_increasing": a > b,
        "changes_campaign_spend": a < b,
    }
    values.update(overrides)
    return facts(**values)


def pause_facts(**overrides: Any) -> ChangeFacts:
    values: dict[str, Any] = {"is_pause": True, "changes_campaign_spend": True}
    values.update(overrides)
    return facts(**values)


def negative_facts(*keywords: tuple[str, str]) -> ChangeFacts:
    return facts(
        entity_key=f"{CAMPAIGN_KEY}:negatives",
        negative_keywords=tuple(negative_keyword_notation(t, m) for t, m in keywords),
    )


def past(
    *,
    hours_ago: float = 1,
    action_type: str = "adjust_campaign_budget",
    entity_key: str = f"{CAMPAIGN_KEY}:budget",
    campaign_key: str | None = CAMPAIGN_KEY,
    status: str = "EXECUTED",
    executed: bool = True,
    budget_before: Decimal | str | int | None = None,
    budget_after: Decimal | str | int | None = None,
    action_id: str | None = None,
) -> PastAction:
    return PastAction(
        action_id=action_id or f"act-{next(_PAST_IDS):024x}",
        action_type=action_type,
        entity_key=entity_key,
        status=status,
        at=NOW - timedelta(hours=hours_ago),
        executed=executed,
        campaign_key=campaign_key,
        budget_before=None if budget_before is None else D(str(budget_before)),
        budget_after=None if budget_after is None else D(str(budget_after)),
    )


# --------------------------------------------------------------------------- contexts


def context(
    action: Action | None = None,
    change: ChangeFacts | None = None,
    snap: Snapshot | None = _UNSET,
    *,
    org: OrgPolicy | None = None,
    lim: Limits | None = None,
    **overrides: Any,
) -> GuardrailContext:
    """A context that passes every rule unless told otherwise (default: a 10 % budget increase)."""
    action = action or budget_action("110")
    values: dict[str, Any] = {
        "action": action,
        "platform": type(action).platform,
        "facts": change if change is not None else budget_facts(100, 110),
        "snapshot": snapshot() if snap is _UNSET else snap,
        "policy": org or policy(),
        "limits": lim or Limits(),
        "now": NOW,
        "confidence": 0.95,
        "org_total_daily_budget": D(10000),
    }
    values.update(overrides)
    return GuardrailContext(**values)


def budget_ctx(before: Decimal | str | int, after: Decimal | str | int, **overrides: Any) -> GuardrailContext:
    snap = overrides.pop("snap", _UNSET)
    if snap is _UNSET:
        snap = snapshot(budget=budget(amount=D(str(before))))
    return context(budget_action(after), budget_facts(before, after), snap, **overrides)


def bid_ctx(before: Decimal | str, after: Decimal | str, **overrides: Any) -> GuardrailContext:
    snap = overrides.pop("snap", _UNSET)
    if snap is _UNSET:
        snap = snapshot(keyword=keyword(cpc_bid=D(str(before)), effective_cpc_bid=D(str(before))), budget=None)
    return context(bid_action(after), bid_facts(before, after), snap, **overrides)


def pause_ctx(**overrides: Any) -> GuardrailContext:
    """A pausable campaign: 700 spent in 14 days, no conversions, running 60 days."""
    snap = overrides.pop("snap", _UNSET)
    if snap is _UNSET:
        snap = snapshot(performance=performance(cost=D(700), conversions=D(0), conversion_value=D(0)))
    return context(pause_action(), overrides.pop("change", pause_facts()), snap, **overrides)


def negatives_ctx(
    keywords: tuple[tuple[str, str], ...], terms: tuple[SearchTermState, ...] | None, **overrides: Any
) -> GuardrailContext:
    snap = snapshot(search_terms=terms, budget=None)
    return context(negatives_action(*keywords), negative_facts(*keywords), snap, **overrides)


def automation_ctx(count: int, *, unsubscribed: tuple[int, ...] = (), **overrides: Any) -> GuardrailContext:
    snap = overrides.pop("snap", _UNSET)
    if snap is _UNSET:
        snap = Snapshot(
            key="snap",
            platform=Platform.ACTIVECAMPAIGN,
            account_id=AC_ACCOUNT,
            read_at=NOW - timedelta(minutes=5),
            automation=automation(contacts(count, unsubscribed=unsubscribed)),
        )
    change = facts(
        entity_key=f"activecampaign:{AC_ACCOUNT}:automation:77",
        campaign_key=None,
        contact_count=count,
        reversibility=Reversibility.PARTIAL,
        irreversible_parts=("emails already sent",),
    )
    return context(automation_action(count), overrides.pop("change", change), snap, **overrides)


def email_pause_ctx(**overrides: Any) -> GuardrailContext:
    snap = Snapshot(key="snap", platform=Platform.ACTIVECAMPAIGN, account_id=AC_ACCOUNT, read_at=NOW)
    change = facts(entity_key=f"activecampaign:{AC_ACCOUNT}:campaign:55", campaign_key=None, is_pause=True)
    return context(email_pause_action(), change, snap, **overrides)


def content_ctx(action: Action, **overrides: Any) -> GuardrailContext:
    change = facts(entity_key="content:x", campaign_key=None)
    return context(action, change, None, **overrides)
