"""Settling ambiguous outcomes by reading state, never by sending again.

An action left UNCERTAIN (timeout after send, connection reset) or EXECUTING (the run died between the
write-ahead row and the result) is compared with its rollback plan: the live state equals the state the
action would produce → EXECUTED; equals the state before → FAILED (an EXECUTING row: released and planned
afresh by the run that settles it, since the platform shows the call never took effect); anything else
stays UNCERTAIN and is reported for a person.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from connectors.base import PlatformConnector
from operator_ai.journal import checkpoints
from operator_ai.planning import read_snapshots
from rollback.registry import spec_for
from schemas.actions import parse_action
from schemas.common import ActionStatus, Platform
from schemas.operations import ApplyOutcome, ApplyResult
from schemas.records import ActionRecord
from schemas.snapshots import Snapshot


@dataclass(frozen=True)
class Settled:
    record: ActionRecord | None  # the new row, or None when still undecided
    message: str
    replan: bool = False  # nothing landed from a write-ahead row: the action is planned afresh (new decision)


def settle(records: list[ActionRecord], connectors: Mapping[Platform, PlatformConnector], now: datetime,
           run_id: str, checkpoint_hours: tuple[int, ...], window_days: int = 14) -> dict[str, Settled]:
    """Read the platform once per account and decide each record's fate."""
    actions = {r.action_id: parse_action(r.payload["action"]) for r in records if r.payload.get("action")}
    by_org: dict[str, list[ActionRecord]] = {}
    for record in records:
        by_org.setdefault(record.organization_id, []).append(record)
    answers: dict[str, Settled] = {}
    for org, members in by_org.items():
        snaps = read_snapshots(connectors, [(r.action_id, actions[r.action_id]) for r in members
                                            if r.action_id in actions], org, window_days, now)
        for record in members:
            answers[record.action_id] = _settle_one(record, actions.get(record.action_id),
                                                    snaps.get(record.action_id), now, run_id, checkpoint_hours)
    return answers


def _settle_one(record: ActionRecord, action, snapshot, now: datetime, run_id: str,
                checkpoint_hours: tuple[int, ...]) -> Settled:
    plan = record.rollback_plan
    if action is None or plan is None:
        return Settled(None, "no action or rollback plan recorded: a person must check the platform")
    if not isinstance(snapshot, Snapshot):
        return Settled(None, f"could not read state to settle: {snapshot}")
    spec = spec_for(action)
    observed = spec.observed_state(action, snapshot)
    settled_by = {"settled_by_read": True, "observed_state": observed, "previous_status": record.status.value}
    if observed == plan.expected_state:
        # What the lost response would have said (created ids), read back: measurement and rollback need it.
        recovered = spec.details_from_state(action, snapshot, record.action_id)
        result = {**(record.result or {}), **settled_by, "outcome": "applied"}
        if recovered:
            result["details"] = {**(result.get("details") or {}), **recovered}
            plan = spec.finalize_rollback_plan(plan, ApplyResult(key=record.action_id, outcome=ApplyOutcome.APPLIED,
                                                                 details=recovered))
        row = record.next(ActionStatus.EXECUTED, now, run_id, executed_at=record.executed_at or now,
                          result=result, rollback_plan=plan, error_message=None,
                          measurement_checkpoints=checkpoints(now, checkpoint_hours))
        return Settled(row, "the change is on the platform: settled as EXECUTED")
    if observed == plan.before_state and record.status == ActionStatus.EXECUTING:
        # A write-ahead row with no answer: the run died around the platform call and, its lease over, the
        # platform shows nothing landed. Not a failure of the action: it is released and planned afresh —
        # guardrails and checks judge it again, and a person is asked again if it needs one.
        row = record.next(ActionStatus.FAILED, now, run_id,
                          result={**(record.result or {}), **settled_by, "retry_later": True, "replanned": True},
                          error_message="the run stopped before the change landed (state unchanged): "
                                        "nothing changed; the action is planned afresh")
        return Settled(row, "nothing landed before the run stopped: planned afresh", replan=True)
    if observed == plan.before_state:
        row = record.next(ActionStatus.FAILED, now, run_id, result={**(record.result or {}), **settled_by},
                          error_message="the change did not land (state unchanged): settled as FAILED")
        return Settled(row, "the change did not land: settled as FAILED")
    return Settled(None, "the platform state matches neither the planned result nor the state before: "
                         "left UNCERTAIN for a person to check")
