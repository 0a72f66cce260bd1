"""Fan-out against the official Pub/Sub emulator: run_operator publishes one message per organization;
each message, pulled and delivered to run_organization as a CloudEvent, runs its organization once;
a redelivered message executes nothing again."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.http.cloudevents_util import post_event, pubsub_event
from tests.http.conftest import OperatorState, StartFunctions
from tests.http.pubsub import PubSubEmulator
from tests.http.servers import SHARED_SECRET

pytestmark = pytest.mark.emulator


@pytest.fixture(scope="module")
def pubsub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PubSubEmulator]:
    emulator = PubSubEmulator(tmp_path_factory.mktemp("pubsub"))
    try:
        yield emulator.start()
    finally:
        emulator.stop()


@pytest.fixture
def topic(pubsub: PubSubEmulator, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    """A fresh topic with one pull subscription (standing in for Eventarc's push subscription)."""
    monkeypatch.setenv("PUBSUB_EMULATOR_HOST", pubsub.host)
    from google.cloud import pubsub_v1

    publisher, subscriber = pubsub_v1.PublisherClient(), pubsub_v1.SubscriberClient()
    name = f"operator-org-runs-{uuid.uuid4().hex[:8]}"
    topic_path = publisher.topic_path(pubsub.project, name)
    subscription = subscriber.subscription_path(pubsub.project, name)
    publisher.create_topic(name=topic_path)
    subscriber.create_subscription(name=subscription, topic=topic_path, ack_deadline_seconds=30)
    yield {"name": name, "subscription": subscription, "subscriber": subscriber}
    subscriber.close()


def _pull(subscriber: Any, subscription: str, expected: int) -> list[Any]:
    received: list[Any] = []
    for _ in range(20):
        if len(received) >= expected:
            break
        response = subscriber.pull(request={"subscription": subscription, "max_messages": 10}, timeout=10)
        received.extend(response.received_messages)
    return received


def test_fan_out_publishes_one_message_per_org_and_each_runs_once(
        start_functions: StartFunctions, pubsub: PubSubEmulator, topic: dict[str, Any], state: OperatorState,
        home: Path) -> None:
    functions = start_functions("run_operator", "run_organization", OPERATOR_FAN_OUT="true",
                                OPERATOR_GCP_PROJECT=pubsub.project, OPERATOR_PUBSUB_TOPIC=topic["name"],
                                PUBSUB_EMULATOR_HOST=pubsub.host)
    response = requests.post(functions.url("run_operator"), headers={"X-Operator-Secret": SHARED_SECRET}, timeout=60)
    assert response.status_code == 202, response.text
    published = response.json()["messages"]
    orgs = sorted(o.organization_id for o in state.store.list_orgs())
    assert sorted(m["organization_id"] for m in published) == orgs
    assert state.log_rows() == 0  # fanned out: nothing ran in the scheduler's invocation

    received = _pull(topic["subscriber"], topic["subscription"], len(orgs))
    assert sorted(r.message.message_id for r in received) == sorted(m["message_id"] for m in published)
    bodies = {r.message.message_id: json.loads(r.message.data) for r in received}
    assert sorted(b["organization_id"] for b in bodies.values()) == orgs
    assert all(r.message.attributes["organization_id"] == bodies[r.message.message_id]["organization_id"]
               for r in received)

    events = {}
    for index, item in enumerate(received):  # deliver as Eventarc would, alternating the CloudEvent modes
        event = pubsub_event(base64.b64encode(item.message.data).decode(), message_id=item.message.message_id,
                             attributes=dict(item.message.attributes))
        events[bodies[item.message.message_id]["organization_id"]] = event
        assert post_event(functions.url("run_organization"), event, ("binary", "structured")[index % 2]).status_code == 200
    topic["subscriber"].acknowledge(request={"subscription": topic["subscription"],
                                             "ack_ids": [r.ack_id for r in received]})

    executed = state.executed_rows()
    assert {"org-acme", "org-globex"} <= {org for _, org in executed}
    assert all(state.executed(action_id) == 1 for action_id, _ in executed)
    runs = [json.loads(line) for line in functions.log("run_organization").splitlines()
            if line.startswith('{"event": "org_run_done"')]
    assert sorted(r["organization_id"] for r in runs) == orgs  # each message handled once

    sandbox = state.sandbox()
    assert post_event(functions.url("run_organization"), events["org-acme"]).status_code == 200  # redelivered
    assert state.executed_rows() == executed
    assert state.sandbox() == sandbox
    assert _nothing_left(topic["subscriber"], topic["subscription"])  # every message was acknowledged


def _nothing_left(subscriber: Any, subscription: str) -> bool:
    from google.api_core.exceptions import DeadlineExceeded

    try:
        response = subscriber.pull(request={"subscription": subscription, "max_messages": 10}, timeout=3)
    except DeadlineExceeded:
        return True
    return not response.received_messages
