"""Per-organization inputs of series verdicts within one measurement pass (issue 14): the org's limits
(conversion-lag allowance, minimum harmful effects), the Operator's own changes from the log, and the
tracking-break circuit breaker with its holds. `judge_series_checkpoint` puts them together for one
checkpoint: gate (confounded / learning / immature), then the counterfactual verdict.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from functools import cached_property
from typing import Any

from guardrails.limits import LimitLoosenedError, Limits, min_harmful_effect_pct, resolve_limits
from operator_ai.measurement import breaker, horizon
from operator_ai.measurement import series as panels
from operator_ai.measurement.controls import holder
from operator_ai.measurement.judge import Judgement
from operator_ai.measurement.reads import Answer
from operator_ai.measurement.settling import settled_after
from operator_ai.measurement.specs import MeasureSpec
from operator_ai.measurement.summary import planned_horizon
from operator_ai.measurement.verdict import Panel, gate, judge_panel
from operator_ai.measurement.windows import Checkpoint, schedule
from operator_ai.wiring import Services
from schemas.common import Platform
from schemas.impact import MeasurementHorizon
from schemas.metrics import EntityChange, MetricEntity, MetricReading, MetricRequest
from schemas.policy import OrgPolicy
from schemas.records import ActionRecord

MAX_WAIT = timedelta(days=21)  # a checkpoint still learning this long after it was due is closed unjudged
HISTORY = timedelta(days=90)


class OrgChecks:
    def __init__(self, services: Services, policy: OrgPolicy, now: datetime) -> None:
        self.s, self.policy, self.now = services, policy, now
        self.org = policy.organization_id
        # accounts under a tracking hold: the stored ones until this run's breaker check updates them (a held
        # rollback retried before the check must still wait)
        self.held_accounts: set[str] = {h.account_id for h in breaker.active_holds(services.state, self.org)}

    @cached_property
    def limits(self) -> Limits:
        try:
            return resolve_limits(self.policy.limits)
        except LimitLoosenedError:
            return Limits()

    @cached_property
    def own_log(self) -> list[ActionRecord]:
        return self.s.log.query(organization_id=self.org, since=self.now - HISTORY, limit=100_000)

    def own_changes(self, action_id: str) -> list[EntityChange]:
        return panels.own_changes(self.own_log, action_id)

    @property
    def org_held(self) -> bool:
        return bool(self.held_accounts)

    # ------------------------------------------------------------------ tracking breaker

    def requests(self, accounts: Sequence[tuple[Platform, str]]) -> list[MetricRequest]:
        """One account-wide read per Google Ads account of the org (connected or being measured)."""
        wanted = {a for p, a in accounts if p == Platform.GOOGLE_ADS}
        wanted |= set(self.policy.connected.google_ads_customer_ids)
        today = panels.midnight(self.now.date())
        start = today - timedelta(days=breaker.READ_DAYS)
        return [MetricRequest(key=f"breaker:{account}", organization_id=self.org, platform=Platform.GOOGLE_ADS,
                              account_id=account, entity=MetricEntity.ACCOUNT_CAMPAIGNS, entity_id=account,
                              start=start, end=today) for account in sorted(wanted)]

    def breaker(self, answers: dict[str, Answer]) -> list[dict[str, Any]]:
        """Check every account read, set/clear holds, and say so in the run's lines."""
        findings = {}
        for key, answer in answers.items():
            if key.startswith("breaker:") and isinstance(answer, MetricReading) and answer.measurable \
                    and answer.series:
                account = key.partition(":")[2]
                findings[account] = breaker.check_account(account, answer.series, self.now.date())
        changes = breaker.update_holds(self.s.state, self.org, findings, self.now)
        self.held_accounts = set(changes.active) | {a for a, f in findings.items() if f.collapsed}
        lines = [{"organization_id": self.org, "action_id": None, "type": None, "status": "TRACKING_HOLD",
                  "detail": f"automatic rollbacks and spend increases held: {hold.reason}"} for hold in changes.set]
        lines += [{"organization_id": self.org, "action_id": None, "type": None, "status": "TRACKING_HOLD_CLEARED",
                   "detail": f"tracking hold on account {hold.account_id} cleared: conversions recovered"}
                  for hold in changes.cleared]
        return lines


def _plain(spec: MeasureSpec, verdict: Any, reason: str, alpha: float, *, measurable: bool = True,
           **extra: Any) -> Judgement:
    return Judgement(verdict, metric=spec.metric or "none", reason=reason, before={}, after={}, alpha=alpha,
                     extra=extra if measurable else {**extra, "measurable": False})


Judged = tuple[Judgement, bool, Checkpoint]  # the judgement, whether it is final, the checkpoint as judged


def judge_series_checkpoint(checks: OrgChecks, record: ActionRecord, spec: MeasureSpec, cp: Checkpoint,
                            answers: dict[str, Answer]) -> Judged | None:
    """(judgement, final, checkpoint) for one checkpoint of a daily-series action; None when it must wait for a
    read. A scheduled final checkpoint shorter than the action's measurement horizon is judged as an interim
    one (the horizon is planned once, from the pre-period: `horizon.py`)."""
    treated = answers.get(f"{record.action_id}:series")
    controls = answers.get(f"{record.action_id}:controls")
    exec_day = panels.execution_day(record)
    if not isinstance(treated, MetricReading) or exec_day is None:
        return None
    if not treated.measurable:
        return _plain(spec, "inconclusive", f"not measurable: {treated.reason}", cp.alpha, measurable=False), True, cp
    if treated.granularity != "day":
        return _plain(spec, "inconclusive", "not measurable: the platform answered window totals, and a "
                                            "counterfactual verdict needs daily series", cp.alpha,
                      measurable=False), True, cp
    after_last = cp.after[1].date() - timedelta(days=1)
    over = treated.last_day is not None and treated.last_day >= after_last
    if not over and not treated.learning:
        if cp.moved is None:
            return None  # the after window is not over (or not reported) yet
        return _plain(spec, "immature", f"the after window moved past the learning period ({cp.moved}) and is "
                                        f"not over yet: judged once over and mature", cp.alpha), False, cp
    ours = checks.own_changes(record.action_id)
    campaign = panels.campaign_of(record)
    outside = panels.outside_changes(treated.changes, ours, record.executed_at)
    to_treated = [c for c in ours if c.entity_id == campaign] + outside
    confounders = [c for c in to_treated if cp.before[0] <= c.changed_at < cp.after[1]]
    lag = max(int(checks.limits.conversion_lag_days), treated.conversion_lag_days or 0)
    gated = gate(after_last_day=after_last, today=checks.now.date(), lag_days=lag,
                 learning_status=treated.learning_status, changes=confounders)
    if gated is not None:
        verdict, reason = gated
        if verdict == "learning":  # the status is recorded: the after windows start after the last day seen
            seen = {"learning_status": treated.learning_status}
            if checks.now - cp.at > MAX_WAIT:
                return _plain(spec, "learning", f"{reason}; still learning {MAX_WAIT.days} days after the "
                                                "checkpoint: closed without a verdict", cp.alpha, **seen), True, cp
            return _plain(spec, verdict, reason, cp.alpha, **seen), False, cp
        return _plain(spec, verdict, reason, cp.alpha), verdict == "confounded", cp
    control_reading = controls if isinstance(controls, MetricReading) else None
    earlier = [r for r in checks.own_log if r.action_id != record.action_id and r.executed_at is not None
               and r.executed_at.astimezone(UTC).date() < exec_day and panels.campaign_of(r) == campaign]
    panel = panels.build_panel(cp, exec_day, treated, control_reading, ours, to_treated,
                               holder=holder(record, treated),
                               settled_from=settled_after(earlier, int(checks.limits.learning_allowance_days)))
    plan = _horizon(record, spec, panel)
    if cp.final and plan.final_days > cp.days:
        cp = replace(cp, final=False)
    harm = min_harmful_effect_pct(checks.limits, record.action_type) if spec.rollback_on_failure else None
    judgement = judge_panel(spec, panel, alpha=cp.alpha, min_harm_pct=None if harm is None else float(harm))
    judgement.extra["horizon"] = plan.model_dump(mode="json")
    return judgement, cp.final or judgement.verdict == "failed", cp


def _horizon(record: ActionRecord, spec: MeasureSpec, panel: Panel) -> MeasurementHorizon:
    """The action's measurement horizon: the one planned at its first judged checkpoint, else planned now."""
    stored = planned_horizon(record)
    if stored is not None:
        return MeasurementHorizon.model_validate(stored)
    return horizon.plan(spec, panel, scheduled_days=schedule(record)[-1].days)
