"""ActiveCampaign-like operations, with the platform's rules (see the AC reference notes):

- campaign status: 0 draft, 1 scheduled, 2 sending, 3 paused, 4 stopped, 5 completed, 6 disabled.
  Pause only from sending (2 -> 3), resume only from paused (3 -> 2); automation ("series") campaigns are
  refused; nothing here ever stops a campaign (4 cannot be undone).
- split tests and send times change only while the campaign is not sending yet (0, 1, 6).
- contact automations: enrolling needs an active automation and known contacts; every enrolment creates
  a new run (the platform does not de-duplicate); unenrolling deletes active runs (sent mail stays sent).

Details reported: `message_ids` + `split_test_tags` (created split tests), `deleted_message_ids`,
`run_ids` ({contact_id: run_id}) and `contact_automation_ids` (the run ids), `removed_run_ids`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from connectors.base import NotFoundError, PermanentError
from connectors.sandbox.platform import ApplyContext, OpHandler
from schemas.operations import (
    DETAIL_CONTACT_AUTOMATION_IDS,
    CreateSubjectLineTestOp,
    DeleteSubjectLineTestOp,
    EnrollContacts,
    SetEmailCampaignStatus,
    SetSendTime,
    UnenrollContacts,
)

ACTIVECAMPAIGN_OPERATIONS: dict[str, OpHandler] = {}
NOT_SENDING_YET = (0, 1, 6)
MESSAGE_IDS_START = 9001
RUN_IDS_START = 5001


def _handles(op_name: str) -> Callable[[Callable[[ApplyContext, Any], None]], Callable[[ApplyContext, Any], None]]:
    def register(handler: Callable[[ApplyContext, Any], None]) -> Callable[[ApplyContext, Any], None]:
        ACTIVECAMPAIGN_OPERATIONS[op_name] = handler
        return handler

    return register


def _campaign(ctx: ApplyContext, account_id: str, campaign_id: str) -> dict[str, Any]:
    if account_id != ctx.ents.account_id:
        raise PermanentError(f"operation for account {account_id} sent to account {ctx.ents.account_id}",
                             code="WRONG_ACCOUNT")
    campaign = ctx.ents.get("email_campaign", campaign_id)
    if campaign is None:
        raise NotFoundError(f"No Result found for Campaign with id {campaign_id}", code="404")
    return campaign


def _not_sending_yet(campaign: dict[str, Any], what: str) -> None:
    if int(campaign["status"]) not in NOT_SENDING_YET:
        raise PermanentError(f"cannot {what}: campaign {campaign['campaign_id']} has status {campaign['status']} "
                             "(already sending or sent)", code="409")


@_handles("create_subject_line_test")
def create_subject_line_test(ctx: ApplyContext, op: CreateSubjectLineTestOp) -> None:
    campaign = _campaign(ctx, op.account_id, op.campaign_id)
    if campaign.get("series_id", "0") != "0":
        raise PermanentError(f"campaign {op.campaign_id} belongs to an automation", code="422")
    _not_sending_yet(campaign, "attach split-test messages")
    message_ids = []
    for subject in op.variants:
        message_id = ctx.ents.next_id("message", MESSAGE_IDS_START)
        ctx.ents.put("message", message_id, {"message_id": message_id, "campaign_id": op.campaign_id,
                                             "subject": subject, "tag": op.tag})
        message_ids.append(message_id)
    test = {"tag": op.tag, "message_ids": message_ids, "split_type": op.split_type,
            "test_percentage": op.test_percentage, "winner_wait_hours": op.winner_wait_hours,
            "previous_type": campaign["type"]}
    ctx.ents.put("email_campaign", op.campaign_id, {
        **campaign, "type": "split", "message_ids": [*campaign["message_ids"], *message_ids],
        "split_tests": [*campaign.get("split_tests", []), test],
    })
    ctx.report("message_ids", message_ids)
    ctx.report("split_test_tags", [op.tag])


@_handles("delete_subject_line_test")
def delete_subject_line_test(ctx: ApplyContext, op: DeleteSubjectLineTestOp) -> None:
    campaign = _campaign(ctx, op.account_id, op.campaign_id)
    tests = campaign.get("split_tests", [])
    doomed = [t for t in tests if t["tag"] == op.tag]
    if not doomed:
        raise NotFoundError(f"no split test tagged {op.tag} on campaign {op.campaign_id}", code="404")
    _not_sending_yet(campaign, "detach split-test messages")
    deleted = [m for t in doomed for m in t["message_ids"]]
    for message_id in deleted:
        ctx.ents.delete("message", message_id)
    remaining = [t for t in tests if t["tag"] != op.tag]
    ctx.ents.put("email_campaign", op.campaign_id, {
        **campaign, "message_ids": [m for m in campaign["message_ids"] if m not in deleted],
        "split_tests": remaining, "type": campaign["type"] if remaining else doomed[0]["previous_type"],
    })
    ctx.report("deleted_message_ids", deleted)


@_handles("set_send_time")
def set_send_time(ctx: ApplyContext, op: SetSendTime) -> None:
    campaign = _campaign(ctx, op.account_id, op.campaign_id)
    _not_sending_yet(campaign, "change the send time")
    if op.send_at is not None and op.send_at <= ctx.now:
        raise PermanentError(f"scheduled date {op.send_at.isoformat()} is in the past", code="422")
    ctx.ents.put("email_campaign", op.campaign_id,
                 {**campaign, "scheduled_at": op.send_at.isoformat() if op.send_at else None})


@_handles("set_email_campaign_status")
def set_email_campaign_status(ctx: ApplyContext, op: SetEmailCampaignStatus) -> None:
    campaign = _campaign(ctx, op.account_id, op.campaign_id)
    current = int(campaign["status"])
    wanted_from, target = (2, 3) if op.status == "paused" else (3, 2)
    if campaign.get("series_id", "0") != "0" or current != wanted_from:
        verb = "pause" if op.status == "paused" else "resume"
        raise PermanentError(f"succeeded: 0 — cannot {verb} campaign {op.campaign_id} in status {current}",
                             code="TRANSITION_NOT_ALLOWED")
    ctx.ents.put("email_campaign", op.campaign_id, {**campaign, "status": target})


def _automation(ctx: ApplyContext, account_id: str, automation_id: str) -> dict[str, Any]:
    if account_id != ctx.ents.account_id:
        raise PermanentError(f"operation for account {account_id} sent to account {ctx.ents.account_id}",
                             code="WRONG_ACCOUNT")
    automation = ctx.ents.get("automation", automation_id)
    if automation is None:
        raise NotFoundError(f"No Result found for Automation with id {automation_id}", code="404")
    return automation


def _contacts(ctx: ApplyContext, contact_ids: tuple[str, ...]) -> None:
    for contact_id in contact_ids:
        if ctx.ents.get("contact", contact_id) is None:
            raise NotFoundError(f"No Result found for Subscriber with id {contact_id}", code="404")


@_handles("enroll_contacts")
def enroll_contacts(ctx: ApplyContext, op: EnrollContacts) -> None:
    automation = _automation(ctx, op.account_id, op.automation_id)
    if int(automation["status"]) != 1:
        raise PermanentError(f"Could not create SubscriberSeries: automation {op.automation_id} is inactive",
                             code="403")
    _contacts(ctx, op.contact_ids)
    runs = {}
    for contact_id in op.contact_ids:
        run_id = ctx.ents.next_id("contact_automation", RUN_IDS_START)
        ctx.ents.put("contact_automation", run_id, {"run_id": run_id, "contact_id": contact_id,
                                                    "automation_id": op.automation_id, "status": 1,
                                                    "added_at": ctx.now.isoformat()})
        runs[contact_id] = run_id
    ctx.report("run_ids", runs)
    ctx.report(DETAIL_CONTACT_AUTOMATION_IDS, list(runs.values()))


@_handles("unenroll_contacts")
def unenroll_contacts(ctx: ApplyContext, op: UnenrollContacts) -> None:
    _automation(ctx, op.account_id, op.automation_id)
    _contacts(ctx, op.contact_ids)
    wanted, keep = set(op.contact_ids), set(op.keep_run_ids)
    removed = []
    for run in ctx.ents.all("contact_automation"):
        if (run["automation_id"] == op.automation_id and run["contact_id"] in wanted and int(run["status"]) == 1
                and run["run_id"] not in keep):
            ctx.ents.delete("contact_automation", run["run_id"])
            removed.append(run["run_id"])
    ctx.report("removed_run_ids", removed)
