"""Everything a rule may look at, passed in explicitly: rules read no clock, store or network."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from guardrails.limits import Limits
from schemas.actions import Action
from schemas.common import Platform
from schemas.facts import ChangeFacts, PastAction
from schemas.impact import TrackingHold
from schemas.policy import KillSwitchState, OrgPolicy
from schemas.snapshots import Snapshot


def budget_key(account_id: str, budget_id: str) -> str:
    """Identifies a budget across the org's accounts (budget ids are unique only within one account)."""
    return f"{account_id}/{budget_id}"


@dataclass(frozen=True)
class GuardrailContext:
    action: Action
    platform: Platform
    facts: ChangeFacts
    snapshot: Snapshot | None
    policy: OrgPolicy
    limits: Limits
    now: datetime
    confidence: float
    kill_switch: KillSwitchState = field(default_factory=KillSwitchState)
    history: tuple[PastAction, ...] = ()  # this org's actions of the last 48 h or more
    org_total_daily_budget: Decimal | None = None  # sum over all the org's accounts, before the change
    # every active budget of the org (all its connected Google Ads accounts), by `budget_key`; None: unread
    org_daily_budgets: Mapping[str, Decimal] | None = None
    org_budget_increase_24h: Decimal = Decimal(0)  # moved between campaigns in 24 h (reallocation)
    approval_only_kind: bool = False
    # Executed actions for the org in the rolling hour / 24 h, from the state store's counters (including
    # actions executed earlier in the same run, which the history may not show yet).
    executed_last_hour: int = 0
    executed_last_24h: int = 0
    # The platform operations (`op` names) the action needs, forward and inverse, and whether they go to a
    # real account (rule `verified_operations`).
    operations: tuple[str, ...] = ()
    live: bool = False
    # Tracking holds in force for the org (issue 14): conversions collapsed across an account, so spend
    # increases wait until they come back (the measurement step sets and clears them).
    tracking_holds: tuple[TrackingHold, ...] = ()

    def executed_since(self, hours: Decimal | int) -> list[PastAction]:
        start = self.now - timedelta(hours=float(hours))
        return [p for p in self.history if p.executed and p.at > start]
