"""Subject-line experiments: created from an executed `create_subject_line_test`, decided once.

Design (fixed horizon, so peeking cannot inflate the error rate): the sample each variant needs is fixed
when the experiment starts — two-sided α = 0.05 split by Bonferroni over the k−1 comparisons with the
leader, power 0.8, a minimum detectable relative lift of 25 % over a baseline rate (20 % opens, 3 %
clicks). The experiment is judged once, on the first evaluation where the minimum runtime has passed and
either every variant has its sample, the campaign finished sending (no more data will come), or the
maximum runtime is reached. Then the leader wins if a two-proportion z test separates it from every other
variant at α/(k−1); otherwise the experiment stops without a winner (the report says whether it was
underpowered). A rolled-back action cancels its experiment.
"""

from __future__ import annotations

import math
from datetime import datetime
from decimal import Decimal
from typing import Any

from operator_ai.measurement.judge import Judgement
from operator_ai.measurement.stats import sample_size_two_proportions, two_proportion_test
from schemas.common import stable_hash
from schemas.experiments import Experiment, ExperimentStatus, StopRules, Variant
from schemas.metrics import EmailCounts, MetricReading
from schemas.records import ActionRecord

BASELINE_RATES = {"open_rate": Decimal("0.2"), "click_rate": Decimal("0.03")}
# Apple Mail Privacy Protection pre-fetches every message, so an "open" may be a machine. A platform whose
# reported opens leave those out may be judged on opens; every other is judged on clicks. ActiveCampaign
# counts MPP opens in its open reporting since 9 August 2022 (its "Apple Privacy" filter exists only in
# the web reports), so its opens are not trusted here.
MACHINE_OPENS_FILTERED: dict[str, bool] = {"activecampaign": False}


def judged_metric(platform: str, split_type: object = None) -> str:
    """The rate an email experiment or send-time change is judged on: clicks, unless opens can be trusted."""
    if MACHINE_OPENS_FILTERED.get(str(platform), False) and split_type != "click":
        return "open_rate"
    return "click_rate"
COMPLETED_STATUSES = frozenset({"5"})  # ActiveCampaign: completed
CONCLUDED = frozenset({ExperimentStatus.DECIDED, ExperimentStatus.STOPPED, ExperimentStatus.CANCELLED})


def experiment_id(action_id: str) -> str:
    return f"exp-{stable_hash(['subject_line', action_id], 24)}"


def _variants(record: ActionRecord) -> tuple[Variant, ...] | None:
    """Control (the campaign's own message) plus one variant per message the action created. The real
    connector skips a variant equal to the control subject and says which subjects it created; the
    sandbox creates one message per variant."""
    action = record.payload.get("action") or {}
    subjects = [str(s) for s in (action.get("params") or {}).get("variants") or []]
    details = (record.result or {}).get("details") or {}
    created = [str(m) for m in details.get("message_ids") or []]
    if not created:
        return None
    campaign = ((record.payload.get("snapshot") or {}).get("email_campaign")) or {}
    control_subject = str(campaign.get("subject") or "")
    new_subjects = [str(s) for s in details.get("new_subjects") or []] or [
        s for s in subjects if s.casefold() != control_subject.casefold()]
    labels = next((c for c in (new_subjects, subjects) if len(c) == len(created)),
                  [f"variant {n}" for n in range(1, len(created) + 1)])
    originals = [str(m) for m in campaign.get("message_ids") or [] if str(m) not in created]
    control_id = str(details.get("control_message_id") or (originals[0] if originals else ""))
    control = [Variant(variant_id=control_id, label=control_subject or "original", control=True)] if control_id else []
    return tuple(control + [Variant(variant_id=m, label=s) for m, s in zip(created, labels, strict=True)])


def new_experiment(record: ActionRecord, now: datetime) -> Experiment | None:
    """The experiment behind an executed subject-line test (None when the result names no messages)."""
    variants = _variants(record)
    if variants is None or len(variants) < 2:
        return None
    params = (record.payload.get("action") or {}).get("params") or {}
    target = (record.payload.get("action") or {}).get("target") or {}
    metric = judged_metric(str(record.platform), params.get("split_type"))
    rules = StopRules(baseline_rate=BASELINE_RATES[metric])
    comparisons = max(1, len(variants) - 1)
    base = float(rules.baseline_rate)
    required = sample_size_two_proportions(base, base * (1 + float(rules.minimum_detectable_lift)),
                                           alpha=float(rules.alpha) / comparisons, power=float(rules.power))
    verdict = record.verdict
    return Experiment(
        experiment_id=experiment_id(record.action_id), organization_id=record.organization_id,
        opportunity_id=record.opportunity_id, entity_id=str(target.get("campaign_id")),
        account_id=str(target.get("account_id")), action_id=record.action_id, variants=variants,
        primary_metric=metric, started_at=record.executed_at or now,
        minimum_runtime_days=max(1, math.ceil(int(params.get("winner_wait_hours", 4)) / 24)),
        stop_rules=rules.model_copy(update={"required_sends_per_variant": required}),
        guardrails={"outcome": verdict.outcome.value if verdict else None,
                    "rules": [r.rule_id for r in verdict.rules] if verdict else []},
        updated_at=now)


def _successes(counts: EmailCounts, metric: str) -> int:
    return counts.opens if metric == "open_rate" else counts.clicks


def evaluate(experiment: Experiment, counts: dict[str, EmailCounts], campaign: MetricReading | None,
             now: datetime) -> Experiment:
    """The experiment after looking at the variants' running totals (still running, decided or stopped)."""
    if experiment.status in CONCLUDED:
        return experiment
    metric, rules = experiment.primary_metric, experiment.stop_rules
    runtime_days = (now - experiment.started_at).total_seconds() / 86400
    per_variant = {v.variant_id: counts.get(v.variant_id, EmailCounts()) for v in experiment.variants}
    table = {vid: {"sends": c.sends, "successes": _successes(c, metric),
                   "rate": round(_successes(c, metric) / c.sends, 4) if c.sends else None}
             for vid, c in per_variant.items()}
    smallest = min(c.sends for c in per_variant.values())
    sent_out = campaign is not None and campaign.attributes.get("status") in COMPLETED_STATUSES
    results: dict[str, Any] = {"variants": table, "evaluated_at": now.isoformat(),
                               "runtime_days": round(runtime_days, 2), "smallest_sample": smallest,
                               "required_sends_per_variant": rules.required_sends_per_variant}
    enough = smallest >= rules.required_sends_per_variant
    if runtime_days < experiment.minimum_runtime_days:
        why = f"minimum runtime of {experiment.minimum_runtime_days} day(s) not reached"
    elif not (enough or runtime_days >= rules.max_runtime_days or (rules.stop_when_sent and sent_out)):
        why = f"sample not reached: {smallest} of {rules.required_sends_per_variant} sends in the smallest variant"
    else:
        return _decide(experiment, per_variant, results, enough, now)
    return experiment.model_copy(update={"results": {**results, "reason": why}, "updated_at": now})


def _decide(experiment: Experiment, counts: dict[str, EmailCounts], results: dict[str, Any], enough: bool,
            now: datetime) -> Experiment:
    metric, rules = experiment.primary_metric, experiment.stop_rules
    k = len(counts)
    alpha_each = float(rules.alpha) / max(1, k - 1)
    if any(c.sends == 0 for c in counts.values()):
        return _stopped(experiment, results, "a variant has no sends: nothing to compare", now)
    ranked = sorted(counts, key=lambda vid: (-_successes(counts[vid], metric) / counts[vid].sends, vid))
    leader = ranked[0]
    tests = {}
    for other in ranked[1:]:
        result = two_proportion_test(_successes(counts[other], metric), counts[other].sends,
                                     _successes(counts[leader], metric), counts[leader].sends,
                                     alternative="two-sided")
        tests[other] = {"p_value": round(result.p_value, 6), "z": round(result.statistic or 0.0, 4)}
    results = {**results, "leader": leader, "comparisons": tests, "alpha_per_comparison": round(alpha_each, 6),
               "test": "two-proportion z test (pooled, two-sided), Bonferroni over comparisons with the leader",
               "powered": enough}
    if all(t["p_value"] < alpha_each for t in tests.values()):
        return experiment.model_copy(update={
            "status": ExperimentStatus.DECIDED, "winner": leader, "updated_at": now,
            "results": {**results, "reason": f"{leader} beat every other variant at α={alpha_each:.4g}"}})
    power_note = "" if enough else " (underpowered: the planned sample was not reached)"
    return _stopped(experiment, results, f"no variant beat every other at α={alpha_each:.4g}{power_note}", now)


def _stopped(experiment: Experiment, results: dict[str, Any], reason: str, now: datetime) -> Experiment:
    return experiment.model_copy(update={"status": ExperimentStatus.STOPPED, "updated_at": now,
                                         "results": {**results, "reason": reason}})


def judgement(experiment: Experiment, alpha: float) -> Judgement:
    """The action's verdict from its experiment: a new subject line won → successful; the original won →
    failed (the platform sends the winner anyway, so nothing is rolled back); otherwise inconclusive."""
    results = experiment.results
    table = results.get("variants") or {}
    control = next((v.variant_id for v in experiment.variants if v.control), None)
    leader = results.get("leader")
    before = {"variant": control, **(table.get(control) or {})} if control else {}
    after = {"variant": leader, **(table.get(leader) or {})} if leader else {}
    p_values = [t["p_value"] for t in (results.get("comparisons") or {}).values()]
    common: dict[str, Any] = {"metric": experiment.primary_metric, "before": before, "after": after,
                              "alpha": alpha, "test": results.get("test"),
                              "p_value": max(p_values) if p_values else None,
                              "extra": {"experiment_id": experiment.experiment_id,
                                        "experiment_status": experiment.status.value}}
    reason = str(results.get("reason") or experiment.status.value)
    if experiment.status == ExperimentStatus.DECIDED:
        if experiment.winner == control:
            return Judgement("failed", reason=f"the original subject line won: {reason}", **common)
        return Judgement("successful", reason=f"a new subject line won: {reason}", **common)
    if experiment.status == ExperimentStatus.RUNNING:
        return Judgement("inconclusive", reason=f"experiment running: {reason}", **common)
    return Judgement("inconclusive", reason=f"experiment {experiment.status.value}: {reason}", **common)
