"""Google-Ads-like operations: one handler per operation, validated the way the real API validates.

Handlers raise `NotFoundError` / `PermanentError` with Google-style error codes; the platform base rolls
the whole batch back. Details reported: `resource_names` (every resource mutated), and for created
negatives `negative_resource_names` (`customers/<cid>/campaignCriteria/<campaign>~<criterion>`), for
removed ones `removed_resource_names`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC
from decimal import Decimal
from typing import Any

from connectors.base import NotFoundError, PermanentError
from connectors.sandbox.entities import get_account
from connectors.sandbox.platform import ApplyContext, OpHandler
from connectors.sandbox.scenarios import start_learning
from schemas.operations import (
    AddNegativeKeywordsOp,
    RemoveNegativeKeywordsOp,
    SetBiddingScheme,
    SetBudgetAmount,
    SetCampaignStatus,
    SetKeywordBid,
)

GOOGLE_ADS_OPERATIONS: dict[str, OpHandler] = {}
MAX_BUDGET = Decimal(1_000_000)
MAX_BID = Decimal(10_000)
CENT = Decimal("0.01")
CRITERION_IDS_START = 700_000_001


def _handles(op_name: str) -> Callable[[Callable[[ApplyContext, Any], None]], Callable[[ApplyContext, Any], None]]:
    def register(handler: Callable[[ApplyContext, Any], None]) -> Callable[[ApplyContext, Any], None]:
        GOOGLE_ADS_OPERATIONS[op_name] = handler
        return handler

    return register


def negative_resource_name(customer_id: str, campaign_id: str, criterion_id: str) -> str:
    return f"customers/{customer_id}/campaignCriteria/{campaign_id}~{criterion_id}"


def _customer(ctx: ApplyContext, customer_id: str) -> None:
    if customer_id != ctx.ents.account_id:
        raise PermanentError(f"operation for customer {customer_id} sent to customer {ctx.ents.account_id}",
                             code="INVALID_CUSTOMER_ID")


def _campaign(ctx: ApplyContext, customer_id: str, campaign_id: str) -> dict[str, Any]:
    _customer(ctx, customer_id)
    campaign = ctx.ents.get("campaign", campaign_id)
    if campaign is None:
        raise NotFoundError(f"campaign {campaign_id} not found in customer {customer_id}", code="RESOURCE_NOT_FOUND")
    if campaign["status"] == "REMOVED":
        raise PermanentError(f"campaign {campaign_id} is removed", code="OPERATION_NOT_PERMITTED_FOR_REMOVED_RESOURCE")
    return campaign


def _money(value: Decimal, *, minimum: Decimal, maximum: Decimal, what: str, small: str, big: str) -> str:
    if value != value.quantize(CENT):
        raise PermanentError(f"{what} {value} is not a multiple of the currency's minimum unit",
                             code="NON_MULTIPLE_OF_MINIMUM_CURRENCY_UNIT")
    if value < minimum:
        raise PermanentError(f"{what} {value} is below the minimum {minimum}", code=small)
    if value > maximum:
        raise PermanentError(f"{what} {value} is above the maximum {maximum}", code=big)
    return str(value.quantize(CENT))


@_handles("set_campaign_status")
def set_campaign_status(ctx: ApplyContext, op: SetCampaignStatus) -> None:
    campaign = _campaign(ctx, op.customer_id, op.campaign_id)
    ctx.ents.put("campaign", op.campaign_id, {**campaign, "status": op.status})
    ctx.report("resource_names", [f"customers/{op.customer_id}/campaigns/{op.campaign_id}"])


@_handles("set_budget_amount")
def set_budget_amount(ctx: ApplyContext, op: SetBudgetAmount) -> None:
    _customer(ctx, op.customer_id)
    budget = ctx.ents.get("budget", op.budget_id)
    if budget is None:
        raise NotFoundError(f"campaign budget {op.budget_id} not found", code="RESOURCE_NOT_FOUND")
    account = get_account(ctx.ents.conn, "google_ads", ctx.ents.account_id)
    minimum = Decimal((account.data if account else {}).get("min_daily_budget", "1.00"))
    amount = _money(op.amount, minimum=minimum, maximum=MAX_BUDGET, what="budget amount",
                    small="BUDGET_AMOUNT_TOO_SMALL", big="MONEY_AMOUNT_TOO_LARGE")
    ctx.ents.put("budget", op.budget_id, {**budget, "amount": amount})
    ctx.report("resource_names", [f"customers/{op.customer_id}/campaignBudgets/{op.budget_id}"])


@_handles("add_negative_keywords")
def add_negative_keywords(ctx: ApplyContext, op: AddNegativeKeywordsOp) -> None:
    _campaign(ctx, op.customer_id, op.campaign_id)
    existing = {(n["text"].casefold(), n["match_type"]) for n in ctx.ents.all("negative")
                if n["campaign_id"] == op.campaign_id}
    created: list[str] = []
    for keyword in op.keywords:
        identity = (keyword.text.casefold(), keyword.match_type)
        if identity in existing:
            raise PermanentError(f"negative keyword {keyword.text!r} ({keyword.match_type}) already exists on "
                                 f"campaign {op.campaign_id}", code="DUPLICATE_CAMPAIGN_CRITERION")
        existing.add(identity)
        criterion_id = ctx.ents.next_id("criterion", CRITERION_IDS_START)
        ctx.ents.put("negative", f"{op.campaign_id}~{criterion_id}", {
            "campaign_id": op.campaign_id, "criterion_id": criterion_id, "text": keyword.text,
            "match_type": keyword.match_type,
        })
        created.append(negative_resource_name(op.customer_id, op.campaign_id, criterion_id))
    ctx.report("negative_resource_names", created)
    ctx.report("resource_names", created)


@_handles("remove_negative_keywords")
def remove_negative_keywords(ctx: ApplyContext, op: RemoveNegativeKeywordsOp) -> None:
    _campaign(ctx, op.customer_id, op.campaign_id)
    negatives = [n for n in ctx.ents.all("negative") if n["campaign_id"] == op.campaign_id]
    by_name = {negative_resource_name(op.customer_id, n["campaign_id"], n["criterion_id"]): n for n in negatives}
    doomed: list[dict[str, Any]] = []
    if op.resource_names:
        for name in op.resource_names:
            if name not in by_name:
                raise NotFoundError(f"campaign criterion {name} not found", code="RESOURCE_NOT_FOUND")
            doomed.append(by_name[name])
    else:
        for keyword in op.keywords:
            match = next((n for n in negatives if n["text"].casefold() == keyword.text.casefold()
                          and n["match_type"] == keyword.match_type and n not in doomed), None)
            if match is None:
                raise NotFoundError(f"negative keyword {keyword.text!r} ({keyword.match_type}) not found on "
                                    f"campaign {op.campaign_id}", code="RESOURCE_NOT_FOUND")
            doomed.append(match)
    removed = []
    for negative in doomed:
        ctx.ents.delete("negative", f"{negative['campaign_id']}~{negative['criterion_id']}")
        removed.append(negative_resource_name(op.customer_id, negative["campaign_id"], negative["criterion_id"]))
    ctx.report("removed_resource_names", removed)
    ctx.report("resource_names", removed)


@_handles("set_keyword_bid")
def set_keyword_bid(ctx: ApplyContext, op: SetKeywordBid) -> None:
    _customer(ctx, op.customer_id)
    key = f"{op.ad_group_id}~{op.criterion_id}"
    keyword = ctx.ents.get("keyword", key)
    if keyword is None:
        raise NotFoundError(f"ad group criterion {key} not found", code="RESOURCE_NOT_FOUND")
    if keyword["status"] == "REMOVED":
        raise PermanentError(f"keyword {key} is removed", code="OPERATION_NOT_PERMITTED_FOR_REMOVED_RESOURCE")
    bid = None if op.cpc_bid is None else _money(op.cpc_bid, minimum=CENT, maximum=MAX_BID, what="cpc bid",
                                                  small="BID_TOO_SMALL", big="BID_TOO_BIG")
    ctx.ents.put("keyword", key, {**keyword, "cpc_bid": bid})
    ctx.report("resource_names", [f"customers/{op.customer_id}/adGroupCriteria/{key}"])


@_handles("set_bidding_scheme")
def set_bidding_scheme(ctx: ApplyContext, op: SetBiddingScheme) -> None:
    campaign = _campaign(ctx, op.customer_id, op.campaign_id)
    scheme = op.scheme.model_dump(mode="json", exclude_none=True)
    ctx.ents.put("campaign", op.campaign_id, {**campaign, "bidding": scheme})
    if scheme != campaign.get("bidding"):  # Smart Bidding relearns after a strategy change
        start_learning(ctx.ents, op.campaign_id, ctx.now.astimezone(UTC).date())
    ctx.report("resource_names", [f"customers/{op.customer_id}/campaigns/{op.campaign_id}"])
