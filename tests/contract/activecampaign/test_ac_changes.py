"""Outside changes on ActiveCampaign: the campaign's last-modified time (`mdate`) is AC's only change
history. It restarts the cooldown of the campaign (a person must approve) and shows in a measurement
window as a possible confounder. Both fail on the connector that never read `mdate`."""

# ruff: noqa: F811  (the `services`/`enabled` fixtures come from test_ac_e2e)
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ac_fake_server import FakeActiveCampaign
from ac_fake_state import ac_date
from ac_support import ACCOUNT, SCHEDULED, campaign_request, read
from test_ac_e2e import ORG, enabled, latest, services  # noqa: F401

from operator_ai.orchestrator import Orchestrator
from operator_ai.wiring import Services
from schemas.common import ActionStatus, Platform
from schemas.metrics import MetricEntity, MetricRequest
from schemas.snapshots import SnapshotPart


def test_snapshot_reports_the_last_modification_as_an_outside_change(fake, connector):
    edited = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)
    fake.account.campaigns[SCHEDULED]["mdate"] = ac_date(edited)
    request = campaign_request(SCHEDULED).model_copy(
        update={"parts": frozenset({SnapshotPart.EMAIL_CAMPAIGN, SnapshotPart.CHANGES})})
    [change] = read(connector, request).outside_changes
    assert change.entity_key == f"activecampaign:{ACCOUNT}:campaign:{SCHEDULED}" and change.changed_at == edited
    assert change.client_type == "UNKNOWN" and "does not report who" in change.actor
    assert read(connector, campaign_request(SCHEDULED)).outside_changes is None  # only when asked


def test_a_change_in_the_ac_ui_restarts_the_cooldown(services: Services, fake: FakeActiveCampaign) -> None:
    fake.account.campaigns[SCHEDULED]["mdate"] = ac_date(datetime.now(UTC) - timedelta(hours=1))
    Orchestrator(services).run([ORG])
    record = latest(services, "opp-send-time")
    assert record.status == ActionStatus.PENDING_APPROVAL, record.error_message
    [cooldown] = [r for r in record.verdict.rules if r.rule_id == "cooldown"]
    assert "changed outside the Operator" in cooldown.message
    assert record.payload["snapshot"]["outside_changes"]  # recorded with the plan in the log row


def test_a_modification_inside_a_measurement_window_is_reported(fake, connector):
    now = datetime.now(UTC)
    fake.account.campaigns[SCHEDULED]["mdate"] = ac_date(now - timedelta(hours=3))
    request = MetricRequest(key="m1", organization_id="org-acme", platform=Platform.ACTIVECAMPAIGN, account_id=ACCOUNT,
                            entity=MetricEntity.EMAIL_CAMPAIGN, entity_id=SCHEDULED, start=now - timedelta(days=1),
                            end=now)
    reading = connector.read_metrics(ACCOUNT, [request], now)["m1"]
    [change] = reading.changes
    assert change.entity_id == SCHEDULED and reading.changes_known is False  # only the latest one is visible
    outside = request.model_copy(update={"start": now - timedelta(hours=2)})
    assert connector.read_metrics(ACCOUNT, [outside], now)["m1"].changes == ()
