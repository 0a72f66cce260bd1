"""Realistic ActionRecords for the log tests: every structured column filled (verdict, checks, rollback
plan with a Decimal amount), so a round trip through a store proves the typed columns."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from schemas.common import ActionStatus, Outcome, Platform
from schemas.operations import SetBudgetAmount
from schemas.records import ActionRecord, Reversibility, RollbackPlan
from schemas.verdict import CheckResult, RuleResult, Verdict

T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def record(action_id: str = "act-000000000000000000000001", *, org: str = "org-acme", seq: int = 0,
           status: ActionStatus = ActionStatus.PLANNED, at: datetime | None = None, run_id: str = "run-1",
           opportunity_id: str | None = "opp-1", **changes: Any) -> ActionRecord:
    data: dict[str, Any] = {
        "action_id": action_id, "opportunity_id": opportunity_id, "organization_id": org,
        "action_type": "adjust_campaign_budget", "platform": Platform.GOOGLE_ADS,
        "payload": {"action": {"type": "adjust_campaign_budget", "params": {"new_daily_budget": "120.50"}},
                    "opportunity": {"title": "Scale 'Brand – Widgets' +20 %", "confidence": 0.93}},
        "status": status, "event_time": at or T0 + timedelta(minutes=seq), "seq": seq, "run_id": run_id,
        "verdict": Verdict.from_rules([RuleResult(rule_id="budget_increase_pct", outcome=Outcome.ALLOW,
                                                  message="+20 % within limit", observed={"pct": "20"})]),
        "checks": (CheckResult(check_id="kill_switch", passed=True, message="off"),),
        "rollback_plan": RollbackPlan(
            inverse_ops=(SetBudgetAmount(customer_id="1234567890", budget_id="55", amount=Decimal("100.25")),),
            before_state={"amount": "100.25"}, expected_state={"amount": "120.50"},
            reversibility=Reversibility.FULL),
        "plan_hash": "f" * 64,
    }
    data.update(changes)
    return ActionRecord.model_validate(data)


def history(action_id: str, statuses: list[ActionStatus], *, org: str = "org-acme", start: datetime = T0,
            **changes: Any) -> list[ActionRecord]:
    """One action's transitions in order (seq 0, 1, …, a minute apart)."""
    return [record(action_id, org=org, seq=i, status=s, at=start + timedelta(minutes=i), **changes)
            for i, s in enumerate(statuses)]
