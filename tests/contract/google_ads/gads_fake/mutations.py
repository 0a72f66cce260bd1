"""Mutate semantics of the four services the connector uses, as the API documents them.

- An update applies exactly the masked fields (a masked field without a value is cleared; an empty
  message that is not in the mask changes nothing: the pitfall the connector must avoid).
- `partial_failure=False`: one invalid operation rejects the whole request (INVALID_ARGUMENT, every
  error located at its `operations[i]`), nothing is applied. `partial_failure=True`: valid operations
  apply, failed ones leave an empty result and the errors come back in `partial_failure_error`.
- `validate_only`: errors only, no results, no change.
- `response_content_type=MUTABLE_RESOURCE`: results carry the resource without output-only fields.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from google.ads.googleads.v26.errors.types import errors as error_types
from google.ads.googleads.v26.services.types import (
    ad_group_criterion_service,
    campaign_budget_service,
    campaign_criterion_service,
    campaign_service,
)
from google.protobuf import any_pb2, field_mask_pb2
from google.rpc import status_pb2

from .state import Account, AdGroupCriterion, Campaign, CampaignBudget, CampaignCriterion

GoogleAdsFailure = error_types.GoogleAdsFailure.pb()
GoogleAdsError = error_types.GoogleAdsError.pb()
FAILURE_TYPE_URL = "type.googleapis.com/google.ads.googleads.v26.errors.GoogleAdsFailure"
MUTABLE_RESOURCE = 2  # ResponseContentTypeEnum.MUTABLE_RESOURCE


def ads_error(family: str, name: str, message: str, *location: tuple[str, int | None]) -> Any:
    error = GoogleAdsError(message=message)
    enum = error.error_code.DESCRIPTOR.fields_by_name[family].enum_type
    setattr(error.error_code, family, enum.values_by_name[name].number)
    for field_name, index in location:
        element = error.location.field_path_elements.add(field_name=field_name)
        if index is not None:
            element.index = index
    return error


class OpError(Exception):
    def __init__(self, error: Any):
        super().__init__(error.message)
        self.error = error


class RequestFailure(Exception):
    """The whole request fails with these errors (the server turns it into a gRPC status)."""

    def __init__(self, errors: list[Any]):
        super().__init__(errors[0].message)
        self.errors = errors


def _fail(index: int, family: str, name: str, message: str, *path: str) -> OpError:
    return OpError(ads_error(family, name, message, ("operations", index), *((p, None) for p in path)))


def _id(resource_name: str) -> str:
    return resource_name.rsplit("/", 1)[-1]


def _check_mask(index: int, op: Any, message_type: Any, mutable: set[str]) -> list[str]:
    paths = [p for p in op.update_mask.paths if p != "resource_name"]
    if not paths:
        raise _fail(index, "field_mask_error", "FIELD_MASK_MISSING", "update_mask is required", "update_mask")
    for path in paths:
        if not field_mask_pb2.FieldMask(paths=[path]).IsValidForDescriptor(message_type.DESCRIPTOR):
            raise _fail(index, "field_mask_error", "FIELD_NOT_FOUND", f"no field {path}", "update_mask")
        if path.split(".")[0] not in mutable:
            raise _fail(index, "field_error", "IMMUTABLE_FIELD", f"{path} cannot be changed", "update", path)
    return paths


def _merge(op: Any, paths: list[str], stored: Any) -> None:
    field_mask_pb2.FieldMask(paths=paths).MergeMessage(op.update, stored, replace_message_field=True)


class CampaignHandler:
    field = "campaign"
    response = campaign_service.MutateCampaignsResponse.pb()
    mutable: ClassVar[set[str]] = {"status", "name", "bidding_strategy", "manual_cpc", "maximize_conversions",
               "maximize_conversion_value", "target_cpa", "target_roas", "target_spend"}

    def validate(self, account: Account, op: Any, i: int) -> None:
        if op.WhichOneof("operation") != "update":
            raise _fail(i, "mutate_error", "MUTATE_NOT_ALLOWED", "the fake only updates campaigns")
        if not _id(op.update.resource_name).isdigit() or int(_id(op.update.resource_name)) not in account.campaigns:
            raise _fail(i, "mutate_error", "RESOURCE_NOT_FOUND", f"no campaign {op.update.resource_name}",
                        "update", "resource_name")
        _check_mask(i, op, Campaign, self.mutable)

    def apply(self, account: Account, op: Any) -> tuple[str, Any]:
        campaign_id = int(_id(op.update.resource_name))
        _merge(op, _check_mask(0, op, Campaign, self.mutable), account.campaigns[campaign_id])
        view = account.campaign_view(campaign_id)
        view.ClearField("bidding_strategy_type")  # output only
        return view.resource_name, view


class BudgetHandler:
    field = "campaign_budget"
    response = campaign_budget_service.MutateCampaignBudgetsResponse.pb()
    mutable: ClassVar[set[str]] = {"amount_micros", "name", "delivery_method"}

    def validate(self, account: Account, op: Any, i: int) -> None:
        if op.WhichOneof("operation") != "update":
            raise _fail(i, "mutate_error", "MUTATE_NOT_ALLOWED", "the fake only updates budgets")
        name = op.update.resource_name
        if not _id(name).isdigit() or int(_id(name)) not in account.budgets:
            raise _fail(i, "mutate_error", "RESOURCE_NOT_FOUND", f"no budget {name}", "update", "resource_name")
        if "amount_micros" in _check_mask(i, op, CampaignBudget, self.mutable):
            amount = op.update.amount_micros
            if not op.update.HasField("amount_micros") or amount <= 0:
                raise _fail(i, "campaign_budget_error", "NEGATIVE_MONEY_AMOUNT", "the amount must be positive",
                            "update", "amount_micros")
            if amount % 10_000:
                raise _fail(i, "campaign_budget_error", "NON_MULTIPLE_OF_MINIMUM_CURRENCY_UNIT",
                            f"{amount} micros is not a multiple of the currency's minimum unit",
                            "update", "amount_micros")

    def apply(self, account: Account, op: Any) -> tuple[str, Any]:
        budget_id = int(_id(op.update.resource_name))
        _merge(op, _check_mask(0, op, CampaignBudget, self.mutable), account.budgets[budget_id])
        view = CampaignBudget()
        view.CopyFrom(account.budgets[budget_id])
        return view.resource_name, view


class CampaignCriterionHandler:
    field = "campaign_criterion"
    response = campaign_criterion_service.MutateCampaignCriteriaResponse.pb()

    def validate(self, account: Account, op: Any, i: int) -> None:
        which = op.WhichOneof("operation")
        if which == "remove":
            if op.remove not in account.negatives:
                raise _fail(i, "mutate_error", "RESOURCE_NOT_FOUND", f"no criterion {op.remove}", "remove")
            return
        if which != "create":
            raise _fail(i, "mutate_error", "MUTATE_NOT_ALLOWED", "the fake only creates and removes criteria")
        create = op.create
        campaign = _id(create.campaign)
        if not campaign.isdigit() or int(campaign) not in account.campaigns:
            raise _fail(i, "mutate_error", "RESOURCE_NOT_FOUND", f"no campaign {create.campaign}", "create", "campaign")
        if not create.negative or not create.HasField("keyword"):
            raise _fail(i, "mutate_error", "MUTATE_NOT_ALLOWED", "the fake only creates negative keywords", "create")
        if not create.keyword.text.strip():
            raise _fail(i, "field_error", "REQUIRED", "keyword text is required", "create", "keyword", "text")
        if len(create.keyword.text) > 80:
            raise _fail(i, "criterion_error", "KEYWORD_TEXT_TOO_LONG", "keyword text is too long",
                        "create", "keyword", "text")

    def apply(self, account: Account, op: Any) -> tuple[str, Any]:
        if op.WhichOneof("operation") == "remove":
            del account.negatives[op.remove]
            return op.remove, None
        campaign_id = int(_id(op.create.campaign))
        name = account.add_negative(campaign_id, op.create.keyword.text, "UNSPECIFIED")
        account.negatives[name].keyword.match_type = op.create.keyword.match_type
        view = CampaignCriterion()
        view.CopyFrom(account.negatives[name])
        return name, view


class AdGroupCriterionHandler:
    field = "ad_group_criterion"
    response = ad_group_criterion_service.MutateAdGroupCriteriaResponse.pb()
    mutable: ClassVar[set[str]] = {"cpc_bid_micros", "status"}

    def validate(self, account: Account, op: Any, i: int) -> None:
        if op.WhichOneof("operation") != "update":
            raise _fail(i, "mutate_error", "MUTATE_NOT_ALLOWED", "the fake only updates keywords")
        if op.update.resource_name not in account.keywords:
            raise _fail(i, "mutate_error", "RESOURCE_NOT_FOUND", f"no keyword {op.update.resource_name}",
                        "update", "resource_name")
        paths = _check_mask(i, op, AdGroupCriterion, self.mutable)
        if "cpc_bid_micros" in paths and op.update.HasField("cpc_bid_micros"):
            bid = op.update.cpc_bid_micros
            if bid < 10_000:
                raise _fail(i, "bidding_error", "BID_TOO_SMALL", "bid too small", "update", "cpc_bid_micros")
            if bid % 10_000:
                raise _fail(i, "bidding_error", "BID_TOO_MANY_FRACTIONAL_DIGITS", "bid has too many fractional digits",
                            "update", "cpc_bid_micros")

    def apply(self, account: Account, op: Any) -> tuple[str, Any]:
        name = op.update.resource_name
        _merge(op, _check_mask(0, op, AdGroupCriterion, self.mutable), account.keywords[name])
        view = AdGroupCriterion()
        view.CopyFrom(account.keywords[name])
        return name, view


HANDLERS: dict[str, Any] = {
    "CampaignService": CampaignHandler(),
    "CampaignBudgetService": BudgetHandler(),
    "CampaignCriterionService": CampaignCriterionHandler(),
    "AdGroupCriterionService": AdGroupCriterionHandler(),
}


def _current(account: Account, service: str, name: str) -> Any | None:
    """The stored resource as a MUTABLE_RESOURCE result would show it (None: it does not exist)."""
    if service == "CampaignService":
        view = account.campaign_view(int(_id(name)))
        view.ClearField("bidding_strategy_type")
        return view
    store = {"CampaignBudgetService": {b.resource_name: b for b in account.budgets.values()},
             "CampaignCriterionService": account.negatives, "AdGroupCriterionService": account.keywords}[service]
    return store.get(name)


def unchanged(account: Account, service: str, request: Any) -> Any:
    """Google accepting a request that changes nothing (e.g. an empty message left out of the mask):
    a successful response whose resources show the state as it was."""
    import copy

    response = mutate(copy.deepcopy(account), service, request).response
    field = HANDLERS[service].field
    for result in response.results:
        current = _current(account, service, result.resource_name) if result.resource_name else None
        result.ClearField(field)
        if current is not None and request.response_content_type == MUTABLE_RESOURCE:
            getattr(result, field).CopyFrom(current)
    return response


@dataclass
class Mutated:
    response: Any
    applied: int


def mutate(account: Account, service: str, request: Any) -> Mutated:
    """Run one Mutate*Request against the account (raises RequestFailure when all-or-nothing fails)."""
    handler = HANDLERS[service]
    errors: dict[int, Any] = {}
    for index, op in enumerate(request.operations):
        try:
            handler.validate(account, op, index)
        except OpError as failure:
            errors[index] = failure.error
    if errors and not request.partial_failure:
        raise RequestFailure(list(errors.values()))
    response = handler.response()
    applied = 0
    if not request.validate_only:
        for index, op in enumerate(request.operations):
            result = response.results.add()
            if index in errors:
                continue
            name, view = handler.apply(account, op)
            result.resource_name = name
            applied += 1
            if request.response_content_type == MUTABLE_RESOURCE and view is not None:
                getattr(result, handler.field).CopyFrom(view)
    if errors:
        failure = GoogleAdsFailure(errors=list(errors.values()))
        response.partial_failure_error.CopyFrom(status_pb2.Status(
            code=3, message=f"{len(errors)} operation(s) failed",
            details=[any_pb2.Any(type_url=FAILURE_TYPE_URL, value=failure.SerializeToString())]))
    return Mutated(response, applied)
