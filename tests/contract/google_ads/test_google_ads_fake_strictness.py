"""The fake on its own, through the real client but not the connector: masks, mutability and resource names
judged by the library's protos, the API's mask semantics, MUTABLE_RESOURCE answers with mutable fields only,
and the manager hierarchy. A fake that accepted what Google refuses would prove nothing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from gads_fake import FakeGoogleAds
from gads_seed import CUSTOMER, MANAGER
from gads_support import client_factory
from google.ads.googleads.errors import GoogleAdsException

from connectors.google_ads import AdsIdentity

MUTABLE_RESOURCE = 2


@pytest.fixture
def client(fake: FakeGoogleAds) -> Any:
    return client_factory(fake.endpoint)(AdsIdentity(MANAGER))


def _update(client: Any, name: str, paths: list[str], fill: Callable[[Any], None] = lambda c: None) -> Any:
    op = client.get_type("CampaignOperation")
    op.update.resource_name = name
    fill(op.update)
    op.update_mask.paths.extend(paths)
    return op


def _send(client: Any, *operations: Any, validate_only: bool = False) -> Any:
    request = client.get_type("MutateCampaignsRequest")
    request.customer_id = CUSTOMER
    request.operations.extend(operations)
    request.validate_only = validate_only
    request.response_content_type = MUTABLE_RESOURCE
    return client.get_service("CampaignService").mutate_campaigns(request=request, timeout=5)


def _error(call: Callable[[], Any]) -> str:
    with pytest.raises(GoogleAdsException) as raised:
        call()
    [error] = raised.value.failure.errors
    which = type(error.error_code).pb(error.error_code).WhichOneof("error_code")
    return f"{which}.{getattr(error.error_code, which).name}"


CAMPAIGN = f"customers/{CUSTOMER}/campaigns/111"


@pytest.mark.parametrize(("name", "paths", "fill", "code"), [
    (CAMPAIGN, ["no_such_field"], None, "field_mask_error.FIELD_NOT_FOUND"),
    (CAMPAIGN, ["advertising_channel_type"], None, "field_error.IMMUTABLE_FIELD"),  # "Immutable." in the proto
    (CAMPAIGN, ["bidding_strategy_type"], None, "field_error.IMMUTABLE_FIELD"),  # "Output only."
    (CAMPAIGN, ["maximize_conversions"], lambda c: setattr(c.maximize_conversions, "target_cpa_micros", 5_000_000),
     "field_mask_error.FIELD_HAS_SUBFIELDS"),
    (CAMPAIGN, [], None, "field_mask_error.FIELD_MASK_MISSING"),
    (f"customers/{CUSTOMER}/campaign/111", ["status"], None, "request_error.RESOURCE_NAME_MALFORMED"),
    ("customers/2223334444/campaigns/555", ["status"], None, "request_error.INVALID_CUSTOMER_ID"),
    (f"customers/{CUSTOMER}/campaigns/999", ["status"], None, "mutate_error.RESOURCE_NOT_FOUND"),
])
def test_masks_and_names_are_judged_by_the_protos(client: Any, fake: FakeGoogleAds, name: str, paths: list[str],
                                                  fill: Callable[[Any], None] | None, code: str) -> None:
    untouched = fake.account(CUSTOMER).fingerprint()

    assert _error(lambda: _send(client, _update(client, name, paths, fill or (lambda c: None)))) == code
    assert fake.account(CUSTOMER).fingerprint() == untouched


def test_a_masked_field_left_unset_is_cleared_and_answers_carry_mutable_fields_only(client: Any,
                                                                                    fake: FakeGoogleAds) -> None:
    clear = _update(client, f"customers/{CUSTOMER}/campaigns/333", ["maximize_conversions.target_cpa_micros"],
                    lambda c: type(c).pb(c).maximize_conversions.SetInParent())

    response = _send(client, clear)

    assert fake.account(CUSTOMER).scheme(333) == ("maximize_conversions", {})
    returned = type(response.results[0].campaign).pb(response.results[0].campaign)
    present = {field.name for field, _ in returned.ListFields()}
    assert "resource_name" in present and "name" in present
    assert not present & {"id", "advertising_channel_type", "bidding_strategy_type", "bidding_strategy_system_status"}


def test_a_new_criterions_answer_leaves_out_its_immutable_fields(client: Any) -> None:
    op = client.get_type("CampaignCriterionOperation")
    op.create.campaign, op.create.negative = CAMPAIGN, True
    op.create.keyword.text = "probe"
    op.create.keyword.match_type = client.enums.KeywordMatchTypeEnum.EXACT
    request = client.get_type("MutateCampaignCriteriaRequest")
    request.customer_id, request.response_content_type = CUSTOMER, MUTABLE_RESOURCE
    request.operations.append(op)

    [result] = client.get_service("CampaignCriterionService").mutate_campaign_criteria(request=request,
                                                                                     timeout=5).results

    assert result.resource_name.startswith(f"customers/{CUSTOMER}/campaignCriteria/111~")
    assert "keyword" not in result.campaign_criterion and "negative" not in result.campaign_criterion


def test_a_login_customer_id_outside_the_hierarchy_is_denied(fake: FakeGoogleAds) -> None:
    outsider = client_factory(fake.endpoint)(AdsIdentity("5556667777"))
    nobody = client_factory(fake.endpoint, login_customer_id=None)(AdsIdentity())

    for client in (outsider, nobody):
        assert _error(lambda c=client: c.get_service("GoogleAdsService").search(
            customer_id=CUSTOMER, query="SELECT customer.id FROM customer", timeout=5)) == \
            "authorization_error.USER_PERMISSION_DENIED"
