"""Notifications per organization (issue 16): each org's message goes to its own webhook (named by a secret
reference), a webhook that hiccups is retried, and an unchanged message — the same actions held back by
the rate limit run after run — is not sent again. Against a local webhook server on 127.0.0.1."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from operator_ai.notify import LogNotifier, Notification, RoutingNotifier, WebhookNotifier, notify_after_run
from operator_ai.settings import Settings
from operator_ai.wiring import build_services
from schemas.records import RunSummary

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)


class Webhook:
    """Records each POST by path; answers statuses from `script` first, then 200."""

    def __init__(self) -> None:
        self.posts: list[tuple[str, dict[str, Any]]] = []
        self.script: list[int] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("content-length", 0))) or b"{}")
                status = outer.script.pop(0) if outer.script else 200
                outer.posts.append((self.path, {"status": status, **body}))
                self.send_response(status)
                self.send_header("content-length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def delivered(self, path: str) -> list[str]:
        return [body["text"] for p, body in self.posts if p == path and body["status"] == 200]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def webhook() -> Iterator[Webhook]:
    server = Webhook()
    yield server
    server.close()


def test_a_webhook_that_answers_503_then_200_gets_the_message_once(webhook: Webhook) -> None:
    webhook.script = [503, 429]
    note = Notification("org-a", "Run for Acme", ("1 executed",))
    assert WebhookNotifier(webhook.base + "/hook", wait_s=0.01).send(note) is True
    assert [body["status"] for _, body in webhook.posts] == [503, 429, 200]
    assert len(webhook.delivered("/hook")) == 1


def test_a_refused_message_is_not_retried(webhook: Webhook) -> None:
    webhook.script = [400]
    assert WebhookNotifier(webhook.base + "/hook", wait_s=0.01).send(Notification("org-a", "t")) is False
    assert len(webhook.posts) == 1


def test_each_org_goes_to_its_own_webhook_from_a_secret_reference(webhook: Webhook) -> None:
    secrets = {"env:ACME_SLACK_WEBHOOK": webhook.base + "/acme", "sm:globex-slack": webhook.base + "/globex"}
    routing = RoutingNotifier(WebhookNotifier(webhook.base + "/default", wait_s=0.01), secrets.__getitem__,
                              wait_s=0.01)
    routing.send(Notification("org-acme", "Acme run", target="env:ACME_SLACK_WEBHOOK"))
    routing.send(Notification("org-globex", "Globex run", target="sm:globex-slack"))
    routing.send(Notification("org-initech", "Initech run", target="milton@initech.example"))  # an email: default
    assert [p for p, _ in webhook.posts] == ["/acme", "/globex", "/default"]


def test_an_unchanged_message_is_sent_once_a_changed_one_again(webhook: Webhook, tmp_path: Path) -> None:
    services = build_services(Settings(home=tmp_path / "home"), clock=lambda: NOW)
    try:
        held = [{"organization_id": "org-acme", "status": "BLOCKED", "action_id": f"act-{i}", "type": "pause",
                 "detail": "hourly_rate"} for i in range(3)]

        def summary(lines: list[dict[str, Any]], run: str) -> RunSummary:
            return RunSummary(run_id=run, started_at=NOW, finished_at=NOW, mode="SANDBOX", dry_run=False,
                              organizations=("org-acme",), counts={}, actions=tuple(lines), errors=())

        notifier = RoutingNotifier(WebhookNotifier(webhook.base + "/default", wait_s=0.01), lambda ref: "",
                                   wait_s=0.01)
        assert notify_after_run(services, summary(held, "run-1"), notifier) == 1
        assert notify_after_run(services, summary(held, "run-2"), notifier) == 0  # the same 3 held back
        assert "3 blocked" in webhook.delivered("/default")[0]
        other = [*held[:2], {**held[2], "action_id": "act-new"}]  # still "3 blocked", but another action
        assert notify_after_run(services, summary(other, "run-3"), notifier) == 1
        assert len(webhook.delivered("/default")) == 2
    finally:
        services.close()


def test_the_log_notifier_still_reports_success() -> None:
    assert LogNotifier().send(Notification("org-a", "t")) is True
