"""A read-only look at one ActiveCampaign account for `operator verify`: nothing here writes.

It finds a real entity per kind of action (a draft or scheduled one-message campaign, a sending campaign,
an active automation) with documented GETs, and reads what each action would read first. What the writes
would be is described, never sent: the guessed write paths are only checkable by the org against a sandbox
account, which is why they stay unverified until enabled.
"""

from __future__ import annotations

from typing import Any

from connectors.activecampaign import parsing
from connectors.activecampaign import paths as p
from connectors.activecampaign.client import ACClient
from connectors.activecampaign.reads import EDITABLE_STATUSES, Reader
from connectors.base import PlatformError

SENDING = 2
_LOOK_AT = 100  # the newest campaigns / automations looked at (one page)


def probe(client: ACClient) -> dict[str, Any]:
    """Per check: {"ok": bool, "entity": str | None, "detail": str, "error": str | None}."""
    reader = Reader(client)
    found: dict[str, Any] = {}
    found["connection"] = _check(lambda: _user(reader))
    campaigns: list[dict[str, Any]] = []
    found["campaigns"] = _check(lambda: _campaigns(reader, campaigns))
    found["editable_campaign"] = _check(lambda: _editable(reader, campaigns))
    found["sending_campaign"] = _check(lambda: _sending(campaigns))
    found["automation"] = _check(lambda: _automation(reader))
    return found


def _check(read: Any) -> dict[str, Any]:
    try:
        entity, detail = read()
    except PlatformError as error:
        return {"ok": False, "entity": None, "detail": "", "error": error.message, "kind": error.kind.value}
    return {"ok": entity is not None, "entity": entity, "detail": detail, "error": None, "kind": None}


def _user(reader: Reader) -> tuple[str | None, str]:
    user = parsing.obj(reader.client.get(p.USERS_ME), "user")
    return (f"user {parsing.as_id(user.get('id'))}" if user else None), "GET /api/3/users/me answered"


def _campaigns(reader: Reader, into: list[dict[str, Any]]) -> tuple[str | None, str]:
    body = reader.get(p.CAMPAIGNS, {"limit": _LOOK_AT, "offset": 0, "orders[sdate]": "DESC"})
    into.extend(parsing.items(body, "campaigns"))
    return f"{len(into)} campaigns", f"{parsing.total(body or {})} campaigns in the account"


def _editable(reader: Reader, campaigns: list[dict[str, Any]]) -> tuple[str | None, str]:
    """A draft/scheduled/disabled non-automation campaign with exactly one message: what a subject-line test
    and a send-time change act on. Its messages and split shares are read as the actions would."""
    for campaign in campaigns:
        cid = parsing.as_id(campaign.get("id"))
        if (cid is None or parsing.as_int(campaign.get("status")) not in EDITABLE_STATUSES
                or (parsing.as_id(campaign.get("seriesid")) or "0") != "0"):
            continue
        links = reader.campaign_messages(cid)
        if str(campaign.get("type") or "single") == "single" and len(links) == 1 and links[0]["message"]:
            reader.percentages(cid)  # the documented read of the split shares answers too
            return f"campaign {cid} ({campaign.get('name') or ''})", f"status {campaign.get('status')}, 1 message"
    return None, "no draft or scheduled single-message campaign to look at"


def _sending(campaigns: list[dict[str, Any]]) -> tuple[str | None, str]:
    for campaign in campaigns:
        own = (parsing.as_id(campaign.get("seriesid")) or "0") == "0"
        if parsing.as_int(campaign.get("status")) == SENDING and own:
            return f"campaign {parsing.as_id(campaign.get('id'))} ({campaign.get('name') or ''})", "sending now"
    return None, "no campaign is sending right now (pause only applies to a sending campaign)"


def _automation(reader: Reader) -> tuple[str | None, str]:
    body = reader.get(p.AUTOMATIONS, {"limit": _LOOK_AT, "offset": 0})
    for automation in parsing.items(body, "automations"):
        if parsing.as_int(automation.get("status")) == 1:
            aid = parsing.as_id(automation.get("id"))
            reader.get(p.CONTACTS, {"limit": 1, "offset": 0})  # contacts are read before any enrolment
            return f"automation {aid} ({automation.get('name') or ''})", "active"
    return None, "no active automation to look at"
