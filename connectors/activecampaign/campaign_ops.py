"""Send time and pause/resume of one email campaign.

Both are state changes with a readable end state, so an ambiguous answer (timeout, 5xx, a soft failure)
is settled by re-reading the campaign instead of sending again; and a call AC accepted is verified by a
re-read too, because AC does not document the response of the edit endpoint.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from connectors.activecampaign import parsing
from connectors.activecampaign import paths as p
from connectors.activecampaign.client import ACClient
from connectors.activecampaign.reads import EDITABLE_STATUSES, STATUS_NAMES, Reader, scheduled_at
from connectors.activecampaign.results import SENT_EMAILS_STAY, OpResult, reversibility
from connectors.base import NotFoundError, PermanentError, PlatformError, UncertainError
from schemas.operations import ApplyOutcome, SetEmailCampaignStatus, SetSendTime
from schemas.records import Reversibility

SENDING, PAUSED = 2, 3
_TRANSITIONS = {"paused": (SENDING, PAUSED, p.CAMPAIGN_PAUSE), "sending": (PAUSED, SENDING, p.CAMPAIGN_RESUME)}


def _campaign(client: ACClient, campaign_id: str) -> dict[str, Any]:
    campaign = Reader(client).campaign(campaign_id)
    if campaign is None:
        raise NotFoundError(f"campaign {campaign_id} not found", code="404")
    return campaign


def _status_text(status: int) -> str:
    return f"{STATUS_NAMES.get(status, 'unknown')} (status {status})"


# --------------------------------------------------------------------------- send time


def set_send_time(client: ACClient, op: SetSendTime, validate_only: bool) -> OpResult:
    campaign = _campaign(client, op.campaign_id)
    status = parsing.as_int(campaign.get("status"))
    if status not in EDITABLE_STATUSES:
        raise PermanentError(f"campaign {op.campaign_id} is {_status_text(status)}: its send time can no longer "
                             "change", code="too_late")
    before = scheduled_at(campaign)
    details: dict[str, Any] = {
        "campaign_id": op.campaign_id, "scheduled_before": parsing.format_datetime(before),
        "scheduled_after": parsing.format_datetime(op.send_at),
        **reversibility(Reversibility.FULL, note="undoable until the campaign starts sending")}
    if validate_only:
        return OpResult(ApplyOutcome.VALIDATED, details)
    if _same_instant(before, op.send_at):
        return OpResult(ApplyOutcome.APPLIED, {**details, "already_applied": True})
    try:
        client.put(p.CAMPAIGN_EDIT.format(campaign_id=op.campaign_id),
                   {"scheduledDate": parsing.format_datetime(op.send_at)})
    except UncertainError as error:
        return _settle(client, op.campaign_id, lambda c: _same_instant(scheduled_at(c), op.send_at), details, error)
    return _settle(client, op.campaign_id, lambda c: _same_instant(scheduled_at(c), op.send_at), details, None)


def _same_instant(a: datetime | None, b: datetime | None) -> bool:
    """AC stores send times to the second in the account's zone: compare instants, not strings."""
    if a is None or b is None:
        return a is b
    return abs((a - b).total_seconds()) < 1


# --------------------------------------------------------------------------- pause / resume


def set_campaign_status(client: ACClient, op: SetEmailCampaignStatus, validate_only: bool) -> OpResult:
    """Pause (2 -> 3) or resume (3 -> 2) through v3, falling back to v1 `campaign_status` when the v3
    endpoint answers 404 (accounts/regions that do not have it yet). There is no way to "stop"."""
    source, target, (method, path) = _TRANSITIONS[op.status]
    campaign = _campaign(client, op.campaign_id)
    status = parsing.as_int(campaign.get("status"))
    report = (reversibility(Reversibility.FULL, note="resume to undo; emails sent before the pause stay sent")
              if op.status == "paused" else reversibility(Reversibility.PARTIAL, SENT_EMAILS_STAY,
                                                          note="emails sent after resuming cannot be recalled"))
    details: dict[str, Any] = {"campaign_id": op.campaign_id, "status_before": status, "status_wanted": target,
                               **report}
    if (parsing.as_id(campaign.get("seriesid")) or "0") != "0":
        raise PermanentError(f"campaign {op.campaign_id} belongs to an automation: AC refuses status changes",
                             code="automation_campaign")
    if status == target:
        return OpResult(ApplyOutcome.APPLIED, {**details, "already_applied": True})
    if status != source:
        raise PermanentError(f"campaign {op.campaign_id} is {_status_text(status)}: only a "
                             f"{STATUS_NAMES[source]} campaign can be set {op.status}", code="wrong_state")
    if validate_only:
        return OpResult(ApplyOutcome.VALIDATED, details)

    def reached(c: dict[str, Any]) -> bool:
        return parsing.as_int(c.get("status")) == target

    try:
        try:
            client.request(method, path.format(campaign_id=op.campaign_id))
            details["via"] = "v3"
        except NotFoundError:  # the campaign exists (just read): it is the v3 endpoint that is missing
            details["via"] = "v1"
            client.legacy(p.LEGACY_CAMPAIGN_STATUS_ACTION, {"id": op.campaign_id, "status": str(target)})
    except UncertainError as error:
        return _settle(client, op.campaign_id, reached, details, error)
    except PermanentError as error:
        if error.code != "soft_failure":
            raise
        # "succeeded: 0" also answers a transition that already happened: the re-read decides
        settled = _settle(client, op.campaign_id, reached, details, error)
        if settled.outcome != ApplyOutcome.APPLIED:
            settled.outcome = ApplyOutcome.FAILED
        return settled
    return _settle(client, op.campaign_id, reached, details, None)


# --------------------------------------------------------------------------- settle / verify


def _settle(client: ACClient, campaign_id: str, reached: Callable[[dict[str, Any]], bool], details: dict[str, Any],
            error: PlatformError | None) -> OpResult:
    """Re-read the campaign: the wanted state means APPLIED; otherwise UNCERTAIN (the write may land later,
    or AC accepted it without effect) carrying the error that made us look."""
    try:
        campaign = _campaign(client, campaign_id)
    except PlatformError as read_error:
        return OpResult(ApplyOutcome.UNCERTAIN, {**details, "settle_error": read_error.message}, error or read_error)
    observed = {"status_after": parsing.as_int(campaign.get("status")),
                "scheduled_observed": parsing.format_datetime(scheduled_at(campaign))}
    if reached(campaign):
        return OpResult(ApplyOutcome.APPLIED, {**details, **observed, "settled_by_read": error is not None})
    if error is None:
        error = UncertainError(f"AC accepted the change to campaign {campaign_id} but a re-read does not show it",
                               code="not_visible")
    return OpResult(ApplyOutcome.UNCERTAIN, {**details, **observed}, error)
