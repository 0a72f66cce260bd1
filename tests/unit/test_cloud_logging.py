"""Log lines as Cloud Logging reads them (structured logging: one JSON object per line): the special
fields `severity`, `logging.googleapis.com/labels`, `logging.googleapis.com/trace` and
`logging.googleapis.com/sourceLocation` with the right types and values, so log-based metrics and alerts
(docs/deploy.md) can filter on severity and on the org, run and action labels."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from google.logging.type import log_severity_pb2

from operator_ai.logs import configure_logging, log_context, request_trace
from operator_ai.orchestrator import Orchestrator
from operator_ai.settings import SAMPLES_DIR, Settings
from operator_ai.wiring import build_services

SEVERITIES = set(log_severity_pb2.LogSeverity.keys())  # the API's own enum: DEFAULT, DEBUG, INFO, ...
SPECIAL = "logging.googleapis.com/"


def entries(stream: io.StringIO) -> list[dict[str, Any]]:
    """Every line must be one JSON object whose special fields are what Cloud Logging accepts."""
    parsed = []
    for line in stream.getvalue().splitlines():
        entry = json.loads(line)
        assert entry["severity"] in SEVERITIES - {"DEFAULT"}
        assert isinstance(entry["message"], str)
        labels = entry.get(SPECIAL + "labels", {})
        assert all(isinstance(k, str) and isinstance(v, str) for k, v in labels.items())  # map<string, string>
        location = entry[SPECIAL + "sourceLocation"]
        assert set(location) == {"file", "line", "function"} and location["line"].isdigit()
        if SPECIAL + "trace" in entry:
            assert re.fullmatch(r"projects/[a-z0-9-]+/traces/[0-9a-f]{32}", entry[SPECIAL + "trace"])
        parsed.append(entry)
    return parsed


@pytest.fixture
def cloud_log() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    logger = logging.getLogger("operator")
    before = (logger.level, logger.propagate)
    handler = configure_logging(level=logging.INFO, stream=stream, cloud=True, logger=logger)
    logger.propagate = False
    yield stream
    logger.removeHandler(handler)
    logger.setLevel(before[0])
    logger.propagate = before[1]


def test_severity_labels_and_trace(cloud_log: io.StringIO) -> None:
    log = logging.getLogger("operator.test")
    log.info(json.dumps({"event": "approval_decision", "action_id": "act-1", "organization_id": "org-acme",
                         "decision": "approved"}))
    with request_trace("4bf92f3577b34da6a3ce929d0e0e4736/1;o=1", "acme-operator"), log_context(run_id="run-7"):
        log.warning("plain text warning")
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        log.exception(json.dumps({"event": "org_run_failed", "organization_id": "org-acme"}))

    decision, warning, failure = entries(cloud_log)
    assert decision["severity"] == "INFO" and decision["message"] == "approval_decision"
    assert decision["decision"] == "approved"  # the event's fields are the jsonPayload
    assert decision[SPECIAL + "labels"] == {"action_id": "act-1", "organization_id": "org-acme"}
    assert warning["severity"] == "WARNING" and warning["message"] == "plain text warning"
    assert warning[SPECIAL + "labels"] == {"run_id": "run-7"}
    assert warning[SPECIAL + "trace"] == "projects/acme-operator/traces/4bf92f3577b34da6a3ce929d0e0e4736"
    assert failure["severity"] == "ERROR" and "RuntimeError: boom" in failure["message"]  # traceback kept
    assert SPECIAL + "trace" not in failure  # the request's trace ended with it


def test_an_org_run_that_errors_is_an_error_line_labelled_with_org_and_run(cloud_log: io.StringIO,
                                                                           tmp_path: Path) -> None:
    """What the 'org run errors' alert counts: live mode without credentials (a configuration error)."""
    services = build_services(Settings(home=tmp_path, platforms="live", orgs_file=SAMPLES_DIR / "orgs.yaml"))
    try:
        summary = Orchestrator(services).run(["org-acme"])
    finally:
        services.close()
    assert summary.errors
    failed = [e for e in entries(cloud_log) if e.get("event") == "org_run_failed"]
    assert [(e["severity"], e[SPECIAL + "labels"]) for e in failed] == [
        ("ERROR", {"organization_id": "org-acme", "run_id": summary.run_id})]
    done = [e for e in entries(cloud_log) if e.get("event") == "run_summary"]
    assert done and done[0]["severity"] == "INFO" and done[0][SPECIAL + "labels"]["run_id"] == summary.run_id


def test_the_alert_events_failed_actions_and_approvals_about_to_expire(cloud_log: io.StringIO, tmp_path: Path) -> None:
    from datetime import UTC, datetime, timedelta
    from types import SimpleNamespace

    from connectors.base import PendingApproval
    from connectors.local import LocalStore
    from operator_ai.alerts import log_action_failures, warn_expiring_approvals

    now = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
    log_action_failures([{"organization_id": "org-acme", "status": "UNCERTAIN", "action_id": "act-9", "type": "pause"},
                         {"organization_id": "org-acme", "status": "EXECUTED", "action_id": "act-8"}], "run-3")
    store = LocalStore.open(tmp_path / "s.sqlite")
    try:
        for action, hours in (("act-soon", 0.5), ("act-later", 3.0)):
            store.put_pending(PendingApproval(action_id=action, organization_id="org-acme", plan_hash="h" * 64,
                                              requested_at=now, expires_at=now + timedelta(hours=hours), summary="s"))
        warn_expiring_approvals(SimpleNamespace(clock=lambda: now, state=store), "run-3")
    finally:
        store.close()
    failed, expiring = entries(cloud_log)
    assert (failed["severity"], failed["event"], failed["status"]) == ("ERROR", "action_failed", "UNCERTAIN")
    assert failed[SPECIAL + "labels"] == {"organization_id": "org-acme", "run_id": "run-3", "action_id": "act-9"}
    assert (expiring["severity"], expiring["event"], expiring["minutes_left"]) == ("WARNING", "approval_expiring", 30)
    assert expiring[SPECIAL + "labels"]["action_id"] == "act-soon"
