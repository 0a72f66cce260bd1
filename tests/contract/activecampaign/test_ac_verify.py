"""`operator verify activecampaign --org ORG` against the strict fake: per action type supported, refused
(with AC's own reason) or unverified; table and --json; nothing is written; it doubles as the health check."""

# ruff: noqa: F811  (the `services`/`enabled` fixtures are imported from test_ac_e2e and used as arguments)
from __future__ import annotations

import dataclasses
import json

import pytest
from ac_fake_server import FakeActiveCampaign
from click.testing import CliRunner
from test_ac_e2e import ORG, enabled, services  # noqa: F401  (fixtures: the org wired to the fake)

from operator_ai import wiring
from operator_ai.cli import cli, register, verify_cmds
from operator_ai.wiring import Services


def run(services: Services, monkeypatch: pytest.MonkeyPatch, *args: str) -> tuple[int, str]:
    monkeypatch.setattr(wiring, "build_services", lambda *a, **k: dataclasses.replace(services, closers=[]))
    register(verify_cmds.add)
    outcome = CliRunner().invoke(cli, ["verify", "activecampaign", "--org", ORG, *args])
    return outcome.exit_code, outcome.output


def rows(output: str) -> dict[str, dict]:
    return {row["action_type"]: row for row in json.loads(output)["rows"]}


@pytest.mark.parametrize("enabled", [False], indirect=True)
def test_documented_actions_are_supported_guessed_ones_unverified_and_nothing_is_written(
        services: Services, fake: FakeActiveCampaign, monkeypatch: pytest.MonkeyPatch) -> None:
    code, output = run(services, monkeypatch, "--json")
    assert code == 0, output  # connected, nothing refused: healthy
    report = json.loads(output)
    assert report["connected"] is True and report["healthy"] is True
    found = rows(output)
    assert set(found) == {"create_subject_line_test", "adjust_send_time", "trigger_automation", "pause_email_campaign"}
    assert found["adjust_send_time"]["status"] == "supported" and "campaign" in found["adjust_send_time"]["entity"]
    assert found["trigger_automation"]["status"] == "supported"
    assert found["create_subject_line_test"]["status"] == "unverified"
    assert "activecampaign.campaign_message_attach" in found["create_subject_line_test"]["calls"]
    assert found["pause_email_campaign"]["status"] == "unverified"
    assert "activecampaign.campaign_pause" in found["pause_email_campaign"]["calls"]
    assert any("POST /api/3/contactAutomations" in w for w in found["trigger_automation"]["writes"])
    assert fake.writes() == []  # a self-test that changes nothing


def test_enabled_calls_make_the_guessed_actions_supported_and_the_table_shows_each_type(
        services: Services, fake: FakeActiveCampaign, monkeypatch: pytest.MonkeyPatch) -> None:
    code, output = run(services, monkeypatch, "--json")
    assert code == 0 and {r["status"] for r in rows(output).values()} == {"supported"}, output
    code, table = run(services, monkeypatch)
    assert code == 0
    for action_type in ("create_subject_line_test", "adjust_send_time", "trigger_automation", "pause_email_campaign"):
        assert action_type in table
    assert "connected" in table and fake.writes() == []


def test_a_permission_the_key_lacks_is_refused_with_the_platforms_reason(
        services: Services, fake: FakeActiveCampaign, monkeypatch: pytest.MonkeyPatch) -> None:
    fake.fault("GET", r"/api/3/automations", status=403, times=10,
               body={"errors": [{"status": 403, "title": "Forbidden",
                                 "detail": "You do not have permission to view automations."}]})
    code, output = run(services, monkeypatch, "--json")
    assert code == 4, output
    row = rows(output)["trigger_automation"]
    assert row["status"] == "refused" and "You do not have permission to view automations" in row["reason"]


def test_a_wrong_key_is_not_connected(services: Services, fake: FakeActiveCampaign,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACME_AC_API_TOKEN", "tok-wrong-0000000000000000")
    code, output = run(services, monkeypatch, "--json")
    assert code == 1, output
    report = json.loads(output)
    assert report["connected"] is False and "403" in report["connection_error"]
    assert "tok-wrong" not in output  # the key never shows
    assert {r["status"] for r in report["rows"]} == {"refused"}
