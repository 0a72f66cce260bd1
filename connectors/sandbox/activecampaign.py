"""The ActiveCampaign-like sandbox platform: email campaigns, automations, contacts and their runs.

Entities of an account: email_campaign {campaign_id, name, type, status, scheduled_at, send_amt,
total_amt, series_id, message_ids, opens, clicks, split_tests}, message {message_id, campaign_id,
subject, tag}, automation {automation_id, name, status}, contact {contact_id, email, subscribed},
contact_automation {run_id, contact_id, automation_id, status (1 active, 2 completed), added_at}.
Operations are in `activecampaign_ops.py`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, ClassVar

from connectors.sandbox.activecampaign_ops import ACTIVECAMPAIGN_OPERATIONS
from connectors.sandbox.entities import Entities, get_account
from connectors.sandbox.platform import OpHandler, SandboxPlatform
from connectors.sandbox.readings import email_reading
from schemas.common import Platform
from schemas.metrics import MetricReading, MetricRequest
from schemas.snapshots import (
    AccountState,
    AutomationState,
    ContactState,
    EmailCampaignState,
    Snapshot,
    SnapshotPart,
    SnapshotRequest,
)


class ActiveCampaignSandbox(SandboxPlatform):
    platform: ClassVar[Platform] = Platform.ACTIVECAMPAIGN
    operations: ClassVar[dict[str, OpHandler]] = ACTIVECAMPAIGN_OPERATIONS

    def measure(self, ents: Entities, request: MetricRequest, now: datetime) -> MetricReading:
        return email_reading(ents, request, now)

    def read(self, ents: Entities, request: SnapshotRequest, now: datetime) -> Snapshot:
        missing: list[str] = []
        parts: dict[str, Any] = {}
        for part in sorted(request.parts):
            reader = _READERS.get(part)
            value = reader(ents, request, missing) if reader else None
            if value is not None:
                parts[part.value] = value
        return Snapshot(key=request.key, platform=Platform.ACTIVECAMPAIGN, account_id=ents.account_id, read_at=now,
                        source="sandbox", missing=tuple(dict.fromkeys(missing)), **parts)


def _account(ents: Entities, request: SnapshotRequest, missing: list[str]) -> AccountState:
    info = get_account(ents.conn, "activecampaign", ents.account_id)
    return AccountState(account_id=ents.account_id, currency=(info.data if info else {}).get("currency", "USD"))


def _email_campaign(ents: Entities, request: SnapshotRequest, missing: list[str]) -> EmailCampaignState | None:
    if not request.campaign_id:
        return None
    campaign = ents.get("email_campaign", request.campaign_id)
    if campaign is None:
        missing.append(f"email_campaign:{request.campaign_id}")
        return None
    subjects = [m for m in (ents.get("message", i) for i in campaign["message_ids"]) if m and not m.get("tag")]
    return EmailCampaignState(
        campaign_id=campaign["campaign_id"], name=campaign["name"], type=campaign["type"],
        status=int(campaign["status"]), scheduled_at=campaign.get("scheduled_at"),
        send_amt=int(campaign.get("send_amt", 0)), total_amt=int(campaign.get("total_amt", 0)),
        series_id=campaign.get("series_id", "0"), subject=subjects[0]["subject"] if subjects else None,
        message_ids=tuple(campaign["message_ids"]),
        test_tags=tuple(t["tag"] for t in campaign.get("split_tests", [])),
        test_message_ids={t["tag"]: tuple(t["message_ids"]) for t in campaign.get("split_tests", [])},
        opens=int(campaign.get("opens", 0)), clicks=int(campaign.get("clicks", 0)),
    )


def _automation(ents: Entities, request: SnapshotRequest, missing: list[str]) -> AutomationState | None:
    if not request.automation_id:
        return None
    automation = ents.get("automation", request.automation_id)
    if automation is None:
        missing.append(f"automation:{request.automation_id}")
        return None
    contacts = ents.all("contact")
    by_id = {c["contact_id"]: c for c in contacts}
    by_email = {c["email"].casefold(): c for c in contacts}
    wanted: list[dict[str, Any]] = []
    unknown: list[str] = []
    asked = [(i, by_id.get(i)) for i in request.contact_ids] + [
        (e, by_email.get(e.casefold())) for e in request.contact_emails]
    for name, contact in asked:
        if contact is None:
            unknown.append(name)
        else:
            wanted.append(contact)
    runs = [r for r in ents.all("contact_automation")
            if r["automation_id"] == request.automation_id and int(r["status"]) == 1]
    states = tuple(
        ContactState(contact_id=c["contact_id"], email=c["email"], subscribed=bool(c["subscribed"]),
                     active_run_ids=tuple(r["run_id"] for r in runs if r["contact_id"] == c["contact_id"]))
        for c in wanted
    )
    return AutomationState(automation_id=automation["automation_id"], name=automation["name"],
                           status=int(automation["status"]), contacts=states, missing_contacts=tuple(unknown))


_READERS: dict[SnapshotPart, Callable[[Entities, SnapshotRequest, list[str]], Any]] = {
    SnapshotPart.ACCOUNT: _account,
    SnapshotPart.EMAIL_CAMPAIGN: _email_campaign,
    SnapshotPart.AUTOMATION: _automation,
}
