"""In-process checks of the pieces behind the HTTP surface: tokens, caller checks, message decoding,
notifier output. The wire behaviour is tested over real HTTP in the other files of this folder."""

from __future__ import annotations

import base64
import json
import logging
import time
from typing import Any

import pytest
from pydantic import SecretStr

from operator_ai.fanout import BadMessage, parse_run_message, topic_path
from operator_ai.http.auth import AuthFailure, authenticate_scheduler, is_approver
from operator_ai.http.config import HttpSettings
from operator_ai.http.responses import wants_json
from operator_ai.http.tokens import LinkClaims, Signer, TokenError, sign_link
from operator_ai.http.view import time_left
from operator_ai.notify import LogNotifier, Notification, WebhookNotifier, slack_text
from operator_ai.settings import Settings
from schemas.policy import OrgPolicy
from tests.servers.procs import free_port

KEY = "unit-test-signing-key-0123456789"


def test_tokens_round_trip_and_refusals() -> None:
    signer, now = Signer(KEY), time.time()
    token = sign_link(signer, action_id="act-1", plan_hash="h1", organization_id="org-a", approver="jane@a.example",
                      expires_at=now + 60)
    claims = LinkClaims.from_claims(signer.verify(token, "link", now))
    assert (claims.action_id, claims.plan_hash, claims.organization_id, claims.approver) == (
        "act-1", "h1", "org-a", "jane@a.example")
    refusals = {
        "forged": lambda: Signer("another-key-0123456789").verify(token, "link", now),
        "expired": lambda: signer.verify(token, "link", now + 61),
        "malformed": lambda: signer.verify("no-dot", "link", now),
    }
    for text in ("\x80.0", "é" + token, token[:-1] + "é"):  # non-ASCII text is refused, not a crash (fuzz)
        with pytest.raises(TokenError):
            signer.verify(text, "link", now)
    for reason, attempt in refusals.items():
        with pytest.raises(TokenError) as refused:
            attempt()
        assert refused.value.reason == reason
    with pytest.raises(TokenError):  # each purpose has its own key: a link is not a CSRF token or a login
        signer.verify(token, "csrf", now)
    with pytest.raises(TokenError):
        signer.verify(token, "login", now)
    with pytest.raises(ValueError):
        Signer("short")


def test_scheduler_authentication_with_an_injected_verifier() -> None:
    settings = Settings(shared_secret=SecretStr("s3cret-value"))
    http = HttpSettings(oidc_audience="https://f.example/run", oidc_invokers="sched@p.iam.gserviceaccount.com")
    seen: list[tuple[str, str, str]] = []

    def verifier(token: str, audience: str, certs_url: str) -> dict[str, Any]:
        seen.append((token, audience, certs_url))
        if token != "good":
            raise ValueError("bad signature")
        return {"iss": "https://accounts.google.com", "email": "Sched@p.iam.gserviceaccount.com",
                "email_verified": True}

    caller = authenticate_scheduler({"Authorization": "Bearer good"}, settings, http, verifier)
    assert caller.method == "oidc" and seen[0][1] == "https://f.example/run"
    assert authenticate_scheduler({"X-Operator-Secret": "s3cret-value"}, settings, http, verifier).method == \
        "shared-secret"
    for headers, status in (({}, 401), ({"Authorization": "Bearer bad"}, 401), ({"X-Operator-Secret": "nope"}, 403)):
        with pytest.raises(AuthFailure) as refused:
            authenticate_scheduler(headers, settings, http, verifier)
        assert refused.value.status == status
    nothing_configured = Settings(shared_secret=None)
    for headers in ({"Authorization": "Bearer good"}, {"X-Operator-Secret": ""}):
        with pytest.raises(AuthFailure) as refused:
            authenticate_scheduler(headers, nothing_configured, HttpSettings(oidc_audience=None), verifier)
        assert refused.value.status == 401


def test_approver_patterns() -> None:
    policy = OrgPolicy(organization_id="org-a", approvers=("boss@a.example", "*@a.example"))
    assert is_approver(policy, "BOSS@a.example") and is_approver(policy, "anyone@a.example")
    assert not is_approver(policy, "x@evila.example") and not is_approver(policy, "x@sub.a.example")
    assert not is_approver(OrgPolicy(organization_id="org-b"), "boss@a.example")


def _data(body: Any) -> dict[str, Any]:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return {"message": {"data": base64.b64encode(raw).decode(), "messageId": "1"}}


def test_run_messages() -> None:
    request = parse_run_message(_data({"organization_id": "org-a", "dry_run": True, "requested_by": "x"}))
    assert (request.organization_id, request.dry_run, request.requested_by) == ("org-a", True, "x")
    assert parse_run_message(_data(json.loads(request.to_bytes()))) == request
    for bad in (None, "text", {}, {"message": {}}, {"message": {"data": "@@"}}, _data(b"\x00"), _data([1]),
                _data({"organization_id": "Org A"}), _data({"organization_id": 1}),
                _data({"organization_id": "org-a", "dry_run": 1})):
        with pytest.raises(BadMessage):
            parse_run_message(bad)


def test_topic_path() -> None:
    assert topic_path(Settings(gcp_project="p", pubsub_topic="t")) == "projects/p/topics/t"
    assert topic_path(Settings(pubsub_topic="projects/q/topics/t")) == "projects/q/topics/t"


def test_negotiation_and_time_left() -> None:
    assert wants_json({"format": "json"}, {})
    assert not wants_json({"format": "html"}, {"Accept": "application/json"})
    assert wants_json({}, {"Accept": "application/json"})
    assert not wants_json({}, {"Accept": "text/html,application/xhtml+xml,application/json;q=0.9"})
    assert wants_json({}, {}, is_json_body=True)
    assert (time_left(0), time_left(59), time_left(3 * 3600 + 5 * 60)) == ("expired", "1 min", "3 h 05 min")


NOTE = Notification("org-a", "Run <for> Acme & co", ("• <!channel> <http://evil|click>",),
                    (("Review as jane", "http://127.0.0.1:8080/?link=SECRET-TOKEN"),), "ops@a.example")


def test_slack_text_escapes_untrusted_text_but_keeps_our_links() -> None:
    text = slack_text(NOTE)
    assert "*Run &lt;for&gt; Acme &amp; co*" in text
    assert "&lt;!channel&gt; &lt;http://evil|click&gt;" in text
    assert "<http://127.0.0.1:8080/?link=SECRET-TOKEN|Review as jane>" in text


def test_log_notifier_never_logs_approval_links(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="operator.notify"):
        LogNotifier().send(NOTE)
    assert "Review as jane" in caplog.text and "SECRET-TOKEN" not in caplog.text


def test_webhook_failure_is_logged_not_raised(caplog: pytest.LogCaptureFixture) -> None:
    url = f"http://127.0.0.1:{free_port()}/hook/SECRET"  # nothing listens there
    with caplog.at_level(logging.WARNING, logger="operator.notify"):
        WebhookNotifier(url, timeout_s=2).send(NOTE)
    assert "notification_failed" in caplog.text and "SECRET" not in caplog.text


def test_openapi_document_names_every_entry_point_and_scheme() -> None:
    import yaml

    from tests.servers.procs import REPO

    spec = yaml.safe_load((REPO / "docs" / "openapi.yaml").read_text())
    assert spec["openapi"].startswith("3.")
    assert {op["operationId"] for path in spec["paths"].values() for op in path.values()
            if isinstance(op, dict) and "operationId" in op and "consol" not in op["operationId"]} == {
        "runOperator", "runOrganization", "listApprovals", "decideApproval"}
    from operator_ai.http.console import actions, pages

    # every console route is documented at /console/<route> with its method, and nothing else is
    documented = {(method, path.removeprefix("/console/")) for path, item in spec["paths"].items()
                  if path.startswith("/console/") for method in item}
    assert documented == {("get", r) for r in pages.ROUTES} | {("post", r) for r in actions.ROUTES}
    schemes = set(spec["components"]["securitySchemes"])
    used = {name for path in spec["paths"].values() for op in path.values() if isinstance(op, dict)
            for requirement in op.get("security", []) for name in requirement}
    assert used == schemes


@pytest.mark.parametrize("fmt", ["json", "html"])
def test_an_unreachable_approvals_store_answers_503_try_again(tmp_path: Any, fmt: str, caplog: pytest.LogCaptureFixture,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """The real Firestore adapter against a port nothing listens on: the page says "try again" (503 with
    Retry-After), it does not crash into a 500."""
    from dataclasses import replace

    from google.auth.credentials import AnonymousCredentials
    from google.cloud import firestore
    from werkzeug.test import EnvironBuilder

    from connectors.firestore import FirestoreStateStore
    from operator_ai.http.approvals_handler import handle_approvals
    from operator_ai.http.runtime import build_runtime
    from operator_ai.wiring import build_services

    monkeypatch.delenv("FIRESTORE_EMULATOR_HOST", raising=False)  # the endpoint below, not an emulator
    settings = Settings(home=tmp_path, approval_signing_key=SecretStr(KEY), seed_samples=False)
    services = build_services(settings)
    client = firestore.Client(project="p", credentials=AnonymousCredentials(),
                              client_options={"api_endpoint": f"127.0.0.1:{free_port()}"})
    rt = build_runtime(settings, services=replace(services, state=FirestoreStateStore(client, timeout_s=0.2,
                                                                                      deadline_s=0.5)))
    link = sign_link(Signer(KEY), action_id="act-1", plan_hash="h1", organization_id="org-acme",
                     approver="jane@acme.example", expires_at=time.time() + 600)
    session = Signer(KEY).sign("session", {"u": "jane@acme.example", "o": "org-acme", "s": "s1"}, time.time() + 600)
    request = EnvironBuilder(method="GET", query_string={"link": link, "format": fmt},
                             headers={"Cookie": f"operator_session={session}"}).get_request()
    try:
        with caplog.at_level(logging.ERROR, logger="operator.http.approvals"):
            body, status, headers = handle_approvals(request, rt)
    finally:
        services.close()
    assert status == 503 and ("Retry-After", "5") in headers
    assert "try again" in (json.loads(body)["message"] if fmt == "json" else body)
    assert "approvals_store_unavailable" in caplog.text and link not in caplog.text
