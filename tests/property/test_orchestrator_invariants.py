"""Invariants of the whole core loop over random opportunity sequences, account states and faults.

Each example is a fresh embedded default (its own SQLite file, copied from a seeded template) with
random org-acme opportunities — every action type the sandbox supports, random budgets and percentages,
random confidences, duplicates with the same or a new opportunity id — then several steps, each of which
may move the clock, change the accounts as a person would, arm faults, pull or release the emergency
stop, approve pending actions, and run the orchestrator (sometimes as a dry run). Whatever happens:

- no budget above the campaign cap, no single increase over 50 %, no more than +100 % of a budget in
  24 h, no keyword bid increase over 50 %;
- no brand campaign paused or cut without a person's approval, no winner paused or cut at all;
- never more actions landing on the platform in a rolling hour than the org's hourly limit;
- nothing sent while the kill switch is on, nothing sent by a dry run;
- no action executed twice, or landing on the platform twice (a call answered FAILED left nothing behind
  and may be retried by a later run: that is not a second landing);
- every executed action has a log row with a rollback plan, written ahead of the platform call.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from connectors.base import ApprovalError
from connectors.sandbox import FaultPlan
from operator_ai.approvals import decide, list_pending
from schemas.common import ActionStatus, Outcome, Platform
from schemas.records import ActionRecord
from tests.e2e.harness import (
    ACME,
    ACME_ADS,
    ACME_MAIL,
    APPROVER,
    RAM_DISK,
    ApplyCall,
    Clock,
    Env,
    Spy,
    as_json,
    build_env,
    executed_transitions,
    observed_now,
    opportunity,
    samples_dir,
)

D = Decimal
CAMPAIGN_CAP = D(5000)
BRAND, WINNER = "112", "113"
CAMPAIGNS = ("111", BRAND, WINNER, "114", "115", "116", "117", "118", "119", "120")
KEYWORDS = ("3001", "3002", "3003")  # ad group 2001
# Entities a person may change between runs (never the brand or the winner campaign, or their budgets,
# so that their final state can be checked directly).
BUDGETS = ("502", "504", "506", "507", "508", "510")
CAMPAIGN_STATUS = ("111", "114", "117", "118")
PAGES = ("https://www.acme.example/widgets/", "https://www.acme.example/widgets/blue",
         "https://www.acme.example/blog/widget-buying-guide-2019")
IN_FLIGHT = (ActionStatus.EXECUTING, ActionStatus.UNCERTAIN)

# --------------------------------------------------------------------------- strategies

# Mostly the moderate changes a rule would allow, sometimes anything (boundaries included).
pct = st.one_of(st.integers(-30, 25), st.integers(-95, 90)).map(str)
money = st.integers(1, 6500).map(lambda n: f"{n}.00")
ads = {"customer_id": ACME_ADS}


def _budget(campaign: str, params: dict[str, str]) -> dict[str, Any]:
    return {"type": "adjust_campaign_budget", "target": {**ads, "campaign_id": campaign}, "params": params}


def _bid(keyword: str, params: dict[str, str]) -> dict[str, Any]:
    return {"type": "adjust_keyword_bid", "target": {**ads, "ad_group_id": "2001", "criterion_id": keyword},
            "params": params}


ACTIONS = st.one_of(
    st.builds(_budget, st.sampled_from(CAMPAIGNS),
              st.one_of(pct.map(lambda p: {"change_pct": p}), money.map(lambda m: {"new_daily_budget": m}))),
    st.builds(_bid, st.sampled_from(KEYWORDS), pct.map(lambda p: {"change_pct": p})),
    st.sampled_from(CAMPAIGNS).map(lambda c: {"type": "pause_campaign", "target": {**ads, "campaign_id": c},
                                              "params": {}}),
    st.builds(lambda c, words: {"type": "add_negative_keywords", "target": {**ads, "campaign_id": c},
                                "params": {"keywords": [{"text": w, "match_type": "PHRASE"} for w in words]}},
              st.sampled_from(("111", "118", "119")),
              st.lists(st.sampled_from(("gadgets online", "free", "widget jobs", "repair manual", "near me")),
                       min_size=1, max_size=3, unique=True)),
    st.sampled_from(("21", "23", "25")).map(
        lambda c: {"type": "pause_email_campaign", "target": {"account_id": ACME_MAIL, "campaign_id": c},
                   "params": {}}),
    st.lists(st.sampled_from(("101", "102", "103", "104", "105")), min_size=1, max_size=3, unique=True).map(
        lambda ids: {"type": "trigger_automation", "target": {"account_id": ACME_MAIL, "automation_id": "7"},
                     "params": {"contact_ids": ids}}),
    st.sampled_from(PAGES).map(lambda url: {"type": "flag_content_refresh", "target": {"url": url},
                                            "params": {"reason": "outdated"}}),
)
CONFIDENCE = st.one_of(st.sampled_from((0.95, 0.9, 0.85)), st.sampled_from((0.95, 0.9)), st.floats(0.3, 1.0))
OPPORTUNITIES = st.lists(st.tuples(ACTIONS, CONFIDENCE), min_size=1, max_size=9)
# (index into the list, keep the same opportunity id?): the same opportunity twice, or the same action
# proposed again under a new opportunity id.
DUPLICATES = st.lists(st.tuples(st.integers(0, 8), st.booleans()), max_size=3)

EXTERNAL = st.one_of(
    st.tuples(st.just("budget"), st.sampled_from(BUDGETS), st.integers(5, 4000).map(lambda n: f"{n}.00")),
    st.tuples(st.just("campaign"), st.sampled_from(CAMPAIGN_STATUS), st.sampled_from(("ENABLED", "PAUSED"))),
    st.tuples(st.just("email_campaign"), st.just("23"), st.sampled_from((2, 3))),
)
FAULTS = st.fixed_dictionaries({
    "phase": st.sampled_from(("apply_before", "apply_after", "apply_after", "snapshot", "connect")),
    "kind": st.sampled_from(("retryable", "rate_limited", "quota", "timeout", "permanent")),
    "platform": st.sampled_from(("google_ads", "activecampaign")),
})
STEPS = st.lists(st.fixed_dictionaries({
    "advance_min": st.sampled_from((0, 5, 30, 61, 300)),
    "external": st.lists(EXTERNAL, max_size=2),
    "faults": st.lists(FAULTS, max_size=2).flatmap(lambda f: st.sampled_from(([], [], f))),
    "switch": st.sampled_from((None,) * 6 + ("global", ACME, "off", "off", "mid-run")),
    "approve": st.lists(st.integers(0, 20), max_size=3),
    "dry_run": st.sampled_from((False, False, False, True)),
}), min_size=2, max_size=4)


# --------------------------------------------------------------------------- one installation per example


@dataclass(frozen=True)
class Template:
    home: Path  # seeded: the bundled orgs and sandbox fixture, no opportunities
    samples: Path


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Template]:
    """A seeded home, copied for every example (seeding each one would cost more than the example)."""
    samples = samples_dir(tmp_path_factory.mktemp("samples"), [])
    with _fresh_dir() as root:
        build_env(root / "home", Clock(), samples=samples).close()  # closing checkpoints the WAL
        yield Template(root / "home", samples)


@contextmanager
def _fresh_dir() -> Iterator[Path]:
    ram = RAM_DISK if RAM_DISK.is_dir() else None  # the store fsyncs every write: a RAM disk keeps this fast
    path = Path(tempfile.mkdtemp(prefix="operator-prop-", dir=ram))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@dataclass
class Observed:
    """What each step saw: its run ids (the run's and the approvals'), whether the kill switch was on for
    acme, and the keys sent to a platform by the approvals and by the run (None: a dry run)."""

    steps: list[tuple[set[str], bool, list[str], list[str] | None]] = field(default_factory=list)


def _sent(env: Env) -> list[str]:
    return env.applied_keys()


def _apply_step(env: Env, step: dict[str, Any], observed: Observed) -> None:
    env.clock.advance(minutes=step["advance_min"])
    for kind, entity, value in step["external"]:
        field_name = {"budget": "amount", "campaign": "status", "email_campaign": "status"}[kind]
        platform = Platform.ACTIVECAMPAIGN if kind == "email_campaign" else Platform.GOOGLE_ADS
        account = ACME_MAIL if kind == "email_campaign" else ACME_ADS
        env.world.external_change(platform, account, kind, entity, **{field_name: value})
    for rule in step["faults"]:
        env.faults.add(rule)
    if step["switch"] == "off":
        env.resume("global")
        env.resume(ACME)
    elif step["switch"] in ("global", ACME):
        env.stop(step["switch"], reason="property test")
    stopped = env.services.state.kill_switches(ACME).active is not None
    before = len(_sent(env))
    run_ids: set[str] = set()
    pending = sorted(p.action_id for p, _ in list_pending(env.services, ACME))
    for index in step["approve"]:
        if pending:
            try:
                decision = decide(env.services, pending[index % len(pending)], approve=True, approver=APPROVER)
            except ApprovalError:
                event("approval refused (replayed or expired)")
            else:
                run_ids.add(decision.record.run_id if decision.record else "")
    approved = len(_sent(env))
    pulled = _pull_the_switch_at_the_first_call(env) if step["switch"] == "mid-run" else {}
    summary = env.run(dry_run=step["dry_run"])
    assert summary.errors == ()
    run_ids.add(summary.run_id)
    if pulled:  # the stop went on right after a platform call: nothing was sent after it
        assert len(_sent(env)) == pulled["sent"], "sent after the kill switch went on mid-run"
    for spy in env.spies.values():
        spy.after_apply = None
    by_run = _sent(env)[approved:]
    observed.steps.append((run_ids, stopped, _sent(env)[before:approved], None if step["dry_run"] else by_run))
    if step["dry_run"]:
        assert by_run == [], "a dry run sent something"


def _pull_the_switch_at_the_first_call(env: Env) -> dict[str, int]:
    """Arm every platform: after the run's first apply call, an operator pulls acme's emergency stop."""
    pulled: dict[str, int] = {}

    def pull(spy: Spy, call: ApplyCall) -> None:
        if not pulled:
            pulled["sent"] = len(_sent(env))
            env.stop(ACME, reason="pulled mid-run")

    for spy in env.spies.values():
        spy.after_apply = pull
    return pulled


# About a second per example at worst: the big profile (--slow) needs more than the suite's default timeout.
@pytest.mark.timeout(max(300, settings.default.max_examples))
@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(opportunities=OPPORTUNITIES, duplicates=DUPLICATES, steps=STEPS, hourly_limit=st.sampled_from((2, 3, 10)))
def test_the_core_loop_keeps_its_invariants(template: Template, opportunities: list[tuple[dict[str, Any], float]],
                                            duplicates: list[tuple[int, bool]], steps: list[dict[str, Any]],
                                            hourly_limit: int) -> None:
    with _fresh_dir() as root:
        shutil.copytree(template.home, root / "home")
        env = build_env(root / "home", Clock(), samples=template.samples, faults=FaultPlan())
        try:
            _load(env, opportunities, duplicates, hourly_limit)
            observed = Observed()
            for step in steps:
                _apply_step(env, step, observed)
            _check(env, observed, hourly_limit)
        finally:
            env.close()


def _load(env: Env, opportunities: list[tuple[dict[str, Any], float]], duplicates: list[tuple[int, bool]],
          hourly_limit: int) -> None:
    raws = [opportunity(f"opp-p-{i:03d}", action, confidence=confidence, now=env.clock())
            for i, (action, confidence) in enumerate(opportunities)]
    for n, (index, same_id) in enumerate(duplicates):
        original = raws[index % len(raws)]
        raws.append(dict(original) if same_id else {**original, "opportunity_id": f"opp-p-dup-{n}"})
    env.services.extras["store"].load_opportunities(raws)
    policy = env.services.state.get_org(ACME)
    assert policy is not None
    limits = {**policy.limits, "hourly_action_limit": D(hourly_limit)}
    env.services.state.put_org(policy.model_copy(update={"limits": limits}))


# --------------------------------------------------------------------------- the invariants


def _check(env: Env, observed: Observed, hourly_limit: int) -> None:
    rows = env.all_rows()
    by_action: dict[str, list[ActionRecord]] = {}
    for row in rows:
        by_action.setdefault(row.action_id, []).append(row)
    sent = _sent(env)
    executed = [r for r in rows if r.status == ActionStatus.EXECUTED]
    event(f"executed {min(len(executed), 5)}{'+' if len(executed) >= 5 else ''}")
    for records in by_action.values():
        event(f"ends {records[-1].status.value}")
        if ActionStatus.UNCERTAIN in [r.status for r in records]:
            event("was UNCERTAIN")
        if records[-1].verdict is not None and records[-1].status == ActionStatus.BLOCKED:
            for rule in records[-1].verdict.rule_ids(Outcome.BLOCK):
                event(f"blocked by {rule}")
            for check in records[-1].checks:
                if not check.passed:
                    event(f"held back by check {check.check_id}")

    # No action executed or landed twice.
    assert all(n == 1 for n in executed_transitions(rows).values()), executed_transitions(rows)
    landed = env.landed_keys()
    assert len(landed) == len(set(landed)), landed
    for key in set(sent) - set(landed):  # every attempt failed: nothing is on the platform, nothing EXECUTED
        assert ActionStatus.EXECUTED not in [r.status for r in by_action.get(key, [])], key

    # Nothing sent while stopped or by a dry run; everything sent was written ahead with its rollback plan.
    for run_ids, stopped, by_approvals, by_run in observed.steps:
        if stopped:
            assert by_approvals == [] and not by_run, (by_approvals, by_run)
            assert not any(r.run_id in run_ids for r in executed), run_ids
    for key in sent:
        ahead = [r for r in by_action.get(key, []) if r.status == ActionStatus.EXECUTING]
        assert ahead and ahead[0].rollback_plan is not None, key
    for record in executed:
        assert record.rollback_plan is not None
        earlier = [r for r in by_action[record.action_id] if r.status == ActionStatus.EXECUTING and r.seq < record.seq]
        assert earlier and earlier[-1].rollback_plan is not None

    _check_limits(env, executed, by_action)
    _check_protected(env, executed, by_action)
    _check_hourly(env, by_action, hourly_limit)


def _check_limits(env: Env, executed: list[ActionRecord], by_action: dict[str, list[ActionRecord]]) -> None:
    for record in executed:
        facts = record.payload.get("facts") or {}
        if record.action_type == "adjust_campaign_budget":
            before, after = D(facts["budget_before"]), D(facts["budget_after"])
            assert after <= CAMPAIGN_CAP
            assert after <= before * D("1.5"), (before, after)
        if record.action_type == "adjust_keyword_bid" and facts.get("bid_before") is not None:
            assert D(facts["bid_after"]) <= D(facts["bid_before"]) * D("1.5"), facts
    for budget in {str(b["budget_id"]) for b in env.world.entities(Platform.GOOGLE_ADS, ACME_ADS, "budget")}:
        assert D(env.entity(Platform.GOOGLE_ADS, ACME_ADS, "budget", budget)["amount"]) <= CAMPAIGN_CAP
    # Increases of one budget (whichever campaign they went through) in any 24 h: at most +100 %.
    increases: dict[str, list[tuple[datetime, Decimal, Decimal]]] = {}
    for record in executed:
        plan = record.rollback_plan
        if record.action_type == "adjust_campaign_budget" and plan is not None:
            before, after = D(plan.before_state["amount"]), D(plan.expected_state["amount"])
            if after > before:
                at = _landed_at(by_action[record.action_id])
                increases.setdefault(str(plan.before_state["budget_id"]), []).append((at, before, after))
    for budget, changes in increases.items():
        changes.sort()
        for at, _, _ in changes:
            window = [c for c in changes if at - timedelta(hours=24) <= c[0] <= at]
            start = window[0][1]
            assert sum(after - before for _, before, after in window) <= start, (budget, window)


def _check_protected(env: Env, executed: list[ActionRecord], by_action: dict[str, list[ActionRecord]]) -> None:
    def cuts(record: ActionRecord, campaign: str) -> bool:
        action = record.payload["action"]
        if action["target"].get("campaign_id") != campaign:
            return False
        facts = record.payload.get("facts") or {}
        decrease = (record.action_type == "adjust_campaign_budget"
                    and D(facts["budget_after"]) < D(facts["budget_before"]))
        return record.action_type == "pause_campaign" or decrease

    for record in executed:
        assert not cuts(record, WINNER), record.action_id
        if cuts(record, BRAND):
            assert record.executed_by == APPROVER
            assert ActionStatus.APPROVED in [r.status for r in by_action[record.action_id]]
    assert env.campaign(WINNER)["status"] == "ENABLED"
    assert D(env.budget_of(WINNER)) >= D("200.00")
    if env.campaign(BRAND)["status"] == "PAUSED":
        assert any(r.action_type == "pause_campaign" and r.payload["action"]["target"]["campaign_id"] == BRAND
                   and r.executed_by == APPROVER for r in executed)


def _landed_at(events: list[ActionRecord]) -> datetime:
    """When the change reached the platform: the write-ahead row is written at the moment of the call."""
    return next(r.event_time for r in events if r.status == ActionStatus.EXECUTING)


def _check_hourly(env: Env, by_action: dict[str, list[ActionRecord]], hourly_limit: int) -> None:
    landed: list[datetime] = []
    for events in by_action.values():
        statuses = [r.status for r in events]
        if ActionStatus.EXECUTED in statuses:
            landed.append(_landed_at(events))
        elif (events[-1].status in IN_FLIGHT and events[-1].rollback_plan is not None  # never settled: it
              and observed_now(env, events[-1]) == as_json(events[-1].rollback_plan.expected_state)):  # counts
            landed.append(_landed_at(events))  # if the platform shows the change
    landed.sort()
    for at in landed:
        in_hour = [t for t in landed if at - timedelta(hours=1) <= t <= at]
        assert len(in_hour) <= hourly_limit, (hourly_limit, landed)
