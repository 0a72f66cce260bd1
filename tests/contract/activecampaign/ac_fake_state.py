"""The state and endpoint logic of a fake ActiveCampaign account (no HTTP here; see ac_fake_server.py).

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
        self.messages[mid] = {"id": mid, "name": "", "subject": subject, "fromname": "Acme",
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

    def get_campaign(self, cid: str) -> Reply:
        campaign = self.campaigns.get(cid)
        return (200, {"campaign": dict(campaign)}) if campaign else (404, _no_result("Campaign", cid))

    def edit_campaign(self, cid: str, body: Any) -> Reply:
        campaign = self.campaigns.get(cid)
        if campaign is None:
            return 404, _no_result("Campaign", cid)
        if campaign["status"] not in EDITABLE:
            return 400, {"errors": ["Campaign can not be edited once it has been sent"]}
        if not isinstance(body, dict):
            return 400, {"errors": ["Invalid JSON"]}
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
            campaign["type"] = body["type"]
        if "splitType" in body:
            campaign["split_type"] = body["splitType"]
        if "splitWinnerWaitPeriod" in body:
            campaign["split_offset"] = str(body["splitWinnerWaitPeriod"])
            campaign["split_offset_type"] = body.get("splitWinnerWaitPeriodType", "hour")
        return 200, {"campaign": dict(campaign)}

    def campaign_messages(self, cid: str) -> Reply:
        if cid not in self.campaigns:
            return 404, _no_result("Campaign", cid)
        rows = [dict(link) for link in self.links.values() if link["campaignid"] == cid]
        return 200, {"campaignMessages": rows, "meta": {"total": str(len(rows))}}

    def create_message(self, body: Any) -> Reply:
        message = body.get("message") if isinstance(body, dict) else None
        if not isinstance(message, dict) or not message.get("subject"):
            return 422, _invalid("subject", "Subject is required")
        mid = self.next_id()
        self.messages[mid] = {**{k: str(v) for k, v in message.items()}, "id": mid}
        return 201, {"message": dict(self.messages[mid])}

    def get_message(self, mid: str) -> Reply:
        message = self.messages.get(mid)
        return (200, {"message": dict(message)}) if message else (404, _no_result("Message", mid))

    def list_messages(self, query: dict[str, str]) -> Reply:
        limit, offset = min(int(query.get("limit", 20)), 100), int(query.get("offset", 0))
        ordered = sorted(self.messages.values(), key=lambda m: int(m["id"]))
        return 200, {"messages": [dict(m) for m in ordered[offset:offset + limit]], "meta": {"total": str(len(ordered))}}

    def delete_message(self, mid: str) -> Reply:
        if self.messages.pop(mid, None) is None:
            return 404, _no_result("Message", mid)
        return 200, {}

    def attach(self, body: Any) -> Reply:
        link = body.get("campaignMessage") if isinstance(body, dict) else None
        if not isinstance(link, dict) or not link.get("campaignid"):
            return 422, _invalid("campaignid", "campaignid is required")
        cid, mid = str(link["campaignid"]), str(link.get("messageid", ""))
        campaign = self.campaigns.get(cid)
        if campaign is None or mid not in self.messages:
            return 404, _no_result("Campaign" if campaign is None else "Message", cid if campaign is None else mid)
        if campaign["status"] not in EDITABLE:
            return 409, {"errors": [{"title": "Conflict", "detail": "The campaign's messages can no longer change"}]}
        return 201, {"campaignMessage": dict(self._link(cid, mid, int(link.get("percentage") or 0)))}

    def detach(self, lid: str) -> Reply:
        link = self.links.get(lid)
        if link is None:
            return 404, _no_result("CampaignMessage", lid)
        if self.campaigns[link["campaignid"]]["status"] not in EDITABLE:
            return 409, {"errors": [{"title": "Conflict", "detail": "The campaign's messages can no longer change"}]}
        del self.links[lid]
        return 200, {}

    def get_percentages(self, cid: str) -> Reply:
        if cid not in self.campaigns:
            return 404, _no_result("Campaign", cid)
        rows = [{"messageid": link["messageid"], "percentage": link["percentage"]}
                for link in self.links.values() if link["campaignid"] == cid]
        return 200, {"messages": rows}

    def set_percentages(self, cid: str, body: Any) -> Reply:
        campaign = self.campaigns.get(cid)
        if campaign is None:
            return 404, _no_result("Campaign", cid)
        if campaign["status"] not in EDITABLE:
            return 409, {"errors": [{"title": "Conflict", "detail": "Too late to change the split"}]}
        rows = body.get("messages") if isinstance(body, dict) else None
        mine = {link["messageid"]: link for link in self.links.values() if link["campaignid"] == cid}
        given = {str(r.get("messageid")): int(r.get("percentage", 0)) for r in rows or [] if isinstance(r, dict)}
        if set(given) != set(mine):
            return 400, {"errors": ["Percentages must be given for every message of the campaign"]}
        total = sum(given.values())
        if (campaign["split_type"] == "even" and total != 100) or (campaign["split_type"] != "even" and total >= 100):
            return 400, {"errors": [f"Percentages add up to {total}"]}
        for mid, share in given.items():
            mine[mid]["percentage"] = str(share)
        return 200, {"messages": [{"messageid": m, "percentage": str(s)} for m, s in given.items()]}

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
