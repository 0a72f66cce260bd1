"""Issue 13.5: an approval that cannot run now (stop on, hourly limit full) is refused up front with the
reason and when it could run, and the action stays pending; an action held back by the rate limit has
one log row, not a new BLOCKED row on every run. Through the installed console script."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from operator_ai.settings import SAMPLES_DIR

OPERATOR = Path(sys.executable).with_name("operator")
REFUSED = 4


def _sample_opportunities() -> dict[str, dict[str, Any]]:
    rows = [json.loads(line) for line in (SAMPLES_DIR / "opportunities.jsonl").read_text().splitlines()
            if line.startswith("{")]
    return {r["opportunity_id"]: r for r in rows if isinstance(r, dict) and "opportunity_id" in r}


def test_an_approval_that_cannot_run_now_is_refused_and_stays_pending(tmp_path: Path) -> None:
    acme = next(o for o in yaml.safe_load((SAMPLES_DIR / "orgs.yaml").read_text())["organizations"]
                if o["organization_id"] == "org-acme")
    acme["limits"] = {**acme.get("limits", {}), "hourly_action_limit": "3"}  # tightened below what ran
    orgs = tmp_path / "orgs.yaml"
    orgs.write_text(yaml.safe_dump({"organizations": [acme]}), encoding="utf-8")
    samples = _sample_opportunities()
    more = tmp_path / "more.jsonl"  # new work arriving once the hour is full
    more.write_text("".join(json.dumps({**samples[o], "opportunity_id": f"{o}-later"}) + "\n"
                            for o in ("opp-acme-003", "opp-acme-004", "opp-acme-007")), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPERATOR_", "ANTHROPIC_"))}
    env.update(OPERATOR_HOME=str(tmp_path / "home"), OPERATOR_USER="ops@acme.example")

    def operator(*args: str, code: int = 0) -> subprocess.CompletedProcess[str]:
        done = subprocess.run([str(OPERATOR), *args], env=env, capture_output=True, text=True, timeout=120,
                              check=False)
        assert done.returncode == code, (args, done.returncode, done.stdout[-1500:], done.stderr[-1500:])
        return done

    def events(action_id: str) -> list[dict[str, Any]]:
        return json.loads(operator("explain", action_id, "--json").stdout)[0]["events"]

    first = json.loads(operator("run", "--org", "org-acme", "--json").stdout)["actions"]
    waiting = next(a["action_id"] for a in first if a["opportunity_id"] == "opp-acme-010")
    assert events(waiting)[-1]["status"] == "PENDING_APPROVAL"
    env.update(OPERATOR_ORGS_FILE=str(orgs), OPERATOR_OPPORTUNITIES_FILE=str(more))

    refused = operator("approvals", "approve", waiting, "--approver", "jane@acme.example", code=REFUSED)
    assert re.search(r"\d+ actions executed in the last hour \(limit 3\); it can run from "
                     r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC", refused.stderr), refused.stderr
    pending = {p["approval"]["action_id"] for p in json.loads(operator("approvals", "list", "--json").stdout)}
    assert waiting in pending and events(waiting)[-1]["status"] == "PENDING_APPROVAL"

    operator("stop", "--org", "org-acme", "--reason", "incident")
    again = operator("approvals", "approve", waiting, "--approver", "jane@acme.example", code=REFUSED)
    assert "after the emergency stop is released" in again.stderr and "already" not in again.stderr
    operator("resume", "--org", "org-acme")
    assert events(waiting)[-1]["status"] == "PENDING_APPROVAL"

    second = json.loads(operator("run", "--org", "org-acme", "--json").stdout)["actions"]
    held = [a["action_id"] for a in second if a["status"] == "BLOCKED" and a["detail"] == "blocked by hourly_rate"]
    assert len(held) >= 2, second
    rows = {action_id: len(events(action_id)) for action_id in held}
    operator("run", "--org", "org-acme")  # the same hold: no new row for what is still held back
    assert {action_id: len(events(action_id)) for action_id in held} == rows
