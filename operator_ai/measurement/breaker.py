"""The tracking-break circuit breaker (issue 14): conversions that collapse across a whole account at once
are a broken tag or an outage, not the effect of one action.

`check_account` is pure: the last `RECENT_DAYS` complete days of every enabled campaign against its own
baseline (the 28 days ending a week ago, so conversion lag has filled them in). The account trips when
most campaigns with enough volume to tell (`MIN_EXPECTED` conversions expected in the recent days) fell
below `COLLAPSE_SHARE` of their baseline together and the account's total did too; ordinary lag leaves
about half of yesterday's conversions, a market dip rarely takes three quarters of them. A tripped
account holds the org's automatic rollbacks and spend increases (`TrackingHold`, read by the guardrails)
until a later run sees the total back above `RECOVERED_SHARE` of its baseline.

`update_holds` applies a run's findings to the state store (when it keeps holds) and says what changed.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from connectors.base import HoldStore
from schemas.impact import TrackingHold
from schemas.metrics import EntitySeries

log = logging.getLogger("operator.measure")
RECENT_DAYS = 2
BASELINE_DAYS = 28
BASELINE_GAP_DAYS = 7  # the baseline ends this many days before today
READ_DAYS = BASELINE_DAYS + BASELINE_GAP_DAYS
COLLAPSE_SHARE = 0.25
RECOVERED_SHARE = 0.6
MIN_EXPECTED = 8.0
MOST = 2.0 / 3.0
ACTOR = "operator:tracking-breaker"


@dataclass(frozen=True)
class Finding:
    account_id: str
    collapsed: bool
    recovered: bool
    eligible: int = 0
    collapsed_campaigns: tuple[str, ...] = ()
    expected: float = 0.0
    seen: float = 0.0
    days: tuple[date, ...] = ()
    note: str = ""

    def evidence(self) -> dict[str, str]:
        return {"campaigns_collapsed": f"{len(self.collapsed_campaigns)} of {self.eligible}",
                "which": ", ".join(self.collapsed_campaigns), "expected_conversions": f"{self.expected:.1f}",
                "seen_conversions": f"{self.seen:g}", "days": ", ".join(d.isoformat() for d in self.days)}

    def reason(self) -> str:
        days = " and ".join(d.isoformat() for d in self.days)
        return (f"conversions collapsed across account {self.account_id}: {self.seen:g} seen on {days} where "
                f"{self.expected:.0f} were expected, {len(self.collapsed_campaigns)} of {self.eligible} campaigns "
                "below a quarter of their usual level (broken conversion tracking?)")


def check_account(account_id: str, series: Sequence[EntitySeries], today: date) -> Finding:
    recent = tuple(today - timedelta(days=RECENT_DAYS - i) for i in range(RECENT_DAYS))
    base_end = today - timedelta(days=BASELINE_GAP_DAYS)
    base_start = base_end - timedelta(days=BASELINE_DAYS)
    eligible, collapsed, expected_total, seen_total = 0, [], 0.0, 0.0
    for one in series:
        if one.status and one.status.upper() not in ("ENABLED", "ACTIVE"):
            continue
        base = sum(float(d.conversions) for d in one.days if base_start <= d.day < base_end)
        expected = base / BASELINE_DAYS * RECENT_DAYS
        if expected < MIN_EXPECTED:
            continue
        seen = sum(float(d.conversions) for d in one.days if d.day in recent)
        eligible += 1
        expected_total += expected
        seen_total += seen
        if seen < COLLAPSE_SHARE * expected:
            collapsed.append(one.entity_id)
    if eligible < 2:
        return Finding(account_id, False, False, eligible, days=recent,
                       note="fewer than two campaigns with enough conversions to tell")
    most = len(collapsed) >= max(2, math.ceil(MOST * eligible))
    tripped = most and seen_total < COLLAPSE_SHARE * expected_total
    return Finding(account_id, tripped, not tripped and seen_total >= RECOVERED_SHARE * expected_total, eligible,
                   tuple(collapsed), expected_total, seen_total, recent)


@dataclass
class HoldChanges:
    active: dict[str, TrackingHold] = field(default_factory=dict)  # account -> hold in force after this run
    set: list[TrackingHold] = field(default_factory=list)
    cleared: list[TrackingHold] = field(default_factory=list)


def active_holds(store: object, organization_id: str) -> tuple[TrackingHold, ...]:
    """The org's holds in force (none when the store keeps no holds)."""
    if not isinstance(store, HoldStore):
        return ()
    return tuple(h for h in store.tracking_holds(organization_id) if h.active)


def update_holds(store: object, organization_id: str, findings: Mapping[str, Finding], now: datetime) -> HoldChanges:
    """Set a hold for each newly tripped account, clear the ones whose conversions came back."""
    keeps = isinstance(store, HoldStore)
    current = {h.account_id: h for h in active_holds(store, organization_id)}
    changes = HoldChanges(active=dict(current))
    for account, finding in findings.items():
        held = current.get(account)
        if finding.collapsed and held is None:
            hold = TrackingHold(organization_id=organization_id, account_id=account, active=True, set_at=now,
                                reason=finding.reason(), evidence=finding.evidence())
            changes.set.append(hold)
            changes.active[account] = hold
        elif held is not None and finding.recovered and held.set_by == ACTOR:
            cleared = held.model_copy(update={"active": False, "cleared_at": now,
                                              "reason": f"{held.reason}; cleared: conversions recovered"})
            changes.cleared.append(cleared)
            changes.active.pop(account, None)
    for hold in [*changes.set, *changes.cleared]:
        log.warning(json.dumps({"event": "tracking_hold", "organization_id": organization_id,
                                "account_id": hold.account_id, "active": hold.active, "reason": hold.reason}))
        if keeps:
            assert isinstance(store, HoldStore)
            store.put_tracking_hold(hold)
    return changes
