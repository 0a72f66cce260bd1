"""`operator holds` lists the tracking holds and `operator holds clear` lifts one, recording who did it."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from connectors.local import LocalStore
from operator_ai.cli import cli, holds_cmds, register
from schemas.impact import TrackingHold

AT = datetime(2026, 3, 2, 6, tzinfo=UTC)


def test_list_and_clear(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPERATOR_HOME", str(tmp_path))
    register(holds_cmds.add)
    runner = CliRunner()
    assert "no tracking holds" in runner.invoke(cli, ["holds"], catch_exceptions=False).output  # creates the store
    store = LocalStore.open(tmp_path / "operator.sqlite")
    org = store.list_orgs()[0].organization_id
    store.put_tracking_hold(TrackingHold(organization_id=org, account_id="1234567890", active=True, set_at=AT,
                                         reason="conversions collapsed [red]x[/red]"))
    listed = runner.invoke(cli, ["holds"], catch_exceptions=False).output
    assert "HELD" in listed and "[red]x[/red]" in listed  # outside-looking text is shown, not styled
    missing = runner.invoke(cli, ["holds", "clear", "--org", org, "--account", "999"])
    assert missing.exit_code != 0 and "no active tracking hold" in missing.output
    done = runner.invoke(cli, ["holds", "clear", "--org", org, "--account", "1234567890", "--as", "ana"],
                         catch_exceptions=False)
    assert "cleared by ana" in done.output
    data = json.loads(runner.invoke(cli, ["holds", "--json"], catch_exceptions=False).output)
    assert data[0]["active"] is False and data[0]["set_by"] == "ana" and data[0]["cleared_at"]
    store.close()
