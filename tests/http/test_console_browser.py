"""A manager in headless Chromium uses the console: signs in, finds an executed action, rolls it back
after the preview, pulls and releases the emergency stop, approves a smaller change, batch-approves,
and sees each in the log with their name. A viewer gets no forms (the server refusing them is tested in
test_console.py). With OPERATOR_SCREENSHOTS=DIR the pages are saved there (docs/img)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from operator_ai.settings import SAMPLES_DIR
from tests.http.browser import Browser
from tests.http.conftest import OperatorState, StartFunctions, login_token, run_all
from tests.http.console_util import GLOBAL_ADMIN, orgs_with_roles
from tests.http.servers import wait_for

ADA, VICTOR = "ada@agency.example", "victor@acme.example"


def _samples(tmp_path: Path) -> Path:
    """The samples without seven of org-acme's automatic actions, so the hourly action limit (10) leaves
    room for the decisions this test makes within the hour."""
    samples = tmp_path / "samples"
    shutil.copytree(SAMPLES_DIR, samples)
    lines = (samples / "opportunities.jsonl").read_text().splitlines()
    dropped = {f'"opp-acme-00{n}"' for n in range(3, 10)}
    (samples / "opportunities.jsonl").write_text("\n".join(line for line in lines if not any(d in line for d in dropped)) + "\n")
    return samples


def _shot(browser: Browser, name: str) -> None:
    if os.environ.get("OPERATOR_SCREENSHOTS"):
        browser.screenshot(Path(os.environ["OPERATOR_SCREENSHOTS"]) / name)


def _submit(browser: Browser, form: str, title: str) -> str:
    browser.click(browser.find(f"{form} button[type=submit]"))
    wait_for(lambda: browser.title().startswith(title), what=f"the page after {form}")
    return browser.text(browser.find("main"))


def _check(browser: Browser, form: str) -> None:
    browser.click(browser.find(f"{form} input[name=confirm]"))


def test_a_manager_works_in_the_console(start_functions: StartFunctions, state: OperatorState,
                                        browser: Browser, tmp_path: Path) -> None:
    functions = start_functions("approvals", "run_operator", OPERATOR_ORGS_FILE=str(orgs_with_roles(
        tmp_path / "orgs.json")), OPERATOR_CONSOLE_ADMINS=GLOBAL_ADMIN, OPERATOR_SAMPLES_DIR=str(_samples(tmp_path)))
    run_all(functions)
    base = functions.url("approvals")
    browser.open(f"{base}console/overview?login={login_token(ADA, 'org-acme')}")
    assert browser.current_url() == f"{base}console/overview?org=org-acme"  # the token is gone from the URL
    assert "Signed in as ada@agency.example · admin" in browser.text(browser.find("header"))
    assert "Emergency stop off" in browser.text(browser.find("#stop-state"))
    _shot(browser, "console-overview.png")

    # find an executed budget change, open it, roll it back after the preview
    browser.open(f"{base}console/actions?org=org-acme&status=EXECUTED&type=adjust_campaign_budget")
    browser.click(browser.find("#history a"))
    wait_for(lambda: "Daily budget" in browser.text(browser.find("#change")), what="the action page")
    assert "+$37.50/day, about +$1,140/month" in browser.text(browser.find("#change"))
    _shot(browser, "console-action.png")
    browser.click(browser.find("#rollback-link"))
    wait_for(lambda: browser.title().startswith("Roll back"), what="the preview")
    preview = browser.text(browser.find("#preview"))
    assert "287.50" in preview and "250.00" in preview and "no drift" in preview
    assert "Undoes: Daily budget $250.00 → $287.50" in preview
    _shot(browser, "console-rollback-preview.png")
    browser.type(browser.find("#rb-reason"), "ROAS fell after the raise")
    _check(browser, "#rollback-form")
    assert "rolled back adjust_campaign_budget" in _submit(browser, "#rollback-form", "Rolled back")

    # emergency stop on, visible everywhere, then off
    browser.open(f"{base}console/overview?org=org-acme")
    browser.type(browser.find("#reason-org"), "checking the tracking")
    _check(browser, "#stop-org")
    _submit(browser, "#stop-org", "Emergency stop on")
    browser.open(f"{base}console/actions?org=org-acme")
    assert "EMERGENCY STOP ON" in browser.text(browser.find("#stop-state"))
    browser.open(f"{base}console/overview?org=org-acme")
    _check(browser, "#stop-org")
    _submit(browser, "#stop-org", "Emergency stop off")

    # batch-approve the two budget raises within a cap of 60/day (they add 21 + 30)
    budgets = [p for p in state.pending("org-acme") if state.latest(p).action_type == "adjust_campaign_budget"]
    browser.open(f"{base}console/overview?org=org-acme")
    for box in browser.find_all("#batch-adjust_campaign_budget input[name=action_ids]"):
        browser.click(box)
    browser.type(browser.find("#cap-adjust_campaign_budget"), "60")
    _check(browser, "#batch-adjust_campaign_budget")
    assert "2 of 2 executed" in _submit(browser, "#batch-adjust_campaign_budget", "Batch approval")
    assert {state.latest(p).executed_by for p in budgets} == {ADA}

    # approve a smaller change: the +40 % bid becomes the largest raise the rules allow on their own
    bid = next(p for p in state.pending("org-acme") if state.latest(p).action_type == "adjust_keyword_bid")
    browser.open(f"{base}console/action?id={bid}")
    assert "+20 % is the largest change" in browser.text(browser.find("#reduced"))
    assert "EXECUTED" in _submit(browser, "#approve-reduced-form", "Decision")
    assert state.latest(bid).status.value == "EXECUTED" and state.latest(bid).executed_by == ADA

    # the log names the person for each
    browser.open(f"{base}console/action?id={bid}")
    assert ADA in browser.text(browser.find("#timeline"))
    browser.open(f"{base}console/actions?org=org-acme&q=Widgets")
    assert "ROLLED_BACK" in browser.text(browser.find("#history")) and ADA in browser.text(browser.find("#history"))
    activity = browser.text(browser.find("#activity")) if browser.open(f"{base}console/overview") is None else ""
    for what in ("stop", "resume", "rollback", "approve"):
        assert f"{ADA}: {what}" in activity, what

    # a viewer sees the same pages without a single form that changes anything
    browser.open(f"{base}console/overview?login={login_token(VICTOR, 'org-acme')}")
    waiting = next(iter(state.pending("org-acme")))
    for page in ("overview", f"action?id={bid}", f"action?id={waiting}", f"rollback?id={budgets[0]}", "actions"):
        browser.open(f"{base}console/{page}")
        assert browser.find_all("form[method=post]") == [], page

    # on a phone: nothing wider than the screen (tables scroll inside their cards)
    browser.resize(390, 844)
    for page in ("overview", f"action?id={bid}", "actions"):
        browser.open(f"{base}console/{page}")
        width = browser.run_script("return [document.documentElement.scrollWidth, window.innerWidth];")
        assert width[0] <= width[1], (page, width)
    _shot(browser, "console-phone.png")
