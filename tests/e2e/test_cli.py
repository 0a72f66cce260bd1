"""The `operator` CLI through a subprocess (the installed console script), OPERATOR_HOME in a scratch
directory: what a person at a terminal sees, what scripts parse, and the exit codes.

Exit codes (operator_ai/cli): 0 ok · 1 error (bad input, unknown id) · 2 usage · 3 an organization's run
failed · 4 refused (drift, approval refused, kill switch). Each scenario is one installation driven
through a sequence of commands, to keep the number of processes modest.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

APPROVER = "jane@acme.example"
OPERATOR = Path(sys.executable).with_name("operator")
OK, ERROR, USAGE, RUN_ERRORS, REFUSED = 0, 1, 2, 3, 4

Cli = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def cli(scratch: Path) -> Cli:
    """Run `operator ARGS...` on one installation; `code=` is the exit code the call must end with."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPERATOR_", "ANTHROPIC_"))}
    env.update(OPERATOR_HOME=str(scratch / "home"), OPERATOR_USER="ops@acme.example")

    def run(*args: str, code: int = OK) -> subprocess.CompletedProcess[str]:
        done = subprocess.run([str(OPERATOR), *args], env=env, capture_output=True, text=True, timeout=120,
                              check=False)
        assert done.returncode == code, (args, done.returncode, done.stdout[-2000:], done.stderr[-2000:])
        assert "Traceback" not in done.stderr
        return done

    return run


def as_json(done: subprocess.CompletedProcess[str]) -> Any:
    return json.loads(done.stdout)


def latest(cli: Cli, *filters: str) -> dict[str, dict[str, Any]]:
    """Latest log row per opportunity (or action id), from `log --json`."""
    return {r["opportunity_id"] or r["action_id"]: r for r in as_json(cli("log", "--json", *filters))}


def test_run_plan_log_explain_and_status(cli: Cli) -> None:
    planned = as_json(cli("plan", "--json"))
    assert {i["would_be"] for i in planned} >= {"EXECUTE", "BLOCKED", "PENDING_APPROVAL", "DRY_RUN"}
    assert as_json(cli("log", "--json")) == []  # plan has no side effects

    human = cli("run").stdout
    assert "SANDBOX" in human.splitlines()[0] and "no real ad account" in human
    for word in ("EXECUTED", "BLOCKED", "PENDING_APPROVAL", "DRY_RUN", "REJECTED_INPUT", "EXPIRED",
                 "winner_protection", "pause_min_runtime", "budget_increase_pct", "rollout_phase"):
        assert word in human, word
    again = as_json(cli("run", "--json"))
    assert again["actions"] == [] and again["errors"] == [] and again["mode"] == "SANDBOX"

    rows = latest(cli)
    assert rows["opp-acme-017"]["status"] == "BLOCKED" and rows["opp-acme-001"]["status"] == "EXECUTED"
    assert rows["opp-initech-001"]["status"] == "DRY_RUN"
    assert {r["run_id"] for r in rows.values()} == {run_id_of(human)}  # the second run appended nothing
    would = {i["opportunity_id"]: i["would_be"] for i in planned}
    assert would["opp-acme-001"] == "EXECUTE" and would["opp-acme-017"] == "BLOCKED"
    executed = latest(cli, "--org", "org-acme", "--status", "EXECUTED")
    assert len(executed) == 9 and {r["organization_id"] for r in executed.values()} == {"org-acme"}
    assert latest(cli, "--since", "2099-01-01T00:00:00+00:00") == {}
    cli("log", "--since", "yesterday", code=USAGE)

    winner = rows["opp-acme-017"]
    text = cli("explain", winner["action_id"]).stdout
    for rule in winner["verdict"]["rules"]:
        assert rule["rule_id"] in text, rule["rule_id"]
    assert "campaign_roas=7.2" in text
    [by_opportunity] = as_json(cli("explain", "opp-acme-017", "--json"))
    assert by_opportunity["record"]["action_id"] == winner["action_id"]
    assert [e["status"] for e in by_opportunity["events"]] == ["BLOCKED"]
    cli("explain", "opp-nothing-999", code=ERROR)

    status = as_json(cli("status", "--json"))
    acme = next(o for o in status["organizations"] if o["organization_id"] == "org-acme")
    assert status["mode"] == "SANDBOX" and acme["counts"]["EXECUTED"] == 9 and acme["pending_approvals"] == 7


def run_id_of(human: str) -> str:
    """The run id from the first line of a human run report (`SANDBOX run run-...`)."""
    return next(word for word in human.split() if word.startswith("run-"))


def test_approvals_and_rollback_with_exit_codes(cli: Cli) -> None:
    run = as_json(cli("run", "--org", "org-acme", "--json"))
    ids = {line["opportunity_id"]: line["action_id"] for line in run["actions"]}
    pending = as_json(cli("approvals", "list", "--json"))
    waiting = {line["action_id"] for line in run["actions"] if line["status"] == "PENDING_APPROVAL"}
    assert {p["approval"]["action_id"] for p in pending} == waiting and len(waiting) == 7
    assert "time left" in cli("approvals", "list", "--org", "org-acme").stdout

    approved = as_json(cli("approvals", "approve", ids["opp-acme-010"], "--approver", APPROVER, "--json"))
    assert approved["status"] == "EXECUTED"
    cli("approvals", "approve", ids["opp-acme-010"], "--approver", APPROVER, code=REFUSED)  # replay
    assert "REJECTED" in cli("approvals", "reject", ids["opp-acme-013"], "--approver", APPROVER).stdout
    cli("approvals", "approve", ids["opp-acme-014"], code=USAGE)  # who approves?
    cli("approvals", "approve", "act-000000000000000000000000", "--approver", APPROVER, code=ERROR)

    budget = ids["opp-acme-002"]  # campaign 117, budget 506: 250.00 -> 287.50
    assert "dry_run" in cli("rollback", budget, "--dry-run").stdout
    cli("sandbox", "set", "google_ads", "1234567890", "budget", "506", "amount=300.00")
    refused = cli("rollback", budget, code=REFUSED)
    assert "287.50" in refused.stdout and "300.00" in refused.stdout
    assert "rolled_back" in cli("rollback", budget, "--force").stdout
    assert as_json(cli("sandbox", "show", "google_ads", "1234567890", "budget", "506"))["amount"] == "250.00"

    outcomes = as_json(cli("rollback", "--org", "org-acme", "--since", "24h", "--json"))
    assert len(outcomes) == 9 and {o["status"] for o in outcomes} == {"rolled_back"}  # 8 + the approved one
    assert outcomes[0]["action_id"] == ids["opp-acme-010"]  # the newest first
    enrol = next(o for o in outcomes if o["action_id"] == ids["opp-acme-005"])
    assert enrol["irreversible_parts"]
    cli("rollback", code=USAGE)
    cli("rollback", "act-000000000000000000000000", code=ERROR)
    assert "archived" in cli("content", "show", ids["opp-acme-007"]).stdout  # the brief: kept, archived


def test_stop_run_resume_and_dry_run(cli: Cli) -> None:
    dry = cli("run", "--dry-run")
    assert "dry run" in dry.stdout.splitlines()[0] and "DRY_RUN" in dry.stdout

    cli("stop", "--reason", "incident 42")
    status = as_json(cli("status", "--json"))
    assert all(o["kill_switch"]["reason"] == "incident 42" for o in status["organizations"])
    stopped = as_json(cli("run", "--json"))
    assert {a["status"] for a in stopped["actions"]} == {"STOPPED"}

    cli("resume")
    cli("stop", "--org", "org-globex", "--reason", "globex only")
    resumed = as_json(cli("run", "--json"))
    assert resumed["counts"]["EXECUTED"] == 9  # org-acme's: the dry run and the stop executed nothing
    assert any(a["status"] == "STOPPED" and a["organization_id"] == "org-globex" for a in resumed["actions"])

    cli("stop", "--org", "org-nope", "--reason", "x", code=ERROR)
    cli("stop", code=USAGE)
    assert "unknown organization" in cli("run", "--org", "org-nope", code=RUN_ERRORS).stdout
