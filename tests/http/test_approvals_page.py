"""The approval page and JSON API over real HTTP: signing in, what a person sees, and deciding."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
import requests

from operator_ai.http.tokens import Signer, sign_link
from tests.http.conftest import OperatorState, StartFunctions, login_token, page_json, run_all, signed_in
from tests.http.servers import SIGNING_KEY, Functions

HOSTILE = {
    "schema_version": 1, "opportunity_id": "opp-acme-hostile", "organization_id": "org-acme", "status": "approved",
    "created_at": "2026-11-20T09:00:00Z", "expires_at": "2099-12-31T00:00:00Z", "approved_by": "jane@acme.example",
    "approved_at": "2026-11-20T10:00:00Z", "title": "<script>alert('title')</script> Win-back",
    "rationale": "<img src=x onerror=alert('rationale')> trust me", "confidence": 0.92, "platform": "activecampaign",
    "action": {"type": "create_automation", "target": {"account_id": "acme-mail"},
               "params": {"name": "\"><iframe src=//evil.example></iframe>"}},
    "evidence": {},
}


def _decide(session: requests.Session, functions: Functions, action_id: str, decision: str = "approve",
            **extra: str) -> requests.Response:
    token = page_json(session, functions)["csrf_token"]
    pending = {p["action_id"]: p for p in page_json(session, functions)["pending"]}
    form = {"action_id": action_id, "plan_hash": pending[action_id]["plan_hash"], "decision": decision,
            "csrf_token": token, **extra}
    return session.post(functions.url("approvals"), data=form, timeout=60)


def test_the_page_needs_a_signed_in_person(approvals_stack: Functions) -> None:
    url = approvals_stack.url("approvals")
    page = requests.get(url, timeout=30)
    assert page.status_code == 401 and "Please sign in" in page.text and "text/html" in page.headers["Content-Type"]
    api = requests.get(url, headers={"Accept": "application/json"}, timeout=30)
    assert api.status_code == 401 and api.json()["error"] == "unauthorized"
    assert requests.get(url, params={"login": "forged.token"}, timeout=30).status_code == 403
    expired = login_token("jane@acme.example", "org-acme", lifetime_s=-10)
    assert requests.get(url, params={"login": expired}, timeout=30).status_code == 403
    foreign_cookie = requests.get(url, cookies={"operator_session": "abc.def"}, timeout=30)
    assert foreign_cookie.status_code == 401


def test_the_page_shows_what_why_rules_rollback_and_time_left(approvals_stack: Functions,
                                                              state: OperatorState) -> None:
    session = signed_in(approvals_stack)
    data = page_json(session, approvals_stack)
    assert data["approver"] == "jane@acme.example" and data["organization_id"] == "org-acme"
    assert data["mode"] == "SANDBOX"
    assert {p["action_id"] for p in data["pending"]} == set(state.pending("org-acme"))  # only the caller's org
    budget = next(p for p in data["pending"] if p["action_id"] == state.action_for("opp-acme-010"))
    assert {r["rule_id"] for r in budget["needs_approval"]} == {"budget_increase_pct", "budget_cumulative_24h"}
    increase = next(r for r in budget["rules"] if r["rule_id"] == "budget_increase_pct")
    assert increase["observed"]["change_pct"] == "30.00" and increase["observed"]["approval_above_pct"] == "20"
    assert budget["changes"] == [{"field": "amount", "before": "70.00", "after": "91.00"}]
    assert budget["rollback"]["reversibility"] == "full"
    assert 3.5 * 3600 < budget["seconds_left"] <= 4 * 3600

    page = session.get(approvals_stack.url("approvals"), timeout=30)
    assert page.status_code == 200
    html = page.text
    for text in ("Raise &#39;Gadgets – Generic&#39; budget by 30 %", "budget increase pct",
                 "budget increase of 30.00% is above 20%", "70.00", "91.00", "Fully reversible",
                 "left to decide", "Every rule checked", 'name="csrf_token"', "Signed in as <b>jane@acme.example</b>",
                 "SANDBOX"):
        assert text in html, text
    assert html.count('<article class="card"') == len(data["pending"])
    csp = page.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "script-src" not in csp and "frame-ancestors 'none'" in csp
    assert page.headers["Cache-Control"] == "no-store" and page.headers["X-Frame-Options"] == "DENY"
    def plans(answer: dict[str, Any]) -> list[tuple[str, str]]:
        return [(p["action_id"], p["plan_hash"]) for p in answer["pending"]]

    as_json = session.get(approvals_stack.url("approvals"), headers={"Accept": "application/json"}, timeout=30)
    assert plans(as_json.json()) == plans(data)
    # routing ignores the path (it differs between cloudfunctions.net, run.app and a laptop; see openapi.yaml)
    elsewhere = session.get(approvals_stack.url("approvals") + "approvals", params={"format": "json"}, timeout=30)
    assert plans(elsewhere.json()) == plans(data)


def test_hostile_opportunity_text_is_escaped(start_functions: StartFunctions, home: Path) -> None:
    opportunities = home / "hostile.jsonl"
    opportunities.write_text(json.dumps(HOSTILE) + "\n")
    functions = start_functions("approvals", "run_operator", OPERATOR_OPPORTUNITIES_FILE=str(opportunities))
    run_all(functions, {"org_ids": ["org-acme"]})
    session = signed_in(functions)
    html = session.get(functions.url("approvals"), timeout=30).text
    assert "&lt;script&gt;alert(&#39;title&#39;)&lt;/script&gt; Win-back" in html  # markupsafe, as Jinja2 escapes
    assert "&lt;img src=x onerror=alert(&#39;rationale&#39;)&gt;" in html
    assert "&#34;&gt;&lt;iframe src=//evil.example&gt;&lt;/iframe&gt;" in html
    for tag in ("<script", "<img", "<iframe"):
        assert tag not in html, tag
    hostile = next(p for p in page_json(session, functions)["pending"] if p["opportunity_id"] == "opp-acme-hostile")
    assert hostile["title"] == HOSTILE["title"]  # JSON carries the data as it is; the page escapes it


def test_approve_executes_and_logs_the_approver(approvals_stack: Functions, state: OperatorState) -> None:
    session = signed_in(approvals_stack, "jane@acme.example")
    action_id = state.action_for("opp-acme-015")  # keyword bid +40 %: needs approval
    before = state.sandbox()
    response = _decide(session, approvals_stack, action_id)
    assert response.status_code == 200 and "Approved and done" in response.text
    record = state.latest(action_id)
    assert record.status.value == "EXECUTED" and record.executed_by == "jane@acme.example"
    approved = next(r for r in state.store.events(action_id) if r.status.value == "APPROVED")
    assert approved.result["decision"]["decided_by"] == "jane@acme.example"
    assert approved.result["decision"]["via"] == "http:session" and approved.result["decision"]["decided_at"]
    assert record.verdict.approved_by == "jane@acme.example"
    assert state.sandbox() != before  # the sandbox keyword's bid changed
    assert action_id not in {p["action_id"] for p in page_json(session, approvals_stack)["pending"]}
    log = approvals_stack.log("approvals")
    assert '"event": "approval_decision"' in log and '"approver": "jane@acme.example"' in log


def test_reject_over_the_json_api(approvals_stack: Functions, state: OperatorState) -> None:
    session = signed_in(approvals_stack)
    action_id = state.action_for("opp-acme-010")
    data = page_json(session, approvals_stack)
    plan_hash = next(p["plan_hash"] for p in data["pending"] if p["action_id"] == action_id)
    before = state.sandbox()
    response = session.post(approvals_stack.url("approvals"), json={
        "action_id": action_id, "plan_hash": plan_hash, "decision": "reject", "csrf_token": data["csrf_token"]},
        timeout=30)
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "REJECTED" and response.json()["decided_by"] == "jane@acme.example"
    assert state.latest(action_id).status.value == "REJECTED" and state.sandbox() == before


def test_approval_only_action_goes_to_a_person(approvals_stack: Functions, state: OperatorState) -> None:
    session = signed_in(approvals_stack)
    action_id = state.action_for("opp-acme-028")  # create_automation: the Operator never performs it
    before = state.sandbox()
    response = _decide(session, approvals_stack, action_id)
    assert response.status_code == 200 and "a person on your team will do it" in response.text
    assert state.latest(action_id).status.value == "MANUAL" and state.sandbox() == before


def test_signed_link_decides_one_action_once(approvals_stack: Functions, state: OperatorState) -> None:
    action_id = state.action_for("opp-acme-015")
    pending = state.pending("org-acme")[action_id]
    link = sign_link(Signer(SIGNING_KEY), action_id=action_id, plan_hash=pending.plan_hash,
                     organization_id="org-acme", approver="sam@acme.example", expires_at=time.time() + 600)
    url = approvals_stack.url("approvals")
    session = signed_in(approvals_stack, "jane@acme.example")  # the link was sent to sam; jane decides
    page = session.get(url, params={"link": link}, timeout=30)
    assert page.status_code == 200 and "Your decision, jane@acme.example" in page.text
    assert page.text.count('<article class="card"') == 1 and action_id in page.text
    csrf = session.get(url, params={"link": link, "format": "json"}, timeout=30).json()["csrf_token"]
    response = session.post(url, data={"link": link, "csrf_token": csrf, "decision": "approve"}, timeout=60)
    assert response.status_code == 200 and "Approved and done" in response.text
    record = state.latest(action_id)
    assert record.status.value == "EXECUTED" and record.executed_by == "jane@acme.example"
    again = session.get(url, params={"link": link}, timeout=30)
    assert again.status_code == 200 and "already made" in again.text


# --------------------------------------------------------------------------- behind Identity-Aware Proxy

IAP_AUDIENCE = "/projects/123456/locations/europe-west1/services/approvals"


@pytest.fixture
def iap_stack(start_functions: StartFunctions, state: OperatorState, key_server: Any) -> Functions:
    functions = start_functions("approvals", "run_operator", OPERATOR_IAP_AUDIENCE=IAP_AUDIENCE,
                                OPERATOR_IAP_CERTS_URL=key_server.url)
    run_all(functions)
    acme = state.store.get_org("org-acme")
    assert acme is not None
    state.store.put_org(acme.model_copy(update={"approvers": ("*@acme.example",)}))
    return functions


def test_iap_identity_approves_for_its_organization(iap_stack: Functions, key_server: Any,
                                                    state: OperatorState) -> None:
    url = iap_stack.url("approvals")
    assertion = key_server.iap_assertion(audience=IAP_AUDIENCE, email="maria@acme.example")
    headers = {"X-Goog-IAP-JWT-Assertion": assertion,
               "X-Goog-Authenticated-User-Email": "accounts.google.com:maria@acme.example"}
    data = requests.get(url, headers={**headers, "Accept": "application/json"}, timeout=30).json()
    assert data["approver"] == "maria@acme.example" and data["organization_id"] == "org-acme"
    action_id = state.action_for("opp-acme-015")
    plan_hash = next(p["plan_hash"] for p in data["pending"] if p["action_id"] == action_id)
    response = requests.post(url, headers=headers, json={"action_id": action_id, "plan_hash": plan_hash,
                                                         "decision": "approve", "csrf_token": data["csrf_token"]},
                             timeout=60)
    assert response.status_code == 200 and response.json()["status"] == "EXECUTED"
    assert state.latest(action_id).executed_by == "maria@acme.example"


def test_iap_refusals(iap_stack: Functions, key_server: Any, state: OperatorState) -> None:
    url = iap_stack.url("approvals")

    def status(assertion: str, **headers: str) -> int:
        return requests.get(url, headers={"X-Goog-IAP-JWT-Assertion": assertion, "Accept": "application/json",
                                          **headers}, timeout=30).status_code

    assert status(key_server.iap_assertion(audience=IAP_AUDIENCE, email="eve@evil.example")) == 403
    assert status(key_server.iap_assertion(audience="/projects/1/other", email="maria@acme.example")) == 401
    assert status(key_server.iap_assertion(audience=IAP_AUDIENCE, email="maria@acme.example", lifetime_s=-60)) == 401
    assert status(key_server.iap_assertion(audience=IAP_AUDIENCE, email="maria@acme.example",
                                           issuer="https://accounts.google.com")) == 401
    assert status(key_server.iap_assertion(audience=IAP_AUDIENCE, email="maria@acme.example"),
                  **{"X-Goog-Authenticated-User-Email": "accounts.google.com:boss@acme.example"}) == 401
    assert status(key_server.iap_assertion(audience=IAP_AUDIENCE, email="maria@acme.example"),
                  **{"X-Goog-Authenticated-User-Email": "x"}) == 401
    maria = key_server.iap_assertion(audience=IAP_AUDIENCE, email="maria@acme.example")
    assert requests.get(url, params={"org": "org-globex"}, headers={"X-Goog-IAP-JWT-Assertion": maria},
                        timeout=30).status_code == 403
    # a bare identity header (no signed assertion) is anyone's to forge: never trusted
    bare = requests.get(url, headers={"X-Goog-Authenticated-User-Email": "accounts.google.com:maria@acme.example"},
                        timeout=30)
    assert bare.status_code == 401


def test_iap_person_decides_through_a_link(iap_stack: Functions, key_server: Any, state: OperatorState) -> None:
    """A link sent to someone else: the IAP-signed-in approver decides; a non-approver gets 403 and nothing."""
    action_id = state.action_for("opp-acme-015")
    pending = state.pending("org-acme")[action_id]
    link = sign_link(Signer(SIGNING_KEY), action_id=action_id, plan_hash=pending.plan_hash,
                     organization_id="org-acme", approver="boss@acme.example", expires_at=time.time() + 600)
    url = iap_stack.url("approvals")

    def as_person(email: str) -> dict[str, str]:
        return {"X-Goog-IAP-JWT-Assertion": key_server.iap_assertion(audience=IAP_AUDIENCE, email=email),
                "Accept": "application/json"}

    eve = requests.get(url, params={"link": link}, headers=as_person("eve@evil.example"), timeout=30)
    assert eve.status_code == 403 and state.latest(action_id).status.value == "PENDING_APPROVAL"
    data = requests.get(url, params={"link": link}, headers=as_person("maria@acme.example"), timeout=30).json()
    assert data["approver"] == "maria@acme.example" and [p["action_id"] for p in data["pending"]] == [action_id]
    response = requests.post(url, headers=as_person("maria@acme.example"),
                             data={"link": link, "decision": "approve", "csrf_token": data["csrf_token"]}, timeout=60)
    assert response.status_code == 200 and response.json()["decided_by"] == "maria@acme.example"
    assert state.latest(action_id).executed_by == "maria@acme.example"
