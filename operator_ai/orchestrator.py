"""The scheduled run (spec §5): every organization, concurrently, each in its own failure domain.

Per org: settle in-flight actions → pull approved opportunities → plan → claim → batched snapshots →
guardrails → BLOCKED / PENDING_APPROVAL / DRY_RUN / execute per account → summary.
"""

from __future__ import annotations

import json
import logging
import secrets
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

from connectors.base import PendingApproval
from guardrails.engine import DRY_RUN_RULES
from guardrails.limits import resolve_limits
from operator_ai.alerts import log_action_failures, warn_expiring_approvals
from operator_ai.deployment import ConfigError, check_live
from operator_ai.execution import Executed, ExecutionContext, execute_account, validate_dry_runs
from operator_ai.frame import load_frame, read_for_frame
from operator_ai.journal import EXECUTED_STATUSES, RUN_ACTOR, input_record, plan_record
from operator_ai.logs import log_context, with_log_context
from operator_ai.measurement import measure_due
from operator_ai.planner import PlannedOpportunity
from operator_ai.planning import BuiltPlan, OrgFrame, build_plan
from operator_ai.settlement import settle
from operator_ai.wiring import Services
from schemas.common import IN_FLIGHT, ActionStatus, Outcome, stable_hash
from schemas.operations import ErrorKind
from schemas.policy import OrgPolicy, shared_accounts
from schemas.records import ActionRecord, RunSummary
from schemas.verdict import Verdict

log = logging.getLogger("operator.run")

# A block from one of these rules is temporary: the action is released and judged again next run.
DEFERRABLE_RULES = frozenset({"kill_switch", "hourly_rate", "daily_rate", "stale_data"})
# A planning read that failed this way says nothing about the action: it is judged again next run.
TRANSIENT_READ_ERRORS = frozenset({ErrorKind.RETRYABLE, ErrorKind.RATE_LIMITED, ErrorKind.QUOTA, ErrorKind.UNCERTAIN,
                                   ErrorKind.AUTH})


def orgs_sharing_accounts(policies: list[OrgPolicy]) -> dict[str, list[str]]:
    """Organizations with a platform account also connected to another organization, and which: such an
    org is never run (an action for one org must never be able to touch another's account)."""
    found: dict[str, list[str]] = defaultdict(list)
    for account, orgs in shared_accounts(policies).items():
        for org in orgs:
            found[org].append(f"{account} is connected to {', '.join(orgs)}")
    return dict(found)


def new_run_id(now: datetime) -> str:
    return f"run-{now:%Y%m%dT%H%M%S}-{secrets.token_hex(3)}"


def expire_approvals(services: Services, run_id: str) -> None:
    """Approvals past their TTL are auto-rejected: EXPIRED in the state store and in the log (every run,
    and before any decision, so a late decision is refused with the expiry on record)."""
    expired = services.state.expire_pending(services.clock())
    if not expired:
        return
    latest = services.log.latest([a.action_id for a in expired])
    rows = [latest[a.action_id].next(ActionStatus.EXPIRED, services.clock(), run_id,
                                     error_message=f"approval expired at {a.expires_at.isoformat()}")
            for a in expired if a.action_id in latest]
    services.log.append(rows)


class Orchestrator:
    def __init__(self, services: Services):
        self.s = services

    # ------------------------------------------------------------------ the whole run

    def run(self, org_ids: list[str] | None = None, *, dry_run: bool = False) -> RunSummary:
        started = self.s.clock()
        run_id = new_run_id(started)
        orgs, errors = self.prepare_run(org_ids, run_id)
        lines, org_errors = self.run_orgs(orgs, run_id, dry_run)
        return self.summarize(run_id, started, orgs, lines, errors + org_errors, dry_run)

    def prepare_run(self, org_ids: list[str] | None, run_id: str) -> tuple[list[OrgPolicy], list[str]]:
        """Once per run, before any organization: flush the outbox, expire approvals, find the orgs."""
        self.s.log.flush_outbox()
        expire_approvals(self.s, run_id)
        warn_expiring_approvals(self.s, run_id)  # the 'about to expire' alert (docs/deploy.md §11)
        stored = self.s.state.list_orgs()
        orgs = [o for o in stored if not org_ids or o.organization_id in org_ids]
        unknown = sorted(set(org_ids or ()) - {o.organization_id for o in orgs})
        shared = orgs_sharing_accounts(stored)
        refused = [f"{o.organization_id}: not run: {'; '.join(shared[o.organization_id])} (an account belongs to "
                   "one organization; disconnect it from all but one)" for o in orgs if o.organization_id in shared]
        orgs = [o for o in orgs if o.organization_id not in shared]
        return orgs, [f"{org}: unknown organization" for org in unknown] + refused

    def run_orgs(self, orgs: list[OrgPolicy], run_id: str, dry_run: bool) -> tuple[list[dict[str, Any]], list[str]]:
        """These organizations, `org_concurrency` at a time, then their measurements due now."""
        lines: list[dict[str, Any]] = []
        errors: list[str] = []
        with ThreadPoolExecutor(max_workers=self.s.settings.org_concurrency, thread_name_prefix="org") as pool:
            futures = {pool.submit(with_log_context(self.run_org, organization_id=org.organization_id, run_id=run_id),
                                   org, run_id, dry_run): org.organization_id for org in orgs}
            for future, org_id in futures.items():
                try:
                    lines.extend(future.result())
                except ConfigError as error:  # a missing setting: its message says it all, no traceback
                    log.error(json.dumps({"event": "org_run_failed", "organization_id": org_id, "run_id": run_id,
                                          "error": str(error)}))
                    errors.append(f"{org_id}: {error}")
                except Exception as error:  # one org's failure never stops another's
                    with log_context(organization_id=org_id, run_id=run_id):  # labels for the alert (deploy.md)
                        log.exception(json.dumps({"event": "org_run_failed", "organization_id": org_id,
                                                  "error": f"{type(error).__name__}: {error}"}))
                    errors.append(f"{org_id}: {type(error).__name__}: {error}")
        if not dry_run:  # checkpoints due now are measured (and regressions rolled back) after the orgs ran
            lines.extend(measure_due(self.s, run_id, [o.organization_id for o in orgs]))
        return lines, errors

    def summarize(self, run_id: str, started: datetime, orgs: list[OrgPolicy], lines: list[dict[str, Any]],
                  errors: list[str], dry_run: bool) -> RunSummary:
        summary = RunSummary(
            run_id=run_id, started_at=started, finished_at=self.s.clock(), mode=self.s.mode, dry_run=dry_run,
            organizations=tuple(o.organization_id for o in orgs),
            counts=dict(Counter(line["status"] for line in lines)), actions=tuple(lines), errors=tuple(errors))
        log.info(json.dumps({"event": "run_summary", "run_id": run_id, "mode": summary.mode, "dry_run": dry_run,
                             "counts": summary.counts, "errors": list(errors),
                             "duration_s": round(summary.duration_s, 3)}))
        log_action_failures(lines, run_id)  # one line per FAILED/UNCERTAIN action for the alert
        return summary

    # ------------------------------------------------------------------ one organization

    def run_org(self, policy: OrgPolicy, run_id: str, dry_run: bool = False) -> list[dict[str, Any]]:
        org = policy.organization_id
        now = self.s.clock()
        switch = self.s.state.kill_switches(org)
        if switch.active is not None:
            active = switch.active
            return [{"organization_id": org, "status": "STOPPED", "action_id": None, "type": None,
                     "detail": f"kill switch ({active.scope}) on since {active.set_at.isoformat()} by {active.set_by}: "
                               f"{active.reason}"}]
        check_live(policy, self.s)  # live mode without the org's credentials: an org error naming them
        resolve_limits(policy.limits, campaign_cap_ceiling=self.s.settings.campaign_cap_ceiling)  # loosened: fail
        lines = [] if dry_run else self._settle_in_flight(org, run_id)
        frame = load_frame(self.s, policy, now)
        planned = [self.s.planner.plan(raw, policy, now) for raw in self.s.opportunities.pull_approved(org, now)]
        planned = [p for p in planned if p.kind != "skip"]
        claimed: list[PlannedOpportunity] = []
        if planned:  # a write transaction only with something to write (each waits for the one write lock)
            with self.s.batch():
                claimed = [p for p in planned if self._claim(p, run_id, now, dry_run)]
        previous = self.s.log.latest([p.action_id for p in claimed])
        claimed = self._skip_in_flight(claimed, previous, run_id, dry_run)
        rows: list[ActionRecord] = []
        held: list[ActionRecord] = []
        finished: dict[str, bool] = {}

        def record(row: ActionRecord, done: bool) -> None:
            rows.append(row)
            previous[row.action_id] = row
            finished[row.action_id] = done

        for item in (p for p in claimed if p.kind != "action"):
            record(*self._input_row(item, now, run_id, previous.get(item.action_id), dry_run))
        actionable = [p for p in claimed if p.kind == "action"]
        snapshots = read_for_frame(self.s, frame, [(p.action_id, p.action) for p in actionable])
        to_execute: dict[tuple[Any, str], list[BuiltPlan]] = defaultdict(list)
        decided: list[tuple[BuiltPlan, ActionStatus, bool, PendingApproval | None]] = []
        for item in actionable:
            built = build_plan(item, snapshots[item.action_id], frame)
            status, done, pending = self._decide(built, frame, dry_run)
            if status == ActionStatus.EXECUTING:
                frame.reserve(built.plan, built.facts)  # type: ignore[arg-type]
                to_execute[(built.action.platform, built.action.account_id())].append(built)
            else:
                decided.append((built, status, done, pending))
        validations = validate_dry_runs(self.s.connectors, [b for b, status, _, _ in decided
                                                            if status == ActionStatus.DRY_RUN])
        for built, status, done, pending in decided:
            extra: dict[str, Any] = {}
            if status == ActionStatus.BLOCKED and not done:
                extra["result"] = {"deferred": True}
            elif status == ActionStatus.DRY_RUN:
                extra["result"] = {"dry_run": True, "otherwise": otherwise(built.plan.verdict),
                                   **validations.get(built.plan.action_id, {})}
            row = plan_record(built.item, built.plan, built.facts, status, now, run_id,
                              previous.get(built.plan.action_id),
                              error_message=built.plan.verdict.summary() if status == ActionStatus.BLOCKED else None,
                              **extra)
            if still_held(previous.get(row.action_id), row):
                held.append(previous[row.action_id])  # logged once when held back, not again every run
                finished[row.action_id] = done
                continue
            record(row, done)
            if pending is not None:
                self.s.state.put_pending(pending)
        if rows or finished:
            with self.s.batch():  # one write for every decision of this org run, and their claims
                self.s.log.append(rows)
                # Decided actions are released before any platform call: if this run dies below, only the actions
                # it was executing stay held (and are settled by reading), not decided again with duplicate rows.
                self._finish(org, run_id, finished, rows, dry_run)
        executed = self._execute(to_execute, frame, run_id, previous)
        return lines + [_line(r) for r in [*rows, *held, *(e.record for e in executed)]]

    def _claim(self, item: PlannedOpportunity, run_id: str, now: datetime, dry_run: bool) -> bool:
        if dry_run:
            # A dry run takes nothing (it must not stop the real run from doing the work) and leaves alone
            # what is decided for good or held by a live run: its rows would bury their real state.
            claim = self.s.state.claim_state(item.action_id)
            return claim is None or claim["state"] == "released"
        return self.s.state.claim(item.action_id, run_id, now, self.s.settings.claim_lease_s)

    def _skip_in_flight(self, claimed: list[PlannedOpportunity], previous: dict[str, ActionRecord], run_id: str,
                        dry_run: bool) -> list[PlannedOpportunity]:
        """Drop actions whose last row is EXECUTING or UNCERTAIN: the change may be on the platform, so
        they are only ever settled by reading (see `_settle_in_flight`), never planned and sent again.

        Also drop actions the log shows executed: a run that died (or whose state store failed) after the
        result row was durable left the claim unfinished. Planned again, the action would be sent twice or
        its EXECUTED row buried under a BLOCKED one; instead its bookkeeping is finished here."""
        in_flight = {aid for aid, row in previous.items() if row.status in IN_FLIGHT}
        executed = {aid: row for aid, row in previous.items() if row.status in EXECUTED_STATUSES}
        if not dry_run and (in_flight or executed):
            with self.s.batch():
                for action_id in in_flight:
                    self.s.state.release(action_id, run_id, done=False)
                for action_id, row in executed.items():
                    self.s.state.record_execution(row.organization_id, action_id, row.executed_at or row.event_time)
                    if row.opportunity_id:
                        self.s.opportunities.mark(row.opportunity_id, "actioned")
                    self.s.state.release(action_id, run_id, done=True)
        return [p for p in claimed if p.action_id not in in_flight and p.action_id not in executed]

    def _input_row(self, item: PlannedOpportunity, now: datetime, run_id: str, prev: ActionRecord | None,
                   dry_run: bool) -> tuple[ActionRecord, bool]:
        status = {"rejected": ActionStatus.REJECTED_INPUT, "expired": ActionStatus.EXPIRED,
                  "approval_only": ActionStatus.DRY_RUN if dry_run else ActionStatus.PENDING_APPROVAL}[item.kind]
        row = input_record(item, status, now, run_id, prev, raw=None)
        if status == ActionStatus.PENDING_APPROVAL and not dry_run:
            self.s.state.put_pending(PendingApproval(
                action_id=item.action_id, organization_id=item.organization_id, plan_hash=_input_hash(row),
                requested_at=now, expires_at=now + self.s.approval_ttl(item.organization_id),
                summary=f"approval-only action type {item.approval_only_kind}: a person performs it"))
            row = row.model_copy(update={"plan_hash": _input_hash(row)})
        return row, True

    def _decide(self, built: BuiltPlan, frame: OrgFrame,
                dry_run: bool) -> tuple[ActionStatus, bool, PendingApproval | None]:
        """Status for a judged plan, whether its claim is finished, and the approval to queue."""
        policy = frame.policy
        verdict = built.plan.verdict
        blocking = {r.rule_id for r in verdict.blocking}
        if dry_run:  # a dry run records what would have happened, blocks included ("otherwise blocked by …")
            return ActionStatus.DRY_RUN, False, None
        if verdict.outcome == Outcome.BLOCK:
            if blocking <= DRY_RUN_RULES:
                return ActionStatus.DRY_RUN, True, None
            error = built.snapshot_error
            if error is None and "daily_spend_cap" in blocking:  # the org's budgets could not be read
                error = frame.budgets_error
            deferred = blocking <= DEFERRABLE_RULES or (error is not None and error.kind in TRANSIENT_READ_ERRORS)
            return ActionStatus.BLOCKED, not deferred, None
        if verdict.outcome == Outcome.NEEDS_APPROVAL:
            now = self.s.clock()
            pending = PendingApproval(action_id=built.plan.action_id, organization_id=policy.organization_id,
                                      plan_hash=built.plan.plan_hash, requested_at=now,
                                      expires_at=now + self.s.approval_ttl(policy.organization_id),
                                      summary=f"{built.action.type}: {verdict.summary()}")
            return ActionStatus.PENDING_APPROVAL, True, pending
        return ActionStatus.EXECUTING, True, None

    def _execute(self, groups: dict[tuple[Any, str], list[BuiltPlan]], frame: OrgFrame, run_id: str,
                 previous: dict[str, ActionRecord]) -> list[Executed]:
        ctx = ExecutionContext(log=self.s.log, state=self.s.state, opportunities=self.s.opportunities,
                               connectors=self.s.connectors, clock=self.s.clock, run_id=run_id, limits=frame.limits,
                               history=frame.history)
        outcomes: list[Executed] = []
        for plans in groups.values():
            results = execute_account(ctx, plans, previous, executed_by=RUN_ACTOR)
            with self.s.batch():  # the results and their bookkeeping, each account as soon as it is done
                self.s.log.append([r.record for r in results])
                self._finish(frame.policy.organization_id, run_id, {r.record.action_id: r.done for r in results},
                             [r.record for r in results], dry_run=False)
            outcomes.extend(results)
        return outcomes

    def _finish(self, org: str, run_id: str, finished: dict[str, bool], rows: list[ActionRecord],
                dry_run: bool) -> None:
        with self.s.batch():  # counters, marks and claims of a group of actions: one commit
            for row in rows:
                if row.status == ActionStatus.EXECUTED:
                    self.s.state.record_execution(org, row.action_id, row.executed_at or row.event_time)
                    if row.opportunity_id:
                        self.s.opportunities.mark(row.opportunity_id, "actioned")
            if dry_run:
                return
            for action_id, done in finished.items():
                self.s.state.release(action_id, run_id, done=done)

    def _settle_in_flight(self, org: str, run_id: str) -> list[dict[str, Any]]:
        open_records = self.s.log.query(organization_id=org,
                                        statuses=[ActionStatus.UNCERTAIN, ActionStatus.EXECUTING])
        now = self.s.clock()
        mine = [r for r in open_records if self.s.state.claim(r.action_id, run_id, now, self.s.settings.claim_lease_s)]
        if not mine:
            return []
        answers = settle(mine, self.s.connectors, now, run_id, resolve_limits().measurement_checkpoint_hours)
        rows = [a.record for a in answers.values() if a.record is not None]
        self.s.log.append(rows)
        lines = []
        for record in mine:
            answer = answers[record.action_id]
            self.s.state.release(record.action_id, run_id, done=answer.record is not None and not answer.replan)
            if answer.record is not None and answer.record.status == ActionStatus.EXECUTED:
                self.s.state.record_execution(org, record.action_id, now)
                if record.opportunity_id:  # as for any execution: Scout learns the opportunity was acted on
                    self.s.opportunities.mark(record.opportunity_id, "actioned")
            lines.append({**_line(answer.record or record), "detail": answer.message})
        return lines


def still_held(previous: ActionRecord | None, row: ActionRecord) -> bool:
    """The same deferred hold as the last row (same action, entity state and blocking rules): nothing changed,
    so nothing new is written; the action stays deferred with its one row until something does."""
    if previous is None or not (previous.status == row.status == ActionStatus.BLOCKED):
        return False
    if not ((previous.result or {}).get("deferred") and (row.result or {}).get("deferred")):
        return False
    same_rules = (previous.verdict is not None and row.verdict is not None
                  and {r.rule_id for r in previous.verdict.blocking} == {r.rule_id for r in row.verdict.blocking})
    keys = ("action", "observed_state")
    return same_rules and all(previous.payload.get(k) == row.payload.get(k) for k in keys)


def _input_hash(row: ActionRecord) -> str:
    return stable_hash([row.action_id, row.payload])


def otherwise(verdict: Verdict) -> str:
    """What a dry-run action would have been without the dry-run rules (advisory mode, sandbox phase)."""
    rest = [r for r in verdict.rules if r.rule_id not in DRY_RUN_RULES]
    blocking = [r.rule_id for r in rest if r.outcome == Outcome.BLOCK]
    approval = [r.rule_id for r in rest if r.outcome == Outcome.NEEDS_APPROVAL]
    if blocking:
        return "blocked by " + ", ".join(blocking)
    if approval:
        return "needs approval: " + ", ".join(approval)
    return "would execute"


def _line(row: ActionRecord) -> dict[str, Any]:
    verdict = row.verdict
    if row.status == ActionStatus.DRY_RUN and verdict is not None:
        why = {"autonomy": "advisory mode", "rollout_phase": "sandbox phase"}
        dry = ", ".join(why.get(r.rule_id, r.rule_id) for r in verdict.blocking if r.rule_id in DRY_RUN_RULES)
        detail = f"dry run ({dry or 'requested'}); otherwise {otherwise(verdict)}"
        return {**_line(row.model_copy(update={"status": ActionStatus.PLANNED})), "status": row.status.value,
                "detail": detail}
    return {
        "organization_id": row.organization_id,
        "action_id": row.action_id,
        "opportunity_id": row.opportunity_id,
        "type": row.action_type,
        "status": row.status.value,
        "detail": row.error_message or (verdict.summary() if verdict else ""),
        "rules": {
            "block": verdict.rule_ids(Outcome.BLOCK) if verdict else [],
            "needs_approval": verdict.rule_ids(Outcome.NEEDS_APPROVAL) if verdict else [],
        },
    }
