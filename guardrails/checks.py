"""The pre-execution checks of spec §4, run after the guardrails and immediately before a platform call.

They are pure: the caller reads the kill switch, the opportunity's status, the connection and the live
entity state, and passes the plain values in. Any failed check means the action does not execute; the
record names the check and why.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from guardrails.limits import Limits
from guardrails.rules._common import jsonable
from schemas.common import IN_FLIGHT, ActionStatus
from schemas.facts import PastAction
from schemas.policy import KillSwitchState
from schemas.verdict import CheckResult

CHECK_IDS: tuple[str, ...] = (
    "kill_switch",
    "opportunity_current",
    "platform_connected",
    "no_similar_failure",
    "no_unsettled_change",
    "plan_fresh",
)

_MISSING = "<missing>"


def _check(check_id: str, passed: bool, message: str, observed: Mapping[str, Any] | None = None) -> CheckResult:
    return CheckResult(check_id=check_id, passed=passed, message=message, observed=jsonable(dict(observed or {})))


def check_kill_switch(state: KillSwitchState) -> CheckResult:
    """Re-read before every action, not once per run: a stop pulled mid-run halts the next action."""
    switch = state.active
    if switch is None:
        return _check("kill_switch", True, "no emergency stop is on")
    return _check(
        "kill_switch",
        False,
        f"emergency stop ({switch.scope}) set by {switch.set_by} at {switch.set_at.isoformat()}: {switch.reason}",
        {"scope": switch.scope, "set_by": switch.set_by, "set_at": switch.set_at, "reason": switch.reason},
    )


def check_opportunity_current(status: str | None, expires_at: datetime | None, now: datetime) -> CheckResult:
    """The opportunity is still `approved` and not expired (`status` None: it is gone from the source)."""
    observed = {"status": status, "expires_at": expires_at, "now": now}
    if status is None:
        return _check("opportunity_current", False, "the opportunity no longer exists in the source", observed)
    if status != "approved":
        return _check("opportunity_current", False, f"the opportunity is now {status!r}, not 'approved'", observed)
    if expires_at is not None and expires_at <= now:
        return _check("opportunity_current", False, f"the opportunity expired at {expires_at.isoformat()}", observed)
    return _check("opportunity_current", True, "the opportunity is still approved and current", observed)


def check_platform_connected(error: str | None) -> CheckResult:
    """`error` is the message of a failed credentials lookup or authenticated read, or None on success."""
    if error is None:
        return _check("platform_connected", True, "the platform is connected")
    return _check("platform_connected", False, f"the platform is not connected: {error}", {"error": error})


def check_no_similar_failure(
    history: Iterable[PastAction], entity_key: str, action_type: str, now: datetime, limits: Limits
) -> CheckResult:
    """No action of the same type on the same target failed within `similar_failure_hours`."""
    hours = limits.similar_failure_hours
    start = now - timedelta(hours=float(hours))
    failures = sorted(
        (
            p
            for p in history
            if p.status == ActionStatus.FAILED
            and p.action_type == action_type
            and p.entity_key == entity_key
            and p.at > start
        ),
        key=lambda p: p.at,
        reverse=True,
    )
    observed: dict[str, Any] = {"entity_key": entity_key, "action_type": action_type, "window_hours": hours}
    if failures:
        last = failures[0]
        observed.update(failed_action_ids=[p.action_id for p in failures], last_failed_at=last.at)
        return _check(
            "no_similar_failure",
            False,
            f"{action_type} on {entity_key} failed at {last.at.isoformat()} ({last.action_id}) within {hours} h",
            observed,
        )
    return _check("no_similar_failure", True, f"no similar failure in the last {hours} h", observed)


def check_no_unsettled_change(history: Iterable[PastAction], entity_key: str, action_id: str) -> CheckResult:
    """No other change to the entity is still in flight (EXECUTING, UNCERTAIN): its outcome is settled by
    reading the entity, and a second change on top would make that reading meaningless."""
    others = sorted({p.action_id for p in history
                     if p.entity_key == entity_key and p.status in IN_FLIGHT and p.action_id != action_id})
    if others:
        return _check("no_unsettled_change", False,
                      f"{entity_key} has a change whose outcome is not settled yet ({others[0]}): "
                      "it is settled by reading first", {"entity_key": entity_key, "in_flight": others})
    return _check("no_unsettled_change", True, "no other change to this entity is waiting to be settled",
                  {"entity_key": entity_key})


def check_plan_fresh(planned: Mapping[str, Any], current: Mapping[str, Any]) -> CheckResult:
    """The entity state read now equals the state the plan was built on; otherwise report what moved."""
    differences = {
        key: {"planned": planned.get(key, _MISSING), "current": current.get(key, _MISSING)}
        for key in sorted(set(planned) | set(current))
        if planned.get(key, _MISSING) != current.get(key, _MISSING)
    }
    if differences:
        changed = ", ".join(f"{key}: {diff['planned']!r} -> {diff['current']!r}" for key, diff in differences.items())
        return _check(
            "plan_fresh", False, f"the entity changed since planning ({changed})", {"differences": differences}
        )
    return _check("plan_fresh", True, "the entity state is unchanged since planning", {"keys": sorted(planned)})


def first_failure(results: Iterable[CheckResult]) -> CheckResult | None:
    """The first failed check in run order, or None when every check passed."""
    return next((r for r in results if not r.passed), None)
