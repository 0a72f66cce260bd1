"""Approval security over real HTTP (spec §6): forged, replayed, expired and cross-organization decisions
are refused and nothing executes; CSRF is enforced; only people approve; approval never lifts a block."""

from __future__ import annotations

import base64
import http.client
import json
import time
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import requests

from connectors.base import PendingApproval
from operator_ai.http.tokens import Signer, sign_link
from schemas.policy import KillSwitch
from tests.http.conftest import OperatorState, login_token, page_json, signed_in
from tests.http.servers import SIGNING_KEY, Functions


def _link(state: OperatorState, action_id: str, *, key: str = SIGNING_KEY, org: str = "org-acme",
          plan_hash: str | None = None, lifetime_s: float = 600, approver: str = "jane@acme.example") -> str:
    pending = state.store.get_approval(action_id)
    assert pending is not None
    return sign_link(Signer(key), action_id=action_id, plan_hash=plan_hash or pending.plan_hash, organization_id=org,
                     approver=approver, expires_at=time.time() + lifetime_s)


def _post_link(functions: Functions, link: str, decision: str = "approve", csrf_from: str | None = None,
               session: requests.Session | None = None) -> requests.Response:
    """Decide through a link as the signed-in `session` (by default jane@acme.example, an approver of org-acme)."""
    session = session or signed_in(functions)
    url = functions.url("approvals")
    csrf = session.get(url, params={"link": csrf_from or link, "format": "json"}, timeout=30)
    token = csrf.json().get("csrf_token", "") if csrf.status_code == 200 else ""
    return session.post(url, data={"link": link, "csrf_token": token, "decision": decision},
                        headers={"Accept": "application/json"}, timeout=60)


def _untouched(state: OperatorState, action_id: str, sandbox: list[tuple[str, ...]]) -> None:
    assert state.sandbox() == sandbox
    assert state.executed(action_id) == 0
    assert state.store.get_approval(action_id).status == "pending"  # type: ignore[union-attr]
    assert state.latest(action_id).status.value == "PENDING_APPROVAL"


def test_forged_links_are_refused(approvals_stack: Functions, state: OperatorState) -> None:
    action_id, sandbox = state.action_for("opp-acme-015"), state.sandbox()
    wrong_key = _link(state, action_id, key="an-attackers-own-signing-key")
    assert _post_link(approvals_stack, wrong_key).status_code == 403
    genuine = _link(state, action_id)
    body, mac = genuine.split(".")
    claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    claims["u"] = "mallory@acme.example"
    tampered = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode() + "." + mac
    assert _post_link(approvals_stack, tampered, csrf_from=genuine).status_code == 403
    assert requests.get(approvals_stack.url("approvals"), params={"link": "garbage"}, timeout=30).status_code == 403
    _untouched(state, action_id, sandbox)


def test_replayed_link_is_refused(approvals_stack: Functions, state: OperatorState) -> None:
    action_id = state.action_for("opp-acme-015")
    link = _link(state, action_id)
    first = _post_link(approvals_stack, link)
    assert first.status_code == 200 and first.json()["status"] == "EXECUTED"
    sandbox, events = state.sandbox(), state.statuses(action_id)
    for decision in ("approve", "reject"):
        replay = _post_link(approvals_stack, link, decision)
        assert replay.status_code == 409 and "single-use" in replay.json()["message"]
    assert state.sandbox() == sandbox and state.statuses(action_id) == events and state.executed(action_id) == 1


def test_expired_link_is_refused(approvals_stack: Functions, state: OperatorState) -> None:
    action_id, sandbox = state.action_for("opp-acme-015"), state.sandbox()
    expired = _link(state, action_id, lifetime_s=-1)
    response = signed_in(approvals_stack).post(approvals_stack.url("approvals"), data={
        "link": expired, "decision": "approve", "csrf_token": "x"}, timeout=30)
    assert response.status_code == 403 and "expired" in response.text
    _untouched(state, action_id, sandbox)


def test_expired_approval_is_refused(approvals_stack: Functions, state: OperatorState) -> None:
    action_id, sandbox = state.action_for("opp-acme-015"), state.sandbox()
    pending = state.store.get_approval(action_id)
    assert pending is not None
    past = datetime.now(UTC) - timedelta(minutes=1)
    state.store.put_pending(PendingApproval(action_id, "org-acme", pending.plan_hash, past - timedelta(hours=4), past,
                                            pending.summary))
    response = _post_link(approvals_stack, _link(state, action_id))
    assert response.status_code == 409 and "expired" in response.json()["message"]
    assert state.sandbox() == sandbox and state.executed(action_id) == 0


def test_stale_plan_hash_is_refused(approvals_stack: Functions, state: OperatorState) -> None:
    action_id, sandbox = state.action_for("opp-acme-015"), state.sandbox()
    response = _post_link(approvals_stack, _link(state, action_id, plan_hash="0" * 64))
    assert response.status_code == 409 and "plan hash does not match" in response.json()["message"]
    _untouched(state, action_id, sandbox)


def test_cross_organization_decisions_are_refused(approvals_stack: Functions, state: OperatorState) -> None:
    acme_action, sandbox = state.action_for("opp-acme-015"), state.sandbox()
    globex = signed_in(approvals_stack, "gina@globex.example", "org-globex")
    data = page_json(globex, approvals_stack)
    assert data["organization_id"] == "org-globex"
    assert acme_action not in {p["action_id"] for p in data["pending"]}
    pending = state.store.get_approval(acme_action)
    assert pending is not None
    response = globex.post(approvals_stack.url("approvals"), json={
        "action_id": acme_action, "plan_hash": pending.plan_hash, "decision": "approve",
        "csrf_token": data["csrf_token"], "org": "org-globex"}, timeout=30)
    assert response.status_code == 404
    assert globex.get(approvals_stack.url("approvals"), params={"org": "org-acme"}, timeout=30).status_code == 403
    # a genuinely signed link that names another organization for this action
    assert _post_link(approvals_stack, _link(state, acme_action, org="org-globex"), session=globex).status_code == 404
    # a genuine link for the acme action, opened by someone signed in for another organization
    assert _post_link(approvals_stack, _link(state, acme_action), session=globex).status_code == 403
    _untouched(state, acme_action, sandbox)


def test_csrf_is_required_and_bound_to_the_session(approvals_stack: Functions, state: OperatorState) -> None:
    action_id, sandbox = state.action_for("opp-acme-015"), state.sandbox()
    pending = state.store.get_approval(action_id)
    assert pending is not None
    url = approvals_stack.url("approvals")
    jane, other_jane = signed_in(approvals_stack), signed_in(approvals_stack)
    form = {"action_id": action_id, "plan_hash": pending.plan_hash, "decision": "approve"}
    tokens = {
        "missing": None,
        "empty": "",
        "garbage": "not.a-token",
        "another session's": page_json(other_jane, approvals_stack)["csrf_token"],
        "the session cookie itself": jane.cookies["operator_session"],
        "another session's link page": other_jane.get(url, params={"link": _link(state, action_id), "format": "json"},
                                                      timeout=30).json()["csrf_token"],
        "signed with another key": Signer("an-attackers-own-signing-key").sign("csrf", {"b": "x"}, time.time() + 60),
    }
    for name, token in tokens.items():
        body = form if token is None else {**form, "csrf_token": token}
        response = jane.post(url, data=body, timeout=30)
        assert response.status_code == 403, name
    _untouched(state, action_id, sandbox)
    good = jane.post(url, data={**form, "csrf_token": page_json(jane, approvals_stack)["csrf_token"]}, timeout=60)
    assert good.status_code == 200 and state.executed(action_id) == 1


def test_only_a_person_can_approve(approvals_stack: Functions, state: OperatorState) -> None:
    action_id, sandbox = state.action_for("opp-acme-015"), state.sandbox()
    for machine in ("claude", "operator"):  # not an approvers entry of the org: refused at sign-in
        session = requests.Session()
        login = session.get(approvals_stack.url("approvals"), params={"login": login_token(machine, "org-acme")},
                            timeout=30)
        assert login.status_code == 403 and "operator_session" not in session.cookies
    _untouched(state, action_id, sandbox)


def test_a_block_stays_blocked_after_approval(approvals_stack: Functions, state: OperatorState) -> None:
    blocked = state.action_for("opp-acme-018")  # budget +60 %: above the 50 % hard ceiling
    record = state.latest(blocked)
    assert record.status.value == "BLOCKED" and record.plan_hash
    now = datetime.now(UTC)  # a pending approval for it appears (say, a tampered state store)
    state.store.put_pending(PendingApproval(blocked, "org-acme", record.plan_hash, now, now + timedelta(hours=1),
                                            "tampered"))
    sandbox = state.sandbox()
    response = _post_link(approvals_stack, _link(state, blocked))
    assert response.status_code == 200 and response.json()["status"] == "BLOCKED"
    assert "approval never lifts a block" in response.json()["message"]
    assert state.latest(blocked).status.value == "BLOCKED" and state.executed(blocked) == 0
    assert state.sandbox() == sandbox


def test_kill_switch_blocks_an_approved_action(approvals_stack: Functions, state: OperatorState) -> None:
    action_id = state.action_for("opp-acme-015")
    state.store.set_kill_switch(KillSwitch(scope="org-acme", active=True, set_by="ops@acme.example",
                                           set_at=datetime.now(UTC), reason="incident"))
    sandbox = state.sandbox()
    response = _post_link(approvals_stack, _link(state, action_id))
    # refused up front (issue 13.5): the approval is not used up, the action stays pending
    assert response.status_code == 409 and "after the emergency stop is released" in response.json()["message"]
    _untouched(state, action_id, sandbox)


def test_a_link_carries_no_authority(approvals_stack: Functions, state: OperatorState) -> None:
    """Issue 13.3: a link minted for jane, held by someone else, decides nothing; a signed-in approver decides."""
    action_id, sandbox = state.action_for("opp-acme-015"), state.sandbox()
    url = approvals_stack.url("approvals")
    bob = signed_in(approvals_stack, "bob@acme.example")  # an approver when he signed in ...
    acme = state.store.get_org("org-acme")
    assert acme is not None  # ... but no longer: the org narrowed its approvers since
    state.store.put_org(acme.model_copy(update={"approvers": ("jane@acme.example", "alice@acme.example")}))
    link = _link(state, action_id, approver="jane@acme.example")
    # nobody signed in: the link alone neither shows nor decides the action
    assert requests.get(url, params={"link": link}, timeout=30).status_code == 401
    anonymous = requests.post(url, data={"link": link, "csrf_token": "x", "decision": "approve"},
                              headers={"Accept": "application/json"}, timeout=30)
    assert anonymous.status_code == 401
    # signed in, but not an approver of org-acme (now): 403 for the page, the list and the decision
    assert bob.get(url, params={"link": link}, timeout=30).status_code == 403
    assert bob.get(url, timeout=30).status_code == 403
    assert _post_link(approvals_stack, link, session=bob).status_code == 403
    _untouched(state, action_id, sandbox)
    assert "bob@acme.example is not an approver of organization org-acme" in approvals_stack.log("approvals")
    # alice, an approver, opens jane's link: the decision is alice's, and the log names her
    alice = signed_in(approvals_stack, "alice@acme.example")
    response = _post_link(approvals_stack, link, session=alice)
    assert response.status_code == 200 and response.json()["status"] == "EXECUTED"
    assert response.json()["decided_by"] == "alice@acme.example"
    record = state.latest(action_id)
    assert record.executed_by == "alice@acme.example" and record.verdict.approved_by == "alice@acme.example"
    approved = next(r for r in state.store.events(action_id) if r.status.value == "APPROVED")
    assert approved.result["decision"] == {**approved.result["decision"], "decided_by": "alice@acme.example",
                                           "via": "http:session"}
    assert '"approver": "alice@acme.example"' in approvals_stack.log("approvals")


def test_non_ascii_tokens_are_refused_cleanly(approvals_stack: Functions, state: OperatorState) -> None:
    """Issue 13.7: a non-ASCII character in any token is a 4xx, never a 500 with a traceback."""
    action_id, sandbox = state.action_for("opp-acme-015"), state.sandbox()
    url, bad = approvals_stack.url("approvals"), "t\u00f6k\u00e9n.\u2603"
    assert requests.get(url, params={"link": bad}, timeout=30).status_code == 403
    assert requests.get(url, params={"login": bad}, timeout=30).status_code == 403
    cookie = requests.get(url, headers={"Cookie": f"operator_session={bad}".encode(), "Accept": "application/json"},
                          timeout=30)
    assert cookie.status_code == 401
    jane = signed_in(approvals_stack)
    pending = state.store.get_approval(action_id)
    assert pending is not None
    form = {"action_id": action_id, "plan_hash": pending.plan_hash, "decision": "approve"}
    assert jane.post(url, data={**form, "csrf_token": bad}, timeout=30).status_code == 403
    assert jane.post(url, data={**form, "link": bad, "csrf_token": bad}, timeout=30).status_code == 403
    assert jane.get(url, params={"link": bad}, timeout=30).status_code == 403
    _untouched(state, action_id, sandbox)
    assert "Traceback" not in approvals_stack.log("approvals")


def _raw_post(functions: Functions, headers: dict[str, str], length: int, send: bytes = b"") -> int:
    """POST announcing `length` bytes but sending only `send`: the answer must not wait for the rest."""
    parts = urlsplit(functions.url("approvals"))
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=15)
    try:
        conn.putrequest("POST", parts.path or "/")
        for name, value in {**headers, "Content-Type": "application/x-www-form-urlencoded",
                            "Content-Length": str(length), "Accept": "application/json"}.items():
            conn.putheader(name, value)
        conn.endheaders(send)
        return conn.getresponse().status
    finally:
        conn.close()


def test_the_caller_and_the_size_are_checked_before_the_body_is_read(approvals_stack: Functions,
                                                                     state: OperatorState) -> None:
    """Issue 13.7: an anonymous 300 MB POST is answered 401 without reading it; a signed-in one 413."""
    action_id, sandbox = state.action_for("opp-acme-015"), state.sandbox()
    huge = 300 * 1024 * 1024
    assert _raw_post(approvals_stack, {}, huge, b"decision=approve&") == 401
    cookie = signed_in(approvals_stack).cookies["operator_session"]
    assert _raw_post(approvals_stack, {"Cookie": f"operator_session={cookie}"}, huge, b"decision=") == 413
    just_over = signed_in(approvals_stack).post(approvals_stack.url("approvals"), data={"a": "x" * 70_000},
                                                headers={"Accept": "application/json"}, timeout=30)
    assert just_over.status_code == 413 and just_over.json()["error"] == "too_large"
    _untouched(state, action_id, sandbox)
