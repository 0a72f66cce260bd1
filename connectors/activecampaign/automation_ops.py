"""Enrolling contacts in an automation, and removing the runs an action started.

`POST /contactAutomations` is not idempotent (an automation may admit a contact any number of times) and
AC has no idempotency key, so enrolment reads before it writes and reads again after any ambiguous write:
- every contact is checked first (exists, subscribed, not already in a run): an unsubscribed contact
  refuses the whole batch before anything is sent;
- a contact already in a run of the automation is skipped (a retried action never enrols twice);
- a timed-out POST is settled by reading the contact's runs: a new run means it landed;
- a refusal half-way removes the runs this batch started, so a FAILED batch leaves nothing behind.
"""

from __future__ import annotations

from typing import Any

from connectors.activecampaign import parsing
from connectors.activecampaign import paths as p
from connectors.activecampaign.client import ACClient
from connectors.activecampaign.reads import RUN_IN_PROGRESS, Reader
from connectors.activecampaign.results import SENT_EMAILS_STAY, OpResult, reversibility
from connectors.base import NotFoundError, PermanentError, PlatformError, UncertainError
from schemas.operations import DETAIL_CONTACT_AUTOMATION_IDS, ApplyOutcome, EnrollContacts, UnenrollContacts
from schemas.records import Reversibility

AUTOMATION_ACTIVE = 1
_ENROL_REPORT = reversibility(Reversibility.PARTIAL, SENT_EMAILS_STAY,
                              "contact changes made by automation steps that already ran stay",
                              note="unenrolling stops future steps only")


def enroll_contacts(client: ACClient, op: EnrollContacts, validate_only: bool) -> OpResult:
    reader = Reader(client)
    automation = reader.automation(op.automation_id)
    if automation is None:
        raise NotFoundError(f"automation {op.automation_id} not found", code="404")
    if parsing.as_int(automation.get("status")) != AUTOMATION_ACTIVE:
        raise PermanentError(f"automation {op.automation_id} is not active", code="automation_inactive")
    missing = [cid for cid in op.contact_ids if reader.contact(cid) is None]
    if missing:
        raise NotFoundError(f"{len(missing)} contacts not found: {', '.join(missing[:10])}", code="404")
    unsubscribed = [cid for cid in op.contact_ids if not reader.subscribed(cid)]
    if unsubscribed:
        raise PermanentError(f"refusing to enrol {len(unsubscribed)} contacts that are not subscribed: "
                             f"{', '.join(unsubscribed[:10])}", code="unsubscribed")
    existing = {cid: reader.active_run_ids(cid, op.automation_id) for cid in op.contact_ids}
    details: dict[str, Any] = {
        "automation_id": op.automation_id,
        "already_enrolled": {cid: runs for cid, runs in existing.items() if runs},
        **_ENROL_REPORT,
    }
    to_enrol = [cid for cid in op.contact_ids if not existing[cid]]
    if validate_only:
        return OpResult(ApplyOutcome.VALIDATED, {**details, "would_enrol": to_enrol})

    enrolled: dict[str, str] = {}
    settled: list[str] = []
    for position, cid in enumerate(to_enrol):
        try:
            run_id = _enrol_one(client, cid, op.automation_id)
        except UncertainError as error:
            found = _settle(client, cid, op.automation_id, set(existing[cid]))
            if found is None:
                return OpResult(ApplyOutcome.UNCERTAIN, {
                    **_enrol_details(details, enrolled, settled), "unsettled": [cid],
                    "not_attempted": to_enrol[position + 1:]}, error)
            run_id = found
            settled.append(cid)
        except PlatformError as error:
            return _compensate(client, details, enrolled, settled, error)
        enrolled[cid] = run_id
    return OpResult(ApplyOutcome.APPLIED, _enrol_details(details, enrolled, settled))


def unenroll_contacts(client: ACClient, op: UnenrollContacts, validate_only: bool) -> OpResult:
    """Delete every run in progress of the automation for these contacts except `keep_run_ids` (runs that
    existed before the action). Completed runs cannot be removed; they are reported, not hidden."""
    reader = Reader(client)
    keep = set(op.keep_run_ids)
    to_remove: list[str] = []
    completed: list[str] = []
    missing: list[str] = []
    for cid in op.contact_ids:
        if reader.contact(cid) is None:
            missing.append(cid)
            continue
        for run in reader.runs(cid, op.automation_id):
            run_id = parsing.as_id(run.get("id"))
            if run_id is None or run_id in keep:
                continue
            in_progress = parsing.as_int(run.get("status")) == RUN_IN_PROGRESS
            (to_remove if in_progress else completed).append(run_id)
    details: dict[str, Any] = {
        "automation_id": op.automation_id, "completed_run_ids": completed, "missing_contacts": missing,
        **reversibility(Reversibility.NONE, SENT_EMAILS_STAY, "a removed run cannot be resumed where it stopped"),
    }
    if validate_only:
        return OpResult(ApplyOutcome.VALIDATED, {**details, "would_remove_run_ids": to_remove})
    removed: list[str] = []
    gone: list[str] = []
    for run_id in to_remove:
        try:
            client.delete(p.CONTACT_AUTOMATION.format(run_id=run_id))
            removed.append(run_id)
        except NotFoundError:
            gone.append(run_id)  # ended or removed meanwhile: nothing left to stop
        except PlatformError as error:
            outcome = ApplyOutcome.UNCERTAIN if removed else ApplyOutcome.FAILED
            return OpResult(outcome, {**details, "removed_run_ids": removed, "already_gone": gone,
                                      "partial": bool(removed), "safe_to_repeat": True}, error)
    return OpResult(ApplyOutcome.APPLIED, {**details, "removed_run_ids": removed, "already_gone": gone})


# --------------------------------------------------------------------------- helpers


def _enrol_one(client: ACClient, contact_id: str, automation_id: str) -> str:
    body = client.post(p.CONTACT_AUTOMATION_CREATE,
                       {"contactAutomation": {"contact": contact_id, "automation": automation_id}})
    run_id = parsing.as_id(parsing.obj(body, "contactAutomation").get("id"))
    if run_id is None:  # accepted but unreadable: find the run instead of guessing
        raise UncertainError(f"AC accepted the enrolment of contact {contact_id} without a run id", code="no_id")
    return run_id


def _settle(client: ACClient, contact_id: str, automation_id: str, before: set[str]) -> str | None:
    """Look for a run that was not there before the POST; a few times, as the write may still be landing."""
    for attempt in range(client.settings.settle_reads):
        if attempt:
            client.clock.sleep(client.settings.settle_delay_s)
        try:
            new = [r for r in Reader(client).active_run_ids(contact_id, automation_id) if r not in before]
        except PlatformError:
            continue
        if new:
            return new[-1]
    return None


def _enrol_details(details: dict[str, Any], enrolled: dict[str, str], settled: list[str]) -> dict[str, Any]:
    return {**details, "enrolled": dict(enrolled), DETAIL_CONTACT_AUTOMATION_IDS: list(enrolled.values()),
            "settled_by_read": list(settled)}


def _compensate(client: ACClient, details: dict[str, Any], enrolled: dict[str, str], settled: list[str],
                error: PlatformError) -> OpResult:
    """AC refused a contact half-way: remove the runs this batch started, so FAILED means nothing stayed
    enrolled (emails the automation already sent to them stay sent, and the details say so)."""
    leftover: list[str] = []
    for run_id in enrolled.values():
        try:
            client.delete(p.CONTACT_AUTOMATION.format(run_id=run_id))
        except NotFoundError:
            pass
        except PlatformError:
            leftover.append(run_id)
    result = {**_enrol_details(details, enrolled, settled), DETAIL_CONTACT_AUTOMATION_IDS: leftover,
              "compensated_run_ids": [r for r in enrolled.values() if r not in leftover]}
    return OpResult(ApplyOutcome.UNCERTAIN if leftover else ApplyOutcome.FAILED, result, error)
