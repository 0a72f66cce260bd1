"""Telling people what a run did and what waits for them: a pluggable notifier.

The default writes a structured log line. With `OPERATOR_NOTIFY_WEBHOOK_URL` (a Slack-style incoming
webhook, kept in Secret Manager) it posts the message with signed approval links. A link only names
the action: the person who opens it must sign in and be an approver of the org to decide. The log
notifier still records only the links' labels, never the URLs (they name plans; logs are read widely).
A notification that cannot be delivered is logged and dropped: it never fails the run it reports on.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC
from typing import Any, Protocol

from connectors.base import ApprovalError, PendingApproval
from operator_ai.approvals import validate_approver
from operator_ai.escaping import slack
from operator_ai.settings import Settings
from operator_ai.wiring import Services
from schemas.common import stable_hash
from schemas.policy import OrgPolicy
from schemas.records import ActionRecord, RunSummary

log = logging.getLogger("operator.notify")

# (pending approval, approver) -> a signed URL that lets exactly that person decide exactly that plan
LinkIssuer = Callable[[PendingApproval, str], str]

MAX_LINKED_APPROVERS = 3


@dataclass(frozen=True)
class Notification:
    organization_id: str
    title: str
    lines: tuple[str, ...] = ()
    links: tuple[tuple[str, str], ...] = ()  # (label, url)
    target: str | None = None  # the org's notification target, as configured
    digest: str = ""  # what the message says (and about which actions): an unchanged message is not re-sent


class Notifier(Protocol):
    def send(self, notification: Notification) -> bool | None:
        """Deliver; False when it could not (logged, never raised)."""
        ...


class LogNotifier:
    def send(self, notification: Notification) -> bool | None:
        log.info(json.dumps({"event": "notification", "organization_id": notification.organization_id,
                             "target": notification.target, "title": notification.title,
                             "lines": list(notification.lines),
                             "links": [label for label, _ in notification.links]}, ensure_ascii=False))
        return True


def slack_escape(text: str) -> str:
    """Slack's mrkdwn control characters; opportunity text is untrusted and must not form links or mentions."""
    return slack(text)


def slack_text(notification: Notification) -> str:
    parts = [f"*{slack_escape(notification.title)}*", *(slack_escape(line) for line in notification.lines)]
    parts += [f"<{url}|{slack_escape(label)}>" for label, url in notification.links]
    return "\n".join(parts)


def _transient(error: BaseException) -> bool:
    """Worth another try: no answer, a timeout, 429 or a 5xx (a 4xx other than 429 will not change)."""
    import requests

    status = getattr(getattr(error, "response", None), "status_code", None)
    return isinstance(error, requests.RequestException) and (status is None or status == 429 or status >= 500)


class WebhookNotifier:
    def __init__(self, url: str, *, timeout_s: float = 5.0, session: Any = None, attempts: int = 3,
                 wait_s: float = 0.5):
        import requests

        self._url = url
        self._timeout_s = timeout_s
        self._session = session or requests.Session()
        self._attempts = attempts
        self._wait_s = wait_s

    def send(self, notification: Notification) -> bool | None:
        import requests
        from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_exponential

        def post() -> None:
            response = self._session.post(self._url, json={"text": slack_text(notification)}, timeout=self._timeout_s)
            response.raise_for_status()

        try:
            Retrying(retry=retry_if_exception(_transient), stop=stop_after_attempt(self._attempts),
                     wait=wait_exponential(multiplier=self._wait_s, max=4 * self._wait_s), reraise=True)(post)
        except requests.RequestException as error:  # the URL is a secret: name only the failure
            status = getattr(getattr(error, "response", None), "status_code", None)
            log.warning(json.dumps({"event": "notification_failed", "organization_id": notification.organization_id,
                                    "error": type(error).__name__, "status": status}))
            return False
        return True


class RoutingNotifier:
    """Each org's message goes to its own `notification_target` when that names a webhook — a secret
    reference (`sm:NAME`, `env:NAME`: webhook URLs are credentials) or an https URL — else to the
    deployment's default webhook, else to the log."""

    def __init__(self, default: Notifier, resolve_secret: Callable[[str], str], **webhook_options: Any):
        self._default = default
        self._resolve = resolve_secret
        self._options = webhook_options
        self._webhooks: dict[str, WebhookNotifier] = {}

    def _url_for(self, target: str | None) -> str | None:
        if not target:
            return None
        if target.startswith(("sm:", "env:")):
            return self._resolve(target)
        return target if target.startswith("https://") else None  # an email address: the default channel

    def send(self, notification: Notification) -> bool | None:
        try:
            url = self._url_for(notification.target)
        except LookupError as error:  # names the reference, never a value
            log.warning(json.dumps({"event": "notification_failed", "organization_id": notification.organization_id,
                                    "error": str(error)}))
            return False
        if url is None:
            return self._default.send(notification)
        if url not in self._webhooks:
            self._webhooks[url] = WebhookNotifier(url, **self._options)
        return self._webhooks[url].send(notification)


def build_notifier(settings: Settings, resolve_secret: Callable[[str], str] | None = None) -> Notifier:
    default: Notifier = LogNotifier()
    if settings.notify_webhook_url is not None and settings.notify_webhook_url.get_secret_value():
        default = WebhookNotifier(settings.notify_webhook_url.get_secret_value())
    if resolve_secret is None:
        from operator_ai.wiring import secret_resolver

        resolve_secret = secret_resolver(settings)
    return RoutingNotifier(default, resolve_secret)


# --------------------------------------------------------------------------- after a run

_COUNT_WORDS = (("EXECUTED", "executed"), ("PENDING_APPROVAL", "waiting for approval"), ("BLOCKED", "blocked"),
                ("FAILED", "failed"), ("UNCERTAIN", "uncertain"), ("DRY_RUN", "dry run"),
                ("REJECTED_INPUT", "rejected input"), ("EXPIRED", "expired"), ("STOPPED", "stopped"))


def approvers_for(policy: OrgPolicy | None, record: ActionRecord | None) -> list[str]:
    """Who gets a personal link: the org's named approvers, else the person who approved it in Scout."""
    named = [a for a in (policy.approvers if policy else ()) if not a.startswith("*@")]
    if not named and record is not None:
        scout = (record.payload.get("opportunity") or {}).get("approved_by")
        named = [scout] if isinstance(scout, str) else []
    people = []
    for name in named:
        try:
            people.append(validate_approver(name))
        except ApprovalError:
            continue
    return people[:MAX_LINKED_APPROVERS]


def run_notifications(services: Services, summary: RunSummary, *, link_for: LinkIssuer | None = None,
                      page_url: str | None = None) -> list[Notification]:
    """One message per organization that had something happen: counts, errors, and new approvals."""
    notes = []
    for org in summary.organizations:
        lines = [a for a in summary.actions if a.get("organization_id") == org]
        errors = [e for e in summary.errors if e.startswith(f"{org}:")]
        if not lines and not errors:
            continue
        policy = services.state.get_org(org)
        counts = Counter(str(a.get("status")) for a in lines)
        text = [" · ".join(f"{counts[k]} {word}" for k, word in _COUNT_WORDS if counts[k]) or "nothing to do"]
        text += [f"error: {e.partition(':')[2].strip()}" for e in errors]
        text += [f"stopped: {a.get('detail')}" for a in lines if a.get("status") == "STOPPED"]
        text += [f"tracking: {a.get('detail')}" for a in lines
                 if a.get("status") in ("TRACKING_HOLD", "TRACKING_HOLD_CLEARED")]
        waiting = [str(a["action_id"]) for a in lines if a.get("status") == "PENDING_APPROVAL" and a.get("action_id")]
        links = _approval_lines(services, policy, waiting, text, link_for)
        if waiting and page_url:
            links.append(("All pending approvals", page_url))
        name = policy.name if policy and policy.name else org
        title = f"Operator {summary.mode} run for {name}" + (" (dry run)" if summary.dry_run else "")
        target = policy.notification_target if policy else None
        about = sorted((str(a.get("action_id")), str(a.get("status"))) for a in lines)
        digest = stable_hash([title, text, about, target])  # the same held-back actions: the same digest
        notes.append(Notification(org, title, tuple(text), tuple(links), target, digest))
    return notes


def _approval_lines(services: Services, policy: OrgPolicy | None, action_ids: Sequence[str], text: list[str],
                    link_for: LinkIssuer | None) -> list[tuple[str, str]]:
    links: list[tuple[str, str]] = []
    records = services.log.latest(list(action_ids)) if action_ids else {}
    for action_id in action_ids:
        pending = services.state.get_approval(action_id)
        if pending is None or pending.status != "pending":
            continue
        record = records.get(action_id)
        title = str(((record.payload.get("opportunity") or {}).get("title") if record else None) or action_id)
        text.append(f"• {title}: {pending.summary} (decide by {pending.expires_at.astimezone(UTC):%Y-%m-%d %H:%M} UTC)")
        if link_for is not None:
            links += [(f"Review “{title}” as {person}", link_for(pending, person))
                      for person in approvers_for(policy, record)]
    return links


def notify_after_run(services: Services, summary: RunSummary, notifier: Notifier, *,
                     link_for: LinkIssuer | None = None, page_url: str | None = None) -> int:
    """Send the run's notifications; returns how many were sent. Never raises for a notification."""
    sent = 0
    last = getattr(services.state, "last_notification", None)  # optional port: stores that remember
    for note in run_notifications(services, summary, link_for=link_for, page_url=page_url):
        try:
            if last is not None and note.digest and last(note.organization_id) == note.digest:
                log.info(json.dumps({"event": "notification_unchanged", "organization_id": note.organization_id}))
                continue
            if notifier.send(note) is False:
                continue
            if last is not None and note.digest:
                services.state.put_last_notification(note.organization_id, note.digest, services.clock())
            sent += 1
        except Exception:  # a broken notifier must not turn a finished run into a failed one
            log.exception("notifier %s failed", type(notifier).__name__)
    return sent
