"""run_operator over real HTTP: who may start a run (shared secret, Google-signed OIDC), what a run
returns, and the notifications it sends."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

import requests

from tests.http.conftest import OperatorState, StartFunctions, run_all, signed_in
from tests.http.servers import SHARED_SECRET, KeyServer, WebhookFake

SCHEDULER = "scheduler@acme-ops.iam.gserviceaccount.com"


def test_no_auth_is_401_and_nothing_runs(start_functions: StartFunctions, state: OperatorState) -> None:
    functions = start_functions("run_operator")
    response = requests.post(functions.url("run_operator"), timeout=30)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert response.json()["error"] == "unauthorized"
    assert state.log_rows() == 0


def test_wrong_secret_is_refused_and_nothing_runs(start_functions: StartFunctions, state: OperatorState) -> None:
    functions = start_functions("run_operator")
    for wrong in ("nope", SHARED_SECRET[:-1], SHARED_SECRET + "x", ""):
        response = requests.post(functions.url("run_operator"), headers={"X-Operator-Secret": wrong}, timeout=30)
        assert response.status_code in (401, 403), wrong
    assert state.log_rows() == 0


def test_shared_secret_runs_every_org_in_process(start_functions: StartFunctions, state: OperatorState) -> None:
    functions = start_functions("run_operator")
    summary = run_all(functions)
    assert summary["ok"] is True and summary["mode"] == "SANDBOX"
    assert {"org-acme", "org-globex"} <= set(summary["organizations"])
    assert summary["counts"]["EXECUTED"] > 0 and summary["counts"]["PENDING_APPROVAL"] > 0
    executed = {a["action_id"] for a in summary["actions"] if a["status"] == "EXECUTED"}
    assert executed == {row[0] for row in state.executed_rows()}


def test_run_request_validation(start_functions: StartFunctions, state: OperatorState) -> None:
    functions = start_functions("run_operator")
    auth = {"X-Operator-Secret": SHARED_SECRET}
    url = functions.url("run_operator")
    assert requests.get(url, headers=auth, timeout=30).status_code == 405
    assert requests.post(url, headers=auth, data="not json", timeout=30).status_code == 400
    assert requests.post(url, headers=auth, json={"org_ids": "org-acme"}, timeout=30).status_code == 400
    assert requests.post(url, headers=auth, json={"dry_run": "yes"}, timeout=30).status_code == 400
    unknown = requests.post(url, headers=auth, json={"org_ids": ["org-nope"]}, timeout=30)
    assert unknown.status_code == 400 and "org-nope" in unknown.json()["message"]
    assert state.log_rows() == 0
    only = requests.post(url, headers=auth, json={"org_ids": ["org-globex"], "dry_run": True}, timeout=60).json()
    assert only["organizations"] == ["org-globex"] and only["dry_run"] is True
    assert set(only["counts"]) <= {"DRY_RUN", "REJECTED_INPUT", "EXPIRED", "BLOCKED", "PENDING_APPROVAL"}
    assert state.executed_rows() == []


def _oidc_functions(start_functions: StartFunctions, key_server: KeyServer, audience: str):  # type: ignore[no-untyped-def]
    return start_functions("run_operator", OPERATOR_OIDC_AUDIENCE=audience, OPERATOR_OIDC_INVOKERS=SCHEDULER,
                           OPERATOR_OIDC_CERTS_URL=key_server.url)


def test_google_oidc_token_from_the_scheduler_runs(start_functions: StartFunctions, key_server: KeyServer,
                                                   state: OperatorState) -> None:
    audience = "https://europe-west1-acme-ops.cloudfunctions.net/run_operator"
    functions = _oidc_functions(start_functions, key_server, audience)
    token = key_server.oidc_token(audience=audience, email=SCHEDULER)
    response = requests.post(functions.url("run_operator"), headers={"Authorization": f"Bearer {token}"},
                             json={"org_ids": ["org-globex"]}, timeout=60)
    assert response.status_code == 200, response.text
    assert response.json()["organizations"] == ["org-globex"]
    assert state.executed_rows()


def test_bad_oidc_tokens_are_refused(start_functions: StartFunctions, key_server: KeyServer,
                                     state: OperatorState) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    audience = "https://europe-west1-acme-ops.cloudfunctions.net/run_operator"
    functions = _oidc_functions(start_functions, key_server, audience)
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()
    cases = {
        "wrong audience": (key_server.oidc_token(audience="https://elsewhere.example/", email=SCHEDULER), 401),
        "expired": (key_server.oidc_token(audience=audience, email=SCHEDULER, lifetime_s=-120), 401),
        "forged (another key)": (key_server.oidc_token(audience=audience, email=SCHEDULER, private_pem=other_key), 401),
        "not Google": (key_server.oidc_token(audience=audience, email=SCHEDULER, issuer="https://evil.example"), 401),
        "unverified email": (key_server.oidc_token(audience=audience, email=SCHEDULER, email_verified=False), 401),
        "another service account": (key_server.oidc_token(audience=audience,
                                                          email="intruder@other.iam.gserviceaccount.com"), 403),
        "garbage": ("not-a-jwt", 401),
    }
    for name, (token, status) in cases.items():
        response = requests.post(functions.url("run_operator"), headers={"Authorization": f"Bearer {token}"},
                                 timeout=30)
        assert response.status_code == status, name
    assert state.log_rows() == 0


def test_a_run_notifies_each_org_with_signed_approval_links(start_functions: StartFunctions, webhook: WebhookFake,
                                                            state: OperatorState) -> None:
    functions = start_functions("approvals", "run_operator", OPERATOR_NOTIFY_WEBHOOK_URL=webhook.url)
    run_all(functions)
    texts = {m["text"].splitlines()[0]: m["text"] for m in webhook.messages}
    acme = texts["*Operator SANDBOX run for Acme Widgets*"]
    assert "executed" in acme and "waiting for approval" in acme
    pending = state.pending("org-acme")
    links = re.findall(r"<(http[^|>]+)\|([^>]+)>", acme)
    link_urls = [url for url, label in links if "?link=" in url]
    assert len(link_urls) == len(pending)  # the samples name one Scout approver per opportunity
    assert all(label.endswith("as jane@acme.example") for url, label in links if "?link=" in url)
    assert any(url == functions.url("approvals") for url, _ in links)
    # the link opens that action's page on the approval function, for the signed-in approver (never on its own)
    token = parse_qs(urlparse(link_urls[0]).query)["link"][0]
    assert requests.get(functions.url("approvals"), params={"link": token}, timeout=30).status_code == 401
    page = signed_in(functions).get(functions.url("approvals"), params={"link": token, "format": "json"},
                                    timeout=30).json()
    assert page["approver"] == "jane@acme.example" and page["organization_id"] == "org-acme"
    assert len(page["pending"]) == 1 and page["pending"][0]["action_id"] in pending
