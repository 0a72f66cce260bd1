"""`measure_due`: the measurement step of every scheduled run (spec §8).

Per organization (skipped while its emergency stop is on: no platform reads during a stop): find the
EXECUTED/MEASURED actions with due checkpoints, read their metrics (one call per account), judge each
checkpoint, and append one MEASURED row per checkpoint with `result.measurement` (the latest) and
`result.measurements` (all so far). MEASURED still counts as executed (rollback, rate rules). A final
`failed` verdict triggers an automatic rollback when the org's policy asks for it. Subject-line tests are
also evaluated here (their experiment decides their verdict). Each action is claimed while it is measured,
so overlapping runs never measure one checkpoint twice.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from connectors.base import ExperimentStore
from operator_ai.measurement import experiments as exp
from operator_ai.measurement import series as panels
from operator_ai.measurement.autorollback import auto_rollback, policy_note
from operator_ai.measurement.checks import OrgChecks, judge_series_checkpoint
from operator_ai.measurement.controls import holder
from operator_ai.measurement.judge import Judgement, judge_rate
from operator_ai.measurement.reads import Answer, read_all
from operator_ai.measurement.specs import MeasureSpec, entity_id, spec_for
from operator_ai.measurement.summary import measured as measurements
from operator_ai.measurement.windows import Checkpoint, due, extended, is_final, latest_measurement, schedule
from operator_ai.wiring import Services
from schemas.actions import parse_action
from schemas.common import ActionStatus, Platform
from schemas.experiments import Experiment, ExperimentStatus
from schemas.impact import WAITING_VERDICTS
from schemas.metrics import EmailCounts, MetricEntity, MetricReading, MetricRequest
from schemas.policy import OrgPolicy
from schemas.records import ActionRecord

log = logging.getLogger("operator.measure")
CLAIM_LEASE_S = 300.0
OPEN_STATUSES = (ActionStatus.EXECUTED, ActionStatus.MEASURED)


def experiment_store(services: Services) -> ExperimentStore | None:
    """Where experiments live: an explicit `extras["experiments"]`, else the state store if it has them."""
    store = services.extras.get("experiments", services.state)
    return store if isinstance(store, ExperimentStore) else None


@dataclass
class _Job:
    record: ActionRecord
    spec: MeasureSpec
    platform: Platform
    account: str
    checkpoints: list[Checkpoint]
    experiment: Experiment | None = None
    requests: list[MetricRequest] = field(default_factory=list)


def measure_due(services: Services, run_id: str, org_ids: list[str] | None = None, *,
                specs: Mapping[str, MeasureSpec] | None = None) -> list[dict[str, Any]]:
    """Measure every due checkpoint of the given organizations (all when None); one line per row written."""
    lines: list[dict[str, Any]] = []
    for policy in services.state.list_orgs():
        if org_ids and policy.organization_id not in org_ids:
            continue
        try:
            lines.extend(_Org(services, policy, run_id, specs).measure())
        except Exception as error:  # one org's measurement failure never stops another's
            log.exception("measurement for %s failed", policy.organization_id)
            lines.append({"organization_id": policy.organization_id, "action_id": None, "type": None,
                          "status": "MEASUREMENT_ERROR", "detail": f"{type(error).__name__}: {error}"})
    return lines


class _Org:
    def __init__(self, services: Services, policy: OrgPolicy, run_id: str,
                 specs: Mapping[str, MeasureSpec] | None) -> None:
        self.s, self.policy, self.run_id, self.specs = services, policy, run_id, specs
        self.org = policy.organization_id
        self.now = services.clock()
        self.store = experiment_store(services)
        self.checks = OrgChecks(services, policy, self.now)

    # ------------------------------------------------------------------ the org's measurement

    def measure(self) -> list[dict[str, Any]]:
        if self.s.state.kill_switches(self.org).active is not None:
            return []  # the checkpoints wait: nothing is read or undone during a stop
        self._cancel_orphaned_experiments()
        records = self.s.log.query(organization_id=self.org, statuses=list(OPEN_STATUSES), limit=100_000)
        lines: list[dict[str, Any]] = []
        for record in records:
            if _deferred_rollback(record):
                lines.extend(self._retry_rollback(record))
        candidates = [r for r in records if self._wants_work(r)]
        claimed = [r for r in candidates
                   if self.s.state.claim(_claim_key(r), self.run_id, self.now, CLAIM_LEASE_S)]
        try:
            fresh = self.s.log.latest([r.action_id for r in claimed])
            jobs = [job for r in claimed if (job := self._job(fresh.get(r.action_id))) is not None]
            extra = self.checks.requests([(j.platform, j.account) for j in jobs if j.spec.family == "series"])
            answers = read_all(self.s.connectors, [q for job in jobs for q in job.requests] + extra, self.now)
            lines.extend(self.checks.breaker(answers))
            for job in jobs:
                if job.spec.family == "series" and job.account in self.checks.held_accounts:
                    continue  # conversions collapsed across the account: its checkpoints wait
                lines.extend(self._finish(job, answers))
        finally:
            for record in claimed:
                self.s.state.release(_claim_key(record), self.run_id, done=False)
        return lines

    def _wants_work(self, record: ActionRecord) -> bool:
        if is_final(record):
            return False
        return bool(self._due(record)) or spec_for(record, self.specs).family == "experiment"

    def _due(self, record: ActionRecord) -> list[Checkpoint]:
        return due(record, self.now, int(self.checks.limits.learning_allowance_days))

    def _job(self, record: ActionRecord | None) -> _Job | None:
        """What to read for one action (None when it no longer needs measuring)."""
        if record is None or record.status not in OPEN_STATUSES or is_final(record):
            return None
        spec = spec_for(record, self.specs)
        try:
            action = parse_action(record.payload.get("action"))
        except ValueError:
            action = None
        platform = Platform(record.platform) if record.platform in set(Platform) else None
        if action is None or platform is None:
            spec = MeasureSpec("none", reason="the recorded action cannot be read")
        job = _Job(record, spec, platform or Platform.CONTENT, action.account_id() if action else "",
                   self._due(record))
        if spec.family == "experiment":
            job.experiment = self._experiment(record)
            if job.experiment is not None:
                job.requests = self._experiment_requests(job.experiment)
        elif not job.checkpoints:
            return None
        elif spec.family == "series":
            job.requests = self._series_requests(job)
        elif spec.family == "email_rate":
            job.requests = self._email_requests(job)
        return job

    # ------------------------------------------------------------------ requests

    def _request(self, job: _Job, key: str, entity: MetricEntity, ident: str, start: datetime, end: datetime,
                 **extra: Any) -> MetricRequest:
        return MetricRequest(key=key, organization_id=self.org, platform=job.platform, account_id=job.account,
                             entity=entity, entity_id=ident, start=start, end=end, **extra)

    def _series_requests(self, job: _Job) -> list[MetricRequest]:
        ident = entity_id(job.record, job.spec)
        exec_day = panels.execution_day(job.record)
        if ident is None or job.spec.entity is None or exec_day is None:
            return []
        start, end = panels.read_range(exec_day, job.checkpoints)
        aid = job.record.action_id
        found = [self._request(job, f"{aid}:series", job.spec.entity, ident, start, end)]
        if job.platform == Platform.GOOGLE_ADS:
            campaign = holder(job.record).campaign  # the treated campaign, or a keyword's own (never a control)
            found.append(self._request(job, f"{aid}:controls", MetricEntity.ACCOUNT_CAMPAIGNS, job.account, start, end,
                                       exclude_ids=(campaign,) if campaign else ()))
        return found

    def _email_requests(self, job: _Job) -> list[MetricRequest]:
        ident = entity_id(job.record, job.spec)
        if ident is None:
            return []
        start = job.record.executed_at or job.record.event_time
        return [self._request(job, _key(job.record, 0, "campaign"), MetricEntity.EMAIL_CAMPAIGN, ident, start,
                              self.now),
                self._request(job, _key(job.record, 0, "baseline"), MetricEntity.EMAIL_ACCOUNT, job.account, start,
                              self.now, exclude_ids=(ident,))]

    def _experiment_requests(self, experiment: Experiment) -> list[MetricRequest]:
        base = {"organization_id": self.org, "platform": Platform.ACTIVECAMPAIGN,
                "account_id": experiment.account_id, "start": experiment.started_at, "end": self.now}
        found = [MetricRequest(key=f"{experiment.experiment_id}:{v.variant_id}", entity=MetricEntity.EMAIL_MESSAGE,
                               entity_id=v.variant_id, **base) for v in experiment.variants]
        found.append(MetricRequest(key=f"{experiment.experiment_id}:campaign", entity=MetricEntity.EMAIL_CAMPAIGN,
                                   entity_id=experiment.entity_id, **base))
        return found

    # ------------------------------------------------------------------ judging and writing

    def _finish(self, job: _Job, answers: dict[str, Answer]) -> list[dict[str, Any]]:
        results = self._judge(job, answers)
        if not results:
            return []
        rows: list[ActionRecord] = []
        previous = job.record
        for info, judgement, final in results:
            row = self._row(previous, info, judgement, final, job.spec)
            rows.append(row)
            previous = row
            if final:
                break
        self.s.log.append(rows)
        lines = [_line(r) for r in rows]
        last = rows[-1]
        note = (last.result or {}).get("auto_rollback") or {}
        if note.get("status") == "requested":
            lines.extend(self._rollback(last))
        return lines

    def _judge(self, job: _Job, answers: dict[str, Answer]) -> list[tuple[dict[str, Any], Judgement, bool]]:
        """(checkpoint info, judgement, final) per checkpoint ready to record, in order."""
        spec = job.spec
        if spec.family == "experiment":
            return self._judge_experiment(job, answers)
        out: list[tuple[dict[str, Any], Judgement, bool]] = []
        for cp in job.checkpoints:
            if spec.family == "none" or not job.requests:
                reason = spec.reason or "the measured entity is not named in the recorded action"
                out.append((cp.describe(), _plain(spec, "inconclusive", f"not measured: {reason}", cp.alpha), True))
                break
            judged = self._judge_checkpoint(job, cp, answers)
            if judged is None:  # a read failed: this and later checkpoints wait for the next run
                break
            judgement, final, cp = judged  # a scheduled final checkpoint may be judged as interim (horizon.py)
            if judgement.verdict in WAITING_VERDICTS:  # recorded once (learning: once a day, see settling.py)
                if _news(latest_measurement(job.record) or {}, cp, judgement.verdict, self.now):
                    out.append((cp.describe(), judgement, final))
                break
            out.append((cp.describe(), judgement, final))
            if final:
                break
        return out

    def _judge_checkpoint(self, job: _Job, cp: Checkpoint,
                          answers: dict[str, Answer]) -> tuple[Judgement, bool, Checkpoint] | None:
        spec = job.spec
        if spec.family == "series":
            return judge_series_checkpoint(self.checks, job.record, spec, cp, answers)
        before, after = answers.get(_key(job.record, 0, "baseline")), answers.get(_key(job.record, 0, "campaign"))
        if not isinstance(before, MetricReading) or not isinstance(after, MetricReading):
            return None
        for reading in (after, before):
            if not reading.measurable:
                return _plain(spec, "inconclusive", f"not measurable: {reading.reason}", cp.alpha), True, cp
        judgement = self._judge_email(job, before, after, cp)
        return judgement, cp.final or judgement.verdict == "failed", cp

    def _judge_email(self, job: _Job, baseline: MetricReading, campaign: MetricReading, cp: Checkpoint) -> Judgement:
        snap = ((job.record.payload.get("snapshot") or {}).get("email_campaign")) or {}
        total = campaign.email or EmailCounts()
        since = EmailCounts(sends=max(0, total.sends - int(snap.get("send_amt") or 0)),
                            opens=max(0, total.opens - int(snap.get("opens") or 0)),
                            clicks=max(0, total.clicks - int(snap.get("clicks") or 0)))
        if since.sends == 0:
            return _plain(job.spec, "inconclusive", "the campaign has sent nothing since the action", cp.alpha,
                          measurable=True)
        return judge_rate(job.spec.metric, baseline.email or EmailCounts(), since, alpha=cp.alpha)

    def _judge_experiment(self, job: _Job, answers: dict[str, Answer]) -> list[tuple[dict[str, Any], Judgement, bool]]:
        """Evaluate the experiment on every run; record it on the action only at its checkpoints (or, when
        it ends after the last one, at the next run)."""
        experiment = job.experiment
        if experiment is None:
            reason = ("no experiments store is configured" if self.store is None
                      else "the split-test messages are not named in the action's result")
            return self._experiment_rows(job, _plain(job.spec, "inconclusive", f"not measured: {reason}", 0.05),
                                         concluded=True)
        readings = [answers.get(f"{experiment.experiment_id}:{v.variant_id}") for v in experiment.variants]
        unreadable = next((a.reason for a in readings if isinstance(a, MetricReading) and not a.measurable), None)
        if unreadable is not None:  # the platform cannot report the variants: the experiment cannot decide
            reason = f"not measurable: {unreadable}"
            if self.store is not None and experiment.status == ExperimentStatus.RUNNING:
                self.store.put_experiment(experiment.model_copy(update={
                    "status": ExperimentStatus.STOPPED, "updated_at": self.now,
                    "results": {**experiment.results, "reason": reason}}))
            alpha = float(experiment.stop_rules.alpha)
            return self._experiment_rows(job, _plain(job.spec, "inconclusive", reason, alpha), concluded=True)
        counts = {v.variant_id: a.email for v, a in zip(experiment.variants, readings, strict=True)
                  if isinstance(a, MetricReading) and a.email is not None}
        campaign = answers.get(f"{experiment.experiment_id}:campaign")
        if len(counts) == len(experiment.variants):
            updated = exp.evaluate(experiment, counts, campaign if isinstance(campaign, MetricReading) else None,
                                   self.now)
            if updated != experiment and self.store is not None:
                self.store.put_experiment(updated)
            experiment = updated
        return self._experiment_rows(job, exp.judgement(experiment, float(experiment.stop_rules.alpha)),
                                     concluded=experiment.status in exp.CONCLUDED)

    def _experiment_rows(self, job: _Job, judgement: Judgement,
                         concluded: bool) -> list[tuple[dict[str, Any], Judgement, bool]]:
        if job.checkpoints:
            if concluded:
                return [(job.checkpoints[0].describe(), judgement, True)]
            return [({**cp.describe(), "final": False}, judgement, False) for cp in job.checkpoints]
        scheduled = len(schedule(job.record))
        if concluded and len(measurements(job.record)) >= scheduled:  # ended after the last checkpoint
            return [({"index": scheduled, "label": "experiment"}, judgement, True)]
        return []

    def _row(self, previous: ActionRecord, info: dict[str, Any], judgement: Judgement, final: bool,
             spec: MeasureSpec) -> ActionRecord:
        early = final and not info.get("final", True)
        measurement = {**info, **judgement.as_dict(), "final": final, "early_stop": early,
                       "measured_at": self.now.isoformat(), "expectation": spec.describe()}
        result = {**(previous.result or {}), "measurement": measurement,
                  "measurements": [*measurements(previous), measurement]}
        changes: dict[str, Any] = {}
        plan = judgement.extra.get("horizon")
        if isinstance(plan, dict) and "horizon" not in result:  # planned once, at the first judged checkpoint
            result["horizon"] = plan
            if not final:
                changes["measurement_checkpoints"] = extended(previous, int(plan["final_days"]))
        if final and judgement.verdict == "failed":
            note = policy_note(self.policy, spec.rollback_on_failure)
            if note["status"] == "requested" and judgement.extra.get("rollback_evidence") is False:
                note = {"status": "insufficient_evidence",
                        "message": "failed, but short of the automatic-rollback bar (stronger evidence and a harm "
                                   "beyond the org's minimum harmful effect): a person decides (operator rollback "
                                   "ACTION_ID)"}
            elif note["status"] == "requested" and self.checks.org_held:
                note = {"status": "held", "message": "a tracking hold is on for this organization: the rollback "
                                                     "waits until conversions come back"}
            result["auto_rollback"] = note
        return previous.next(ActionStatus.MEASURED, self.now, self.run_id, result=result, error_message=None,
                             **changes)

    # ------------------------------------------------------------------ rollbacks and experiments

    def _rollback(self, record: ActionRecord) -> list[dict[str, Any]]:
        if self.checks.org_held:
            return []  # a tracking hold: automatic rollbacks wait until conversions come back
        m = latest_measurement(record) or {}
        reason = f"measurement at {m.get('label')} failed: {m.get('reason')} (p={m.get('p_value')})"
        note = auto_rollback(self.s, record, self.run_id, reason)
        latest = self.s.log.latest([record.action_id]).get(record.action_id) or record
        return [{**_line(latest), "detail": f"auto-rollback {note['status']}: {note['message']}"}]

    def _retry_rollback(self, record: ActionRecord) -> list[dict[str, Any]]:
        key = f"{record.action_id}:auto-rollback"
        if not self.s.state.claim(key, self.run_id, self.now, CLAIM_LEASE_S):
            return []
        try:
            return self._rollback(record)
        finally:
            self.s.state.release(key, self.run_id, done=False)

    def _experiment(self, record: ActionRecord) -> Experiment | None:
        if self.store is None:
            return None
        found = self.store.get_experiment(exp.experiment_id(record.action_id))
        if found is None:
            found = exp.new_experiment(record, self.now)
            if found is not None:
                self.store.put_experiment(found)
        return found

    def _cancel_orphaned_experiments(self) -> None:
        """An experiment whose action was rolled back (or failed to roll back) is over."""
        if self.store is None:
            return
        running = self.store.list_experiments(self.org, ExperimentStatus.RUNNING)
        latest = self.s.log.latest([e.action_id for e in running])
        for experiment in running:
            record = latest.get(experiment.action_id)
            if record is not None and record.status not in OPEN_STATUSES:
                self.store.put_experiment(experiment.model_copy(update={
                    "status": ExperimentStatus.CANCELLED, "updated_at": self.now,
                    "results": {**experiment.results, "reason": f"the action is {record.status.value}"}}))


def _news(last: dict[str, Any], cp: Checkpoint, verdict: str, now: datetime) -> bool:
    """Whether a waiting verdict is worth a row: a new one for the checkpoint, or learning seen on a new day."""
    if (last.get("index"), last.get("verdict")) != (cp.index, verdict):
        return True
    seen = last.get("measured_at")
    return verdict == "learning" and (not seen or datetime.fromisoformat(str(seen)).astimezone(UTC).date()
                                      < now.astimezone(UTC).date())


def _claim_key(record: ActionRecord) -> str:
    return f"{record.action_id}:measure"


def _key(record: ActionRecord, index: int, side: str) -> str:
    return f"{record.action_id}:{index}:{side}"


def _deferred_rollback(record: ActionRecord) -> bool:
    note = (record.result or {}).get("auto_rollback") or {}
    last = latest_measurement(record) or {}
    return note.get("status") in ("deferred", "held") and last.get("verdict") == "failed"


def _plain(spec: MeasureSpec, verdict: Any, reason: str, alpha: float, *, measurable: bool = False) -> Judgement:
    """A verdict without a test: nothing could be measured (`measurable` False), or not yet."""
    return Judgement(verdict, metric=spec.metric or "none", reason=reason, before={}, after={}, alpha=alpha,
                     extra={} if measurable else {"measurable": False})


def _line(record: ActionRecord) -> dict[str, Any]:
    m = latest_measurement(record) or {}
    verdict = f"{m.get('label')} {m.get('verdict')}{' (final)' if m.get('final') else ''}: {m.get('reason')}"
    return {"organization_id": record.organization_id, "action_id": record.action_id,
            "opportunity_id": record.opportunity_id, "type": record.action_type, "status": record.status.value,
            "detail": verdict if record.status == ActionStatus.MEASURED else (record.error_message or verdict),
            "rules": {"block": [], "needs_approval": []}}
