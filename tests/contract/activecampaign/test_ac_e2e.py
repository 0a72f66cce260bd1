"""End to end: sample ActiveCampaign opportunities run through the orchestrator (embedded default: SQLite
log and state) with the real ActiveCampaign connector against the fake, then are rolled back through the
rollback executor. A second run executes nothing twice; a drifted action is refused with a diff. An action
needing a guessed (unverified) AC path is only planned until the org enables that call after a check."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from ac_fake_server import FakeActiveCampaign
from ac_support import ANN, BOB, CY, DEE, DRAFT, FAST, SCHEDULED, SEND_AT, SENDING, TOKENS, TRIAL

from connectors.activecampaign import ActiveCampaignConnector
from operator_ai.orchestrator import Orchestrator, new_run_id
from operator_ai.settings import SAMPLES_DIR, Settings
from operator_ai.wiring import Services, build_services
from rollback.executor import RollbackExecutor
from schemas.common import ActionStatus, Platform

ORG, ACCOUNT = "org-acme", "acme-mail"
NEW_SEND_AT = SEND_AT + timedelta(days=1)

ORGS_YAML = """
organizations:
  - organization_id: org-acme
    name: Acme Widgets
    autonomy: autonomous
    rollout_phase: full
    connected:
      activecampaign:
        - account_id: acme-mail
          base_url: {base_url}
          token_ref: env:ACME_AC_API_TOKEN
{enabled}"""

GUESSED_CALLS = ("campaign_pause", "campaign_resume", "legacy_campaign_status", "campaign_message_attach",
                 "campaign_message_detach", "percentages_set")
ENABLED = "    enabled_unverified_operations:\n" + "".join(
    f"      - {{call: activecampaign.{c}, enabled_by: jane@acme.example, enabled_at: '2026-12-01T10:00:00+00:00', "
    f"check: 'operator verify activecampaign --org org-acme; sandbox account run'}}\n" for c in GUESSED_CALLS)

ACTIONS = {
    "opp-send-time": {"type": "adjust_send_time", "target": {"account_id": ACCOUNT, "campaign_id": SCHEDULED},
                      "params": {"send_at": NEW_SEND_AT.isoformat()}},
    "opp-enrol": {"type": "trigger_automation", "target": {"account_id": ACCOUNT, "automation_id": TRIAL},
                  "params": {"contact_emails": ["ann@example.com", "bob@example.com", "dee@example.com"]}},
    "opp-pause": {"type": "pause_email_campaign", "target": {"account_id": ACCOUNT, "campaign_id": SENDING},
                  "params": {}},
    "opp-split": {"type": "create_subject_line_test", "target": {"account_id": ACCOUNT, "campaign_id": DRAFT},
                  "params": {"variants": ["Draft subject", "A better subject"], "split_type": "read",
                             "test_percentage": 20, "winner_wait_hours": 4}},
    "opp-unsubscribed": {"type": "trigger_automation", "target": {"account_id": ACCOUNT, "automation_id": TRIAL},
                         "params": {"contact_ids": [CY]}},
}


def opportunity(opp_id: str, action: dict[str, Any], now: datetime) -> dict[str, Any]:
    return {"schema_version": 1, "opportunity_id": opp_id, "organization_id": ORG, "status": "approved",
            "created_at": (now - timedelta(hours=2)).isoformat(), "expires_at": (now + timedelta(days=3)).isoformat(),
            "approved_by": "jane@acme.example", "approved_at": (now - timedelta(hours=1)).isoformat(),
            "title": opp_id, "confidence": 0.95, "platform": "activecampaign", "action": action, "evidence": {}}


@pytest.fixture(params=[True])
def enabled(request: pytest.FixtureRequest) -> bool:
    return bool(request.param)


@pytest.fixture
def services(tmp_path: Path, fake: FakeActiveCampaign, monkeypatch: pytest.MonkeyPatch,
             enabled: bool) -> Iterator[Services]:
    now = datetime.now(UTC)
    samples = tmp_path / "samples"
    samples.mkdir()
    shutil.copy(SAMPLES_DIR / "sandbox.json", samples / "sandbox.json")
    (samples / "orgs.yaml").write_text(ORGS_YAML.format(base_url=fake.base_url,
                                                        enabled=ENABLED if enabled else ""))
    (samples / "opportunities.jsonl").write_text(
        "\n".join(json.dumps(opportunity(k, a, now)) for k, a in ACTIONS.items()) + "\n")
    monkeypatch.setenv("ACME_AC_API_TOKEN", TOKENS["env:AC_TOKEN_ACME"])  # the default resolver reads env: refs
    holder: dict[str, Services] = {}

    def accounts(org_id: str) -> dict[str, Any]:
        policy = holder["services"].state.get_org(org_id)
        return {a.account_id: a for a in policy.connected.activecampaign} if policy else {}

    connector = ActiveCampaignConnector(accounts, settings=FAST)
    built = build_services(Settings(home=tmp_path / "home", samples_dir=samples),
                           connectors={Platform.ACTIVECAMPAIGN: connector})
    holder["services"] = built
    yield built
    connector.close()
    built.close()


def latest(services: Services, opportunity_id: str) -> Any:
    [record] = services.log.query(organization_id=ORG, opportunity_id=opportunity_id)
    return record


def test_sample_opportunities_execute_and_roll_back(services: Services, fake: FakeActiveCampaign) -> None:
    summary = Orchestrator(services).run([ORG])
    assert summary.errors == ()
    records = {opp: latest(services, opp) for opp in ACTIONS}
    statuses = {opp: r.status for opp, r in records.items()}
    assert statuses == {"opp-send-time": ActionStatus.EXECUTED, "opp-enrol": ActionStatus.EXECUTED,
                        "opp-pause": ActionStatus.EXECUTED, "opp-split": ActionStatus.EXECUTED,
                        "opp-unsubscribed": ActionStatus.BLOCKED}, {k: r.error_message for k, r in records.items()}

    account = fake.account
    assert account.campaigns[SCHEDULED]["sdate"] == NEW_SEND_AT.astimezone(
        datetime.fromisoformat(account.campaigns[SCHEDULED]["sdate"]).tzinfo).isoformat(timespec="seconds")
    assert len(account.active_runs(ANN, TRIAL)) == len(account.active_runs(BOB, TRIAL)) == 1
    assert account.active_runs(DEE, TRIAL) == [fake.seeded["dee"]]  # already enrolled: not enrolled twice
    assert account.campaigns[SENDING]["status"] == "3"
    assert account.campaigns[DRAFT]["type"] == "split"
    assert not any(c.method == "POST" and c.body == {"contactAutomation": {"contact": CY, "automation": TRIAL}}
                   for c in fake.calls())  # the unsubscribed contact was never sent

    [inverse] = records["opp-split"].rollback_plan.inverse_ops  # the logged plan names the created ids
    assert inverse.message_ids == tuple(records["opp-split"].result["details"]["message_ids"])
    assert len(inverse.keep_message_ids) == 1 and inverse.keep_message_ids[0] not in inverse.message_ids

    enrol = records["opp-enrol"]
    assert enrol.result["details"]["reversibility"] == "partial"
    assert enrol.rollback_plan.irreversible_parts and "Automation runs started" in enrol.rollback_plan.note

    writes = len(fake.writes())
    Orchestrator(services).run([ORG])  # a second run: nothing is executed again
    assert len(fake.writes()) == writes

    executor = RollbackExecutor(services.log, services.state, services.connectors, services.clock)
    for opp in ("opp-split", "opp-pause", "opp-enrol", "opp-send-time"):
        outcome = executor.rollback(records[opp].action_id, actor="jane@acme.example",
                                    run_id=new_run_id(services.clock()))
        assert outcome.status == "rolled_back", (opp, outcome.message)
        assert latest(services, opp).status == ActionStatus.ROLLED_BACK

    assert datetime.fromisoformat(account.campaigns[SCHEDULED]["sdate"]) == SEND_AT
    assert account.active_runs(ANN, TRIAL) == account.active_runs(BOB, TRIAL) == []
    assert account.active_runs(DEE, TRIAL) == [fake.seeded["dee"]]  # the run from before the action stays
    assert account.campaigns[SENDING]["status"] == "2"
    assert account.campaigns[DRAFT]["type"] == "single"
    created = records["opp-split"].result["details"]["message_ids"]
    assert created and not set(created) & set(account.messages)  # exactly the test's messages are gone
    assert [link["campaignid"] for link in account.links.values()].count(DRAFT) == 1  # the control stays
    assert fake.calls(path=r"/api/3/campaigns/\d+/stop") == []


def test_rollback_after_drift_is_refused_with_a_diff(services: Services, fake: FakeActiveCampaign) -> None:
    Orchestrator(services).run([ORG])
    pause = latest(services, "opp-pause")
    assert pause.status == ActionStatus.EXECUTED
    fake.account.campaigns[SENDING]["status"] = "2"  # someone resumed it in the AC UI
    writes = len(fake.writes())
    executor = RollbackExecutor(services.log, services.state, services.connectors, services.clock)
    outcome = executor.rollback(pause.action_id, actor="jane@acme.example", run_id=new_run_id(services.clock()))
    assert outcome.status == "refused" and outcome.diff["status"] == {"expected": 3, "found": 2}
    assert len(fake.writes()) == writes


@pytest.mark.parametrize("enabled", [False], indirect=True)
def test_guessed_paths_are_planned_and_explained_until_the_org_enables_them(services: Services,
                                                                         fake: FakeActiveCampaign) -> None:
    Orchestrator(services).run([ORG])
    for opp in ("opp-pause", "opp-split"):
        record = latest(services, opp)
        assert record.status == ActionStatus.DRY_RUN, (opp, record.error_message)
        [rule] = [r for r in record.verdict.rules if r.rule_id == "verified_operations"]
        assert rule.outcome.value == "block" and "guessed path" in rule.message and "enabled_unverified" in rule.message
        assert record.rollback_plan is not None and record.rollback_plan.inverse_ops  # planned in full
    assert latest(services, "opp-send-time").status == ActionStatus.EXECUTED  # documented calls only
    assert fake.account.campaigns[SENDING]["status"] == "2" and fake.account.campaigns[DRAFT]["type"] == "single"
    assert fake.calls(path=r"/api/3/campaigns/\d+/pause") == [] and fake.calls(path=r"/api/3/campaign/\d+/messages") == []
