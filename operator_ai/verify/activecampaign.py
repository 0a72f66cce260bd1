"""ActiveCampaign side of `operator verify`: documented reads on the org's accounts, the writes described.

Nothing is written: AC has no validate-only mode. For each action type the self-test reads what the action
reads first, on a real entity found in the account, and describes the writes the action would make. A row
is `supported` only if those reads answered and every call is documented (or enabled by the org); the frame
turns a row that needs a guessed path into `unverified`.
"""

from __future__ import annotations

from typing import Any

from operator_ai.verify import NotConnected, VerifyContext, VerifyRow, VerifyStatus

# action type -> (the probe check it rests on, operations it uses, the writes it would make)
ACTIONS: dict[str, tuple[str, tuple[str, ...], tuple[str, ...]]] = {
    "create_subject_line_test": (
        "editable_campaign", ("create_subject_line_test", "delete_subject_line_test"),
        ("PUT /api/3/campaigns/{id}/edit {type: split, splitType, splitWinnerWaitPeriod[Type]}",
         "POST /api/3/campaign/{id}/messages {campaignMessage: {messageid: control}} per new subject (a copy)",
         "PUT /api/3/messages/{copy} {message: {fromname, email, reply2, subject}}",
         "PUT /api/3/campaign/{id}/messages/percentages {messages: [{messageid, percentage}]}",
         "undo: DELETE /api/3/campaign/{id}/messages/{link} per copy, PUT …/edit {type: single}")),
    "adjust_send_time": (
        "editable_campaign", ("set_send_time",),
        ("PUT /api/3/campaigns/{id}/edit {scheduledDate: ISO-8601 with offset}", "undo: the same with the old date")),
    "trigger_automation": (
        "automation", ("enroll_contacts", "unenroll_contacts"),
        ("POST /api/3/contactAutomations {contactAutomation: {contact, automation}} per contact",
         "undo: DELETE /api/3/contactAutomations/{run}")),
    "pause_email_campaign": (
        "sending_campaign", ("set_email_campaign_status",),
        ("POST /api/3/campaigns/{id}/pause (v1 fallback: campaign_status status=3)",
         "undo: POST /api/3/campaigns/{id}/resume")),
}


def verify(ctx: VerifyContext) -> list[VerifyRow]:
    accounts = ctx.policy.connected.activecampaign
    if not accounts:
        raise NotConnected(f"organization {ctx.policy.organization_id} has no ActiveCampaign account connected")
    probes = [(account.account_id, _probe(ctx, account.account_id)) for account in accounts]
    rows = []
    for action_type, (check, operations, writes) in ACTIONS.items():
        rows.append(_row(action_type, check, operations, writes, probes))
    return rows


def _probe(ctx: VerifyContext, account_id: str) -> dict[str, Any]:
    try:
        found: dict[str, Any] = ctx.connector.probe(ctx.policy.organization_id, account_id)
    except Exception as error:  # not allowlisted, no credentials: the platform was never reached
        raise NotConnected(f"{account_id}: {getattr(error, 'message', None) or error}") from None
    connection = found["connection"]
    if not connection["ok"]:
        raise NotConnected(f"{account_id}: {connection['error'] or 'GET /api/3/users/me gave no user'}")
    return found


def _row(action_type: str, check: str, operations: tuple[str, ...], writes: tuple[str, ...],
         probes: list[tuple[str, dict[str, Any]]]) -> VerifyRow:
    refused = [(account, found[check]) for account, found in probes if found[check]["error"]]
    if refused:
        account, result = refused[0]
        return VerifyRow(action_type, VerifyStatus.REFUSED, f"{account}: {result['error']}",
                         operations=operations, writes=writes)
    usable = [(account, found[check]) for account, found in probes if found[check]["ok"]]
    if not usable:
        details = "; ".join(f"{account}: {found[check]['detail']}" for account, found in probes)
        return VerifyRow(action_type, VerifyStatus.UNVERIFIED, f"nothing to check it on ({details})",
                         operations=operations, writes=writes)
    account, result = usable[0]
    return VerifyRow(action_type, VerifyStatus.SUPPORTED,
                     f"the reads it makes first answered on {account} ({result['detail']}); writes not sent",
                     entity=f"{account}: {result['entity']}", operations=operations, writes=writes)
