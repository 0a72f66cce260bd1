"""Loud configuration errors (issue 16): a missing setting stops the command and names the setting.

Through the installed console script, as a person at a terminal runs it: no database where one is
expected is an error (not a silently created empty file), and live mode without credentials is an
organization error with a non-zero exit, not a run in which every action is BLOCKED.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from operator_ai.settings import SAMPLES_DIR

OPERATOR = Path(sys.executable).with_name("operator")


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("OPERATOR_", "ANTHROPIC_", "GOOGLE_ADS_", "ACME_", "GLOBEX_"))}
    env.update(extra)
    return env


def _operator(*args: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([str(OPERATOR), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120,
                          check=False)
    assert "Traceback" not in done.stderr, done.stderr
    return done


def test_a_missing_database_is_an_error_until_init_creates_it(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    for command in (("status",), ("run",)):
        refused = _operator(*command, cwd=elsewhere, env=_env())
        assert refused.returncode == 1, (command, refused.stdout, refused.stderr)
        assert f"no database at {elsewhere / '.operator' / 'operator.sqlite'}" in refused.stderr
        assert "operator init" in refused.stderr
    assert list(elsewhere.iterdir()) == []  # nothing was created

    assert _operator("init", cwd=elsewhere, env=_env()).returncode == 0
    status = _operator("status", "--json", cwd=elsewhere, env=_env())
    assert status.returncode == 0, status.stderr
    assert json.loads(status.stdout)["store"] == {"backend": "local",
                                                  "database": str(elsewhere / ".operator" / "operator.sqlite")}
    human = _operator("status", cwd=elsewhere, env=_env()).stdout
    assert str(elsewhere / ".operator" / "operator.sqlite") in human


def test_live_mode_without_credentials_is_an_org_error_naming_the_setting(tmp_path: Path) -> None:
    env = _env(OPERATOR_HOME=str(tmp_path / "home"), OPERATOR_PLATFORMS="live",
               OPERATOR_ORGS_FILE=str(SAMPLES_DIR / "orgs.yaml"),
               OPERATOR_OPPORTUNITIES_FILE=str(SAMPLES_DIR / "opportunities.jsonl"))
    ran = _operator("run", "--json", cwd=tmp_path, env=env)
    assert ran.returncode == 3, (ran.stdout[-2000:], ran.stderr[-2000:])
    summary = json.loads(ran.stdout)
    errors = {line.split(":", 1)[0]: line for line in summary["errors"]}
    assert set(errors) == {"org-acme", "org-globex", "org-initech"}
    assert "live mode is not configured" in errors["org-acme"]
    assert "GOOGLE_ADS_CREDENTIALS" in errors["org-acme"] and "ACME_AC_API_TOKEN" in errors["org-acme"]
    assert "GLOBEX_AC_API_TOKEN" in errors["org-globex"]
    assert summary["counts"] == {}  # nothing was judged against an unreachable platform
    logged = json.loads(_operator("log", "--json", cwd=tmp_path, env=env).stdout)
    assert [r for r in logged if r["status"] == "BLOCKED"] == []


def test_live_mode_never_seeds_the_samples(tmp_path: Path) -> None:
    env = _env(OPERATOR_HOME=str(tmp_path / "home"), OPERATOR_PLATFORMS="live")
    status = _operator("status", "--json", cwd=tmp_path, env=env)
    assert status.returncode == 0, status.stderr
    assert json.loads(status.stdout)["organizations"] == []
    assert json.loads(_operator("log", "--json", cwd=tmp_path, env=env).stdout) == []


def test_doctor_shows_mode_store_and_each_orgs_missing_credentials(tmp_path: Path) -> None:
    home = tmp_path / "home"
    sandbox = _operator("doctor", "--json", cwd=tmp_path, env=_env(OPERATOR_HOME=str(home)))
    assert sandbox.returncode == 0, sandbox.stderr
    report = json.loads(sandbox.stdout)
    assert report["mode"] == "SANDBOX" and report["store"]["database"] == str(home / "operator.sqlite")
    assert all(c["ok"] for c in report["checks"])
    assert report["settings"]["approval_signing_key"] == "not set"

    live_env = _env(OPERATOR_HOME=str(home), OPERATOR_PLATFORMS="live", ACME_AC_API_TOKEN="ac-secret-4711",
                    OPERATOR_APPROVAL_SIGNING_KEY="k" * 32)
    _operator("orgs", "import", str(SAMPLES_DIR / "orgs.yaml"), cwd=tmp_path, env=live_env)
    live = _operator("doctor", "--json", cwd=tmp_path, env=live_env)
    assert live.returncode == 1  # something needs fixing
    orgs = {o["organization_id"]: o for o in json.loads(live.stdout)["organizations"]}
    assert "GOOGLE_ADS_CREDENTIALS" in orgs["org-acme"]["credentials"]
    assert "ACME_AC_API_TOKEN" not in orgs["org-acme"]["credentials"]  # that one resolves
    assert "GLOBEX_AC_API_TOKEN" in orgs["org-globex"]["credentials"]
    assert json.loads(live.stdout)["settings"]["approval_signing_key"] == "set"
    assert "ac-secret-4711" not in live.stdout and "k" * 32 not in live.stdout
