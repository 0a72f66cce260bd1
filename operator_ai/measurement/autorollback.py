"""Automatic rollback of an action whose final verdict is `failed` (org policy `auto_rollback: true`).

Always through the normal `RollbackExecutor` — kill switch (never bypassed), drift check, write-ahead
and logging — with the measurement as the recorded reason. The outcome is written back onto the action:
the executor's own ROLLED_BACK / ROLLBACK_FAILED rows when it got that far, otherwise a MEASURED row whose
`result.auto_rollback` says why nothing was undone. A refusal because the emergency stop was on is
`deferred` and retried on a later run once the stop is lifted, as is an attempt that failed before it
wrote anything (e.g. the state could not be read); any other refusal (drift, an email already sending) is
left for a person.
"""

from __future__ import annotations

from typing import Any

from operator_ai.wiring import Services
from rollback.executor import RollbackExecutor
from schemas.common import ActionStatus
from schemas.policy import OrgPolicy
from schemas.records import ActionRecord

ACTOR = "operator:auto-rollback"


def policy_note(policy: OrgPolicy, rollback_on_failure: bool) -> dict[str, Any]:
    """What happens to a failed action when nobody rolls it back automatically."""
    if not rollback_on_failure:
        return {"status": "not_applicable", "message": "this action type is not rolled back on a failed verdict"}
    if not policy.auto_rollback:
        return {"status": "off", "message": "org policy auto_rollback is off: a person decides "
                                            "(operator rollback ACTION_ID)"}
    return {"status": "requested", "message": "automatic rollback requested"}


def auto_rollback(services: Services, record: ActionRecord, run_id: str, reason: str) -> dict[str, Any]:
    """Roll back `record` (its latest row) for `reason`; return the `auto_rollback` note for the log."""
    executor = RollbackExecutor(services.log, services.state, services.connectors, services.clock)
    outcome = executor.rollback(record.action_id, actor=ACTOR, run_id=run_id, reason=f"auto-rollback: {reason}")
    note: dict[str, Any] = {"status": outcome.status, "message": outcome.message}
    if outcome.status in ("rolled_back", "failed"):
        latest = services.log.latest([record.action_id]).get(record.action_id)
        if latest is not None and latest.status in (ActionStatus.ROLLED_BACK, ActionStatus.ROLLBACK_FAILED):
            return note  # the executor wrote the closing row itself
    stopped = services.state.kill_switches(record.organization_id).active is not None
    if outcome.status == "failed" or (outcome.status == "refused" and stopped):
        note["status"] = "deferred"  # nothing was undone or written: retried on a later run
    latest = services.log.latest([record.action_id]).get(record.action_id) or record
    unchanged = (latest.result or {}).get("auto_rollback") == note  # a retry that failed alike: no new row
    if latest.status in (ActionStatus.EXECUTED, ActionStatus.MEASURED) and not unchanged:
        services.log.append([latest.next(ActionStatus.MEASURED, services.clock(), run_id,
                                         result={**(latest.result or {}), "auto_rollback": note})])
    return note
