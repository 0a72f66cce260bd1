"""Subject-line split tests on an existing draft/scheduled campaign, and their removal — tracked by id.

The test is built *in place*, in the order AC documents: the campaign becomes a `split` campaign first
(only split campaigns hold more than one message), then a copy of the control message is attached per new
subject ("Attach a message to a campaign" copies the message and answers the copy's own id), each copy
gets its subject (`PUT /messages/{id}`, the documented body: fromname, email, reply2, subject), and the
shares are set as positive integers covering every attached message. Building a separate split campaign
would leave the original scheduled too and mail the audience twice.

Nothing is found by name: AC's documented message body has no `name`, so a name tag may not survive. The
ids AC returns are collected as they arrive and reported in every outcome; a lost answer is settled by
re-reading the campaign's attachments and taking the difference from what was attached before. Removal
deletes exactly the ids it is given (never a message the plan saw before the test) and says what it found.
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
_UNDO_NOTE = "undoable until the campaign starts sending; emails sent to the test group cannot be recalled"


# --------------------------------------------------------------------------- create


def create_subject_line_test(client: ACClient, op: CreateSubjectLineTestOp, validate_only: bool) -> OpResult:
    campaign, links = _editable_campaign(Reader(client), op.campaign_id, "a subject-line test needs")
    before = set(op.existing_message_ids)
    attached = {link["messageid"] for link in links}
    if before and attached != before:
        extra = [link for link in links if link["messageid"] not in before]
        if _is_this_test(campaign, links, extra, op):  # a retry of this action that landed: create nothing
            return OpResult(ApplyOutcome.APPLIED, {**_ids(op, extra), "already_applied": True,
                                                   **reversibility(Reversibility.FULL, note=_UNDO_NOTE)})
        raise PermanentError(f"campaign {op.campaign_id}'s messages changed since planning "
                             f"({sorted(before)} -> {sorted(attached)})", code="stale")
    if str(campaign.get("type") or "single") != "single" or len(links) != 1:
        raise PermanentError(f"campaign {op.campaign_id} is not a single-message campaign: a subject-line test "
                             "is only built on one", code="wrong_type")
    control = links[0]
    subjects = new_subjects(op.variants, str(control["message"].get("subject") or ""))
    shares = split_shares(1 + len(subjects), op.split_type, op.test_percentage)
    plan = {"campaign_id": op.campaign_id, "tag": op.tag, "control_message_id": control["messageid"],
            "new_subjects": subjects, "shares": shares}
    if validate_only:
        return OpResult(ApplyOutcome.VALIDATED, plan)

    created: list[dict[str, str]] = []  # {"message_id", "campaign_message_id", "subject"} as AC answers them
    try:
        _make_split(client, op)
        known = {link["id"] for link in links}
        for subject in subjects:
            copy = _attach_copy(client, op.campaign_id, control["messageid"], known, created)
            _set_subject(client, copy["message_id"], control["message"], subject)
            copy["subject"] = subject
        shares_by_id = {control["messageid"]: shares[0],
                        **{c["message_id"]: share for c, share in zip(created, shares[1:], strict=True)}}
        _set_shares(client, op.campaign_id, shares_by_id)
        _verify_created(client, op, control["messageid"], created, shares_by_id)
    except PlatformError as error:
        return _undo_failed_create(client, op, created, error)
    details = {**plan, **_ids(op, created), "percentages": shares_by_id}
    return OpResult(ApplyOutcome.APPLIED, {**details, **reversibility(Reversibility.FULL, note=_UNDO_NOTE)})


def new_subjects(variants: tuple[str, ...], control_subject: str) -> list[str]:
    """The variants that differ from the control's subject (case-insensitively), each once, in order."""
    seen = {control_subject.casefold()}
    subjects = []
    for variant in variants:
        if variant.casefold() not in seen:
            seen.add(variant.casefold())
            subjects.append(variant)
    return subjects


def split_shares(versions: int, split_type: str, test_percentage: int) -> list[int]:
    """Whole-percent shares per version, control first, every one a positive integer (AC refuses others).

    `even` splits 100 %; a winner test splits `test_percentage` and leaves the rest for the winner."""
    if versions < 2:
        raise PermanentError("the variants equal the campaign's current subject: nothing to test", code="no_variants")
    if versions > MAX_VERSIONS:
        raise PermanentError(f"{versions} versions (the control plus new subjects): AC allows at most {MAX_VERSIONS}",
                             code="too_many_versions")
    pool = 100 if split_type == "even" else test_percentage
    if split_type != "even" and pool >= 100:
        raise PermanentError("a winner split test needs test_percentage below 100", code="no_winner_share")
    share = pool // versions
    if share < 1:
        raise PermanentError(f"{pool} % across {versions} versions leaves a version without a whole percent",
                             code="share_too_small")
    return [share + pool - share * versions] + [share] * (versions - 1)


def _is_this_test(campaign: dict[str, Any], links: list[dict[str, Any]], extra: list[dict[str, Any]],
                  op: CreateSubjectLineTestOp) -> bool:
    control = next((link for link in links if link["messageid"] in set(op.existing_message_ids)), None)
    if control is None or str(campaign.get("type")) != "split":
        return False
    wanted = sorted(new_subjects(op.variants, str(control["message"].get("subject") or "")))
    return sorted(str(link["message"].get("subject") or "") for link in extra) == wanted


def _ids(op: CreateSubjectLineTestOp, created: list[dict[str, Any]]) -> dict[str, Any]:
    """The created ids under the keys the rollback spec records (links come from reads or from `created`)."""
    message_ids = [str(c.get("message_id") or c.get("messageid")) for c in created]
    link_ids = [str(c.get("campaign_message_id") or c.get("id")) for c in created]
    return {"campaign_id": op.campaign_id, "tag": op.tag, DETAIL_MESSAGE_IDS: message_ids,
            "campaign_message_ids": link_ids}


def _make_split(client: ACClient, op: CreateSubjectLineTestOp) -> None:
    """Documented order: the campaign is a split campaign before a second message is attached."""
    body = {"type": "split", "splitType": op.split_type, "splitWinnerWaitPeriod": op.winner_wait_hours,
            "splitWinnerWaitPeriodType": "hour"}
    try:
        client.put(p.CAMPAIGN_EDIT.format(campaign_id=op.campaign_id), body)
    except UncertainError:
        if str((Reader(client).campaign(op.campaign_id) or {}).get("type")) != "split":
            raise
    if str((Reader(client).campaign(op.campaign_id) or {}).get("type")) != "split":
        raise PermanentError(f"AC accepted the edit but campaign {op.campaign_id} is not a split campaign",
                             code="not_split")


def _attach_copy(client: ACClient, campaign_id: str, control_id: str, known: set[str],
                 created: list[dict[str, str]]) -> dict[str, str]:
    """Attach a copy of the control; record its ids in `created` the moment they are known.

    The answer names the copy's message id and its link id; when the answer is lost or lacks them, the new
    link is the one attached now that was not attached before (read back, never guessed)."""
    method, path = p.CAMPAIGN_MESSAGE_ATTACH
    error: UncertainError | None = None
    answer: dict[str, Any] = {}
    try:
        answer = parsing.obj(client.request(method, path.format(campaign_id=campaign_id),
                                            json={"campaignMessage": {"messageid": int(control_id)}}),
                             "campaignMessage")
    except UncertainError as timed_out:
        error = timed_out
    link_id, message_id = parsing.as_id(answer.get("id")), parsing.as_id(answer.get("messageid"))
    if link_id is None or message_id is None:
        new = [link for link in Reader(client).campaign_messages(campaign_id) if link["id"] not in known]
        for link in new:
            created.append({"message_id": link["messageid"], "campaign_message_id": link["id"]})
            known.add(link["id"])
        if len(new) != 1:
            raise error or UncertainError(f"attaching a copy to campaign {campaign_id}: AC answered no ids and "
                                          f"{len(new)} new attachments are visible", code="no_id")
        return created[-1]
    known.add(link_id)
    if message_id == control_id:  # AC attached the control itself: its subject must not change
        raise UncertainError(f"AC attached message {control_id} itself rather than a copy (link {link_id}); a "
                             "person must detach that link in AC", code="not_a_copy")
    created.append({"message_id": message_id, "campaign_message_id": link_id})
    return created[-1]


def _set_subject(client: ACClient, message_id: str, control: dict[str, Any], subject: str) -> None:
    body = {"fromname": control.get("fromname"), "email": control.get("fromemail") or control.get("email"),
            "reply2": control.get("reply2"), "subject": subject, "preheader_text": control.get("preheader_text")}
    body = {key: value for key, value in body.items() if value is not None and key in p.MESSAGE_FIELDS}
    with contextlib.suppress(UncertainError):  # the re-read below decides
        client.put(p.MESSAGE.format(message_id=message_id), {"message": body})
    if str(Reader(client).message(message_id).get("subject") or "") != subject:
        raise UncertainError(f"message {message_id} does not carry the subject {subject!r} after the update",
                             code="not_visible")


def _set_shares(client: ACClient, campaign_id: str, shares: dict[str, int]) -> None:
    method, path = p.SPLIT_PERCENTAGES_SET
    rows = [{"messageid": int(message_id), "percentage": int(share)} for message_id, share in shares.items()]
    with contextlib.suppress(UncertainError):  # verified by `_verify_created`'s re-read
        client.request(method, path.format(campaign_id=campaign_id), json={"messages": rows})


def _verify_created(client: ACClient, op: CreateSubjectLineTestOp, control_id: str, created: list[dict[str, str]],
                    shares: dict[str, int]) -> None:
    """Re-read everything: the answer of an edit is undocumented, and a dropped field must not pass as done."""
    reader = Reader(client)
    campaign = reader.campaign(op.campaign_id) or {}
    links = reader.campaign_messages(op.campaign_id)
    attached = {link["messageid"]: link for link in links}
    wanted = {control_id, *(c["message_id"] for c in created)}
    problems = []
    if str(campaign.get("type")) != "split":
        problems.append(f"type is {campaign.get('type')!r}")
    if set(attached) != wanted:
        problems.append(f"attached messages are {sorted(attached)}, expected {sorted(wanted)}")
    for copy in created:
        subject = attached.get(copy["message_id"], {}).get("message", {}).get("subject")
        if subject != copy.get("subject"):
            problems.append(f"message {copy['message_id']} has subject {subject!r}")
    observed = reader.percentages(op.campaign_id)
    if op.split_type == "even":  # AC resets an even split to equal shares itself
        if set(observed) != wanted or min(observed.values(), default=0) < 1:
            problems.append(f"shares read back as {observed}")
    elif observed != shares:
        problems.append(f"shares read back as {observed}, expected {shares}")
    if problems:
        raise UncertainError(f"campaign {op.campaign_id} does not show the test as built: {'; '.join(problems)}",
                             code="not_visible")


def _undo_failed_create(client: ACClient, op: CreateSubjectLineTestOp, created: list[dict[str, str]],
                        error: PlatformError) -> OpResult:
    """A step failed: remove exactly what was created, restore a single campaign, then report honestly.

    A timed-out write stays UNCERTAIN even after the clean-up (it may still land); otherwise a complete
    clean-up means nothing is left (FAILED) and an incomplete one is UNCERTAIN."""
    ids = [c["message_id"] for c in created]
    details: dict[str, Any] = {"campaign_id": op.campaign_id, "tag": op.tag, "created_before_failure": ids,
                               DETAIL_MESSAGE_IDS: ids}
    try:
        removed = remove_messages(client, op.campaign_id, ids, keep=set(op.existing_message_ids))
        details.update(removed)
        cleaned = not removed["still_present"] and removed["campaign_type"] != "split"
    except PlatformError as cleanup_error:
        details["cleanup_error"] = cleanup_error.message
        cleaned = False
    details["cleaned_up"] = cleaned
    outcome = ApplyOutcome.FAILED if cleaned and not isinstance(error, UncertainError) else ApplyOutcome.UNCERTAIN
    return OpResult(outcome, details, error)


# --------------------------------------------------------------------------- delete (the inverse)


def delete_subject_line_test(client: ACClient, op: DeleteSubjectLineTestOp, validate_only: bool) -> OpResult:
    _, links = _editable_campaign(Reader(client), op.campaign_id, "the split test can only be removed while")
    keep = set(op.keep_message_ids)
    if op.message_ids:
        targets, found_by = [m for m in op.message_ids if m not in keep], "ids reported when the test was created"
    elif keep:
        targets = [link["messageid"] for link in links if link["messageid"] not in keep]
        found_by = "attached messages that were not there before the test (its create answer was lost)"
    else:
        raise PermanentError(f"no message ids were recorded for this test on campaign {op.campaign_id}: it cannot "
                             "be told apart from other messages; remove it by hand in ActiveCampaign", code="no_ids")
    base = {"campaign_id": op.campaign_id, "tag": op.tag, "found_by": found_by}
    if validate_only:
        return OpResult(ApplyOutcome.VALIDATED, {**base, "would_delete_message_ids": targets})
    removed = remove_messages(client, op.campaign_id, targets, keep=keep)
    details = {**base, **removed, **reversibility(
        Reversibility.NONE, "deleted test messages are gone (re-run the test to re-create them)")}
    if removed["still_present"]:
        return OpResult(ApplyOutcome.FAILED, details, PermanentError(
            f"messages {removed['still_present']} of the test are still on campaign {op.campaign_id}",
            code="not_removed"))
    return OpResult(ApplyOutcome.APPLIED, details)


def remove_messages(client: ACClient, campaign_id: str, message_ids: list[str], keep: set[str]) -> dict[str, Any]:
    """Detach and delete exactly `message_ids` (never one in `keep`), then make a campaign left with one
    message a single campaign again. Reports what was deleted, what was already gone and what remains."""
    reader = Reader(client)
    links = {link["messageid"]: link for link in reader.campaign_messages(campaign_id)}
    deleted: list[str] = []
    already_gone: list[str] = []
    for message_id in (m for m in message_ids if m not in keep):
        link = links.get(message_id)
        if link is not None:
            method, path = p.CAMPAIGN_MESSAGE_DETACH
            try:
                client.request(method, path.format(campaign_id=campaign_id, campaign_message_id=link["id"]))
            except NotFoundError as error:  # we just read the link: a 404 means the path is wrong
                raise PermanentError(f"detaching message {message_id} (link {link['id']}) answered 404 although "
                                     f"the link exists: {error.message}", code="detach_failed") from None
        if Reader(client).get(p.MESSAGE.format(message_id=message_id)) is not None:
            with contextlib.suppress(NotFoundError):  # gone meanwhile: its job is done
                client.delete(p.MESSAGE.format(message_id=message_id))
            deleted.append(message_id)
        elif link is not None:
            deleted.append(message_id)  # detaching deleted it, as AC documents
        else:
            already_gone.append(message_id)
    fresh = Reader(client)
    remaining = fresh.campaign_messages(campaign_id)
    attached = {link["messageid"] for link in remaining}
    still = [m for m in message_ids if m not in keep
             and (m in attached or fresh.get(p.MESSAGE.format(message_id=m)) is not None)]
    campaign = fresh.campaign(campaign_id) or {}
    campaign_type = str(campaign.get("type") or "")
    if campaign_type == "split" and len(remaining) == 1 and not still:
        client.put(p.CAMPAIGN_EDIT.format(campaign_id=campaign_id), {"type": "single"})
        campaign_type = str((Reader(client).campaign(campaign_id) or {}).get("type") or "")
    return {"deleted_message_ids": deleted, "already_gone": already_gone, "still_present": still,
            "campaign_type": campaign_type, "restored_single": campaign_type == "single"}


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
