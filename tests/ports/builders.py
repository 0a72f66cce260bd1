"""Fresh ids and small record builders for the port suite (every test uses ids of its own, so backends
may share one database between tests)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from schemas.common import ActionStatus, Outcome, Platform
from schemas.operations import SetCampaignStatus
from schemas.records import ActionRecord, Reversibility, RollbackPlan
from schemas.verdict import CheckResult, RuleResult, Verdict

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def org_id() -> str:
    return f"org-{uuid.uuid4().hex[:12]}"


def action_id() -> str:
    return f"act-{uuid.uuid4().hex[:24]}"


def opportunity_id() -> str:
    return f"opp-{uuid.uuid4().hex[:16]}"


def record(action: str, org: str, status: ActionStatus = ActionStatus.PLANNED, *, seq: int = 0,
           at: datetime = NOW, opportunity: str | None = None, **changes: Any) -> ActionRecord:
    data: dict[str, Any] = {
        "action_id": action, "opportunity_id": opportunity, "organization_id": org, "action_type": "pause_campaign",
        "platform": Platform.GOOGLE_ADS, "payload": {"action": {"type": "pause_campaign"}}, "status": status,
        "event_time": at, "seq": seq, "run_id": "run-1",
    }
    data.update(changes)
    return ActionRecord.model_validate(data)


def full_record(action: str, org: str) -> ActionRecord:
    """A row with every optional column filled, to check that nothing is lost on the way through."""
    plan = RollbackPlan(
        inverse_ops=(SetCampaignStatus(customer_id="1234567890", campaign_id="111", status="ENABLED"),),
        before_state={"status": "ENABLED", "spend": "612.40"}, expected_state={"status": "PAUSED"},
        reversibility=Reversibility.FULL, irreversible_parts=("nothing",), note="restore the status")
    verdict = Verdict.from_rules([
        RuleResult(rule_id="pause_min_spend", outcome=Outcome.ALLOW, message="spend 612.40 >= 500",
                   observed={"spend": "612.40", "window_days": 14}),
        RuleResult(rule_id="brand_protection", outcome=Outcome.NEEDS_APPROVAL, message="brand", applies=True),
    ], approved_by="jane@acme.example")
    return record(
        action, org, ActionStatus.EXECUTED, seq=3, at=NOW + timedelta(minutes=5), opportunity=opportunity_id(),
        payload={"action": {"type": "pause_campaign", "target": {"customer_id": "1234567890"}}, "n": 1,
                 "nested": [{"ok": True}, None]},
        run_id="run-42", executed_at=NOW + timedelta(minutes=4), executed_by="jane@acme.example",
        result={"outcome": "applied", "resource_names": ["customers/1234567890/campaigns/111"]},
        error_message="none", rollback_plan=plan, rolled_back_at=NOW + timedelta(hours=2),
        measurement_checkpoints=(NOW + timedelta(hours=24), NOW + timedelta(hours=72)), verdict=verdict,
        checks=(CheckResult(check_id="kill_switch", passed=True, message="off", observed={"global": False}),),
        plan_hash="ab" * 32,
    )

