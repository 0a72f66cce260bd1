"""Reads: campaign, message, automation and contact state, shaped into the snapshot schema.

A `Reader` memoises GETs for its own lifetime, so one snapshot call that asks about the same campaign
or contact twice reads it once. Operations make a fresh `Reader` for every read that must see the
platform *now* (preconditions, verification, settling an uncertain write).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from connectors.activecampaign import parsing
from connectors.activecampaign import paths as p
from connectors.activecampaign.client import ACClient
from connectors.base import NotFoundError, RetryableError
from schemas.snapshots import AutomationState, ContactState, EmailCampaignState

PAGE = 100  # AC's maximum page size
RUN_IN_PROGRESS = 1  # contactAutomation.status: 1 in progress, 2 completed
LIST_SUBSCRIBED = 1  # contactList.status: 1 subscribed, 2 unsubscribed, others (bounced, ...) unknown
EDITABLE_STATUSES = frozenset({0, 1, 6})  # draft, scheduled, disabled: nothing has been sent yet
STATUS_NAMES = {0: "draft", 1: "scheduled", 2: "sending", 3: "paused", 4: "stopped", 5: "completed",
                6: "disabled"}


class Reader:
    def __init__(self, client: ACClient):
        self.client = client
        self._memo: dict[tuple[str, tuple[tuple[str, str], ...]], Any] = {}

    def get(self, path: str, params: dict[str, Any] | None = None) -> Any | None:
        """GET once per Reader; None when AC answers 404 (the entity does not exist)."""
        key = (path, tuple(sorted((k, str(v)) for k, v in (params or {}).items())))
        if key not in self._memo:
            try:
                body = self.client.get(path, params)
            except NotFoundError:
                body = None
            if body is not None and not isinstance(body, dict):  # e.g. a proxy's HTML page: not "missing"
                raise RetryableError(f"GET {path}: the answer is not a JSON object", code="unreadable")
            self._memo[key] = body
        return self._memo[key]

    def all_pages(self, path: str, key: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """Every item of a listing, following `meta.total` (a single page when AC sends no meta)."""
        found: list[dict[str, Any]] = []
        offset = 0
        while True:
            body = self.get(path, {**(params or {}), "limit": PAGE, "offset": offset})
            page = parsing.items(body, key)
            found.extend(page)
            offset += PAGE
            if not page or offset >= parsing.total(body or {}):
                return found

    # ------------------------------------------------------------------ campaigns and messages

    def campaign(self, campaign_id: str) -> dict[str, Any] | None:
        body = self.get(p.CAMPAIGN.format(campaign_id=campaign_id))
        campaign = parsing.obj(body, "campaign")
        return campaign or None

    def campaign_messages(self, campaign_id: str) -> list[dict[str, Any]]:
        """The campaign's message links, oldest first: `id` (the link), `messageid`, and the message."""
        links = self.all_pages(p.CAMPAIGN_MESSAGES.format(campaign_id=campaign_id), "campaignMessages")
        links.sort(key=lambda link: parsing.as_int(link.get("id")))
        for link in links:
            message_id = parsing.as_id(link.get("messageid") or link.get("message"))
            link["messageid"] = message_id
            link["message"] = self.message(message_id) if message_id else {}
        return links

    def message(self, message_id: str) -> dict[str, Any]:
        return parsing.obj(self.get(p.MESSAGE.format(message_id=message_id)), "message")

    def percentages(self, campaign_id: str) -> dict[str, int]:
        """message id -> split share in percent (empty for a campaign that is not a split test)."""
        body = self.get(p.SPLIT_PERCENTAGES.format(campaign_id=campaign_id))
        shares: dict[str, int] = {}
        for row in parsing.items(body, "messages"):
            message_id = parsing.as_id(row.get("messageid") or row.get("message") or row.get("id"))
            if message_id:
                shares[message_id] = parsing.as_int(row.get("percentage", row.get("percent")))
        return shares

    def email_campaign_state(self, campaign_id: str) -> EmailCampaignState | None:
        campaign = self.campaign(campaign_id)
        if campaign is None:
            return None
        links = self.campaign_messages(campaign_id)
        control = links[0] if links else None  # the oldest attachment: what a single campaign sends
        split = str(campaign.get("type") or "") == "split"
        return EmailCampaignState(
            campaign_id=parsing.as_id(campaign.get("id")) or campaign_id,
            name=str(campaign.get("name") or ""),
            type=str(campaign.get("type") or "single"),
            status=parsing.as_int(campaign.get("status")),
            scheduled_at=scheduled_at(campaign),
            send_amt=parsing.as_int(campaign.get("send_amt")),
            total_amt=parsing.as_int(campaign.get("total_amt")),
            series_id=parsing.as_id(campaign.get("seriesid")) or "0",
            subject=str(control["message"].get("subject")) if control and control["message"] else None,
            message_ids=tuple(link["messageid"] for link in links if link["messageid"]),
            split_percentages=self.percentages(campaign_id) if split else {},
            updated_at=parsing.as_datetime(campaign.get("updated_timestamp") or campaign.get("mdate")),
            opens=parsing.as_int(campaign.get("uniqueopens", campaign.get("opens"))),
            clicks=parsing.as_int(campaign.get("uniquelinkclicks", campaign.get("linkclicks"))),
        )

    # ------------------------------------------------------------------ automations and contacts

    def automation(self, automation_id: str) -> dict[str, Any] | None:
        return parsing.obj(self.get(p.AUTOMATION.format(automation_id=automation_id)), "automation") or None

    def contact(self, contact_id: str) -> dict[str, Any] | None:
        return parsing.obj(self.get(p.CONTACT.format(contact_id=contact_id)), "contact") or None

    def contact_by_email(self, email: str) -> dict[str, Any] | None:
        body = self.get(p.CONTACTS, {"email": email})
        wanted = email.strip().casefold()
        return next((c for c in parsing.items(body, "contacts")
                     if str(c.get("email", "")).strip().casefold() == wanted), None)

    def subscribed(self, contact_id: str) -> bool:
        """True only when the contact is on at least one list and every membership is "subscribed".

        Unsubscribed (2) anywhere, or a status we do not know (bounced, unconfirmed, ...), means "do not
        email": the safe reading for an action that sends automation emails."""
        memberships = self.all_pages(p.CONTACT_LISTS.format(contact_id=contact_id), "contactLists")
        return bool(memberships) and all(parsing.as_int(m.get("status")) == LIST_SUBSCRIBED for m in memberships)

    def runs(self, contact_id: str, automation_id: str) -> list[dict[str, Any]]:
        """The contact's runs of one automation (any status), oldest first."""
        rows = self.all_pages(p.CONTACT_AUTOMATIONS.format(contact_id=contact_id), "contactAutomations")
        mine = [r for r in rows if parsing.as_id(r.get("automation") or r.get("seriesid")) == automation_id]
        return sorted(mine, key=lambda r: parsing.as_int(r.get("id")))

    def active_run_ids(self, contact_id: str, automation_id: str) -> list[str]:
        return [rid for r in self.runs(contact_id, automation_id)
                if parsing.as_int(r.get("status")) == RUN_IN_PROGRESS and (rid := parsing.as_id(r.get("id")))]

    def automation_state(self, automation_id: str, contact_ids: Iterable[str],
                         contact_emails: Iterable[str]) -> AutomationState | None:
        automation = self.automation(automation_id)
        if automation is None:
            return None
        contacts: list[ContactState] = []
        missing: list[str] = []
        found = [(cid, self.contact(cid)) for cid in contact_ids]
        found += [(email, self.contact_by_email(email)) for email in contact_emails]
        for asked, contact in found:
            contact_id = parsing.as_id(contact.get("id")) if contact else None
            if contact is None or contact_id is None:
                missing.append(asked)
                continue
            contacts.append(ContactState(
                contact_id=contact_id,
                email=str(contact.get("email") or ""),
                subscribed=self.subscribed(contact_id),
                active_run_ids=tuple(self.active_run_ids(contact_id, automation_id)),
            ))
        return AutomationState(
            automation_id=automation_id,
            name=str(automation.get("name") or ""),
            status=parsing.as_int(automation.get("status")),
            contacts=tuple(contacts),
            missing_contacts=tuple(missing),
        )


def scheduled_at(campaign: dict[str, Any]) -> datetime | None:
    """The campaign's send date: `scheduleddate` when AC gives one, else `sdate`."""
    return parsing.as_datetime(campaign.get("scheduleddate")) or parsing.as_datetime(campaign.get("sdate"))
