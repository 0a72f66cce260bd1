"""`operator run --processes N`: the organizations of one run dealt out to spawned worker processes over
the same SQLite file. It must decide exactly what a one-process run decides, under one run id, and never
execute anything twice; a worker that dies costs its organizations this run, nothing else."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from operator_ai.processes import run_in_processes
from operator_ai.settings import Settings
from operator_ai.wiring import Services, build_services
from schemas.common import ActionStatus

OPERATOR = Path(sys.executable).with_name("operator")


def _cli(home: Path, *args: str) -> Any:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPERATOR_", "ANTHROPIC_"))}
    done = subprocess.run([str(OPERATOR), *args, "--json"], env={**env, "OPERATOR_HOME": str(home)},
                          capture_output=True, text=True, timeout=180, check=False)
    assert done.returncode == 0, (args, done.stdout[-2000:], done.stderr[-2000:])
    return json.loads(done.stdout)


def _decisions(summary: dict[str, Any]) -> dict[tuple[str, str | None], str]:
    return {(a["organization_id"], a["action_id"]): a["status"] for a in summary["actions"]}


def test_several_processes_decide_what_one_process_decides_once(scratch: Path) -> None:
    alone = _cli(scratch / "one", "run")
    spread = _cli(scratch / "two", "run", "--processes", "3")
    assert _decisions(spread) == _decisions(alone) and not spread["errors"]
    assert spread["counts"]["EXECUTED"] > 0 and set(spread["organizations"]) == set(alone["organizations"])

    rows = _cli(scratch / "two", "log", "--limit", "10000")
    assert {r["run_id"] for r in rows} == {spread["run_id"]}  # one run, whichever process wrote the row
    again = _cli(scratch / "two", "run", "--processes", "3")
    assert "EXECUTED" not in again["counts"]  # nothing executes twice
    executed = [r for r in _cli(scratch / "two", "log", "--limit", "10000") if r["status"] == "EXECUTED"]
    assert len(executed) == len({r["action_id"] for r in executed}) == spread["counts"]["EXECUTED"]


def failing_setup(services: Services) -> Any:
    raise RuntimeError("this worker cannot start")


def settings_seen(services: Services) -> Any:
    settings = services.settings
    return lambda: (settings.seed_samples, settings.orgs_file, settings.opportunities_file)


def test_a_worker_that_fails_costs_its_organizations_this_run_only(scratch: Path) -> None:
    services = build_services(Settings(home=scratch / "home"))
    try:
        summary, reports = run_in_processes(services, processes=2, worker_setup=failing_setup)
        orgs = {o.organization_id for o in services.state.list_orgs()}
        assert reports == [] and summary.actions == ()
        assert {e.split(":")[0] for e in summary.errors} == orgs
        assert all("worker process failed" in e and "cannot start" in e for e in summary.errors)
        assert services.log.query(statuses=[ActionStatus.EXECUTED]) == []
        assert services.log.query(statuses=[ActionStatus.EXECUTING]) == []  # nothing was even written ahead
    finally:
        services.close()
    healthy = build_services(Settings(home=scratch / "home"))
    try:  # the next run (claims were never taken) does the work
        summary, _ = run_in_processes(healthy, processes=2)
        assert summary.counts.get("EXECUTED", 0) > 0 and not summary.errors
    finally:
        healthy.close()


def test_workers_never_load_the_files_again(scratch: Path) -> None:
    """The run's process loaded the user's opportunities file; a worker loading it again would reset what
    another worker has just marked as actioned (the file says `approved`)."""
    lines = (Path(__file__).resolve().parents[2] / "operator_ai" / "samples" / "opportunities.jsonl").read_text()
    (scratch / "mine.jsonl").write_text(lines, encoding="utf-8")
    services = build_services(Settings(home=scratch / "home", opportunities_file=scratch / "mine.jsonl"))
    try:
        summary, reports = run_in_processes(services, processes=2, worker_setup=settings_seen)
        assert reports == [(False, None, None)] * 2 and not summary.errors
        executed = [a for a in summary.actions if a["status"] == "EXECUTED"]
        statuses = {a["opportunity_id"]: services.opportunities.current_status(a["opportunity_id"]) for a in executed}
        assert executed and all(status is not None and status[0] == "actioned" for status in statuses.values())
    finally:
        services.close()
