"""One function per operation: each builds the Google Ads mutate operation(s) with an explicit field
mask, and a check that reads what landed from the MUTABLE_RESOURCE result.

A check returns `(landed, verified)`: the mutable fields the response shows, and whether they are what
was asked (None when the response carried no resource to compare).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from connectors.base import PermanentError
from connectors.google_ads.convert import from_micros, normalized, scheme_from_campaign, set_scheme, to_micros
from connectors.google_ads.gaql import digits, keyword_resource_name
from schemas.operations import (
    AddNegativeKeywordsOp,
    Operation,
    RemoveNegativeKeywordsOp,
    SetBiddingScheme,
    SetBudgetAmount,
    SetCampaignStatus,
    SetKeywordBid,
)

Check = Callable[[Any], tuple[dict[str, Any], bool | None]]


@dataclass(frozen=True)
class ServiceCall:
    method: str
    request_type: str
    resource_field: str  # the mutated resource's field on each result


# Sent in this order when one apply touches several services.
SERVICES: dict[str, ServiceCall] = {
    "CampaignBudgetService": ServiceCall("mutate_campaign_budgets", "MutateCampaignBudgetsRequest", "campaign_budget"),
    "CampaignService": ServiceCall("mutate_campaigns", "MutateCampaignsRequest", "campaign"),
    "CampaignCriterionService": ServiceCall("mutate_campaign_criteria", "MutateCampaignCriteriaRequest",
                                            "campaign_criterion"),
    "AdGroupCriterionService": ServiceCall("mutate_ad_group_criteria", "MutateAdGroupCriteriaRequest",
                                           "ad_group_criterion"),
}


@dataclass
class Mutation:
    service: str
    operation: Any
    check: Check


def campaign_path(customer_id: str, campaign_id: str) -> str:
    return f"customers/{digits(customer_id, 'customer id')}/campaigns/{digits(campaign_id, 'campaign id')}"


def criterion_prefix(customer_id: str, campaign_id: str) -> str:
    """`customers/{c}/campaignCriteria/{campaign}~`: a criterion of this campaign ends with its digit id."""
    return f"customers/{digits(customer_id, 'customer id')}/campaignCriteria/{digits(campaign_id, 'campaign id')}~"


def _resource(result: Any, service: str) -> Any | None:
    field = SERVICES[service].resource_field
    return getattr(result, field) if field in result else None


def set_campaign_status(client: Any, op: SetCampaignStatus) -> list[Mutation]:
    operation = client.get_type("CampaignOperation")
    operation.update.resource_name = campaign_path(op.customer_id, op.campaign_id)
    operation.update.status = client.enums.CampaignStatusEnum[op.status]
    operation.update_mask.paths.append("status")

    def check(result: Any) -> tuple[dict[str, Any], bool | None]:
        campaign = _resource(result, "CampaignService")
        if campaign is None:
            return {}, None
        return {"status": campaign.status.name}, campaign.status.name == op.status

    return [Mutation("CampaignService", operation, check)]


def set_budget_amount(client: Any, op: SetBudgetAmount) -> list[Mutation]:
    micros = to_micros(op.amount, "budget amount")
    operation = client.get_type("CampaignBudgetOperation")
    operation.update.resource_name = (f"customers/{digits(op.customer_id, 'customer id')}/campaignBudgets/"
                                      f"{digits(op.budget_id, 'budget id')}")
    operation.update.amount_micros = micros
    operation.update_mask.paths.append("amount_micros")

    def check(result: Any) -> tuple[dict[str, Any], bool | None]:
        budget = _resource(result, "CampaignBudgetService")
        if budget is None:
            return {}, None
        return {"amount": str(from_micros(budget.amount_micros))}, budget.amount_micros == micros

    return [Mutation("CampaignBudgetService", operation, check)]


def add_negative_keywords(client: Any, op: AddNegativeKeywordsOp) -> list[Mutation]:
    """One create per keyword. Creates are not idempotent: they are never re-sent after an ambiguous
    failure (the orchestrator reads the campaign's negatives instead)."""
    prefix = criterion_prefix(op.customer_id, op.campaign_id)
    mutations = []
    for keyword in op.keywords:
        operation = client.get_type("CampaignCriterionOperation")
        criterion = operation.create
        criterion.campaign = campaign_path(op.customer_id, op.campaign_id)
        criterion.negative = True
        criterion.keyword.text = keyword.text
        criterion.keyword.match_type = client.enums.KeywordMatchTypeEnum[keyword.match_type]

        def check(result: Any, text: str = keyword.text, match: str = keyword.match_type
                  ) -> tuple[dict[str, Any], bool | None]:
            """Verified by the created criterion's resource name (a criterion of this campaign). The keyword
            and `negative` are immutable: a MUTABLE_RESOURCE answer may leave them out, so they are compared
            only when present (settlement reads the campaign's negatives when in doubt)."""
            landed: dict[str, Any] = {"resource_name": result.resource_name}
            verified = result.resource_name.startswith(prefix) and result.resource_name[len(prefix):].isdigit()
            created = _resource(result, "CampaignCriterionService")
            if created is not None and "keyword" in created:
                landed.update(text=created.keyword.text, match_type=created.keyword.match_type.name)
                verified = verified and (created.keyword.text.casefold() == text.casefold()
                                         and created.keyword.match_type.name == match)
            if created is not None and "negative" in created:
                landed["negative"] = bool(created.negative)
                verified = verified and bool(created.negative)
            return landed, verified

        mutations.append(Mutation("CampaignCriterionService", operation, check))
    return mutations


def remove_negative_keywords(client: Any, op: RemoveNegativeKeywordsOp, names: tuple[str, ...]) -> list[Mutation]:
    """Remove criteria by resource name (resolved from text + match type by the caller when needed)."""
    prefix = criterion_prefix(op.customer_id, op.campaign_id)
    mutations = []
    for name in names:
        if not name.startswith(prefix) or not name[len(prefix):].isdigit():
            raise PermanentError(f"{name!r} is not a criterion of campaign {op.campaign_id}")
        operation = client.get_type("CampaignCriterionOperation")
        operation.remove = name

        def check(result: Any, name: str = name) -> tuple[dict[str, Any], bool | None]:
            return {"removed": result.resource_name}, result.resource_name == name

        mutations.append(Mutation("CampaignCriterionService", operation, check))
    return mutations


def set_keyword_bid(client: Any, op: SetKeywordBid) -> list[Mutation]:
    """`cpc_bid=None` clears the keyword's own bid (it inherits the ad group's): the mask names the field
    and the update leaves it unset; setting 0 would not clear it."""
    operation = client.get_type("AdGroupCriterionOperation")
    operation.update.resource_name = keyword_resource_name(op.customer_id, op.ad_group_id, op.criterion_id)
    micros = None if op.cpc_bid is None else to_micros(op.cpc_bid, "keyword bid")
    if micros is not None:
        operation.update.cpc_bid_micros = micros
    operation.update_mask.paths.append("cpc_bid_micros")

    def check(result: Any) -> tuple[dict[str, Any], bool | None]:
        criterion = _resource(result, "AdGroupCriterionService")
        if criterion is None:
            return {}, None
        own = criterion.cpc_bid_micros if "cpc_bid_micros" in criterion else None
        return {"cpc_bid": None if own is None else str(from_micros(own))}, own == micros

    return [Mutation("AdGroupCriterionService", operation, check)]


def set_bidding_scheme(client: Any, op: SetBiddingScheme) -> list[Mutation]:
    operation = client.get_type("CampaignOperation")
    operation.update.resource_name = campaign_path(op.customer_id, op.campaign_id)
    operation.update_mask.paths.extend(set_scheme(operation.update, op.scheme))
    wanted = normalized(op.scheme)

    def check(result: Any) -> tuple[dict[str, Any], bool | None]:
        campaign = _resource(result, "CampaignService")
        if campaign is None:
            return {}, None
        scheme, name = scheme_from_campaign(campaign)
        if scheme is None:
            return {"bidding": name}, False
        return {"bidding": scheme.model_dump(mode="json")}, scheme == wanted

    return [Mutation("CampaignService", operation, check)]


_BUILDERS: dict[type, Callable[[Any, Any], list[Mutation]]] = {
    SetCampaignStatus: set_campaign_status,
    SetBudgetAmount: set_budget_amount,
    AddNegativeKeywordsOp: add_negative_keywords,
    SetKeywordBid: set_keyword_bid,
    SetBiddingScheme: set_bidding_scheme,
}


def build(client: Any, op: Operation, removal_names: tuple[str, ...] = ()) -> list[Mutation]:
    """The mutations of one operation (a Google Ads operation type, or a PermanentError)."""
    if isinstance(op, RemoveNegativeKeywordsOp):
        return remove_negative_keywords(client, op, removal_names)
    builder = _BUILDERS.get(type(op))
    if builder is None:
        raise PermanentError(f"operation {op.op!r} is not a Google Ads operation", code="unsupported_operation")
    return builder(client, op)
