"""The scheduled run over HTTP (`run_operator`) and the per-organization run from Pub/Sub (`run_organization`)."""

from __future__ import annotations

import json
import logging
from typing import Any

from operator_ai.fanout import BadMessage, parse_run_message, publish_org_runs
from operator_ai.http.auth import AuthFailure, authenticate_scheduler
from operator_ai.http.responses import Response, error_json, json_response
from operator_ai.http.runtime import Runtime, runtime
from operator_ai.notify import notify_after_run
from operator_ai.orchestrator import Orchestrator
from schemas.records import RunSummary

log = logging.getLogger("operator.http.runs")


def _notify(rt: Runtime, summary: RunSummary) -> None:
    notify_after_run(rt.services, summary, rt.notifier, link_for=rt.link_for if rt.signer else None,
                     page_url=rt.page_url)


def _run_request(request: Any) -> tuple[list[str] | None, bool]:
    """Optional JSON body `{"org_ids": [...], "dry_run": false}`; raises ValueError when malformed."""
    if not request.get_data(cache=True):
        return None, False
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or set(body) - {"org_ids", "dry_run"}:
        raise ValueError('the body must be a JSON object with optional "org_ids" and "dry_run"')
    org_ids, dry_run = body.get("org_ids"), body.get("dry_run", False)
    if org_ids is not None and (not isinstance(org_ids, list) or not all(isinstance(o, str) for o in org_ids)
                                or len(org_ids) > 1000):
        raise ValueError("org_ids must be a list of organization ids")
    if not isinstance(dry_run, bool):
        raise ValueError("dry_run must be true or false")
    return (org_ids or None), dry_run


def handle_run_operator(request: Any, rt: Runtime | None = None) -> Response:
    rt = rt or runtime()
    try:
        caller = authenticate_scheduler(request.headers, rt.settings, rt.http, rt.verify)
    except AuthFailure as failure:
        log.warning(json.dumps({"event": "run_refused", "status": failure.status, "why": str(failure)}))
        challenge = [("WWW-Authenticate", 'Bearer realm="run_operator"')] if failure.status == 401 else []
        return error_json(failure.status, "unauthorized" if failure.status == 401 else "forbidden", str(failure),
                          challenge)
    if request.method != "POST":
        return error_json(405, "method_not_allowed", "start a run with POST", [("Allow", "POST")])
    try:
        org_ids, dry_run = _run_request(request)
    except ValueError as error:
        return error_json(400, "bad_request", str(error))
    known = [o.organization_id for o in rt.services.state.list_orgs()]
    unknown = sorted(set(org_ids or ()) - set(known))
    if unknown:
        return error_json(400, "unknown_organization", f"unknown organization(s): {', '.join(unknown)}")
    log.info(json.dumps({"event": "run_requested", "by": caller.principal, "method": caller.method,
                         "fan_out": rt.settings.fan_out, "org_ids": org_ids, "dry_run": dry_run}))
    if rt.settings.fan_out:
        messages = publish_org_runs(rt.settings, org_ids or known, dry_run=dry_run, requested_by=caller.principal,
                                    publisher=rt.get_publisher())
        return json_response({"fan_out": True, "messages": messages}, 202)
    summary = Orchestrator(rt.services).run(org_ids, dry_run=dry_run)
    _notify(rt, summary)
    return json_response({"ok": not summary.errors, **summary.model_dump(mode="json")},
                         500 if summary.errors else 200)


def handle_run_organization(cloud_event: Any, rt: Runtime | None = None) -> None:
    """Run the organization named in a Pub/Sub message. Malformed or unknown → logged and acknowledged."""
    event_id = _attribute(cloud_event, "id")
    try:
        request = parse_run_message(getattr(cloud_event, "data", None))
    except BadMessage as bad:
        log.error(json.dumps({"event": "org_run_bad_message", "ce_id": event_id, "why": str(bad)}))
        return
    except Exception as error:  # any other way a message can be unreadable: still poison, still acknowledged
        log.error(json.dumps({"event": "org_run_bad_message", "ce_id": event_id,
                              "why": f"unreadable message ({type(error).__name__})"}))
        return
    rt = rt or runtime()
    if rt.services.state.get_org(request.organization_id) is None:
        log.error(json.dumps({"event": "org_run_unknown_org", "ce_id": event_id,
                              "organization_id": request.organization_id}))
        return
    summary = Orchestrator(rt.services).run([request.organization_id], dry_run=request.dry_run)
    _notify(rt, summary)
    log.info(json.dumps({"event": "org_run_done", "ce_id": event_id, "organization_id": request.organization_id,
                         "run_id": summary.run_id, "counts": summary.counts, "errors": list(summary.errors)}))


def _attribute(cloud_event: Any, name: str) -> str | None:
    try:
        return str(cloud_event[name])
    except (KeyError, TypeError):
        return None
