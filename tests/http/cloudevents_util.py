"""Pub/Sub `messagePublished` CloudEvents as Eventarc delivers them, in binary or structured mode."""

from __future__ import annotations

import base64
import json
import uuid
from typing import Any

import requests
from cloudevents.conversion import to_binary, to_structured
from cloudevents.http import CloudEvent

TOPIC_SOURCE = "//pubsub.googleapis.com/projects/test-project/topics/operator-org-runs"


def message_data(body: Any) -> str:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return base64.b64encode(raw).decode()


def pubsub_event(data_b64: str | None, *, message_id: str | None = None, attributes: dict[str, str] | None = None,
                 event_id: str | None = None) -> CloudEvent:
    message: dict[str, Any] = {"messageId": message_id or uuid.uuid4().hex, "publishTime": "2026-11-22T00:00:00Z",
                               "attributes": attributes or {}}
    if data_b64 is not None:
        message["data"] = data_b64
    return CloudEvent({"id": event_id or message["messageId"], "type": "google.cloud.pubsub.topic.v1.messagePublished",
                       "source": TOPIC_SOURCE, "specversion": "1.0"},
                      {"message": message, "subscription": "projects/test-project/subscriptions/operator-org-runs"})


def post_event(url: str, event: CloudEvent, mode: str = "binary") -> requests.Response:
    headers, body = to_binary(event) if mode == "binary" else to_structured(event)
    if mode == "binary":
        assert headers["ce-type"] == "google.cloud.pubsub.topic.v1.messagePublished"
    else:
        assert headers["content-type"].startswith("application/cloudevents+json")
    return requests.post(url, headers=headers, data=body, timeout=60)
