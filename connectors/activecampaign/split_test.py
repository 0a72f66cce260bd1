"""Subject-line split tests on an existing draft/scheduled campaign, and their removal.

The test is built *in place*: the campaign's own message stays as the control version, one new message
per extra subject (a copy of the control with the variant subject) is attached, the campaign becomes a
`split` campaign and the shares are set. Building a separate split campaign instead would leave the
original scheduled too and mail the audience twice. Everything created is named with the action's tag
("op:<action_id> ..."), so it can be found again after a timeout and removed by tag.

Removal (the inverse, and the clean-up after a failed create) detaches and deletes the tagged messages
and turns the campaign back into a single campaign — only while nothing has been sent.
"""

from __future__ import annotations

import contextlib
from typing import Any

from connectors.activecampaign import parsing
from connectors.activecampaign import paths as p
from connectors.activecampaign.client import ACClient
from connectors.activecampaign.reads import EDITABLE_STATUSES, STATUS_NAMES, Reader
from connectors.activecampaign.results import OpResult, reversibility
from connectors.base import NotFoundError, PermanentError, PlatformError, UncertainError
from schemas.operations import DETAIL_MESSAGE_IDS, ApplyOutcome, CreateSubjectLineTestOp, DeleteSubjectLineTestOp
from schemas.records import Reversibility

MAX_VERSIONS = 5  # AC's split tests take at most five versions
_COPIED_FIELDS = ("fromname", "fromemail", "reply2", "html", "text", "preheader_text", "format", "charset")
_UNDO_NOTE = "undoable until the campaign starts sending; emails sent to the test group cannot be recalled"


def create_subject_line_test(client: ACClient, op: CreateSubjectLineTestOp, validate_only: bool) -> OpResult:
    campaign, links = _editable_campaign(Reader(client), op.campaign_id, "a subject-line test needs")
    tags = {t for link in links if (t := parsing.tag_of(link["message"].get("name")))}
    if op.tag in tags:  # a retry of an action that already landed: report it, create nothing
        return OpResult(ApplyOutcome.APPLIED, _created_details(op, links, already=True))
    if tags:
        raise PermanentError(f"campaign {op.campaign_id} already carries an Operator test ({', '.join(sorted(tags))})",
                             code="test_exists")
    if str(campaign.get("type") or "single") != "single" or len(links) != 1:
        raise PermanentError(f"campaign {op.campaign_id} is not a single-message campaign: a subject-line test "
                             "is only built on one", code="wrong_type")
    control = links[0]
    control_subject = str(control["message"].get("subject") or "")
    subjects = [v for v in op.variants if v.casefold() != control_subject.casefold()]
    shares = split_shares(1 + len(subjects), op.split_type, op.test_percentage)
    plan = {"campaign_id": op.campaign_id, "tag": op.tag, "control_message_id": control["messageid"],
            "new_subjects": subjects, "shares": shares}
    if validate_only:
        return OpResult(ApplyOutcome.VALIDATED, plan)

    created: list[str] = []
    try:
        message_shares = [{"messageid": control["messageid"], "percentage": shares[0]}]
        for number, (subject, share) in enumerate(zip(subjects, shares[1:], strict=True), start=1):
            message_id = _create_variant(client, control["message"], subject, f"{op.tag} variant {number}")
            created.append(message_id)
            _attach(client, op.campaign_id, message_id, share)
            message_shares.append({"messageid": message_id, "percentage": share})
        client.put(p.CAMPAIGN_EDIT.format(campaign_id=op.campaign_id), {
            "type": "split", "splitType": op.split_type, "splitWinnerWaitPeriod": op.winner_wait_hours,
            "splitWinnerWaitPeriodType": "hour"})
        method, path = p.SPLIT_PERCENTAGES_SET
        client.request(method, path.format(campaign_id=op.campaign_id), json={"messages": message_shares})
    except PlatformError as error:
        return _undo_failed_create(client, op, created, error)
    details = {**plan, DETAIL_MESSAGE_IDS: created, "percentages": {m["messageid"]: m["percentage"]
                                                                     for m in message_shares}}
    return OpResult(ApplyOutcome.APPLIED, {**details, **reversibility(Reversibility.FULL, note=_UNDO_NOTE)})


def delete_subject_line_test(client: ACClient, op: DeleteSubjectLineTestOp, validate_only: bool) -> OpResult:
    _, links = _editable_campaign(Reader(client), op.campaign_id, "the split test can only be removed while")
    if validate_only:
        found = [link["messageid"] for link in links if parsing.tag_of(link["message"].get("name")) == op.tag]
        return OpResult(ApplyOutcome.VALIDATED, {"campaign_id": op.campaign_id, "tag": op.tag,
                                                 "would_delete_message_ids": found})
    removed = remove_test(client, op.campaign_id, op.tag)
    return OpResult(ApplyOutcome.APPLIED, {
        "campaign_id": op.campaign_id, "tag": op.tag, **removed,
        **reversibility(Reversibility.NONE, "deleted test messages are gone (re-run the test to re-create them)")})


def remove_test(client: ACClient, campaign_id: str, tag: str) -> dict[str, Any]:
    """Detach and delete every message named with `tag` (attached or orphaned); restore a single campaign.

    Safe to repeat: what is already gone is skipped."""
    reader = Reader(client)
    links = reader.campaign_messages(campaign_id)
    deleted: list[str] = []
    for link in links:
        if parsing.tag_of(link["message"].get("name")) != tag:
            continue
        method, path = p.CAMPAIGN_MESSAGE
        _gone_ok(client, method, path.format(campaign_message_id=link["id"]))
        _gone_ok(client, "DELETE", p.MESSAGE.format(message_id=link["messageid"]))
        deleted.append(link["messageid"])
    for orphan in reader.tagged_messages(tag):
        orphan_id = parsing.as_id(orphan.get("id"))
        if orphan_id and orphan_id not in deleted:
            _gone_ok(client, "DELETE", p.MESSAGE.format(message_id=orphan_id))
            deleted.append(orphan_id)
    remaining = [link for link in links if link["messageid"] not in deleted]
    campaign = Reader(client).campaign(campaign_id) or {}
    restored = str(campaign.get("type")) == "split" and len(remaining) == 1 and not any(
        parsing.tag_of(link["message"].get("name")) for link in remaining)
    if restored:
        client.put(p.CAMPAIGN_EDIT.format(campaign_id=campaign_id), {"type": "single"})
    return {"deleted_message_ids": deleted, "restored_single": restored}


def split_shares(versions: int, split_type: str, test_percentage: int) -> list[int]:
    """Whole-percent shares per version, control first. `even` splits 100 %; a winner test splits
    `test_percentage` and leaves the rest for the winner, so it needs a share left over."""
    if versions < 2:
        raise PermanentError("the variants equal the campaign's current subject: nothing to test", code="no_variants")
    if versions > MAX_VERSIONS:
        raise PermanentError(f"{versions} versions (the control plus new subjects): AC allows at most {MAX_VERSIONS}",
                             code="too_many_versions")
    pool = 100 if split_type == "even" else test_percentage
    if split_type != "even" and pool >= 100:
        raise PermanentError("a winner split test needs test_percentage below 100", code="no_winner_share")
    share = pool // versions
    return [share + pool - share * versions] + [share] * (versions - 1)


def _editable_campaign(reader: Reader, campaign_id: str, what: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    campaign = reader.campaign(campaign_id)
    if campaign is None:
        raise NotFoundError(f"campaign {campaign_id} not found", code="404")
    if (parsing.as_id(campaign.get("seriesid")) or "0") != "0":
        raise PermanentError(f"campaign {campaign_id} belongs to an automation", code="automation_campaign")
    status = parsing.as_int(campaign.get("status"))
    if status not in EDITABLE_STATUSES:
        raise PermanentError(f"campaign {campaign_id} is {STATUS_NAMES.get(status, 'unknown')} (status {status}): "
                             f"{what} a draft, scheduled or disabled campaign", code="too_late")
    return campaign, reader.campaign_messages(campaign_id)


def _create_variant(client: ACClient, control: dict[str, Any], subject: str, name: str) -> str:
    fields = {key: control[key] for key in _COPIED_FIELDS if control.get(key) is not None}
    body = client.post(p.MESSAGES, {"message": {**fields, "subject": subject, "name": name}})
    message_id = parsing.as_id(parsing.obj(body, "message").get("id"))
    if message_id is None:
        raise UncertainError("AC created a message but returned no id", code="no_id")
    return message_id


def _attach(client: ACClient, campaign_id: str, message_id: str, share: int) -> None:
    method, path = p.CAMPAIGN_MESSAGE_CREATE
    client.request(method, path, json={"campaignMessage": {
        "campaignid": campaign_id, "messageid": message_id, "percentage": share}})


def _gone_ok(client: ACClient, method: str, path: str) -> None:
    """A delete of something already gone has done its job."""
    with contextlib.suppress(NotFoundError):
        client.request(method, path)


def _created_details(op: CreateSubjectLineTestOp, links: list[dict[str, Any]], already: bool) -> dict[str, Any]:
    mine = [link["messageid"] for link in links if parsing.tag_of(link["message"].get("name")) == op.tag]
    return {"campaign_id": op.campaign_id, "tag": op.tag, DETAIL_MESSAGE_IDS: mine, "already_applied": already,
            **reversibility(Reversibility.FULL, note=_UNDO_NOTE)}


def _undo_failed_create(client: ACClient, op: CreateSubjectLineTestOp, created: list[str],
                        error: PlatformError) -> OpResult:
    """A step failed after others landed: take everything tagged back out, then report honestly.

    A timed-out write stays UNCERTAIN even after the clean-up (it may still land); otherwise a complete
    clean-up means nothing is left (FAILED) and an incomplete one is UNCERTAIN."""
    details: dict[str, Any] = {"campaign_id": op.campaign_id, "tag": op.tag, "created_before_failure": created}
    try:
        details.update(remove_test(client, op.campaign_id, op.tag))
        cleaned = True
    except PlatformError as cleanup_error:
        details["cleanup_error"] = cleanup_error.message
        cleaned = False
    details["cleaned_up"] = cleaned
    outcome = ApplyOutcome.FAILED if cleaned and not isinstance(error, UncertainError) else ApplyOutcome.UNCERTAIN
    return OpResult(outcome, details, error)
