"""Rolling back executed actions (spec §7): read, compare, write ahead, apply the inverse, record.

The inverse operations were planned before the action ran (its `RollbackPlan`); here they are applied
through the same connector path as forward operations. Before anything is written the current state is
read and compared with the state the action produced: if someone changed it since, the rollback is
refused with a diff unless forced. Every attempt is logged (ROLLING_BACK first, then ROLLED_BACK or
ROLLBACK_FAILED), passes the kill switch, and reports what cannot be undone.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Literal

from pydantic import ValidationError

from connectors.base import ActionsLog, PlatformConnector, PlatformError, StateStore, StoreError
from guardrails.checks import check_kill_switch
from rollback.registry import UnknownActionTypeError, spec_for
from rollback.spec import ActionSpec
from schemas.actions import Action, parse_action
from schemas.common import ActionStatus, Platform, canonical_json
from schemas.operations import ApplyOutcome, ApplyResult, ErrorKind, OpBatch, Operation
from schemas.records import ActionRecord, Reversibility, RollbackPlan
from schemas.snapshots import Snapshot

RollbackStatus = Literal["rolled_back", "refused", "failed", "dry_run", "skipped"]

# Latest statuses from which an action can be rolled back: it changed the platform and is not undone
# (a failed or interrupted rollback may be tried again: the state read decides what happens).
ROLLBACKABLE = frozenset(
    {ActionStatus.EXECUTED, ActionStatus.MEASURED, ActionStatus.ROLLING_BACK, ActionStatus.ROLLBACK_FAILED}
)
READ_WINDOW_DAYS = 1  # rollback reads entity state only; metrics are not judged
CLAIM_LEASE_S = 300.0  # two rollbacks of one action (CLI + auto-rollback) must not interleave
SINCE_LIMIT = 10_000


@dataclass(frozen=True)
class RollbackOutcome:
    action_id: str
    status: RollbackStatus
    message: str
    diff: dict[str, dict[str, Any]] = field(default_factory=dict)  # key -> {"expected": …, "found": …}
    irreversible_parts: tuple[str, ...] = ()
    inverse_ops: tuple[Operation, ...] = ()  # what was (or, in a dry run, would be) applied


class _Stop(Exception):
    """Early end of one rollback attempt with its outcome."""

    def __init__(self, outcome: RollbackOutcome) -> None:
        super().__init__(outcome.message)
        self.outcome = outcome


@dataclass(frozen=True)
class _Attempt:
    record: ActionRecord
    action: Action
    spec: ActionSpec
    plan: RollbackPlan
    connector: PlatformConnector
    actor: str
    run_id: str
    reason: str
    force: bool
    diff: dict[str, dict[str, Any]] = field(default_factory=dict)  # drift found (refused, or overridden by force)

    def outcome(self, status: RollbackStatus, message: str) -> RollbackOutcome:
        parts = self.plan.irreversible_parts
        if parts and status in ("rolled_back", "dry_run"):
            message = f"{message}; not undone: {'; '.join(parts)}"
        return RollbackOutcome(self.record.action_id, status, message, self.diff, parts, self.plan.inverse_ops)


def _jsonable(value: dict[str, Any]) -> dict[str, Any]:
    """The same JSON form the log stores, so a fresh read compares equal to a recorded plan."""
    loaded: dict[str, Any] = json.loads(canonical_json(value))
    return loaded


def state_diff(expected: dict[str, Any], found: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {key: {"expected": expected.get(key), "found": found.get(key)}
            for key in sorted({*expected, *found}) if expected.get(key) != found.get(key)}


def outside_changes_since(attempt: Any, current: Snapshot, recorded_at: datetime | None) -> str | None:
    """Who changed the action's entity outside the Operator after it ran (the snapshot's outside changes,
    e.g. Google Ads change_event), as one line; None when nobody did or the platform does not say.

    "After it ran" is after its result was recorded, not after the call was sent: a platform that names no
    author (ActiveCampaign's `mdate`) stamps the Operator's own write while the call is under way."""
    key = attempt.spec.entity_key(attempt.action)
    found = [c for c in current.outside_changes or ()
             if c.entity_key == key and recorded_at and c.changed_at > recorded_at]
    if not found:
        return None
    return ", ".join(f"{c.actor} ({c.client_type}) at {c.changed_at.isoformat()}"
                     for c in sorted(found, key=lambda c: c.changed_at))


def describe_diff(diff: dict[str, dict[str, Any]]) -> str:
    return "; ".join(f"changed outside the Operator by {d['found']}" if key == "changed_outside_the_operator"
                     else f"{key}: expected {d['expected']!r}, found {d['found']!r}" for key, d in diff.items())


class RollbackExecutor:
    def __init__(self, log: ActionsLog, state: StateStore, connectors: Mapping[Platform, PlatformConnector],
                 clock: Callable[[], datetime]) -> None:
        self._log = log
        self._state = state
        self._connectors = connectors
        self._clock = clock

    # ------------------------------------------------------------------ public

    def rollback(self, action_id: str, *, actor: str, run_id: str, force: bool = False, dry_run: bool = False,
                 allow_during_stop: bool = False, reason: str = "manual",
                 simulated: dict[str, dict[str, Any]] | None = None) -> RollbackOutcome:
        """Undo one executed action. `allow_during_stop` is for a person at the CLI; automatic
        rollbacks never pass it. `dry_run` reads but writes nothing; `simulated` (entity key -> state) is
        what earlier dry-run undos of a sequence would have left, read instead of the live state."""
        try:
            attempt = self._prepare(action_id, actor=actor, run_id=run_id, reason=reason, force=force)
            stopped = self._check_stop(attempt, allow_during_stop or dry_run)
            current, observed = self._read(attempt)
            key = f"{attempt.spec.entity_key(attempt.action)}|{attempt.action.type}"  # the same state slice
            if dry_run and simulated is not None and key in simulated:
                observed = simulated[key]
            outcome = self._decide(attempt, current, observed, dry_run=dry_run, allow_during_stop=allow_during_stop)
            if dry_run and simulated is not None and outcome.status == "dry_run":
                simulated[key] = _jsonable(attempt.plan.before_state)
        except _Stop as stop:
            return stop.outcome
        if dry_run and stopped and not allow_during_stop:
            outcome = replace(outcome, message=f"{outcome.message} (the emergency stop is on: a real rollback "
                                               "needs allow_during_stop)")
        return outcome

    def rollback_since(self, organization_id: str, since: datetime, *, actor: str, run_id: str,
                       force: bool = False, dry_run: bool = False, allow_during_stop: bool = False,
                       reason: str = "manual") -> list[RollbackOutcome]:
        """Every action of the org executed at or after `since`, newest first (saga order). One
        failure does not stop the rest: each outcome is reported."""
        records = self._log.query(organization_id=organization_id, since=since, statuses=sorted(ROLLBACKABLE),
                                  limit=SINCE_LIMIT)
        executed = [r for r in records if (r.executed_at or r.event_time) >= since]
        executed.sort(key=lambda r: (r.executed_at or r.event_time, r.action_id), reverse=True)
        outcomes: list[RollbackOutcome] = []
        simulated: dict[str, dict[str, Any]] = {}  # a preview undoes the sequence in order, as the real one does
        for record in executed:
            try:
                outcomes.append(self.rollback(record.action_id, actor=actor, run_id=run_id, force=force,
                                              dry_run=dry_run, allow_during_stop=allow_during_stop, reason=reason,
                                              simulated=simulated))
            except Exception as error:  # an adapter bug in one rollback must not strand the others
                outcomes.append(RollbackOutcome(record.action_id, "failed", f"unexpected error: {error!r}"))
        return outcomes

    # ------------------------------------------------------------------ steps

    def _prepare(self, action_id: str, *, actor: str, run_id: str, reason: str, force: bool) -> _Attempt:
        record = self._log.latest([action_id]).get(action_id)
        if record is None:
            raise _Stop(RollbackOutcome(action_id, "refused", f"no action {action_id} in the log"))
        if record.status == ActionStatus.ROLLED_BACK:
            raise _Stop(RollbackOutcome(action_id, "skipped", f"already rolled back at {record.rolled_back_at}"))
        if record.status == ActionStatus.UNCERTAIN:
            raise _Stop(RollbackOutcome(action_id, "refused", "the action's outcome is still uncertain: the next "
                                        "run settles it by reading the platform; roll back after that"))
        if record.status not in ROLLBACKABLE:
            raise _Stop(RollbackOutcome(action_id, "refused", f"the action is {record.status.value}: it did not "
                                        "change the platform, so there is nothing to undo"))
        plan = record.rollback_plan
        if plan is None:
            raise _Stop(RollbackOutcome(action_id, "refused", "no rollback plan was recorded for this action"))
        if plan.reversibility == Reversibility.NONE or not plan.inverse_ops:
            parts = "; ".join(plan.irreversible_parts) or "no inverse operation"
            raise _Stop(RollbackOutcome(action_id, "refused", f"the action cannot be undone: {parts}",
                                        irreversible_parts=plan.irreversible_parts))
        try:
            action = parse_action(record.payload.get("action"))
            spec = spec_for(action)
        except (ValidationError, UnknownActionTypeError) as error:
            raise _Stop(RollbackOutcome(action_id, "failed", f"the recorded action cannot be read: {error}")) from None
        connector = self._connectors.get(spec.platform)
        if connector is None:
            raise _Stop(RollbackOutcome(action_id, "failed", f"no {spec.platform.value} connector is configured"))
        return _Attempt(record, action, spec, plan, connector, actor, run_id, reason, force)

    def _execution_recorded_at(self, record: ActionRecord) -> datetime | None:
        """When the action's EXECUTED row was written (the platform had answered by then)."""
        executed = [r.event_time for r in self._log.events(record.action_id) if r.status == ActionStatus.EXECUTED]
        return max(executed, default=record.executed_at)

    def _check_stop(self, attempt: _Attempt, allowed: bool) -> bool:
        """Refuse while the global or org emergency stop is on, unless allowed; True when it is on."""
        check = check_kill_switch(self._state.kill_switches(attempt.record.organization_id))
        if not check.passed and not allowed:
            raise _Stop(attempt.outcome("refused", f"{check.message}; rollback refused (a person may override "
                                                   "with allow_during_stop)"))
        return not check.passed

    def _read(self, attempt: _Attempt) -> tuple[Snapshot, dict[str, Any]]:
        record = attempt.record
        request = attempt.spec.snapshot_request(attempt.action, record.action_id, READ_WINDOW_DAYS,
                                                record.organization_id)
        try:
            answers = attempt.connector.snapshot(request.account_id, [request], self._clock())
        except PlatformError as error:
            raise _Stop(attempt.outcome("failed", f"could not read the current state: {error.message}")) from None
        current = answers.get(record.action_id)
        if current is None:
            raise _Stop(attempt.outcome("failed", "the platform answered no state for this action"))
        return current, _jsonable(attempt.spec.observed_state(attempt.action, current))

    def _decide(self, attempt: _Attempt, current: Snapshot, observed: dict[str, Any], *, dry_run: bool,
                allow_during_stop: bool) -> RollbackOutcome:
        plan, record = attempt.plan, attempt.record
        before, expected = _jsonable(plan.before_state), _jsonable(plan.expected_state)
        retry = record.status in (ActionStatus.ROLLING_BACK, ActionStatus.ROLLBACK_FAILED)
        if retry and observed == before:  # an earlier attempt landed after all: record it
            if dry_run:
                return attempt.outcome("skipped", "the state already matches the state before the action")
            return self._finish(attempt, record, ApplyOutcome.APPLIED, {}, None,
                                "an earlier rollback attempt had landed")
        refusal = attempt.spec.rollback_refusal(attempt.action, plan, current, self._clock())
        if refusal is not None:
            raise _Stop(attempt.outcome("refused", refusal))
        diff = state_diff(expected, observed)
        outside = outside_changes_since(attempt, current, self._execution_recorded_at(record))
        if outside:  # someone else changed the entity after the action: drift even if the slice reads the same
            diff["changed_outside_the_operator"] = {"expected": None, "found": outside}
        attempt = replace(attempt, diff=diff)
        if attempt.diff and not attempt.force:
            hint = " (it already matches the state before the action)" if observed == before else ""
            raise _Stop(attempt.outcome("refused", (
                f"the state changed since the action ran{hint}: {describe_diff(attempt.diff)}; rollback refused "
                "(force to undo anyway)")))
        if dry_run:
            ops = ", ".join(op.op for op in plan.inverse_ops)
            return attempt.outcome("dry_run", f"would undo {record.action_type} with {ops}")
        return self._apply(attempt, allow_during_stop)

    def _apply(self, attempt: _Attempt, allow_during_stop: bool) -> RollbackOutcome:
        record = attempt.record
        claim_key = f"{record.action_id}:rollback"
        if not self._state.claim(claim_key, attempt.run_id, self._clock(), CLAIM_LEASE_S):
            return attempt.outcome("refused", "another rollback of this action is in progress")
        try:
            self._check_stop(attempt, allow_during_stop)  # again: the platform call is next
            rolling = self._rolling_back(attempt)
            batch = OpBatch(key=record.action_id, organization_id=record.organization_id,
                            platform=attempt.spec.platform, account_id=attempt.action.account_id(),
                            ops=attempt.plan.inverse_ops)
            try:
                results = attempt.connector.apply(batch.account_id, [batch])
                result = results[0] if results else None
            except PlatformError as error:  # adapters report per-action failures; this is the whole call
                landed = ApplyOutcome.UNCERTAIN if error.kind == ErrorKind.UNCERTAIN else ApplyOutcome.FAILED
                result = ApplyResult(key=record.action_id, outcome=landed, error=error.info())
            if result is None or result.outcome == ApplyOutcome.UNCERTAIN:
                return self._settle(attempt, rolling, result)
            return self._finish(attempt, rolling, result.outcome, result.details, result,
                                result.error.message if result.error else None)
        except _Stop as stop:
            return stop.outcome
        finally:
            self._state.release(claim_key, attempt.run_id, done=False)

    def _settle(self, attempt: _Attempt, rolling: ActionRecord, result: ApplyResult | None) -> RollbackOutcome:
        """An ambiguous apply is decided by reading, never by sending the inverse again."""
        cause = result.error.message if result is not None and result.error else "no result"
        try:
            _, observed = self._read(attempt)
        except _Stop as stop:
            return self._finish(attempt, rolling, ApplyOutcome.FAILED, {}, result,
                                f"outcome uncertain ({cause}) and {stop.outcome.message}; run the rollback "
                                "again to settle it")
        before = _jsonable(attempt.plan.before_state)
        if observed == before:
            return self._finish(attempt, rolling, ApplyOutcome.APPLIED, {}, result,
                                f"outcome uncertain ({cause}); the state read after it shows it landed")
        return self._finish(attempt, rolling, ApplyOutcome.FAILED, {}, result,
                            f"outcome uncertain ({cause}); the state read after it is not the state before: "
                            f"{describe_diff(state_diff(before, observed))}")

    # ------------------------------------------------------------------ log rows

    def _info(self, attempt: _Attempt, **extra: Any) -> dict[str, Any]:
        return {**(attempt.record.result or {}),
                "rollback": {"by": attempt.actor, "reason": attempt.reason, "forced": attempt.force, **extra}}

    def _rolling_back(self, attempt: _Attempt) -> ActionRecord:
        """The write-ahead row: durable before the platform call."""
        row = attempt.record.next(ActionStatus.ROLLING_BACK, self._clock(), attempt.run_id,
                                  result=self._info(attempt, drift=attempt.diff), error_message=None,
                                  executed_by=attempt.actor)  # the rollback's rows name who rolled back
        try:
            self._log.append([row])
        except StoreError as error:
            raise _Stop(attempt.outcome("failed", f"the log is unavailable, nothing was undone: {error}")) from None
        return row

    def _finish(self, attempt: _Attempt, previous: ActionRecord, outcome: ApplyOutcome, details: dict[str, Any],
                result: ApplyResult | None, note: str | None) -> RollbackOutcome:
        """The closing row: ROLLED_BACK (`note` says how it was settled) or ROLLBACK_FAILED (`note` says why)."""
        now = self._clock()
        info = self._info(attempt, drift=attempt.diff, details=details,
                          request_ids=list(result.request_ids) if result else [],
                          irreversible_parts=list(attempt.plan.irreversible_parts))
        key = attempt.spec.entity_key(attempt.action)
        if outcome == ApplyOutcome.APPLIED:
            row = previous.next(ActionStatus.ROLLED_BACK, now, attempt.run_id, rolled_back_at=now, result=info)
            status: RollbackStatus = "rolled_back"
            message = f"rolled back {attempt.record.action_type} on {key}" + (f" ({note})" if note else "")
        else:
            message = f"rollback of {attempt.record.action_type} on {key} failed: {note or 'nothing landed'}"
            row = previous.next(ActionStatus.ROLLBACK_FAILED, now, attempt.run_id, result=info, error_message=message)
            status = "failed"
        try:
            self._log.append([row])
        except StoreError as store_error:  # the ROLLING_BACK row stays: a re-run settles it by reading
            message += f" (the log write failed: {store_error}; run the rollback again to record it)"
        return attempt.outcome(status, message)
