"""Mutate semantics of the four services the connector uses, as the API documents them.

- An update applies exactly the masked fields (a masked field without a value is cleared; a message
  field with sub-fields may be cleared but not updated by its own path; an empty message that is not in
  the mask changes nothing).
- `partial_failure=False`: one invalid operation rejects the whole request (INVALID_ARGUMENT, every
  error located at its `operations[i]`), nothing is applied. `partial_failure=True`: valid operations
  apply, failed ones leave an empty result and the errors come back in `partial_failure_error`.
- `validate_only`: errors only, no results, no change.
- `response_content_type=MUTABLE_RESOURCE`: results carry the resource name and mutable fields only.
- Masks, mutability and resource names are judged by the library's own types (see protos.py); the
  strategies Google no longer accepts are refused (standard Target CPA/ROAS on Search, Enhanced CPC on).
- Every applied change is recorded as a `change_event` by the API client (see state.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from google.ads.googleads.v26.errors.types import errors as error_types
from google.ads.googleads.v26.services.types import (
    ad_group_criterion_service,
    campaign_budget_service,
    campaign_criterion_service,
    campaign_service,
)
from google.protobuf import any_pb2
from google.rpc import status_pb2

from . import protos
from .state import CUSTOM_PERIOD, SEARCH_CHANNEL, Account, AdGroupCriterion, CampaignCriterion

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


def _own(account: Account, index: int, kind: str, name: str, *path: str) -> dict[str, str]:
    """The ids of a resource name of this customer (the library's parser), or the API's error."""
    ids = protos.parse_name(kind, name)
    if not ids:
        raise _fail(index, "request_error", "RESOURCE_NAME_MALFORMED", f"{name!r} is not a {kind} resource name",
                    *path)
    if ids["customer_id"] != account.customer_id:
        raise _fail(index, "request_error", "INVALID_CUSTOMER_ID",
                    f"{name} belongs to another customer than {account.customer_id}", *path)
    return ids


def _check_mask(index: int, op: Any) -> list[str]:
    if op.WhichOneof("operation") != "update":
        if op.update_mask.paths:
            raise _fail(index, "field_mask_error", "FIELD_MASK_NOT_ALLOWED",
                        "the field mask must be empty for create and remove operations", "update_mask")
        return []
    paths = [p for p in op.update_mask.paths if p != "resource_name"]
    if not paths:
        raise _fail(index, "field_mask_error", "FIELD_MASK_MISSING", "update_mask is required", "update_mask")
    problem = protos.mask_problem(paths, op.update)
    if problem is not None:
        family, name, message = problem
        raise _fail(index, family, name, message, "update_mask")
    return paths


def _merged(op: Any, stored: Any) -> Any:
    """The stored resource as it would be after this update (a copy: validation changes nothing)."""
    result = type(stored)()
    result.CopyFrom(stored)
    protos.apply_mask(_check_mask(0, op), op.update, result)
    return result


class CampaignHandler:
    field = "campaign"
    response = campaign_service.MutateCampaignsResponse.pb()

    def validate(self, account: Account, op: Any, i: int) -> None:
        if op.WhichOneof("operation") != "update":
            raise _fail(i, "mutate_error", "MUTATE_NOT_ALLOWED", "the fake only updates campaigns")
        ids = _own(account, i, "campaign", op.update.resource_name, "update", "resource_name")
        if int(ids["campaign_id"]) not in account.campaigns:
            raise _fail(i, "mutate_error", "RESOURCE_NOT_FOUND", f"no campaign {op.update.resource_name}",
                        "update", "resource_name")
        paths = _check_mask(i, op)
        after = _merged(op, account.campaigns[int(ids["campaign_id"])])
        member = after.WhichOneof("campaign_bidding_strategy")
        touched = {p.split(".")[0] for p in paths}
        if member is None:
            raise _fail(i, "field_error", "REQUIRED", "a campaign needs a bidding strategy", "update")
        if member in touched and member in ("target_cpa", "target_roas") \
                and after.advertising_channel_type == SEARCH_CHANNEL:
            # Google Ads Developer Blog 2022: standard Target CPA / Target ROAS can no longer be created or
            # updated on Search campaigns; use maximize_conversions / maximize_conversion_value with a target.
            raise _fail(i, "bidding_error", "INVALID_ANONYMOUS_BIDDING_STRATEGY_TYPE",
                        f"standard {member} is not available for Search campaigns", "update", member)
        if member == "manual_cpc" and "manual_cpc" in touched and after.manual_cpc.enhanced_cpc_enabled:
            # Google Ads Help 2390590: Enhanced CPC is no longer selectable for Search and Display.
            raise _fail(i, "bidding_error", "BIDDING_STRATEGY_TRANSITION_NOT_ALLOWED",
                        "Enhanced CPC can no longer be enabled", "update", "manual_cpc", "enhanced_cpc_enabled")

    def apply(self, account: Account, op: Any) -> tuple[str, Any]:
        campaign_id = int(_id(op.update.resource_name))
        protos.apply_mask(_check_mask(0, op), op.update, account.campaigns[campaign_id])
        account.record_api_change("CAMPAIGN", op.update.resource_name, "UPDATE", list(op.update_mask.paths))
        return op.update.resource_name, account.campaign_view(campaign_id)


class BudgetHandler:
    field = "campaign_budget"
    response = campaign_budget_service.MutateCampaignBudgetsResponse.pb()

    def validate(self, account: Account, op: Any, i: int) -> None:
        if op.WhichOneof("operation") != "update":
            raise _fail(i, "mutate_error", "MUTATE_NOT_ALLOWED", "the fake only updates budgets")
        name = op.update.resource_name
        ids = _own(account, i, "campaign_budget", name, "update", "resource_name")
        if int(ids["campaign_budget_id"]) not in account.budgets:
            raise _fail(i, "mutate_error", "RESOURCE_NOT_FOUND", f"no budget {name}", "update", "resource_name")
        paths = _check_mask(i, op)
        stored = account.budgets[int(ids["campaign_budget_id"])]
        custom = stored.period == CUSTOM_PERIOD
        if "amount_micros" in paths and custom:
            raise _fail(i, "campaign_budget_error", "BUDGET_AMOUNT_MUST_BE_UNSET_FOR_CUSTOM_BUDGET_PERIOD",
                        "a custom-period budget has a total amount, not a daily one", "update", "amount_micros")
        if "total_amount_micros" in paths and not custom:
            raise _fail(i, "campaign_budget_error", "TOTAL_BUDGET_AMOUNT_MUST_BE_UNSET_FOR_BUDGET_PERIOD_DAILY",
                        "a daily budget has no total amount", "update", "total_amount_micros")
        if "amount_micros" in paths:
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
        protos.apply_mask(_check_mask(0, op), op.update, account.budgets[budget_id])
        account.record_api_change("CAMPAIGN_BUDGET", op.update.resource_name, "UPDATE", list(op.update_mask.paths))
        return op.update.resource_name, account.budget_view(op.update.resource_name)


class CampaignCriterionHandler:
    field = "campaign_criterion"
    response = campaign_criterion_service.MutateCampaignCriteriaResponse.pb()

    def validate(self, account: Account, op: Any, i: int) -> None:
        which = op.WhichOneof("operation")
        _check_mask(i, op)
        if which == "remove":
            _own(account, i, "campaign_criterion", op.remove, "remove")
            if op.remove not in account.negatives:
                raise _fail(i, "mutate_error", "RESOURCE_NOT_FOUND", f"no criterion {op.remove}", "remove")
            return
        if which != "create":
            raise _fail(i, "mutate_error", "MUTATE_NOT_ALLOWED", "the fake only creates and removes criteria")
        create = op.create
        ids = _own(account, i, "campaign", create.campaign, "create", "campaign")
        if int(ids["campaign_id"]) not in account.campaigns:
            raise _fail(i, "mutate_error", "RESOURCE_NOT_FOUND", f"no campaign {create.campaign}", "create", "campaign")
        if not create.negative or not create.HasField("keyword"):
            raise _fail(i, "mutate_error", "MUTATE_NOT_ALLOWED", "the fake only creates negative keywords", "create")
        if not create.keyword.text.strip():
            raise _fail(i, "field_error", "REQUIRED", "keyword text is required", "create", "keyword", "text")
        if create.keyword.match_type < 2:  # UNSPECIFIED / UNKNOWN
            raise _fail(i, "field_error", "REQUIRED", "keyword match type is required", "create", "keyword",
                        "match_type")
        if len(create.keyword.text) > 80:
            raise _fail(i, "criterion_error", "KEYWORD_TEXT_TOO_LONG", "keyword text is too long",
                        "create", "keyword", "text")

    def apply(self, account: Account, op: Any) -> tuple[str, Any]:
        if op.WhichOneof("operation") == "remove":
            del account.negatives[op.remove]
            account.record_api_change("CAMPAIGN_CRITERION", op.remove, "REMOVE", [])
            return op.remove, None
        campaign_id = int(_id(op.create.campaign))
        name = account.add_negative(campaign_id, op.create.keyword.text, "UNSPECIFIED")
        account.negatives[name].keyword.match_type = op.create.keyword.match_type
        account.record_api_change("CAMPAIGN_CRITERION", name, "CREATE", [])
        view = CampaignCriterion()
        view.CopyFrom(account.negatives[name])
        return name, view


class AdGroupCriterionHandler:
    field = "ad_group_criterion"
    response = ad_group_criterion_service.MutateAdGroupCriteriaResponse.pb()

    def validate(self, account: Account, op: Any, i: int) -> None:
        if op.WhichOneof("operation") != "update":
            raise _fail(i, "mutate_error", "MUTATE_NOT_ALLOWED", "the fake only updates keywords")
        _own(account, i, "ad_group_criterion", op.update.resource_name, "update", "resource_name")
        if op.update.resource_name not in account.keywords:
            raise _fail(i, "mutate_error", "RESOURCE_NOT_FOUND", f"no keyword {op.update.resource_name}",
                        "update", "resource_name")
        paths = _check_mask(i, op)
        if "cpc_bid_micros" in paths and op.update.HasField("cpc_bid_micros"):
            bid = op.update.cpc_bid_micros
            if bid < 10_000:
                raise _fail(i, "bidding_error", "BID_TOO_SMALL", "bid too small", "update", "cpc_bid_micros")
            if bid % 10_000:
                raise _fail(i, "bidding_error", "BID_TOO_MANY_FRACTIONAL_DIGITS", "bid has too many fractional digits",
                            "update", "cpc_bid_micros")

    def apply(self, account: Account, op: Any) -> tuple[str, Any]:
        name = op.update.resource_name
        protos.apply_mask(_check_mask(0, op), op.update, account.keywords[name])
        account.record_api_change("AD_GROUP_CRITERION", name, "UPDATE", list(op.update_mask.paths))
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
    """The stored resource (None: it does not exist)."""
    if service == "CampaignService":
        return account.campaign_view(int(_id(name)))
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
            getattr(result, field).CopyFrom(protos.mutable_view(current))
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
                getattr(result, handler.field).CopyFrom(protos.mutable_view(view))
    if errors:
        failure = GoogleAdsFailure(errors=list(errors.values()))
        response.partial_failure_error.CopyFrom(status_pb2.Status(
            code=3, message=f"{len(errors)} operation(s) failed",
            details=[any_pb2.Any(type_url=FAILURE_TYPE_URL, value=failure.SerializeToString())]))
    return Mutated(response, applied)
