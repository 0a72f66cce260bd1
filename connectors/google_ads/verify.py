"""`operator verify google_ads`: every action type's operations sent as `validate_only` mutations against a
real entity of the org's account. Google validates them and changes nothing ("If true, the request is
validated but not executed"), so this is a self-test and an integration health check in one.

Per action type the answer is: `supported` (Google accepted the operations), `refused` (Google's reason —
a validation error or a permission the credentials lack — or the connector's), or `unverified` (no entity to
try it on, no answer (quota, rate limit, transient), or the registry does not list its calls as documented).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from connectors.base import PlatformError
from connectors.google_ads.convert import from_micros
from schemas.actions import BiddingScheme, NegativeKeyword
from schemas.common import Platform
from schemas.operations import (
    AddNegativeKeywordsOp,
    ApplyOutcome,
    OpBatch,
    Operation,
    RemoveNegativeKeywordsOp,
    SetBiddingScheme,
    SetBudgetAmount,
    SetCampaignStatus,
    SetKeywordBid,
)
from schemas.verification import Verification, calls_of, operation_status

if TYPE_CHECKING:
    from connectors.google_ads.connector import GoogleAdsConnector

PROBE_KEYWORD = "operator verify probe"  # validate_only: never created

_CAMPAIGNS = ("SELECT campaign.id, campaign.name, campaign.status, campaign_budget.id, campaign_budget.amount_micros, "
              "campaign_budget.period FROM campaign WHERE campaign.status != 'REMOVED' LIMIT 50")
_KEYWORDS = ("SELECT ad_group.id, ad_group.cpc_bid_micros, ad_group_criterion.criterion_id, "
             "ad_group_criterion.cpc_bid_micros FROM ad_group_criterion "
             "WHERE ad_group_criterion.type = 'KEYWORD' AND ad_group_criterion.status != 'REMOVED' "
             "AND ad_group_criterion.negative = FALSE LIMIT 1")
_NEGATIVES = ("SELECT campaign.id, campaign_criterion.resource_name FROM campaign_criterion "
              "WHERE campaign_criterion.type = 'KEYWORD' AND campaign_criterion.negative = TRUE "
              "AND campaign_criterion.status != 'REMOVED' LIMIT 1")


@dataclass(frozen=True)
class Probe:
    """One action type: the entity it is tried on and the operations (forward and rollback) sent."""

    action_type: str
    entity: str | None
    ops: tuple[Operation, ...]
    missing: str | None = None  # why there is nothing to try it on


def _probes(customer: str, campaigns: list[Any], keyword: Any | None, negative: Any | None) -> list[Probe]:
    live = [row for row in campaigns if row.campaign.status.name in ("ENABLED", "PAUSED")]
    campaign = live[0] if live else None
    cid = str(campaign.campaign.id) if campaign else ""
    daily = [row for row in live if row.campaign_budget.id and row.campaign_budget.period.name != "CUSTOM_PERIOD"
             and row.campaign_budget.amount_micros > 0]
    none = "the account has no enabled or paused campaign"
    probes = [
        Probe("pause_campaign", f"campaign {cid}", (SetCampaignStatus(customer_id=customer, campaign_id=cid,
                                                                      status="PAUSED"),
                                                    SetCampaignStatus(customer_id=customer, campaign_id=cid,
                                                                      status="ENABLED")),
              None if campaign else none),
        Probe("add_negative_keywords", f"campaign {cid}", (AddNegativeKeywordsOp(
            customer_id=customer, campaign_id=cid, keywords=(NegativeKeyword(text=PROBE_KEYWORD),)),),
              None if campaign else none),
        Probe("change_bid_strategy", f"campaign {cid}", (SetBiddingScheme(
            customer_id=customer, campaign_id=cid, scheme=BiddingScheme(strategy="maximize_conversions")),),
              None if campaign else none),
    ]
    if daily:
        budget = daily[0].campaign_budget
        amount = from_micros(budget.amount_micros)
        probes.insert(1, Probe("adjust_campaign_budget", f"budget {budget.id}", (SetBudgetAmount(
            customer_id=customer, budget_id=str(budget.id), amount=amount),)))
    else:
        probes.insert(1, Probe("adjust_campaign_budget", None, (), "no campaign with a daily budget"))
    if keyword is not None:
        own = keyword.ad_group_criterion.cpc_bid_micros or keyword.ad_group.cpc_bid_micros or 1_000_000
        ids = (str(keyword.ad_group.id), str(keyword.ad_group_criterion.criterion_id))
        probes.insert(3, Probe("adjust_keyword_bid", f"keyword {ids[0]}~{ids[1]}", (
            SetKeywordBid(customer_id=customer, ad_group_id=ids[0], criterion_id=ids[1],
                          cpc_bid=from_micros(own)),
            SetKeywordBid(customer_id=customer, ad_group_id=ids[0], criterion_id=ids[1], cpc_bid=None))))
    else:
        probes.insert(3, Probe("adjust_keyword_bid", None, (), "the account has no keyword"))
    if negative is not None and campaign is not None:  # add_negative_keywords' rollback: remove a negative
        name = negative.campaign_criterion.resource_name
        remove = RemoveNegativeKeywordsOp(customer_id=customer, campaign_id=str(negative.campaign.id), keywords=(),
                                          resource_names=(name,))
        probes[2] = Probe("add_negative_keywords", f"campaign {cid} (rollback: {name})", (*probes[2].ops, remove))
    return probes


def _row(probe: Probe, status: str, reason: str) -> dict[str, Any]:
    operations = tuple(dict.fromkeys(op.op for op in probe.ops))
    calls = sorted({call.key for kind in operations for call in calls_of(kind)})
    return {"action_type": probe.action_type, "status": status, "reason": reason, "entity": probe.entity,
            "operations": operations, "calls": calls}


def verify_account(connector: GoogleAdsConnector, organization_id: str, customer_id: str,
                   search: Callable[[str], list[Any]] | None = None) -> list[dict[str, Any]]:
    """One row per action type: supported / refused (with the reason) / unverified. Nothing is changed."""
    search = search or (lambda query: connector.search(customer_id, query))
    refusal = connector.refusal(organization_id, customer_id, Platform.GOOGLE_ADS, customer_id)
    if refusal is not None:
        raise refusal
    campaigns, keywords, negatives = search(_CAMPAIGNS), search(_KEYWORDS), search(_NEGATIVES)
    probes = _probes(customer_id, campaigns, keywords[0] if keywords else None, negatives[0] if negatives else None)
    rows = []
    for probe in probes:
        weakest = [operation_status(op.op) for op in probe.ops]
        if probe.missing is not None:
            rows.append(_row(probe, "unverified", f"nothing to try it on: {probe.missing}"))
            continue
        if any(status != Verification.DOCUMENTED for status in weakest):
            rows.append(_row(probe, "unverified", "its calls are not documented (schemas/verification.py)"))
            continue
        batch = OpBatch(key=f"verify:{probe.action_type}", organization_id=organization_id,
                        platform=Platform.GOOGLE_ADS, account_id=customer_id, ops=probe.ops)
        try:
            [result] = connector.apply(customer_id, [batch], validate_only=True)
        except PlatformError as error:
            rows.append(_row(probe, "unverified", f"could not ask Google: {error.message}"))
            continue
        if result.outcome == ApplyOutcome.VALIDATED:
            rows.append(_row(probe, "supported", "Google validated the operations (validate_only)"))
        elif result.error is not None and result.error.kind.value in ("quota", "rate_limited", "retryable",
                                                                      "uncertain"):
            rows.append(_row(probe, "unverified", f"could not ask Google: {result.error.message}"))
        else:
            error = result.error
            reason = f"{error.message} ({error.code})" if error is not None and error.code else (
                error.message if error is not None else "refused")
            rows.append(_row(probe, "refused", reason))
    return rows

