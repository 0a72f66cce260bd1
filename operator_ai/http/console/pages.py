"""The console's pages (GET): they read and never change anything (mail and chat scanners open links)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from operator_ai.http.auth import AuthFailure
from operator_ai.http.console import BadRequest, Page, views
from operator_ai.http.console.access import ConsoleUser, Grant, pick_org
from operator_ai.http.console.chart import measurement_chart
from operator_ai.http.console.edit import EDITABLE, reduced_plan
from operator_ai.http.console.explain import explain
from operator_ai.http.console.preview import rollback_preview, since_preview
from operator_ai.http.runtime import Runtime
from schemas.common import ActionStatus
from schemas.policy import OrgPolicy
from schemas.records import ActionRecord

_LIMITS = {"org": 64, "id": 64, "status": 32, "type": 64, "platform": 32, "campaign": 128, "q": 200,
           "since": 40, "until": 40, "page": 6, "format": 8}
_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")


def args_of(request: Any) -> dict[str, str]:
    """Known query parameters as bounded strings; anything malformed is refused."""
    found = {}
    for name, limit in _LIMITS.items():
        value = request.args.get(name)
        if value is None or value == "":
            continue
        if not isinstance(value, str) or len(value) > limit:
            raise BadRequest(f"{name} must be a string of at most {limit} characters")
        found[name] = value
    return found


def org_policy(rt: Runtime, grant: Grant) -> OrgPolicy:
    policy = rt.services.state.get_org(grant.organization_id)
    if policy is None:
        raise AuthFailure(404, f"No organization {grant.organization_id}.")
    return policy


def parse_when(text: str | None, now: datetime) -> datetime | None:
    """`30m`, `24h`, `7d` (that long ago) or an ISO date/time (UTC unless it says otherwise)."""
    if not text:
        return None
    match = re.fullmatch(r"(\d{1,5})([mhd])", text.strip())
    if match:
        amount, unit = int(match.group(1)), match.group(2)
        return now - timedelta(**{{"m": "minutes", "h": "hours", "d": "days"}[unit]: amount})
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        raise BadRequest(f"{text!r} is not a time: use 30m, 24h, 7d or an ISO date") from None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def action_in_org(rt: Runtime, user: ConsoleUser, action_id: str | None) -> tuple[Grant, ActionRecord]:
    """An action the person may see: in one of their organizations; any other id answers 'not found'."""
    if not action_id or not _ID.match(action_id):
        raise BadRequest("id must be an action id")
    record = rt.services.log.latest([action_id]).get(action_id)
    grant = user.grant(record.organization_id) if record is not None else None
    if record is None or grant is None:
        raise AuthFailure(404, f"No action {action_id} in your organizations.")
    return grant, record


# --------------------------------------------------------------------------- pages


def overview_page(request: Any, rt: Runtime, user: ConsoleUser) -> Page:
    grant = pick_org(user, args_of(request).get("org"))
    data = views.overview(rt.services, org_policy(rt, grant), user.global_admin)
    return Page("overview.html", f"{grant.name}: overview", data, "overview", org=grant)


def history_page(request: Any, rt: Runtime, user: ConsoleUser) -> Page:
    args = args_of(request)
    grant = pick_org(user, args.get("org"))
    now = rt.services.clock()
    if args.get("status") and args["status"] not in {s.value for s in ActionStatus}:
        raise BadRequest(f"unknown status {args['status']!r}")
    filters = {"status": args.get("status"), "action_type": args.get("type"), "platform": args.get("platform"),
               "campaign": args.get("campaign"), "q": args.get("q"),
               "since": parse_when(args.get("since"), now), "until": parse_when(args.get("until"), now)}
    try:
        page = max(1, min(int(args.get("page", "1")), 100_000))
    except ValueError:
        raise BadRequest("page must be a number") from None
    shown = {k: args[k] for k in ("status", "type", "platform", "campaign", "q", "since", "until") if k in args}
    data = views.history(rt.services, grant.organization_id, filters, shown, page)
    return Page("history.html", f"{grant.name}: actions", data, "actions", org=grant)


def action_page(request: Any, rt: Runtime, user: ConsoleUser) -> Page:
    grant, record = action_in_org(rt, user, args_of(request).get("id"))
    explanation = explain(record, rt.services.log.events(record.action_id))
    pending = rt.services.state.get_approval(record.action_id)
    waiting = None
    if pending is not None and pending.status == "pending":
        waiting = next((p for p in views.pending_items(rt.services, grant.organization_id, rt.services.clock())
                        if p.action_id == record.action_id), None)
    reduced = reduced_plan(rt.services, record) if waiting is not None and record.action_type in EDITABLE else None
    data = {"action": explanation, "chart": measurement_chart(explanation.measurements), "pending": waiting,
            "reduced": reduced,
            "cannot_run_now": views.cannot_run_now(rt.services, org_policy(rt, grant)) if waiting else None,
            "can_rollback": record.status.value in {"EXECUTED", "MEASURED", "ROLLBACK_FAILED", "ROLLING_BACK"}}
    return Page("action.html", explanation.title, data, "actions", org=grant)


def rollback_page(request: Any, rt: Runtime, user: ConsoleUser) -> Page:
    grant, record = action_in_org(rt, user, args_of(request).get("id"))
    data = rollback_preview(rt.services, record, user.email)
    return Page("rollback.html", "Roll back: preview", data, "actions", org=grant)


def rollback_since_page(request: Any, rt: Runtime, user: ConsoleUser) -> Page:
    args = args_of(request)
    grant = pick_org(user, args.get("org"))
    since = parse_when(args.get("since") or "24h", rt.services.clock())
    assert since is not None
    data = since_preview(rt.services, grant.organization_id, since, args.get("since") or "24h", user.email)
    return Page("rollback_since.html", "Roll back everything since: preview", data, "actions", org=grant)


def policy_page(request: Any, rt: Runtime, user: ConsoleUser) -> Page:
    grant = pick_org(user, args_of(request).get("org"))
    data = views.policy_view(rt.services, org_policy(rt, grant))
    return Page("policy.html", f"{grant.name}: policy", data, "policy", org=grant)


ROUTES: dict[str, Callable[[Any, Runtime, ConsoleUser], Any]] = {
    "overview": overview_page, "actions": history_page, "action": action_page, "rollback": rollback_page,
    "rollback-since": rollback_since_page, "policy": policy_page,
}
