"""Changes made to a sandbox Google Ads account by someone other than the Operator (a person in the UI),
reported the way Google Ads' `change_event` reports them: per campaign, with time, kind and actor.

The Operator's own writes are not listed (its log has them), as the real connector leaves out changes
made through the API. A budget change is reported on every campaign using the budget.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from connectors.sandbox.entities import Entities
from schemas.changes import OutsideChange
from schemas.common import Platform
from schemas.metrics import EntityChange

CHANGE_IDS_START = 1
_KINDS = {("campaign", "status"): "status", ("campaign", "bidding"): "bidding", ("budget", "amount"): "budget",
          ("keyword", "cpc_bid"): "bidding", ("ad_group", "cpc_bid"): "bidding", ("keyword", "status"): "keywords"}


def _campaigns_of(ents: Entities, kind: str, data: dict[str, Any]) -> list[str]:
    if kind == "campaign":
        return [str(data["campaign_id"])]
    if kind == "budget":
        return [c["campaign_id"] for c in ents.all("campaign") if c.get("budget_id") == data.get("budget_id")]
    if data.get("campaign_id"):
        return [str(data["campaign_id"])]
    return []


def record_outside_change(ents: Entities, kind: str, data: dict[str, Any], fields: list[str], at: datetime,
                          actor: str) -> None:
    """Note one outside edit of an entity (its kind and changed fields) on the campaigns it affects."""
    campaigns = _campaigns_of(ents, kind, data)
    if not campaigns:
        return
    change_kind = next((_KINDS[(kind, f)] for f in fields if (kind, f) in _KINDS), "other")
    change_id = ents.next_id("change", CHANGE_IDS_START)
    entity_id = _entity_id(kind, data)
    ents.put("change", change_id.zfill(10), {
        "change_id": change_id, "campaign_ids": campaigns, "changed_at": at.isoformat(), "kind": change_kind,
        "actor": actor, "detail": f"{kind} {', '.join(sorted(fields))} changed", "entity_kind": kind,
        "entity_id": entity_id, "fields": sorted(fields)})


def _entity_id(kind: str, data: dict[str, Any]) -> str:
    if kind == "keyword":
        return f"{data.get('ad_group_id')}~{data.get('criterion_id')}"
    return str(data.get(f"{kind}_id", ""))


_RESOURCE = {"campaign": ("CAMPAIGN", "campaigns"), "budget": ("CAMPAIGN_BUDGET", "campaignBudgets"),
             "keyword": ("AD_GROUP_CRITERION", "adGroupCriteria"), "ad_group": ("AD_GROUP", "adGroups")}
_FIELDS = {"amount": "amount_micros", "cpc_bid": "cpc_bid_micros", "bidding": "bidding_strategy_type"}


def outside_changes(ents: Entities, campaign_id: str | None, keyword_key: str | None, since: datetime,
                    until: datetime) -> tuple[OutsideChange, ...]:
    """The snapshot's CHANGES part, as the live connector reports change_event: the campaign's own and its
    budget's changes under the campaign's entity key, a keyword's under the keyword's."""
    out = []
    for change in ents.all("change"):
        at = datetime.fromisoformat(change["changed_at"])
        kind = change.get("entity_kind", "")
        if not since <= at <= until or kind not in _RESOURCE:
            continue
        if kind == "keyword" and keyword_key and change.get("entity_id") == keyword_key:
            key = f"google_ads:{ents.account_id}:keyword:{keyword_key}"
        elif kind in ("campaign", "budget") and campaign_id and campaign_id in change["campaign_ids"]:
            key = f"google_ads:{ents.account_id}:campaign:{campaign_id}"
        else:
            continue
        resource_type, path = _RESOURCE[kind]
        out.append(OutsideChange(
            platform=Platform.GOOGLE_ADS, account_id=ents.account_id, entity_key=key, resource_type=resource_type,
            resource_name=f"customers/{ents.account_id}/{path}/{change.get('entity_id', '')}", changed_at=at,
            client_type="GOOGLE_ADS_WEB_CLIENT", actor=change["actor"],
            changed_fields=tuple(_FIELDS.get(f, f) for f in change.get("fields", ()))))
    return tuple(sorted(out, key=lambda c: c.changed_at))


def changes_for(ents: Entities, campaign_id: str, start: datetime, end: datetime) -> tuple[EntityChange, ...]:
    """The outside changes to a campaign (or its budget, keywords) inside [start, end)."""
    out = []
    for change in ents.all("change"):
        at = datetime.fromisoformat(change["changed_at"])
        if campaign_id in change["campaign_ids"] and start <= at < end:
            out.append(EntityChange(entity_id=campaign_id, changed_at=at, kind=change["kind"], actor=change["actor"],
                                    source="platform", detail=change["detail"]))
    return tuple(out)
