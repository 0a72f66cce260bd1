"""Hand-built EXECUTED rows for the measurement unit tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from schemas.common import ActionStatus
from schemas.records import ActionRecord

EXECUTED_AT = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def executed(action_type: str = "adjust_campaign_budget", *, platform: str = "google_ads",
             action: dict[str, Any] | None = None, facts: dict[str, Any] | None = None,
             snapshot: dict[str, Any] | None = None, result: dict[str, Any] | None = None,
             hours: tuple[int, ...] = (24, 72, 168), at: datetime = EXECUTED_AT) -> ActionRecord:
    return ActionRecord(
        action_id="act-" + "a" * 24, opportunity_id="opp-1", organization_id="org-acme", action_type=action_type,
        platform=platform, status=ActionStatus.EXECUTED, event_time=at, seq=2, run_id="run-1", executed_at=at,
        payload={"action": action or {"type": action_type,
                                      "target": {"customer_id": "1234567890", "campaign_id": "117"}},
                 "facts": facts or {}, "snapshot": snapshot},
        result=result or {"outcome": "applied"},
        measurement_checkpoints=tuple(at + timedelta(hours=h) for h in hours))
