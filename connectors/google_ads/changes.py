"""Outside changes from Google Ads `change_event`: who changed which of our entities, and when.

The API's rules (ChangeEvent docs; examples/account_management/get_change_details.py): a finite
`change_event.change_date_time` range starting within the last 30 days, and a LIMIT of at most 10,000;
events can lag up to 3 minutes. Times are reported without a zone; they are read in the account's time
zone. Changes made through the API (`GOOGLE_ADS_API`) are left out: the Operator's own writes are in its log
(another API tool's changes are therefore not seen; docs/google-ads.md says so).
"""

# ruff: noqa: S608 - GAQL, not SQL; only checked dates are interpolated

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from schemas.changes import OutsideChange
from schemas.common import Platform

Search = Callable[[str], list[Any]]

LOOKBACK_DAYS = 14  # read per run; within the API's 30 days and longer than any cooldown we default to
MAX_DAYS = 29  # the API keeps 30 days: stay a day inside it (the start must not be older)
LIMIT = 10_000  # the API's maximum
OWN_CLIENT = "GOOGLE_ADS_API"
RESOURCE_TYPES = ("CAMPAIGN", "CAMPAIGN_BUDGET", "CAMPAIGN_CRITERION", "AD_GROUP_CRITERION")
_FORMAT = "%Y-%m-%d %H:%M:%S"


def change_events_query(start: datetime, end: datetime) -> str:
    """Naive local datetimes → the change_event query (the date filter and LIMIT are required)."""
    kinds = ", ".join(f"'{kind}'" for kind in RESOURCE_TYPES)
    return ("SELECT change_event.resource_name, change_event.change_date_time, change_event.change_resource_type, "
            "change_event.change_resource_name, change_event.client_type, change_event.user_email, "
            "change_event.resource_change_operation, change_event.changed_fields, change_event.campaign "
            "FROM change_event "
            f"WHERE change_event.change_date_time >= '{start.strftime(_FORMAT)}' "
            f"AND change_event.change_date_time <= '{end.strftime(_FORMAT)}' "
            f"AND change_event.change_resource_type IN ({kinds}) "
            f"LIMIT {LIMIT}")


def _campaign_id(name: str) -> str | None:
    """The campaign id in a campaign or campaign-criterion resource name."""
    tail = name.rsplit("/", 1)[-1]
    head = tail.split("~", 1)[0]
    return head if head.isdigit() else None


def entity_keys(customer_id: str, resource_type: str, resource_name: str, campaign: str,
                budget_users: dict[str, set[str]]) -> list[str]:
    """The action-spec entity keys a changed resource belongs to (a budget: every campaign using it)."""
    prefix = f"google_ads:{customer_id}"
    if resource_type == "AD_GROUP_CRITERION":
        return [f"{prefix}:keyword:{resource_name.rsplit('/', 1)[-1]}"]
    if resource_type == "CAMPAIGN_BUDGET":
        return [f"{prefix}:campaign:{c}" for c in sorted(budget_users.get(resource_name.rsplit("/", 1)[-1], ()))]
    campaign_id = _campaign_id(resource_name) if resource_type in ("CAMPAIGN", "CAMPAIGN_CRITERION") else None
    campaign_id = campaign_id or (_campaign_id(campaign) if campaign else None)
    return [f"{prefix}:campaign:{campaign_id}"] if campaign_id else []


def read_outside_changes(search: Search, customer_id: str, zone: ZoneInfo, now: datetime,
                         budget_users: dict[str, set[str]], days: int = LOOKBACK_DAYS) -> list[OutsideChange]:
    """Every outside change of the last `days` days to campaigns, budgets, campaign criteria and keywords."""
    local_now = now.astimezone(zone).replace(tzinfo=None, microsecond=0)
    start = local_now - timedelta(days=min(days, MAX_DAYS))
    found = []
    for row in search(change_events_query(start, local_now)):
        event = row.change_event
        client = event.client_type.name
        if client == OWN_CLIENT:
            continue
        at = datetime.fromisoformat(event.change_date_time).replace(tzinfo=zone)
        kind = event.change_resource_type.name
        for key in entity_keys(customer_id, kind, event.change_resource_name, event.campaign, budget_users):
            found.append(OutsideChange(
                platform=Platform.GOOGLE_ADS, account_id=customer_id, entity_key=key, resource_type=kind,
                resource_name=event.change_resource_name, changed_at=at, client_type=client,
                actor=event.user_email or client, operation=event.resource_change_operation.name,
                changed_fields=tuple(event.changed_fields.paths)))
    return found


def by_entity(changes: Iterable[OutsideChange]) -> dict[str, list[OutsideChange]]:
    grouped: dict[str, list[OutsideChange]] = defaultdict(list)
    for change in changes:
        grouped[change.entity_key].append(change)
    return grouped
