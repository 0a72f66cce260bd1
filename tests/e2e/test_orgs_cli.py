"""`operator orgs validate|import|list|show` on the embedded default, as a person at a terminal uses them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from operator_ai.cli import cli, org_cmds
from operator_ai.settings import SAMPLES_DIR

if "orgs" not in cli.commands:
    org_cmds.add(cli)


@pytest.fixture
def operator(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    for name in ("OPERATOR_ORGS_FILE", "OPERATOR_OPPORTUNITIES_FILE", "OPERATOR_BACKEND", "OPERATOR_DB_PATH"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("OPERATOR_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("OPERATOR_PLATFORMS", "live")  # live: the store starts empty (no samples)
    monkeypatch.setenv("OPERATOR_USER", "alice@acme.example")

    def run(*args: str, code: int = 0) -> str:
        done = CliRunner().invoke(cli, list(args))
        assert done.exit_code == code, (args, done.output)
        return done.output

    return run


def test_validate_import_list_and_show(operator, tmp_path: Path) -> None:
    samples = str(SAMPLES_DIR / "orgs.yaml")
    assert json.loads(operator("orgs", "validate", samples, "--json"))["valid"] is True
    assert json.loads(operator("orgs", "list", "--json")) == []
    created = json.loads(operator("orgs", "import", samples, "--json"))
    assert {r["change"] for r in created} == {"created"} and len(created) == 3
    assert [p["organization_id"] for p in json.loads(operator("orgs", "list", "--json"))] == [
        "org-acme", "org-globex", "org-initech"]
    shown = json.loads(operator("orgs", "show", "org-acme", "--json"))
    assert [r["limit"] for r in shown["limits"] if r["tightened"]] == ["org_daily_budget_cap"]
    assert [(c["change"], c["changed_by"]) for c in shown["history"]] == [("created", "alice@acme.example")]
    human = operator("orgs", "show", "org-acme")
    assert "org_daily_budget_cap" in human and "yes" in human and "alice@acme.example" in human
    assert "unknown organization" in operator("orgs", "show", "org-nobody", code=1)


def test_validate_refuses_a_loosened_ceiling_and_a_shared_account(operator, tmp_path: Path) -> None:
    orgs = yaml.safe_load((SAMPLES_DIR / "orgs.yaml").read_text())["organizations"]
    loose = tmp_path / "loose.yaml"
    loose.write_text(yaml.safe_dump({"organizations": [{**orgs[0], "limits": {"campaign_daily_budget_cap": "9000"}}]}))
    refused = operator("orgs", "validate", str(loose), code=1)
    assert "campaign_daily_budget_cap" in refused and "9000" in refused and "loosens" in refused
    shared = tmp_path / "shared.yaml"
    thief = {**orgs[1], "connected": {**orgs[1]["connected"], "google_ads_customer_ids": ["1234567890"]}}
    shared.write_text(yaml.safe_dump({"organizations": [orgs[0], thief]}))
    out = operator("orgs", "validate", str(shared), code=1)
    assert "Google Ads customer 1234567890" in out and "org-acme" in out and "org-globex" in out
    refused = operator("orgs", "import", str(shared), code=1)
    assert "1234567890" in refused and "connected" in refused
    assert json.loads(operator("orgs", "list", "--json")) == []
