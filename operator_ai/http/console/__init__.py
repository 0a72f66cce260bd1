"""The manager's web console, served by the `approvals` function under `<its URL>/console/<page>`.

Pages (GET, never changing anything): overview, actions (history), action?id=, rollback?id= (a preview),
rollback-since?since=, policy. State changes (POST, CSRF-protected, role-checked, audited with the
person): stop (emergency stop and resume), rollback, rollback-since, decide (approve with a note, reject
with a reason, approve the reduced plan), batch (approve several of one type within a total cap).
Every page answers JSON with `?format=json` or `Accept: application/json`.

The console is routed by the last `/console/` segment of the path (the approval page routes by query
parameters only; its console link is absolute, built from OPERATOR_PUBLIC_BASE_URL).
"""

from __future__ import annotations

import json
import logging
from typing import Any
from urllib.parse import quote

from connectors.base import StoreError
from operator_ai.http.auth import SESSION_COOKIE, AuthFailure, Identity, csrf_token, start_session
from operator_ai.http.console import render
from operator_ai.http.console.access import ConsoleUser, Grant, console_user, matches, pick_org, role_in
from operator_ai.http.console.views import Layout, stop_state
from operator_ai.http.responses import BadRequest, Response, error_json, redirect, wants_json
from operator_ai.http.runtime import Runtime

log = logging.getLogger("operator.http.console")
SEGMENT = "/console"


class Page:
    """What a route hands back: a template and its context (or a redirect)."""

    def __init__(self, template: str, title: str, page: Any, nav: str = "", status: int = 200,
                 org: Grant | None = None):
        self.template, self.title, self.page, self.nav, self.status, self.org = template, title, page, nav, status, org


def console_route(path: str | None) -> str | None:
    """`overview`, `actions`, … for a console path; None for anything else (the approval page)."""
    path = (path or "").rstrip("/")
    cut = path.rfind(SEGMENT)
    if cut < 0 or not (path[cut + len(SEGMENT):] == "" or path[cut + len(SEGMENT)] == "/"):
        return None
    return path[cut + len(SEGMENT):].strip("/") or "overview"


def console_base(rt: Runtime) -> str:
    return rt.page_url.rstrip("/") + SEGMENT + "/"


def identity_of(user: ConsoleUser) -> Identity:
    """The person as the CSRF helpers see them (bound to their session or IAP identity)."""
    return Identity(user.email, "", user.source, user.binding)


def handle_console(request: Any, rt: Runtime, route: str) -> Response:
    from operator_ai.http.console import actions, pages

    as_json = wants_json(request.args, request.headers, bool(getattr(request, "is_json", False)))
    user: ConsoleUser | None = None
    try:
        if rt.signer is None:
            raise AuthFailure(503, "The console is not configured (set OPERATOR_APPROVAL_SIGNING_KEY).")
        if request.method == "GET" and request.args.get("login"):
            return login(request, rt, route)
        user = console_user(request, rt)
        if request.method == "GET":
            handler = pages.ROUTES.get(route)
        elif request.method == "POST":
            handler = actions.ROUTES.get(route)
        else:
            return _error(rt, user, as_json, 405, "method_not_allowed", "Use GET or POST.", [("Allow", "GET, POST")])
        if handler is None:
            return _error(rt, user, as_json, 404, "not_found", f"No console page {route!r}.")
        result = handler(request, rt, user)
    except AuthFailure as failure:
        log.warning(json.dumps({"event": "console_refused", "status": failure.status, "why": str(failure),
                                "route": route, "method": request.method, "person": user.email if user else None}))
        code = {401: "unauthorized", 404: "not_found", 503: "not_configured"}.get(failure.status, "refused")
        return _error(rt, user, as_json, failure.status, code, str(failure))
    except (BadRequest, ValueError) as bad:
        return _error(rt, user, as_json, 400, "bad_request", str(bad))
    except StoreError as error:
        log.error(json.dumps({"event": "console_store_unavailable", "route": route, "error": str(error)[:500]}))
        return _error(rt, user, as_json, 503, "store_unavailable", "The store could not be reached or was busy. "
                      "Reload the page and try again.", [("Retry-After", "5")])
    if isinstance(result, tuple):  # a ready response (a redirect)
        return result
    if as_json and result.status >= 400:  # refused: the documented error shape, whatever the page
        message = result.page.get("message") if isinstance(result.page, dict) else None
        return error_json(result.status, "refused", str(message or result.title))
    layout = layout_for(rt, user, result.org, result.title, result.nav)
    if as_json:
        return render.as_json(layout, result.page, result.status)
    return render.html(result.template, layout, result.page, result.status)


def login(request: Any, rt: Runtime, route: str) -> Response:
    """`?login=TOKEN` on any console page: a signed login link becomes a session cookie for a person who
    holds a role in the link's organization (a viewer too; the approval page's own login needs an
    approver), then the page again without the token."""
    assert rt.signer is not None
    token = request.args.get("login")
    if not isinstance(token, str) or len(token) > 4096:
        raise BadRequest("login must be a login link's token")
    identity, cookie = start_session(token, rt.signer, rt.now(), rt.http.session_ttl_hours * 3600)
    policy = rt.services.state.get_org(identity.organization_id)
    if policy is None or role_in(policy, identity.approver, matches(rt.http.global_admins, identity.approver)) is None:
        raise AuthFailure(403, f"{identity.approver} has no role in organization {identity.organization_id}.")
    log.info(json.dumps({"event": "console_signed_in", "person": identity.approver,
                         "organization_id": identity.organization_id}))
    max_age = int(rt.http.session_ttl_hours * 3600)
    secure = "; Secure" if rt.cookie_secure else ""
    target = f"{console_base(rt)}{route}?org={quote(identity.organization_id)}"
    return redirect(target, [("Set-Cookie", f"{SESSION_COOKIE}={cookie}; Max-Age={max_age}; Path=/; HttpOnly; "
                                            f"SameSite=Lax{secure}")])


def layout_for(rt: Runtime, user: ConsoleUser | None, org: Grant | None, title: str, nav: str) -> Layout:
    token = ""
    if user is not None and rt.signer is not None:
        token = csrf_token(identity_of(user), rt.signer, rt.now(), rt.http.session_ttl_hours * 3600)
    stop = stop_state(rt.services, org.organization_id) if org else None
    return Layout(title=title, email=user.email if user else "", mode=rt.settings.mode_label, org=org,
                  grants=user.grants if user else (), stop=stop, csrf_token=token,
                  base=console_base(rt), nav=nav, approvals_url=rt.page_url)


def _error(rt: Runtime, user: ConsoleUser | None, as_json: bool, status: int, error: str, message: str,
           headers: list[tuple[str, str]] | None = None) -> Response:
    if as_json:
        return error_json(status, error, message, headers)
    title = {401: "Please sign in", 403: "Not allowed", 404: "Not found", 409: "Not done",
             503: "Not available"}.get(status, "Something is wrong")
    org = None
    if user is not None and user.grants:
        try:
            org = pick_org(user, None)
        except AuthFailure:
            org = None
    layout = layout_for(rt, user, org, title, "")
    try:
        return render.html("notice.html", layout, {"title": title, "message": message, "ok": False}, status, headers)
    except StoreError:  # the store is what failed: a bare page, without the stop banner
        bare = layout_for(rt, None, None, title, "")
        return render.html("notice.html", bare, {"title": title, "message": message, "ok": False}, status, headers)
