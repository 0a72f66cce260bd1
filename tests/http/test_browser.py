"""A person in headless Chromium: opens the approval page, reads why an action waits, clicks Approve;
the sandbox shows the change and the log names the approver. Hostile text shows as text, never runs."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

from tests.http.browser import Browser
from tests.http.conftest import OperatorState, StartFunctions, login_token, run_all
from tests.http.servers import wait_for
from tests.http.test_approvals_page import HOSTILE


def _keyword_bid(state: OperatorState, action_id: str) -> str:
    record = state.latest(action_id)
    target = record.payload["action"]["target"]
    with sqlite3.connect(state.path) as conn:
        entity = conn.execute("SELECT data FROM sandbox_entities WHERE account_id = ? AND kind = 'keyword' "
                              "AND entity_id = ?", (target["customer_id"],
                                                    f"{target['ad_group_id']}~{target['criterion_id']}")).fetchone()
    return str(json.loads(entity[0])["cpc_bid"])


def test_a_person_approves_in_the_browser(start_functions: StartFunctions, state: OperatorState, home: Path,
                                          browser: Browser, tmp_path: Path) -> None:
    opportunities = home / "hostile.jsonl"
    opportunities.write_text(json.dumps(HOSTILE) + "\n")
    functions = start_functions("approvals", "run_operator", OPERATOR_OPPORTUNITIES_FILE=str(opportunities))
    run_all(functions, {"org_ids": ["org-acme"]})
    action_id = state.action_for("opp-acme-015")  # raise a keyword bid by 40 %: needs approval
    bid_before = _keyword_bid(state, action_id)

    browser.open(f"{functions.url('approvals')}?login={login_token('jane@acme.example', 'org-acme')}")
    assert browser.current_url() == functions.url("approvals")  # the login link was exchanged for a cookie
    assert "Signed in as jane@acme.example for Acme Widgets" in browser.text(browser.find("header"))
    card = browser.find(f"article[id='{action_id}']")
    text = browser.text(card)
    for visible in ("Raise the bid on 'widgets online' by 40 %", "WHY YOU ARE ASKED", "bid increase pct",
                    "IF IT GOES WRONG", "Fully reversible", "left to decide"):
        assert visible in text, visible
    hostile = next(c for c in browser.find_all("article.card") if "Win-back" in browser.text(c))
    assert "<script>alert('title')</script> Win-back" in browser.text(hostile)  # shown as text
    assert not browser.alert_open()
    if os.environ.get("OPERATOR_SCREENSHOTS"):  # for a person to look at the page
        browser.screenshot(Path(os.environ["OPERATOR_SCREENSHOTS"]) / "approvals-page.png")

    browser.click(browser.find_in(card, "button.approve"))
    wait_for(lambda: browser.title() == "Decision", what="the decision page")  # a click does not wait for the POST
    result = browser.text(browser.find("main"))
    assert "Approved and done" in result, result
    record = state.latest(action_id)
    assert record.status.value == "EXECUTED" and record.executed_by == "jane@acme.example"
    approved = next(r for r in state.store.events(action_id) if r.status.value == "APPROVED")
    assert approved.result["decision"]["decided_by"] == "jane@acme.example"
    assert _keyword_bid(state, action_id) != bid_before
    if os.environ.get("OPERATOR_SCREENSHOTS"):
        browser.screenshot(Path(os.environ["OPERATOR_SCREENSHOTS"]) / "approvals-result.png")
    browser.open(functions.url("approvals"))
    assert browser.find_all(f"article[id='{action_id}']") == []
