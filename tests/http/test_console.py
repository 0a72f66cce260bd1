"""The web console through main.py's `approvals` entry point (in-process WSGI): what each role sees and
may do, and that every refused request changes nothing."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from operator_ai.http.tokens import Signer, sign_login
from schemas.common import ActionStatus
from tests.http.console_util import SIGNING_KEY, Console, console_env, csrf
from tests.http.test_approvals_page import HOSTILE

ACME, GLOBEX = "org-acme", "org-globex"
ADA, JANE, VICTOR, GARY = "ada@agency.example", "jane@acme.example", "victor@acme.example", "gary@globex.example"


@pytest.fixture
def console(tmp_path: Path) -> Iterator[Console]:
    opportunities = tmp_path / "hostile.jsonl"
    opportunities.write_text(json.dumps(HOSTILE) + "\n")
    with console_env(tmp_path, OPERATOR_OPPORTUNITIES_FILE=str(opportunities)) as built:
        built.run()
        yield built


def _json(client: Any, path: str, **params: str) -> dict[str, Any]:
    answer = client.get(path, query_string={"format": "json", **params})
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return dict(answer.get_json())


def _executed(console: Console, action_type: str, org: str = ACME) -> str:
    rows = console.store.query(organization_id=org, statuses=[ActionStatus.EXECUTED])
    return next(r.action_id for r in rows if r.action_type == action_type)


def _world(console: Console) -> list[tuple[Any, ...]]:
    with console.store.db.read() as conn:
        return [tuple(r) for r in conn.execute("SELECT * FROM sandbox_entities ORDER BY 1, 2, 3, 4")]


def _snapshot(console: Console) -> tuple[Any, ...]:
    """Everything a refused request must leave alone."""
    with console.store.db.read() as conn:
        rows = conn.execute("SELECT count(*) FROM actions_log").fetchone()[0]
        audit = conn.execute("SELECT count(*) FROM console_audit").fetchone()[0]
    switches = [console.store.kill_switches(o).model_dump_json() for o in (ACME, GLOBEX)]
    pending = sorted((p.action_id, p.status) for p in console.store.list_pending())
    return rows, audit, switches, pending, _world(console)


# --------------------------------------------------------------------------- seeing


def test_each_person_sees_only_their_organizations(console: Console) -> None:
    ada = _json(console.client(ADA), "/console/overview")
    assert ada["signed_in_as"] == ADA and ada["role"] == "admin"
    jane = console.client(JANE)
    assert _json(jane, "/console/overview")["role"] == "approver"
    assert jane.get("/console/overview", query_string={"org": GLOBEX, "format": "json"}).status_code == 404
    assert jane.get("/console/overview", query_string={"org": "org-initech"}).status_code == 404
    html = console.client(ADA).get("/console/overview").get_data(as_text=True)
    assert "Globex Sprockets" in html and "Initech Staplers" not in html  # the switcher lists Ada's two only
    stranger = console.app.test_client()
    token = sign_login(Signer(SIGNING_KEY), approver="mallory@elsewhere.example", organization_id=ACME,
                       expires_at=time.time() + 60)
    answer = stranger.get("/console/overview", query_string={"login": token})
    assert answer.status_code == 403 and "has no role" in answer.get_data(as_text=True)
    assert "Set-Cookie" not in answer.headers
    assert console.app.test_client().get("/console/overview").status_code == 401  # not signed in


def test_every_page_answers_html_under_a_strict_csp_and_json(console: Console) -> None:
    ada = console.client(ADA)
    budget = _executed(console, "adjust_campaign_budget")
    for path, params in (("/console/overview", {}), ("/console/actions", {}), ("/console/policy", {}),
                         ("/console/action", {"id": budget}), ("/console/rollback", {"id": budget}),
                         ("/console/rollback-since", {"since": "24h"})):
        page = ada.get(path, query_string=params)
        assert page.status_code == 200, (path, page.get_data(as_text=True))
        csp = page.headers["Content-Security-Policy"]
        assert "default-src 'none'" in csp and "script-src" not in csp
        html = page.get_data(as_text=True)
        assert "<script" not in html and 'style="' not in html
        assert "Emergency stop off" in html  # the stop's state is on every page
        data = _json(ada, path, **params)
        assert data["organization_id"] == ACME and data["emergency_stop"]["on"] is False and data["page"]


def test_the_action_page_explains_in_money_terms(console: Console) -> None:
    budget = _executed(console, "adjust_campaign_budget")
    action = _json(console.client(VICTOR), "/console/action", id=budget)["page"]["action"]
    assert action["money"] == ["Daily budget $250.00 → $287.50, +$37.50/day, about +$1,140/month"]
    assert {r["rule_id"] for r in action["rules"]} >= {"kill_switch", "budget_increase_pct"}
    assert any(c["check_id"] == "plan_fresh" and c["passed"] for c in action["checks"])
    assert action["rollback_steps"] and action["events"][-1]["status"] == "EXECUTED"
    limits = {line["name"]: line for line in _json(console.client(VICTOR), "/console/policy")["page"]["limits"]}
    assert limits["org_daily_budget_cap"] == {"name": "org_daily_budget_cap", "in_force": "2840", "default": "none",
                                              "tightened": True}
    assert not limits["hourly_action_limit"]["tightened"]


def test_history_filters_searches_and_paginates(console: Console) -> None:
    victor = console.client(VICTOR)
    everything = _json(victor, "/console/actions")["page"]
    executed = _json(victor, "/console/actions", status="EXECUTED")["page"]
    assert 0 < executed["total"] < everything["total"]
    assert {r["status"] for r in executed["rows"]} == {"EXECUTED"}
    budgets = _json(victor, "/console/actions", type="adjust_campaign_budget")["page"]
    assert budgets["rows"] and {r["action_type"] for r in budgets["rows"]} == {"adjust_campaign_budget"}
    found = _json(victor, "/console/actions", q="Win-back")["page"]
    assert HOSTILE["title"] in [r["title"] for r in found["rows"]] and found["total"] == 2  # case-insensitive
    assert _json(victor, "/console/actions", q="100%_no_such")["page"]["total"] == 0  # LIKE wildcards are text
    assert _json(victor, "/console/actions", campaign="117")["page"]["total"] >= 1
    assert _json(victor, "/console/actions", since="2099-01-01")["page"]["total"] == 0
    for row in _json(victor, "/console/actions", status="PENDING_APPROVAL")["page"]["rows"]:  # light rows, same words
        full = console.store.latest([row["action_id"]])[row["action_id"]]
        assert row["detail"] == (full.error_message or (full.verdict.summary() if full.verdict else ""))[:160]
    assert any(r["detail"].startswith("needs approval: ") for r in
               _json(victor, "/console/actions", status="PENDING_APPROVAL")["page"]["rows"])
    paged = _json(victor, "/console/actions", page="2")["page"]
    assert paged["page"] == 2 and paged["rows"] == [] and paged["total"] == everything["total"]  # < 50 in all
    assert victor.get("/console/actions", query_string={"status": "NOPE"}).status_code == 400
    assert victor.get("/console/actions", query_string={"since": "yesterday-ish"}).status_code == 400


def test_hostile_opportunity_text_is_rendered_inert(console: Console) -> None:
    ada = console.client(ADA)
    hostile = next(r for r in _json(ada, "/console/actions", q="Win-back")["page"]["rows"])
    for path, params in (("/console/actions", {}), ("/console/overview", {}), ("/console/action",
                                                                               {"id": hostile["action_id"]})):
        html = ada.get(path, query_string=params).get_data(as_text=True)
        assert "&lt;script&gt;alert(" in html, path
        for tag in ("<script", "<img", "<iframe"):
            assert tag not in html, (path, tag)


# --------------------------------------------------------------------------- refusals


def _posts(console: Console, client: Any, token: str) -> list[tuple[str, dict[str, Any]]]:
    budget = _executed(console, "adjust_campaign_budget")
    pending = console.store.list_pending(ACME)
    bids = [p for p in pending if p.action_id]
    return [
        ("/console/stop", {"scope": "org", "engage": "on", "expect": "off", "reason": "x", "confirm": "yes"}),
        ("/console/stop", {"scope": "global", "engage": "on", "expect": "off", "reason": "x", "confirm": "yes"}),
        ("/console/rollback", {"action_id": budget, "confirm": "yes"}),
        ("/console/rollback-since", {"since": "24h", "confirm": "yes"}),
        ("/console/decide", {"action_id": bids[0].action_id, "plan_hash": bids[0].plan_hash, "decision": "approve"}),
        ("/console/decide", {"action_id": bids[0].action_id, "plan_hash": bids[0].plan_hash, "decision": "reject",
                             "reason": "no"}),
        ("/console/batch", {"action_ids": [f"{p.action_id}:{p.plan_hash}" for p in bids[:2]], "cap": "100000",
                            "confirm": "yes"}),
    ]


def test_a_viewer_cannot_change_anything(console: Console) -> None:
    victor = console.client(VICTOR)
    token = csrf(victor)
    before = _snapshot(console)
    for path, form in _posts(console, victor, token):
        answer = victor.post(path, data={**form, "csrf_token": token, "org": ACME})
        assert answer.status_code == 403, (path, answer.get_data(as_text=True))
    assert _snapshot(console) == before


def test_an_approver_cannot_do_an_admins_work(console: Console) -> None:
    jane = console.client(JANE)
    token = csrf(jane)
    before = _snapshot(console)
    for path, form in _posts(console, jane, token):
        if path == "/console/decide":
            continue  # approvers decide (tested below)
        answer = jane.post(path, data={**form, "csrf_token": token, "org": ACME})
        assert answer.status_code == 403, (path, answer.get_data(as_text=True))
    assert _snapshot(console) == before


def test_csrf_missing_forged_or_from_another_session_is_refused(console: Console) -> None:
    ada = console.client(ADA)
    other = csrf(console.client(ADA))  # Ada's token from another session
    jane_token = csrf(console.client(JANE))
    before = _snapshot(console)
    for token in (None, "", "forged.token", other, jane_token, csrf(ada)[:-2] + "xx"):
        for path, form in _posts(console, ada, ""):
            data = {**form, "org": ACME}
            if token is not None:
                data["csrf_token"] = token
            answer = ada.post(path, data=data)
            assert answer.status_code == 403, (path, token, answer.get_data(as_text=True))
    assert _snapshot(console) == before


def test_ids_of_another_organization_are_not_found(console: Console) -> None:
    jane = console.client(JANE)
    token = csrf(jane)
    globex_pending = console.store.list_pending(GLOBEX)[0]
    globex_action = _executed(console, "pause_campaign", GLOBEX)
    before = _snapshot(console)
    assert jane.get("/console/action", query_string={"id": globex_action}).status_code == 404
    assert jane.get("/console/rollback", query_string={"id": globex_action}).status_code == 404
    answer = jane.post("/console/decide", data={"csrf_token": token, "action_id": globex_pending.action_id,
                                                 "plan_hash": globex_pending.plan_hash, "decision": "approve"})
    assert answer.status_code == 404
    ada = console.client(ADA)  # admin of both: a batch may not mix an org's form with another org's ids
    answer = ada.post("/console/batch", data={"csrf_token": csrf(ada), "org": ACME, "cap": "99999", "confirm": "yes",
                                              "action_ids": [f"{globex_pending.action_id}:{globex_pending.plan_hash}"]})
    assert answer.status_code == 404
    assert _snapshot(console) == before


def test_a_model_or_service_account_never_acts(tmp_path: Path) -> None:
    roles = {"org-acme": {"admins": ["runner@proj.iam.gserviceaccount.com", "scout-bot@proj.gserviceaccount.com"]}}
    from tests.http import console_util

    saved = dict(console_util.ROLES)
    console_util.ROLES.clear()
    console_util.ROLES.update(roles)
    try:
        with console_env(tmp_path) as built:
            built.run()
            for who in roles["org-acme"]["admins"]:
                client = built.client(who)
                before = _snapshot(built)
                answer = client.post("/console/stop", data={"csrf_token": csrf(client), "org": ACME, "scope": "org",
                                                             "engage": "on", "expect": "off", "reason": "x",
                                                             "confirm": "yes"})
                assert answer.status_code == 403, answer.get_data(as_text=True)
                assert _snapshot(built) == before
    finally:
        console_util.ROLES.clear()
        console_util.ROLES.update(saved)


# --------------------------------------------------------------------------- acting


def _stop_form(client: Any, engage: str, expect: str, scope: str = "org", **extra: str) -> dict[str, str]:
    return {"csrf_token": csrf(client), "org": ACME, "scope": scope, "engage": engage, "expect": expect,
            "reason": "agency review", "confirm": "yes", **extra}


def test_stop_and_resume_are_confirmed_audited_and_not_replayable(console: Console) -> None:
    ada = console.client(ADA)
    assert ada.post("/console/stop", data=_stop_form(ada, "on", "off", confirm="")).status_code == 400
    assert ada.post("/console/stop", data=_stop_form(ada, "on", "off", reason="")).status_code == 400
    form = _stop_form(ada, "on", "off")
    assert ada.post("/console/stop", data=form).status_code == 200
    switch = console.store.kill_switches(ACME).org_switch
    assert switch is not None and switch.active and switch.set_by == ADA and switch.reason == "agency review"
    page = console.client(VICTOR).get("/console/actions").get_data(as_text=True)
    assert "EMERGENCY STOP ON" in page and "agency review" in page and ADA in page
    assert ada.post("/console/stop", data=form).status_code == 409  # the replayed form: already on
    assert console.store.kill_switches(GLOBEX).active is None  # one org only
    assert ada.post("/console/stop", data=_stop_form(ada, "off", "on")).status_code == 200
    assert console.store.kill_switches(ACME).active is None
    assert ada.post("/console/stop", data=form).status_code == 200  # on again: the form said "off", true again
    activity = [(a["person"], a["what"]) for a in console.store.list_audit([ACME])]
    assert activity == [(ADA, "stop"), (ADA, "resume"), (ADA, "stop")]
    # only a global admin stops everything
    assert ada.post("/console/stop", data=_stop_form(ada, "on", "off", scope="global")).status_code == 403
    root = console.client("root@ops.example")
    assert root.post("/console/stop", data=_stop_form(root, "on", "off", scope="global")).status_code == 200
    assert console.store.kill_switches(GLOBEX).active is not None


def _budget(console: Console, action_id: str) -> str:
    record = console.store.latest([action_id])[action_id]
    return str(record.payload["snapshot"]["budget"]["budget_id"])


def _amount(console: Console, budget_id: str) -> str:
    with console.store.db.read() as conn:
        rows = conn.execute("SELECT entity_id, data FROM sandbox_entities WHERE kind = 'budget'").fetchall()
    return next(str(json.loads(r[1])["amount"]) for r in rows if r[0] == budget_id)


def test_rollback_after_the_preview_through_the_executor(console: Console) -> None:
    ada = console.client(ADA)
    action_id = _executed(console, "adjust_campaign_budget")
    budget = _budget(console, action_id)
    preview = _json(ada, "/console/rollback", id=action_id)["page"]
    assert preview["can_confirm"] and preview["fields"] == [
        {"field": "amount", "now_on_platform": "287.50", "rollback_sets": "250.00", "drifted": False}]
    assert _amount(console, budget) == "287.50"  # the preview changed nothing
    assert ada.post("/console/rollback", data={"csrf_token": csrf(ada), "action_id": action_id}).status_code == 400
    answer = ada.post("/console/rollback", data={"csrf_token": csrf(ada), "action_id": action_id, "confirm": "yes"})
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert _amount(console, budget) == "250.00"
    record = console.store.latest([action_id])[action_id]
    assert record.status == ActionStatus.ROLLED_BACK and record.result["rollback"]["by"] == ADA
    events = _json(ada, "/console/action", id=action_id)["page"]["action"]["events"]
    assert [(e["status"], e["by"]) for e in events[-2:]] == [("ROLLING_BACK", ADA), ("ROLLED_BACK", ADA)]
    overview = ada.get("/console/overview").get_data(as_text=True)  # the activity lists the rollback
    assert f"{ADA}: rollback {action_id}" in overview
    rows = console.store.db.read
    replay = ada.post("/console/rollback", data={"csrf_token": csrf(ada), "action_id": action_id, "confirm": "yes"})
    assert replay.status_code == 409 and "already rolled back" in replay.get_data(as_text=True)
    assert console.store.latest([action_id])[action_id].seq == record.seq and rows


def test_rollback_refused_on_drift_and_during_the_stop(console: Console) -> None:
    ada = console.client(ADA)
    action_id = _executed(console, "adjust_campaign_budget")
    budget = _budget(console, action_id)
    world = console.services.extras["world"]
    world.set_budget_amount("1234567890", budget, "300.00")
    preview = _json(ada, "/console/rollback", id=action_id)["page"]
    assert not preview["can_confirm"] and preview["fields"][0]["now_on_platform"] == "300.00"
    assert preview["fields"][0]["drifted"] and "changed since the action ran" in preview["drift"]
    answer = ada.post("/console/rollback", data={"csrf_token": csrf(ada), "action_id": action_id, "confirm": "yes"})
    assert answer.status_code == 409 and _amount(console, budget) == "300.00"
    world.set_budget_amount("1234567890", budget, "287.50")
    assert ada.post("/console/stop", data=_stop_form(ada, "on", "off")).status_code == 200
    assert not _json(ada, "/console/rollback", id=action_id)["page"]["can_confirm"]
    answer = ada.post("/console/rollback", data={"csrf_token": csrf(ada), "action_id": action_id, "confirm": "yes"})
    assert answer.status_code == 409 and "emergency stop" in answer.get_data(as_text=True).lower()
    assert _amount(console, budget) == "287.50"


def _pending(console: Console, action_type: str) -> list[Any]:
    latest = console.store.latest([p.action_id for p in console.store.list_pending(ACME)])
    return [p for p in console.store.list_pending(ACME) if latest[p.action_id].action_type == action_type]


def test_approve_with_a_note_and_reject_with_a_reason(console: Console) -> None:
    jane = console.client(JANE)
    bid = _pending(console, "adjust_keyword_bid")[0]
    brief = _pending(console, "generate_content_brief")[0]
    form = {"csrf_token": csrf(jane), "action_id": bid.action_id, "plan_hash": bid.plan_hash, "decision": "approve",
            "note": "seasonal push"}
    before = _snapshot(console)
    for no_plan in ({**form, "plan_hash": ""}, {k: v for k, v in form.items() if k != "plan_hash"}):
        assert jane.post("/console/decide", data=no_plan).status_code == 400  # found by the fuzz test
    assert _snapshot(console) == before
    answer = jane.post("/console/decide", data=form)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    approved = next(r for r in console.store.events(bid.action_id) if r.status == ActionStatus.APPROVED)
    assert approved.result["decision"] == {**approved.result["decision"], "decided_by": JANE, "note": "seasonal push"}
    assert console.store.latest([bid.action_id])[bid.action_id].status == ActionStatus.EXECUTED
    assert jane.post("/console/decide", data=form).status_code == 409  # replayed: already decided
    no_reason = {"csrf_token": csrf(jane), "action_id": brief.action_id, "plan_hash": brief.plan_hash,
                 "decision": "reject"}
    assert jane.post("/console/decide", data=no_reason).status_code == 400
    answer = jane.post("/console/decide", data={**no_reason, "reason": "off-brand topic"})
    assert answer.status_code == 200
    rejected = console.store.latest([brief.action_id])[brief.action_id]
    assert rejected.status == ActionStatus.REJECTED and rejected.result["decision"]["note"] == "off-brand topic"
    forged = {**no_reason, "action_id": _pending(console, "change_bid_strategy")[0].action_id, "plan_hash": "0" * 64,
              "reason": "x"}
    assert jane.post("/console/decide", data=forged).status_code == 409  # a forged plan hash decides nothing


def test_batch_approval_within_a_total_cap(console: Console) -> None:
    ada = console.client(ADA)
    budgets = _pending(console, "adjust_campaign_budget")
    assert len(budgets) == 2  # +21.00/day and +30.00/day
    form = {"csrf_token": csrf(ada), "org": ACME, "confirm": "yes",
            "action_ids": [f"{p.action_id}:{p.plan_hash}" for p in budgets]}
    before = _snapshot(console)
    refused = ada.post("/console/batch", data={**form, "cap": "50"})
    assert refused.status_code == 409 and "51.00" in refused.get_data(as_text=True)
    assert _snapshot(console) == before
    bid = _pending(console, "adjust_keyword_bid")[0]
    mixed = {**form, "action_ids": [form["action_ids"][0], f"{bid.action_id}:{bid.plan_hash}"]}
    assert ada.post("/console/batch", data={**mixed, "cap": "1000"}).status_code == 400
    stale = {**form, "action_ids": [form["action_ids"][0], f"{budgets[1].action_id}:{'0' * 64}"]}
    assert ada.post("/console/batch", data={**stale, "cap": "1000"}).status_code == 404  # not the plan shown
    no_hash = {**form, "action_ids": [p.action_id for p in budgets]}
    assert ada.post("/console/batch", data={**no_hash, "cap": "1000"}).status_code == 400
    answer = ada.post("/console/batch", data={**form, "cap": "60"})
    assert answer.status_code == 200, answer.get_data(as_text=True)
    first, second = (console.store.latest([p.action_id])[p.action_id] for p in budgets)
    assert first.status == ActionStatus.EXECUTED and first.executed_by == ADA
    # each is checked again when it is applied: the first filled the org's hourly limit, so the second is
    # refused up front (with the reason and when it could run) and stays pending
    assert second.status == ActionStatus.PENDING_APPROVAL
    assert console.store.get_approval(second.action_id).status == "pending"
    page = answer.get_data(as_text=True)
    assert f"{second.action_id}: REFUSED" in page and "hour" in page
    # and the pages say so before anyone clicks: the reason and from when it could run
    assert "it can run from" in _json(ada, "/console/overview")["page"]["cannot_run_now"]
    assert "it can run from" in _json(ada, "/console/action", id=second.action_id)["page"]["cannot_run_now"]
    history = _json(ada, "/console/actions", type="adjust_campaign_budget", status="EXECUTED")["page"]["rows"]
    assert [r["by"] for r in history if r["action_id"] == first.action_id] == [ADA]
    approved = [e for e in console.store.events(first.action_id) if e.status == ActionStatus.APPROVED]
    assert approved[0].result["decision"]["decided_by"] == ADA and "60" in approved[0].result["decision"]["note"]


def test_approve_with_edit_reduces_to_the_largest_change_the_rules_allow(console: Console) -> None:
    jane = console.client(JANE)
    raise_30 = next(p for p in _pending(console, "adjust_campaign_budget")
                    if console.store.latest([p.action_id])[p.action_id].payload["facts"]["budget_before"] == "70.00")
    page = _json(jane, "/console/action", id=raise_30.action_id)["page"]
    reduced = page["reduced"]
    assert reduced["possible"] and reduced["change_pct"] == "20" and reduced["new_value"] == "84.00"
    assert reduced["plan_hash"] != raise_30.plan_hash  # a new plan, hashed on its own
    form = {"csrf_token": csrf(jane), "action_id": raise_30.action_id, "plan_hash": raise_30.plan_hash,
            "decision": "approve_reduced", "edit_hash": "0" * 64}
    before = _snapshot(console)
    assert jane.post("/console/decide", data=form).status_code == 409  # not the plan the person saw
    assert _snapshot(console) == before
    answer = jane.post("/console/decide", data={**form, "edit_hash": reduced["plan_hash"]})
    assert answer.status_code == 200, answer.get_data(as_text=True)
    record = console.store.latest([raise_30.action_id])[raise_30.action_id]
    assert record.status == ActionStatus.EXECUTED and record.executed_by == JANE
    assert record.payload["facts"]["budget_after"] == "84.00" and record.plan_hash != raise_30.plan_hash
    assert _amount(console, _budget(console, raise_30.action_id)) == "84.00"
    approved = next(r for r in console.store.events(raise_30.action_id) if r.status == ActionStatus.APPROVED)
    assert approved.result["decision"]["edited_to"] == {"new_daily_budget": "84.00"}


def test_the_overview_counts_final_measured_verdicts_and_rollbacks(console: Console) -> None:
    executed = console.store.query(organization_id=ACME, statuses=[ActionStatus.EXECUTED])
    now = console.services.clock()
    verdicts = ["successful", "failed", "inconclusive"]
    rows = []
    for record, verdict in zip(executed, verdicts, strict=False):
        final = {"label": "7d", "final": True, "verdict": verdict, "metric": "conversions", "measurable": True,
                 "before": {"conversions": "40"}, "after": {"conversions": "44"}}
        rows.append(record.next(ActionStatus.MEASURED, now, "run-test", result={
            **(record.result or {}), "measurements": [{**final, "label": "24h", "final": False}, final]}))
    interim = executed[3].next(ActionStatus.MEASURED, now, "run-test", result={"measurements": [
        {"label": "24h", "final": False, "verdict": "failed", "metric": "conversions"}]})
    console.store.append([*rows, interim])
    impact = _json(console.client(VICTOR), "/console/overview")["page"]["impact"]
    assert (impact["successful"], impact["failed"], impact["inconclusive"]) == (1, 1, 1)  # not the interim one
    chart = _json(console.client(VICTOR), "/console/action", id=rows[0].action_id)["page"]["chart"]
    assert [b["label"] for b in chart["bars"]] == ["24h before: 40", "24h after: 44", "7d before: 40", "7d after: 44"]


def test_history_counts_up_to_a_cap(console: Console, monkeypatch: pytest.MonkeyPatch) -> None:
    from connectors.local import console as sqlite_console
    from operator_ai.http.console import views

    monkeypatch.setattr(sqlite_console, "COUNT_CAP", 3)
    monkeypatch.setattr(views, "COUNT_CAP", 3)
    page = _json(console.client(VICTOR), "/console/actions")["page"]
    assert (page["total"], page["more"], page["pages"]) == (3, True, 1) and len(page["rows"]) > 3
    assert "more than 3 actions" in console.client(VICTOR).get("/console/actions").get_data(as_text=True)


def test_rollback_since_lists_first_then_rolls_back_each_credited_to_the_person(console: Console) -> None:
    ada = console.client(ADA)
    preview = _json(ada, "/console/rollback-since", since="24h")["page"]
    listed = {item["action_id"]: item for item in preview["items"]}
    budget = _executed(console, "adjust_campaign_budget")
    assert budget in listed and listed[budget]["can_confirm"] and preview["can_confirm"]
    assert console.store.latest([budget])[budget].status == ActionStatus.EXECUTED  # the list changed nothing
    answer = ada.post("/console/rollback-since", data={"csrf_token": csrf(ada), "org": ACME, "since": preview["since"],
                                                       "confirm": "yes"})
    assert answer.status_code == 200, answer.get_data(as_text=True)
    record = console.store.latest([budget])[budget]
    assert record.status == ActionStatus.ROLLED_BACK and record.result["rollback"]["by"] == ADA
    audited = {a["action_id"] for a in console.store.list_audit([ACME]) if a["what"] == "rollback"}
    assert audited == set(listed)  # every listed action was tried and recorded with the person
    assert {item["action_id"] for item in _json(ada, "/console/rollback-since", since="24h")["page"]["items"]
            if item["can_confirm"]} == set()  # nothing left that can be undone


def test_identity_aware_proxy_signs_people_in_and_forged_assertions_are_refused(tmp_path: Path) -> None:
    from tests.http.servers import KeyServer

    audience = "/projects/123456/locations/europe-west1/services/approvals"
    keys = KeyServer()
    try:
        with console_env(tmp_path, OPERATOR_IAP_AUDIENCE=audience, OPERATOR_IAP_CERTS_URL=keys.url) as built:
            built.run()
            client = built.app.test_client()

            def get(assertion: str | None, **headers: str) -> Any:
                sent = {**headers, **({"X-Goog-IAP-JWT-Assertion": assertion} if assertion else {})}
                return client.get("/console/overview", query_string={"format": "json"}, headers=sent)

            ada = get(keys.iap_assertion(audience=audience, email=ADA))
            assert ada.status_code == 200 and ada.get_json()["signed_in_as"] == ADA
            assert ada.get_json()["organization_id"] == ACME  # her first organization by name
            assert get(keys.iap_assertion(audience="/projects/0/other", email=ADA)).status_code == 401
            assert get(keys.iap_assertion(audience=audience, email=ADA, issuer="https://evil.example")
                       ).status_code == 401
            forged = keys.iap_assertion(audience=audience, email=ADA)
            assert get(forged[:-4] + "AAAA").status_code == 401
            assert get(keys.iap_assertion(audience=audience, email=VICTOR),
                       **{"X-Goog-Authenticated-User-Email": f"accounts.google.com:{ADA}"}).status_code == 401
            assert get(None, **{"X-Goog-Authenticated-User-Email": f"accounts.google.com:{ADA}"}).status_code == 401
            # a viewer through IAP: reads, and the server refuses a state change with a valid token
            victor = keys.iap_assertion(audience=audience, email=VICTOR)
            token = get(victor).get_json()["csrf_token"]
            before = _snapshot(built)
            refused = client.post("/console/stop", headers={"X-Goog-IAP-JWT-Assertion": victor},
                                  data={"csrf_token": token, "org": ACME, "scope": "org", "engage": "on",
                                        "expect": "off", "reason": "x", "confirm": "yes"})
            assert refused.status_code == 403 and _snapshot(built) == before
    finally:
        keys.close()
