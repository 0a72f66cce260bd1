"""`operator verify` on the embedded default (sandbox platforms): it says there is no real account to check,
never reports the sandbox as verified, and exits non-zero as a health check must."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from operator_ai.cli import cli, verify_cmds

if "verify" not in cli.commands:
    verify_cmds.add(cli)


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("OPERATOR_ORGS_FILE", "OPERATOR_OPPORTUNITIES_FILE", "OPERATOR_BACKEND", "OPERATOR_DB_PATH",
                 "OPERATOR_PLATFORMS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("OPERATOR_HOME", str(tmp_path / "home"))
    return tmp_path


@pytest.mark.parametrize("platform", ["activecampaign", "google_ads"])
def test_sandbox_platforms_are_not_verified(home: Path, platform: str) -> None:
    done = CliRunner().invoke(cli, ["verify", platform, "--org", "org-acme", "--json"])
    assert done.exit_code == 1, done.output
    report = json.loads(done.output)
    assert report["connected"] is False and "sandbox" in report["connection_error"]
    assert report["rows"] and {r["status"] for r in report["rows"]} == {"unverified"}


def test_unknown_org_is_an_error(home: Path) -> None:
    done = CliRunner().invoke(cli, ["verify", "activecampaign", "--org", "org-nobody"])
    assert done.exit_code == 1 and "unknown organization" in done.output
