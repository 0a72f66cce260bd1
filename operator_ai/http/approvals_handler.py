"""`approvals`: the page (and JSON API) where a person approves or rejects pending actions.

Routing is by method and query parameter only (never by path), because the path a function sees
differs between its cloudfunctions.net URL, its run.app URL and functions-framework on a laptop:

  GET  ?login=TOKEN   exchange a login link for a session cookie, then redirect to the list
                      (at OPERATOR_PUBLIC_BASE_URL, the function's public URL)
  GET  ?link=TOKEN    one action, named by a signed approval link, for the signed-in approver
  GET                 the caller's organization's pending actions (HTML, or JSON with ?format=json)
  POST                a decision: action_id, plan_hash, decision=approve|reject, csrf_token [, link]

Every request that shows or decides an action needs a signed-in person (IAP or session) who is an
approver of that organization (`auth.signed_in_approver`). A link only says which action is meant; it
carries no authority (links are posted to shared channels). GET never changes anything (link scanners
open links). Every POST needs a CSRF token bound to the caller's session or IAP identity. `decide()`
re-checks state and guardrails.
"""

from __future__ import annotations

import io
import json
import logging
from typing import Any

from connectors.base import ApprovalError, StoreError
from operator_ai.approvals import decide, list_pending
from operator_ai.http import page
from operator_ai.http.auth import (
    SESSION_COOKIE,
    AuthFailure,
    Identity,
    check_csrf,
    csrf_token,
    link_claims,
    require_approver,
    require_signed_in,
    signed_in_approver,
    start_session,
)
from operator_ai.http.console import console_route, handle_console
from operator_ai.http.responses import (
    BadRequest,
    Response,
    bounded_fields,
    error_json,
    html_response,
    json_response,
    new_style_nonce,
    redirect,
    wants_json,
)
from operator_ai.http.runtime import Runtime, runtime
from operator_ai.http.tokens import LinkClaims
from operator_ai.http.view import pending_view

log = logging.getLogger("operator.http.approvals")

_FIELD_LIMITS = {"login": 4096, "link": 4096, "csrf_token": 4096, "action_id": 64, "plan_hash": 128, "decision": 16,
                 "org": 64}


MAX_BODY_BYTES = 64 * 1024  # a decision is a few hundred bytes


def handle_approvals(request: Any, rt: Runtime | None = None) -> Response:
    rt = rt or runtime()
    route = console_route(getattr(request, "path", None))
    if route is not None:  # the manager's web console, under <this function's URL>/console/
        return handle_console(request, rt, route)
    as_json = wants_json(request.args, request.headers, bool(getattr(request, "is_json", False)))
    if rt.signer is None:
        return _error(rt, as_json, 503, "not_configured",
                      "Approvals over HTTP are not configured (set OPERATOR_APPROVAL_SIGNING_KEY).")
    try:
        if request.method == "GET":
            return _get(request, rt, as_json)
        if request.method == "POST":
            return _post(request, rt, as_json)
        return _error(rt, as_json, 405, "method_not_allowed", "Use GET or POST.", [("Allow", "GET, POST")])
    except AuthFailure as failure:
        log.warning(json.dumps({"event": "approval_refused", "status": failure.status, "why": str(failure),
                                "method": request.method}))
        return _error(rt, as_json, failure.status, "unauthorized" if failure.status == 401 else "refused",
                      str(failure))
    except BadRequest as bad:
        return _error(rt, as_json, 400, "bad_request", str(bad))
    except StoreError as error:
        # Unreachable or busy store (e.g. a transaction still contended after its restarts). A decision is
        # single-use and recorded in one transaction, so trying again is safe: it lands or says "already".
        log.error(json.dumps({"event": "approvals_store_unavailable", "method": request.method,
                              "error": str(error)[:500]}))
        return _error(rt, as_json, 503, "store_unavailable",
                      "The approvals store could not be reached or was busy. Reload the page and try again: "
                      "a decision is recorded at most once.", [("Retry-After", "5")])
    except Exception as error:
        if getattr(error, "code", None) == 413:  # werkzeug's RequestEntityTooLarge: a body past the cap
            return _too_large(rt, as_json, request)
        raise


# --------------------------------------------------------------------------- reading


def _get(request: Any, rt: Runtime, as_json: bool) -> Response:
    assert rt.signer is not None
    now = rt.now()
    args = _fields(request.args)
    if "login" in args:
        identity, cookie = start_session(args["login"], rt.signer, now,
                                         rt.http.session_ttl_hours * 3600)
        require_approver(identity, rt.services.state.get_org(identity.organization_id))
        log.info(json.dumps({"event": "approver_signed_in", "approver": identity.approver,
                             "organization_id": identity.organization_id}))
        return redirect(rt.page_url, [("Set-Cookie", _cookie(rt, cookie))])
    if "link" in args:
        claims = link_claims(args["link"], rt.signer, now)
        identity = _identity(request, rt, claims.organization_id)
        return _link_page(rt, identity, claims, args["link"], as_json)
    identity = _identity(request, rt, args.get("org"))
    clock = rt.services.clock()
    views = [pending_view(p, r, clock) for p, r in list_pending(rt.services, identity.organization_id)]
    token = csrf_token(identity, rt.signer, now, rt.http.session_ttl_hours * 3600)
    if as_json:
        return json_response({"organization_id": identity.organization_id, "approver": identity.approver,
                              "mode": rt.settings.mode_label, "csrf_token": token, "pending": views})
    return _page(rt, identity, "Pending approvals", page.list_page(views, {"csrf_token": token}))


def _link_page(rt: Runtime, identity: Identity, claims: LinkClaims, link: str, as_json: bool) -> Response:
    assert rt.signer is not None
    pending = rt.services.state.get_approval(claims.action_id)
    current = (pending is not None and pending.status == "pending" and pending.plan_hash == claims.plan_hash
               and pending.organization_id == claims.organization_id)
    view = None
    if current and pending is not None:
        record = rt.services.log.latest([claims.action_id]).get(claims.action_id)
        view = pending_view(pending, record, rt.services.clock())
    token = csrf_token(identity, rt.signer, rt.now(), rt.http.session_ttl_hours * 3600)
    if as_json:
        return json_response({"organization_id": identity.organization_id, "approver": identity.approver,
                              "mode": rt.settings.mode_label, "csrf_token": token,
                              "pending": [view] if view else []})
    hidden = {"csrf_token": token, "link": link}
    return _page(rt, identity, "Your decision", page.link_page(view, hidden, identity.approver))


# --------------------------------------------------------------------------- deciding


def _post(request: Any, rt: Runtime, as_json: bool) -> Response:
    assert rt.signer is not None
    now = rt.now()
    # Who is asking, and how much they send, before a byte of the body is read.
    try:
        require_signed_in(request.headers, request.cookies.get(SESSION_COOKIE), http=rt.http, signer=rt.signer,
                          now=now, verify=rt.verify)
    except AuthFailure:
        _drop_body(request)
        raise
    if (request.content_length or 0) > MAX_BODY_BYTES:
        return _too_large(rt, as_json, request)
    request.max_content_length = MAX_BODY_BYTES  # a body without Content-Length is cut off at the cap too
    form = _fields(request.get_json(silent=True) if getattr(request, "is_json", False) else request.form)
    link = form.get("link") or _fields(request.args).get("link")
    claims = link_claims(link, rt.signer, now) if link else None
    identity = _identity(request, rt, claims.organization_id if claims else form.get("org"))
    check_csrf(form.get("csrf_token"), identity, rt.signer, now)
    decision = form.get("decision")
    if decision not in {"approve", "reject"}:
        raise BadRequest('decision must be "approve" or "reject"')
    action_id, plan_hash = form.get("action_id"), form.get("plan_hash")
    if claims is not None:
        if action_id not in (None, claims.action_id) or plan_hash not in (None, claims.plan_hash):
            raise AuthFailure(403, "this approval link is for another action or plan")
        action_id, plan_hash = claims.action_id, claims.plan_hash
    if not action_id or not plan_hash:
        raise BadRequest("action_id and plan_hash are required")
    pending = rt.services.state.get_approval(action_id)
    if pending is None or pending.organization_id != identity.organization_id:
        # another organization's action is reported like an unknown one: ids of other tenants stay unconfirmed
        return _refused(rt, identity, as_json, 404, action_id,
                        f"No pending approval for {action_id} in organization {identity.organization_id}.")
    try:
        result = decide(rt.services, action_id, approve=decision == "approve", approver=identity.approver,
                        organization_id=identity.organization_id, plan_hash=plan_hash, via=f"http:{identity.source}")
    except ApprovalError as error:
        return _refused(rt, identity, as_json, 409, action_id, str(error))
    log.info(json.dumps({"event": "approval_decision", "action_id": action_id, "decision": decision,
                         "organization_id": identity.organization_id, "approver": identity.approver,
                         "via": identity.source, "status": result.status,
                         "at": rt.services.clock().isoformat()}))
    if as_json:
        return json_response({"action_id": result.action_id, "status": result.status, "message": result.message,
                              "decided_by": identity.approver, "organization_id": identity.organization_id})
    opportunity = (result.record.payload.get("opportunity") or {}) if result.record else {}
    body = page.result_page(result.status, result.message, str(opportunity.get("title") or action_id), action_id,
                            True)
    return _page(rt, identity, "Decision", body)


def _too_large(rt: Runtime, as_json: bool, request: Any) -> Response:
    _drop_body(request)
    return _error(rt, as_json, 413, "too_large", f"A decision is at most {MAX_BODY_BYTES // 1024} KiB.")


def _drop_body(request: Any) -> None:
    """Leave a refused body unread. functions-framework reads every request body after the response (an
    after_request hook), which would make a 300 MB upload wait for all of it; an empty input stream instead
    ends the request at once (the server then closes the connection)."""
    environ = getattr(request, "environ", None)
    if not isinstance(environ, dict):
        return
    environ["wsgi.input"] = io.BytesIO()
    environ["CONTENT_LENGTH"] = "0"
    environ.pop("HTTP_TRANSFER_ENCODING", None)
    for cached in ("stream", "_cached_data"):  # werkzeug's cached reader of the old stream, if it was made
        request.__dict__.pop(cached, None)


def _refused(rt: Runtime, identity: Identity, as_json: bool, status: int, action_id: str, message: str) -> Response:
    log.warning(json.dumps({"event": "approval_refused", "status": status, "action_id": action_id,
                            "organization_id": identity.organization_id, "approver": identity.approver,
                            "via": identity.source, "why": message}))
    if as_json:
        return error_json(status, "refused", message)
    back = '<p><a href="?">Back to pending approvals</a></p>'
    return _page(rt, identity, "Not done", page.notice("Not done", message, bad=True) + back, status)


# --------------------------------------------------------------------------- helpers


def _identity(request: Any, rt: Runtime, wanted_org: str | None) -> Identity:
    assert rt.signer is not None
    state = rt.services.state
    return signed_in_approver(request.headers, request.cookies.get(SESSION_COOKIE), http=rt.http, signer=rt.signer,
                              now=rt.now(), orgs=state.list_orgs, get_org=state.get_org, wanted_org=wanted_org,
                              verify=rt.verify)


def _fields(source: Any) -> dict[str, str]:
    """The known string fields of a form, query or JSON object; anything else is refused as malformed."""
    return bounded_fields(source, _FIELD_LIMITS)


def _cookie(rt: Runtime, value: str) -> str:
    max_age = int(rt.http.session_ttl_hours * 3600)
    secure = "; Secure" if rt.cookie_secure else ""
    return f"{SESSION_COOKIE}={value}; Max-Age={max_age}; Path=/; HttpOnly; SameSite=Lax{secure}"


def _who(rt: Runtime, identity: Identity | None) -> str | None:
    if identity is None:
        return None
    policy = rt.services.state.get_org(identity.organization_id)
    return page.signed_in(identity.approver, policy.name if policy and policy.name else identity.organization_id)


def _page(rt: Runtime, identity: Identity | None, title: str, body: str, status: int = 200) -> Response:
    nonce = new_style_nonce()
    return html_response(page.document(title, body, nonce, mode=rt.settings.mode_label, who=_who(rt, identity)),
                         nonce, status)


def _error(rt: Runtime, as_json: bool, status: int, error: str, message: str,
           headers: list[tuple[str, str]] | None = None) -> Response:
    if as_json:
        return error_json(status, error, message, headers)
    nonce = new_style_nonce()
    title = {401: "Please sign in", 403: "Not allowed", 404: "Not found", 405: "Not allowed", 413: "Too large",
             503: "Not available"}.get(status, "Something is wrong")
    body = page.notice(title, message, bad=True)
    response = html_response(page.document(title, body, nonce, mode=rt.settings.mode_label, who=None), nonce, status)
    return response[0], response[1], [*response[2], *(headers or [])]
