"""Fan-out: one Pub/Sub message per organization, so each org runs in its own function instance.

Message: data = JSON `{"organization_id": ..., "dry_run": false, "requested_by": ...}`, attribute
`organization_id` (for subscription filters and logs). A redelivered message is harmless: runs are
idempotent (deterministic action ids and claims). The publisher honours `PUBSUB_EMULATOR_HOST`.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import TypeAdapter, ValidationError

from operator_ai.settings import Settings
from schemas.common import OrgId

_ORG_ID: TypeAdapter[str] = TypeAdapter(OrgId)


class BadMessage(ValueError):
    """A message that can never be processed: acknowledge it (redelivery would not fix it)."""


@dataclass(frozen=True)
class OrgRunRequest:
    organization_id: str
    dry_run: bool = False
    requested_by: str | None = None

    def to_bytes(self) -> bytes:
        return json.dumps({"organization_id": self.organization_id, "dry_run": self.dry_run,
                           "requested_by": self.requested_by}, sort_keys=True).encode()


def topic_path(settings: Settings) -> str:
    if settings.pubsub_topic.startswith("projects/"):
        return settings.pubsub_topic
    project = settings.gcp_project or os.environ.get("GOOGLE_CLOUD_PROJECT")
    if not project:
        raise ValueError("fan-out needs a project: set OPERATOR_GCP_PROJECT (or a full topic path)")
    return f"projects/{project}/topics/{settings.pubsub_topic}"


def new_publisher() -> Any:
    from google.cloud import pubsub_v1

    return pubsub_v1.PublisherClient()


def publish_org_runs(settings: Settings, org_ids: Sequence[str], *, dry_run: bool = False,
                     requested_by: str | None = None, publisher: Any = None,
                     timeout_s: float = 30.0) -> list[dict[str, str]]:
    """Publish one run request per organization; answers each org with its message id."""
    publisher = publisher or new_publisher()
    topic = topic_path(settings)
    futures = [(org, publisher.publish(topic, OrgRunRequest(org, dry_run, requested_by).to_bytes(),
                                       organization_id=org))
               for org in org_ids]
    return [{"organization_id": org, "message_id": str(future.result(timeout=timeout_s))} for org, future in futures]


MAX_MESSAGE_DATA = 64 * 1024  # base64 characters; a real run request is well under 1 KiB


def parse_run_message(event_data: Any) -> OrgRunRequest:
    """Decode a Pub/Sub `messagePublished` CloudEvent's data; raises BadMessage for anything malformed."""
    message = event_data.get("message") if isinstance(event_data, dict) else None
    if not isinstance(message, dict) or not isinstance(message.get("data"), str):
        raise BadMessage("the event carries no Pub/Sub message data")
    if len(message["data"]) > MAX_MESSAGE_DATA:
        raise BadMessage(f"the message data is larger than {MAX_MESSAGE_DATA} characters")
    try:
        body = json.loads(base64.b64decode(message["data"], validate=True))
    except (ValueError, binascii.Error):
        raise BadMessage("the message data is not base64-encoded JSON") from None
    except RecursionError:  # poison: acknowledged and logged, never redelivered forever
        raise BadMessage("the message data nests too deeply to read") from None
    if not isinstance(body, dict):
        raise BadMessage("the message data is not a JSON object")
    try:
        org = _ORG_ID.validate_python(body.get("organization_id"), strict=True)
    except ValidationError:
        raise BadMessage("the message names no valid organization_id") from None
    dry_run = body.get("dry_run", False)
    if not isinstance(dry_run, bool):
        raise BadMessage("dry_run must be true or false")
    requested_by = body.get("requested_by")
    return OrgRunRequest(org, dry_run, requested_by if isinstance(requested_by, str) else None)
