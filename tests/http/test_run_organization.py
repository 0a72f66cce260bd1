"""run_organization over real HTTP: CloudEvents in binary and structured mode run one organization;
a redelivered event executes nothing twice; a malformed one is logged and acknowledged."""

from __future__ import annotations

import json

from tests.http.cloudevents_util import message_data, post_event, pubsub_event
from tests.http.conftest import OperatorState, StartFunctions


def _orgs_in_log(state: OperatorState) -> set[str]:
    return {org for _, org in state.executed_rows()}


def test_binary_and_structured_events_each_run_one_org(start_functions: StartFunctions, state: OperatorState) -> None:
    functions = start_functions("run_organization")
    url = functions.url("run_organization")
    response = post_event(url, pubsub_event(message_data({"organization_id": "org-globex"})), "binary")
    assert response.status_code == 200
    assert _orgs_in_log(state) == {"org-globex"}
    response = post_event(url, pubsub_event(message_data({"organization_id": "org-acme"})), "structured")
    assert response.status_code == 200
    assert _orgs_in_log(state) == {"org-globex", "org-acme"}
    assert '"event": "org_run_done"' in functions.log("run_organization")


def test_redelivery_executes_nothing_twice(start_functions: StartFunctions, state: OperatorState) -> None:
    functions = start_functions("run_organization")
    event = pubsub_event(message_data({"organization_id": "org-acme"}), message_id="m-1")
    assert post_event(functions.url("run_organization"), event).status_code == 200
    executed, sandbox = state.executed_rows(), state.sandbox()
    assert executed
    for mode in ("binary", "structured"):  # the same message delivered again, either way
        assert post_event(functions.url("run_organization"), event, mode).status_code == 200
    assert state.executed_rows() == executed
    assert state.sandbox() == sandbox
    assert all(state.executed(action_id) == 1 for action_id, _ in executed)


def test_dry_run_message(start_functions: StartFunctions, state: OperatorState) -> None:
    functions = start_functions("run_organization")
    event = pubsub_event(message_data({"organization_id": "org-acme", "dry_run": True}))
    assert post_event(functions.url("run_organization"), event).status_code == 200
    assert state.executed_rows() == []
    assert state.log_rows() > 0


def test_bad_payloads_are_logged_and_acknowledged(start_functions: StartFunctions, state: OperatorState) -> None:
    functions = start_functions("run_organization")
    url = functions.url("run_organization")
    bad = {
        "no data": None,
        "not base64": "%%%not-base64%%%",
        "not json": message_data(b"\xff\xfe not json"),
        "not an object": message_data(["org-acme"]),
        "no org": message_data({"dry_run": False}),
        "invalid org id": message_data({"organization_id": "../../etc"}),
        "org id not a string": message_data({"organization_id": 42}),
        "dry_run not a bool": message_data({"organization_id": "org-acme", "dry_run": "no"}),
        "unknown org": message_data({"organization_id": "org-nobody"}),
        "deeply nested": message_data(b'{"organization_id": "org-acme", "x": ' + b"[" * 20000 + b"]" * 20000 + b"}"),
        "huge": message_data({"organization_id": "org-acme", "padding": "x" * 100_000}),
    }
    for name, data in bad.items():
        response = post_event(url, pubsub_event(data, event_id=f"bad-{name.replace(' ', '-')}"))
        assert response.status_code == 200, name  # acknowledged: redelivery would not fix it
    log = functions.log("run_organization")
    events = [json.loads(line) for line in log.splitlines() if line.startswith('{"event": "org_run_')]
    refused = {e["ce_id"] for e in events if e["event"] in {"org_run_bad_message", "org_run_unknown_org"}}
    assert refused == {f"bad-{name.replace(' ', '-')}" for name in bad}
    assert state.log_rows() == 0  # nothing ran for any of them (the unknown org built the stores: they exist)
