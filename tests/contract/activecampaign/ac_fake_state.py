"""The state and endpoint logic of a fake ActiveCampaign account (no HTTP here; see ac_fake_server.py).

Built from AC's published reference (../shared/reference/activecampaign-api.md and the
developers.activecampaign.com pages it names), not from our connector; where the reference is unsure, the
stricter reading: request bodies keep only documented fields (a message has no `name`), a campaign holds a
second message only once it is a split campaign, split shares must be positive integers covering every
attached message, and a campaign with more than one message cannot go back to `single`.

Shapes follow AC's v3 answers as documented in ../shared/reference/activecampaign-api.md: ids and most
numbers are strings, `meta.total` is a string, dates are ISO-8601 in the account's zone (-05:00 here),
errors come as `{"errors": [...]}` (objects or strings) or `{"message": ...}`, and the newer campaign
status endpoints answer 200 `{"succeeded": 0}` for refused transitions, with localized text.
"""

from __future__ import annotations

import itertools
import threading
from datetime import datetime, timedelta, timezone
from typing import Any

ACCOUNT_TZ = timezone(timedelta(hours=-5))
Reply = tuple[int, Any]

EDITABLE = {"0", "1", "6"}
# Documented request bodies (reference §3 #5, #6; "Create a campaign message"): anything else is dropped.
MESSAGE_FIELDS = ("fromname", "email", "reply2", "subject", "preheader_text")
MESSAGE_REQUIRED = ("fromname", "email", "reply2")
EDIT_FIELDS = ("name", "type", "segmentId", "addressId", "listIds", "replyTrackingEnabled", "linkTrackingEnabled",
               "googleAnalyticsLinkTrackingEnabled", "googleAnalyticsCampaignName", "readTrackingEnabled",
               "sendToExistingSubscribers", "canSplitContent", "recurring", "responderDaysOffset",
               "responderHoursOffset", "scheduledDate", "reminderField", "reminderOffset", "reminderOffsetType",
               "reminderType", "rssInterval", "splitType", "splitWinnerWaitPeriod", "splitWinnerWaitPeriodType",
               "publicCampaignArchive")
LINK_FIELDS = ("campaignid", "messageid", "percentage")
SPLIT_TYPES = ("even", "read", "click")
WAIT_TYPES = ("hour", "day", "week", "month")


def _only_split(cid: str) -> dict[str, Any]:
    return {"errors": [{"title": "Bad Request", "detail": f"Campaign {cid} is not a split campaign: only split (A/B) "
                        "campaigns hold more than one message"}]}


def _conflict(detail: str) -> dict[str, Any]:
    return {"errors": [{"title": "Conflict", "detail": detail}]}


def _no_result(kind: str, ident: str) -> dict[str, str]:
    return {"message": f"No Result found for {kind} with id {ident}"}


def _invalid(pointer: str, detail: str) -> dict[str, Any]:
    return {"errors": [{"status": 422, "title": "Invalid attribute", "detail": detail,
                        "source": {"pointer": f"/data/attributes/{pointer}"}}]}


def ac_date(value: datetime | None) -> str | None:
    return value.astimezone(ACCOUNT_TZ).isoformat(timespec="seconds") if value else None


class FakeAccount:
    """One AC account. Every mutation holds the lock: the server is threaded."""

    def __init__(self, tokens: set[str]):
        self.tokens = set(tokens)
        self.lock = threading.RLock()
        self._ids = itertools.count(1000)
        self.v3_status_endpoints = True  # False: pause/resume answer 404 (exercise the v1 fallback)
        self.campaigns: dict[str, dict[str, Any]] = {}
        self.messages: dict[str, dict[str, Any]] = {}
        self.links: dict[str, dict[str, Any]] = {}  # campaignMessages
        self.automations: dict[str, dict[str, Any]] = {}
        self.contacts: dict[str, dict[str, Any]] = {}
        self.memberships: list[dict[str, Any]] = []  # contactLists
        self.runs: dict[str, dict[str, Any]] = {}  # contactAutomations

    def next_id(self) -> str:
        return str(next(self._ids))

    # ------------------------------------------------------------------ seeding

    def add_campaign(self, cid: str, name: str, *, status: int, subject: str, sdate: datetime | None = None,
                     seriesid: str = "0", send_amt: int = 0, total_amt: int = 0) -> None:
        mid = self.next_id()
        self.messages[mid] = {"id": mid, "subject": subject, "fromname": "Acme",
                              "fromemail": "news@acme.example", "reply2": "news@acme.example",
                              "html": "<p>Hello</p>", "text": "Hello", "preheader_text": ""}
        self.campaigns[cid] = {
            "id": cid, "name": name, "type": "single", "status": str(status), "sdate": ac_date(sdate),
            "scheduleddate": ac_date(sdate), "seriesid": seriesid, "send_amt": str(send_amt),
            "total_amt": str(total_amt), "opens": "40", "uniqueopens": "31", "linkclicks": "9",
            "uniquelinkclicks": "7", "split_type": "even", "split_offset": "0", "split_offset_type": "day",
            "mdate": "2026-11-01T10:00:00-05:00", "links": {"campaignMessages": f"/api/3/campaigns/{cid}/campaignMessages"},
        }
        self._link(cid, mid, 100)

    def _link(self, cid: str, mid: str, percentage: int) -> dict[str, Any]:
        lid = self.next_id()
        self.links[lid] = {"id": lid, "campaignid": cid, "messageid": mid, "percentage": str(percentage)}
        return self.links[lid]

    def add_contact(self, cid: str, email: str, list_statuses: tuple[int, ...] = (1,)) -> None:
        self.contacts[cid] = {"id": cid, "email": email, "firstName": "", "cdate": "2026-01-01T00:00:00-05:00"}
        for number, status in enumerate(list_statuses, start=1):
            self.memberships.append({"id": self.next_id(), "contact": cid, "list": str(number), "status": str(status)})

    def add_run(self, contact: str, automation: str, *, status: int = 1) -> str:
        rid = self.next_id()
        self.runs[rid] = {"id": rid, "contact": contact, "automation": automation, "seriesid": automation,
                          "status": str(status), "completed": 1 if status == 2 else 0, "adddate": ac_date(datetime.now(ACCOUNT_TZ))}
        return rid

    def active_runs(self, contact: str, automation: str) -> list[str]:
        return [r["id"] for r in self.runs.values()
                if r["contact"] == contact and r["automation"] == automation and r["status"] == "1"]

    # ------------------------------------------------------------------ campaigns and messages

    def list_campaigns(self, query: dict[str, str]) -> Reply:
        limit, offset = min(int(query.get("limit", 20)), 100), int(query.get("offset", 0))
        ordered = sorted(self.campaigns.values(), key=lambda c: int(c["id"]), reverse=True)
        return 200, {"campaigns": [dict(c) for c in ordered[offset:offset + limit]], "meta": {"total": str(len(ordered))}}

    def list_automations(self, query: dict[str, str]) -> Reply:
        limit, offset = min(int(query.get("limit", 20)), 100), int(query.get("offset", 0))
        ordered = sorted(self.automations.values(), key=lambda a: int(a["id"]))
        return 200, {"automations": [dict(a) for a in ordered[offset:offset + limit]],
                     "meta": {"total": str(len(ordered))}}

    def get_campaign(self, cid: str) -> Reply:
        campaign = self.campaigns.get(cid)
        return (200, {"campaign": dict(campaign)}) if campaign else (404, _no_result("Campaign", cid))

    def _touch(self, campaign: dict[str, Any]) -> None:
        campaign["mdate"] = ac_date(datetime.now(ACCOUNT_TZ))

    def _attached(self, cid: str) -> list[dict[str, Any]]:
        return [link for link in self.links.values() if link["campaignid"] == cid]

    def edit_campaign(self, cid: str, body: Any) -> Reply:
        campaign = self.campaigns.get(cid)
        if campaign is None:
            return 404, _no_result("Campaign", cid)
        if campaign["status"] not in EDITABLE:
            return 400, {"errors": ["Campaign can not be edited once it has been sent"]}
        if not isinstance(body, dict):
            return 400, {"errors": ["Invalid JSON"]}
        body = {k: v for k, v in body.items() if k in EDIT_FIELDS}  # undocumented fields are dropped
        if "scheduledDate" in body:
            raw = body["scheduledDate"]
            try:
                when = datetime.fromisoformat(raw) if raw is not None else None
            except (TypeError, ValueError):
                return 422, _invalid("scheduledDate", "scheduledDate must be a date")
            if when is not None and when.tzinfo is None:
                return 422, _invalid("scheduledDate", "scheduledDate needs a time zone offset")
            campaign["sdate"] = campaign["scheduleddate"] = ac_date(when)
        if "type" in body:
            if body["type"] not in ("single", "split"):
                return 422, _invalid("type", "unsupported type")
            if body["type"] != "split" and len(self._attached(cid)) > 1:
                return 400, {"errors": ["A campaign with more than one message must stay a split campaign"]}
            campaign["type"] = body["type"]
        if "splitType" in body:
            if body["splitType"] not in SPLIT_TYPES:
                return 422, _invalid("splitType", "unsupported split type")
            campaign["split_type"] = body["splitType"]
        if "splitWinnerWaitPeriod" in body:
            if body.get("splitWinnerWaitPeriodType", "hour") not in WAIT_TYPES:
                return 422, _invalid("splitWinnerWaitPeriodType", "unsupported period")
            campaign["split_offset"] = str(body["splitWinnerWaitPeriod"])
            campaign["split_offset_type"] = body.get("splitWinnerWaitPeriodType", "hour")
        self._touch(campaign)
        return 200, {"campaign": dict(campaign)}

    def campaign_messages(self, cid: str) -> Reply:
        if cid not in self.campaigns:
            return 404, _no_result("Campaign", cid)
        rows = [dict(link) for link in self._attached(cid)]
        return 200, {"campaignMessages": rows, "meta": {"total": str(len(rows))}}

    def _message_body(self, body: Any, required: bool) -> dict[str, str] | Reply:
        message = body.get("message") if isinstance(body, dict) else None
        if not isinstance(message, dict):
            return 400, {"errors": ["A message object is required"]}
        kept = {k: str(v) for k, v in message.items() if k in MESSAGE_FIELDS and v is not None}
        missing = [k for k in MESSAGE_REQUIRED if not kept.get(k)] if required else []
        if missing:
            return 422, _invalid(missing[0], f"{missing[0]} is required")
        if "email" in kept:  # the documented request field is `email`; answers call it `fromemail`
            kept["fromemail"] = kept.pop("email")
        return kept

    def create_message(self, body: Any) -> Reply:
        kept = self._message_body(body, required=True)
        if isinstance(kept, tuple):
            return kept
        mid = self.next_id()
        self.messages[mid] = {**kept, "id": mid}  # no html/text: the documented body has none
        return 201, {"message": dict(self.messages[mid])}

    def update_message(self, mid: str, body: Any) -> Reply:
        message = self.messages.get(mid)
        if message is None:
            return 404, _no_result("Message", mid)
        kept = self._message_body(body, required=True)  # stricter reading: the create body's required fields
        if isinstance(kept, tuple):
            return kept
        message.update(kept)
        return 200, {"message": dict(message)}

    def get_message(self, mid: str) -> Reply:
        message = self.messages.get(mid)
        return (200, {"message": dict(message)}) if message else (404, _no_result("Message", mid))

    def list_messages(self, query: dict[str, str]) -> Reply:
        limit, offset = min(int(query.get("limit", 20)), 100), int(query.get("offset", 0))
        ordered = sorted(self.messages.values(), key=lambda m: int(m["id"]))
        return 200, {"messages": [dict(m) for m in ordered[offset:offset + limit]], "meta": {"total": str(len(ordered))}}

    def delete_message(self, mid: str) -> Reply:
        if mid not in self.messages:
            return 404, _no_result("Message", mid)
        if any(link["messageid"] == mid for link in self.links.values()):  # stricter: detach first
            return 400, {"errors": [f"Message {mid} is attached to a campaign"]}
        del self.messages[mid]
        return 200, {}

    def create_link(self, body: Any) -> Reply:
        """"Create a campaign message": only campaignid, messageid, percentage; campaignid required."""
        link = body.get("campaignMessage") if isinstance(body, dict) else None
        if not isinstance(link, dict):
            return 400, {"errors": ["A campaignMessage object is required"]}
        link = {k: v for k, v in link.items() if k in LINK_FIELDS}
        if not link.get("campaignid"):
            return 400, {"errors": ["campaignid is required"]}
        cid, mid = str(link["campaignid"]), str(link.get("messageid", ""))
        campaign = self.campaigns.get(cid)
        if campaign is None or mid not in self.messages:
            return 404, _no_result("Campaign" if campaign is None else "Message", cid if campaign is None else mid)
        if campaign["status"] not in EDITABLE:
            return 409, _conflict("The campaign's messages can no longer change")
        if campaign["type"] != "split" and self._attached(cid):
            return 400, _only_split(cid)
        return 201, {"campaignMessage": dict(self._link(cid, mid, int(link.get("percentage") or 0)))}

    def delete_link(self, lid: str) -> Reply:
        """"Delete a campaign message": the association only."""
        link = self.links.get(lid)
        if link is None:
            return 404, _no_result("CampaignMessage", lid)
        if self.campaigns[link["campaignid"]]["status"] not in EDITABLE:
            return 409, _conflict("The campaign's messages can no longer change")
        del self.links[lid]
        return 200, {}

    def attach_copy(self, cid: str, body: Any) -> Reply:
        """"Attach a message to a campaign": a copy of the message is attached (its own id), split only."""
        campaign = self.campaigns.get(cid)
        row = body.get("campaignMessage") if isinstance(body, dict) else None
        if campaign is None:
            return 404, _no_result("Campaign", cid)
        if not isinstance(row, dict) or not row.get("messageid"):
            return 400, {"errors": ["campaignMessage.messageid is required"]}
        source = self.messages.get(str(row["messageid"]))
        if source is None:
            return 404, _no_result("Message", str(row["messageid"]))
        if campaign["status"] not in EDITABLE:
            return 409, _conflict("The campaign's messages can no longer change")
        if campaign["type"] != "split":
            return 400, _only_split(cid)
        if len(self._attached(cid)) >= 5:
            return 400, {"errors": ["A split campaign holds at most five messages"]}
        mid = self.next_id()
        self.messages[mid] = {**source, "id": mid}
        percentage = row.get("percentage")
        return 201, {"campaignMessage": dict(self._link(cid, mid, int(percentage) if isinstance(percentage, int) else 0))}

    def detach(self, cid: str, lid: str) -> Reply:
        """"Detach a message from a campaign": removes the attachment and deletes the message itself."""
        link = self.links.get(lid)
        if link is None or link["campaignid"] != cid:
            return 404, _no_result("CampaignMessage", lid)
        if self.campaigns[cid]["status"] not in EDITABLE:
            return 409, _conflict("The campaign's messages can no longer change")
        del self.links[lid]
        self.messages.pop(link["messageid"], None)
        return 200, {}

    def get_percentages(self, cid: str) -> Reply:
        if cid not in self.campaigns:
            return 404, _no_result("Campaign", cid)
        rows = [{"messageid": link["messageid"], "percentage": link["percentage"]} for link in self._attached(cid)]
        return 200, {"messages": rows}

    def set_percentages(self, cid: str, body: Any) -> Reply:
        campaign = self.campaigns.get(cid)
        if campaign is None:
            return 404, _no_result("Campaign", cid)
        if campaign["status"] not in EDITABLE:
            return 409, _conflict("Too late to change the split")
        if campaign["type"] != "split":
            return 400, _only_split(cid)
        rows = body.get("messages") if isinstance(body, dict) else None
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            return 400, {"errors": ["messages must be an array of objects"]}
        if not all(isinstance(r.get(k), int) and not isinstance(r.get(k), bool) and r[k] > 0
                   for r in rows for k in ("messageid", "percentage")):
            return 400, {"errors": ["messageid and percentage must be positive integers"]}
        mine = {link["messageid"]: link for link in self._attached(cid)}
        given = {str(r["messageid"]): r["percentage"] for r in rows}
        if set(given) != set(mine) or len(given) != len(rows):
            return 400, {"errors": ["Percentages must be given for every message of the campaign"]}
        total = sum(given.values())
        if campaign["split_type"] == "even":  # an even split is reset to equal shares
            share = 100 // len(given)
            given = {m: share + (100 - share * len(given) if i == 0 else 0) for i, m in enumerate(given)}
        elif total >= 100:
            return 400, {"errors": [f"Percentages add up to {total}: the winner needs a share"]}
        for mid, share in given.items():
            mine[mid]["percentage"] = str(share)
        return 200, {"messages": [{"messageid": m, "percentage": str(v)} for m, v in given.items()]}

    def transition(self, cid: str, source: str, target: str, verb: str) -> Reply:
        campaign = self.campaigns.get(cid)
        if campaign is None or campaign["seriesid"] != "0" or campaign["status"] != source:
            return 200, {"succeeded": 0, "message": f"Die Kampagne kann nicht {verb} werden."}  # localized text
        campaign["status"] = target
        return 200, {"succeeded": 1, "message": f"Campaign {verb}."}

    def legacy_status(self, form: dict[str, str]) -> Reply:
        cid, status = form.get("id", ""), form.get("status", "")
        allowed = {("2", "3"), ("3", "2"), ("2", "4"), ("3", "4")}
        campaign = self.campaigns.get(cid)
        if campaign is None or (campaign["status"], status) not in allowed:
            return 200, {"result_code": 0, "result_message": "Campaign status could not be changed", "result_output": "json"}
        campaign["status"] = status
        return 200, {"result_code": 1, "result_message": "Campaign status changed", "result_output": "json"}

    # ------------------------------------------------------------------ automations and contacts

    def get_automation(self, aid: str) -> Reply:
        automation = self.automations.get(aid)
        return (200, {"automation": dict(automation)}) if automation else (404, _no_result("Automation", aid))

    def find_contacts(self, query: dict[str, str]) -> Reply:
        email = query.get("email", "").casefold()
        rows = [dict(c) for c in self.contacts.values() if not email or c["email"].casefold() == email]
        return 200, {"contacts": rows, "meta": {"total": str(len(rows)), "page_input": {"email": email}}}

    def get_contact(self, cid: str) -> Reply:
        contact = self.contacts.get(cid)
        return (200, {"contact": dict(contact)}) if contact else (404, _no_result("Subscriber", cid))

    def contact_lists(self, cid: str) -> Reply:
        if cid not in self.contacts:
            return 404, _no_result("Subscriber", cid)
        return 200, {"contactLists": [dict(m) for m in self.memberships if m["contact"] == cid]}

    def contact_runs(self, cid: str) -> Reply:
        if cid not in self.contacts:
            return 404, _no_result("Subscriber", cid)
        return 200, {"contactAutomations": [dict(r) for r in self.runs.values() if r["contact"] == cid]}

    def enrol(self, body: Any) -> Reply:
        row = body.get("contactAutomation") if isinstance(body, dict) else None
        if not isinstance(row, dict) or not row.get("contact") or not row.get("automation"):
            return 422, _invalid("contact", "contact and automation are required")
        contact, automation = str(row["contact"]), str(row["automation"])
        if contact not in self.contacts:
            return 404, _no_result("Subscriber", contact)
        if self.automations.get(automation, {}).get("status") != "1":
            return 403, {"message": "Could not create SubscriberSeries"}
        rid = self.add_run(contact, automation)
        run = {**self.runs[rid], "status": 1, "completed": 0}  # the POST answer carries real numbers
        return 201, {"contacts": [dict(self.contacts[contact])], "contactAutomation": run}

    def unenrol(self, rid: str) -> Reply:
        run = self.runs.get(rid)
        if run is None or run["status"] != "1":
            return 403, _no_result("SubscriberSeries", rid)
        del self.runs[rid]
        return 200, {}
