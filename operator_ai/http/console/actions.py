"""The console's state changes (POST): each checks the CSRF token, the person's role in the action's
organization and that a human acts, goes through the same code as the CLI (kill switch store, rollback
executor, `approvals.decide`) and is audited with the person. A replayed form finds nothing to do: a
decision is single-use, a rolled-back action answers "already rolled back", and a stop form carries
the state the person saw, so it is refused once that state changed.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from connectors.base import ApprovalError
from operator_ai.approvals import decide
from operator_ai.http.auth import AuthFailure, check_csrf
from operator_ai.http.console import BadRequest, Page, identity_of
from operator_ai.http.console.access import ConsoleUser, require
from operator_ai.http.console.edit import reduced_plan
from operator_ai.http.console.pages import action_in_org, parse_when
from operator_ai.http.console.preview import executor, since_records
from operator_ai.http.console.reads import audit
from operator_ai.http.console.views import stop_state
from operator_ai.http.responses import bounded_fields
from operator_ai.http.runtime import Runtime
from operator_ai.orchestrator import new_run_id
from schemas.policy import KillSwitch

log = logging.getLogger("operator.http.console")
_LIMITS = {"csrf_token": 4096, "org": 64, "action_id": 64, "plan_hash": 128, "decision": 16, "note": 500,
           "reason": 500, "scope": 16, "engage": 8, "confirm": 8, "expect": 8, "since": 40, "cap": 20,
           "format": 8, "edit_hash": 128}
MAX_BATCH = 50


def form_of(request: Any) -> tuple[dict[str, str], list[str]]:
    """Known fields as bounded strings, and the repeated `action_ids` of a batch."""
    is_json = bool(getattr(request, "is_json", False))
    source = request.get_json(silent=True) if is_json else request.form
    if source is None:
        source = {}
    fields = {name: value.strip() for name, value in bounded_fields(source, _LIMITS).items()}
    many = source.get("action_ids") if is_json else source.getlist("action_ids")
    if many is None:
        many = []
    if not isinstance(many, list) or len(many) > MAX_BATCH or not all(isinstance(a, str) and len(a) <= 200
                                                                       for a in many):
        raise BadRequest(f"action_ids must be a list of at most {MAX_BATCH} ACTION_ID:PLAN_HASH entries")
    return fields, list(dict.fromkeys(many))


def _checked(request: Any, rt: Runtime, user: ConsoleUser) -> tuple[dict[str, str], list[str]]:
    assert rt.signer is not None
    fields, many = form_of(request)
    check_csrf(fields.get("csrf_token"), identity_of(user), rt.signer, rt.now())
    return fields, many


def _confirmed(fields: dict[str, str]) -> None:
    if fields.get("confirm") != "yes":
        raise BadRequest("confirm the change (confirm=yes)")


def _done(title: str, message: str, ok: bool, org: Any, status: int = 200, **extra: Any) -> Page:
    return Page("notice.html", title, {"title": title, "message": message, "ok": ok, **extra}, status=status, org=org)


# --------------------------------------------------------------------------- emergency stop


def stop(request: Any, rt: Runtime, user: ConsoleUser) -> Page:
    fields, _ = _checked(request, rt, user)
    scope, engage = fields.get("scope", "org"), fields.get("engage")
    if scope not in {"org", "global"} or engage not in {"on", "off"}:
        raise BadRequest('scope must be "org" or "global" and engage "on" or "off"')
    grant = require(user, fields.get("org"), "admin" if scope == "org" else "viewer")
    if scope == "global" and not user.global_admin:
        raise AuthFailure(403, f"{user.email} is not a global admin: only they stop or resume everything.")
    _confirmed(fields)
    reason = fields.get("reason", "")
    if engage == "on" and not reason:
        raise BadRequest("say why you stop (the reason is recorded with your name)")
    state = stop_state(rt.services, grant.organization_id)
    now_on = (state.org if scope == "org" else state.global_) is not None
    if fields.get("expect") not in {"on", "off"} or (fields["expect"] == "on") != now_on:
        raise AuthFailure(409, "The emergency stop changed since you looked (or the form is old): reload and "
                               "decide again.")
    if now_on == (engage == "on"):
        raise AuthFailure(409, f"The emergency stop is already {'on' if now_on else 'off'}.")
    now = rt.services.clock()
    target = grant.organization_id if scope == "org" else "global"
    rt.services.state.set_kill_switch(KillSwitch(scope=target, active=engage == "on", set_by=user.email, set_at=now,
                                                 reason=reason or "resumed in the console"))
    audit(rt.services, at=now, person=user.email, organization_id=target, what="stop" if engage == "on" else "resume",
          reason=reason)
    where = grant.name if scope == "org" else "every organization"
    word = "on" if engage == "on" else "off"
    return _done(f"Emergency stop {word}", f"The emergency stop is {word} for {where} (by {user.email}).", True, grant)


# --------------------------------------------------------------------------- rollback


def rollback(request: Any, rt: Runtime, user: ConsoleUser) -> Page:
    fields, _ = _checked(request, rt, user)
    grant, record = action_in_org(rt, user, fields.get("action_id"))
    require(user, grant.organization_id, "admin")
    _confirmed(fields)
    now = rt.services.clock()
    outcome = executor(rt.services).rollback(record.action_id, actor=user.email, run_id=new_run_id(now),
                                             reason=fields.get("reason") or "rolled back in the console")
    audit(rt.services, at=now, person=user.email, organization_id=grant.organization_id, what="rollback",
          action_id=record.action_id, status=outcome.status, message=outcome.message)
    ok = outcome.status == "rolled_back"
    title = "Rolled back" if ok else "Not rolled back"
    return _done(title, outcome.message, ok, grant, 200 if ok else 409, action_id=record.action_id)


def rollback_since(request: Any, rt: Runtime, user: ConsoleUser) -> Page:
    fields, _ = _checked(request, rt, user)
    grant = require(user, fields.get("org"), "admin")
    _confirmed(fields)
    now = rt.services.clock()
    since = parse_when(fields.get("since"), now)
    if since is None:
        raise BadRequest("since is required")
    run_id = new_run_id(now)
    rolls = executor(rt.services)
    outcomes = [rolls.rollback(r.action_id, actor=user.email, run_id=run_id, reason="console rollback since")
                for r in since_records(rt.services, grant.organization_id, since)]
    for outcome in outcomes:
        audit(rt.services, at=now, person=user.email, organization_id=grant.organization_id, what="rollback",
              action_id=outcome.action_id, status=outcome.status, message=outcome.message, since=since.isoformat())
    done = sum(1 for o in outcomes if o.status == "rolled_back")
    lines = [f"{o.action_id}: {o.status} — {o.message}" for o in outcomes]
    return _done("Rollback since " + since.isoformat(timespec="minutes"),
                 f"{done} of {len(outcomes)} rolled back.", done == len(outcomes), grant, lines=lines)


# --------------------------------------------------------------------------- approvals


def _decide(rt: Runtime, user: ConsoleUser, org: str, action_id: str, plan_hash: str, approve: bool,
            note: str, edit: dict[str, Any] | None = None) -> tuple[str, str, bool]:
    """(status, message, done) for one decision through `approvals.decide` (re-checked there)."""
    try:
        result = decide(rt.services, action_id, approve=approve, approver=user.email, organization_id=org,
                        plan_hash=plan_hash, via=f"console:{user.source}", note=note or None, edit=edit)
    except ApprovalError as error:
        return "REFUSED", str(error), False
    return result.status, result.message, True


def decide_one(request: Any, rt: Runtime, user: ConsoleUser) -> Page:
    fields, _ = _checked(request, rt, user)
    grant, record = action_in_org(rt, user, fields.get("action_id"))
    require(user, grant.organization_id, "approver")
    decision = fields.get("decision")
    if decision not in {"approve", "reject", "approve_reduced"}:
        raise BadRequest('decision must be "approve", "reject" or "approve_reduced"')
    note = fields.get("reason" if decision == "reject" else "note", "")
    if decision == "reject" and not note:
        raise BadRequest("say why you reject (the reason is recorded with your name)")
    if not fields.get("plan_hash"):  # the person decides the plan they saw, never "whatever is current"
        raise BadRequest("plan_hash is required: the plan you decide")
    pending = rt.services.state.get_approval(record.action_id)
    if pending is None or pending.organization_id != grant.organization_id:
        raise AuthFailure(404, f"No pending approval for {record.action_id}.")
    edit = None
    if decision == "approve_reduced":
        reduced = reduced_plan(rt.services, record)
        if not reduced.possible or reduced.plan_hash != fields.get("edit_hash"):
            raise AuthFailure(409, "The reduced plan changed since you saw it (or there is none now): reload and "
                                   f"decide again. {reduced.reason}")
        edit = reduced.action
    status, message, done = _decide(rt, user, grant.organization_id, record.action_id, fields["plan_hash"],
                                    decision != "reject", note, edit)
    audit(rt.services, at=rt.services.clock(), person=user.email, organization_id=grant.organization_id,
          what=decision, action_id=record.action_id, status=status, note=note)
    return _done("Decision" if done else "Not done", f"{status}: {message}", done and status not in
                 {"BLOCKED", "FAILED"}, grant, 200 if done else 409, action_id=record.action_id)


def _increase(record: Any) -> Decimal:
    """The daily money an action adds (budget after - before), for a batch's total cap."""
    facts = (record.payload or {}).get("facts") or {}
    try:
        return max(Decimal(0), Decimal(str(facts["budget_after"])) - Decimal(str(facts["budget_before"])))
    except (KeyError, TypeError, InvalidOperation):
        return Decimal(0)


def batch(request: Any, rt: Runtime, user: ConsoleUser) -> Page:
    fields, many = _checked(request, rt, user)
    grant = require(user, fields.get("org"), "admin")
    _confirmed(fields)
    if not many:
        raise BadRequest("choose the actions to approve (action_ids)")
    hashes = dict(entry.partition(":")[::2] for entry in many)  # each names the plan the person saw
    if any(not h for h in hashes.values()):
        raise BadRequest("each of action_ids is ACTION_ID:PLAN_HASH")
    many = list(hashes)
    try:
        cap = Decimal(fields.get("cap", ""))
    except InvalidOperation:
        raise BadRequest("cap must be the most the batch may add per day, e.g. 200") from None
    if not cap.is_finite() or cap < 0:
        raise BadRequest("cap must be a non-negative amount")
    latest = rt.services.log.latest(many)
    records = [latest.get(a) for a in many]
    pendings = [rt.services.state.get_approval(a) for a in many]
    if any(r is None or r.organization_id != grant.organization_id for r in records) or any(
            p is None or p.status != "pending" or p.organization_id != grant.organization_id
            or p.plan_hash != hashes[p.action_id] for p in pendings):
        raise AuthFailure(404, "Some of these plans are not pending in this organization (decided, re-planned "
                               "or unknown); reload the page.")
    types = {r.action_type for r in records if r is not None}
    if len(types) != 1:
        raise BadRequest("a batch approves actions of one type only")
    total = sum((_increase(r) for r in records), Decimal(0))
    if total > cap:
        raise AuthFailure(409, f"Together these add {total}/day, more than your cap of {cap}/day: nothing was "
                               "approved.")
    lines, done = [], 0
    for record, pending in zip(records, pendings, strict=True):
        assert record is not None and pending is not None
        status, message, ok = _decide(rt, user, grant.organization_id, record.action_id, pending.plan_hash, True,
                                      fields.get("note", f"batch approval within {cap}/day"))
        done += ok and status == "EXECUTED"
        lines.append(f"{record.action_id}: {status} — {message}")
        audit(rt.services, at=rt.services.clock(), person=user.email, organization_id=grant.organization_id,
              what="approve", action_id=record.action_id, status=status, batch=True, cap=str(cap))
    log.info(json.dumps({"event": "console_batch", "person": user.email, "organization_id": grant.organization_id,
                         "count": len(records), "executed": done}))
    return _done("Batch approval", f"{done} of {len(records)} executed (each re-checked before it ran).",
                 done == len(records), grant, lines=lines)


ROUTES: dict[str, Callable[[Any, Runtime, ConsoleUser], Any]] = {
    "stop": stop, "rollback": rollback, "rollback-since": rollback_since, "decide": decide_one, "batch": batch,
}
