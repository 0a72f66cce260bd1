"""Invariant runs: random sequences of opportunities, runs, approvals, stops, outside edits, rollbacks and
platform faults against the sandbox, each sequence in its own organization, checked against the
ledger of what actually landed on the platforms.

The invariants (spec §3, §5, §9): no cap exceeded, no brand or winner campaign paused or cut without a
person (winners not even with one), the hourly limit held, nothing sent during an emergency stop, no
action sent twice, every landed change written ahead with its rollback plan, and nothing left in
flight once the faults are gone.
"""

from __future__ import annotations

import contextlib
import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from connectors.base import ApprovalError
from guardrails.limits import resolve_limits
from operator_ai.approvals import decide
from schemas.common import ActionStatus, Platform
from schemas.policy import KillSwitch, OrgPolicy
from schemas.records import ActionRecord
from tests.faults.harness import IN_FLIGHT, LEASE, Clock, Crash, Env, Fault, build_env
from tests.faults.worlds import World, make_world, random_opportunity, write_samples

APPROVER = "jane@acme.example"
STEPS = ("run", "run", "run", "advance", "stop", "approve", "reject", "fault", "outside_edit", "rollback", "arrive")
FAULTS = (Fault("apply_after", "timeout"), Fault("apply_before", "retryable"), Fault("snapshot", "rate_limited"),
          Fault("apply_after", "crash"), Fault("fresh_read", "reset"))


@dataclass
class Tally:
    """What the sequences did (so a run that proves nothing is noticed)."""

    sequences: int = 0
    opportunities: int = 0
    steps: Counter[str] = field(default_factory=Counter)
    statuses: Counter[str] = field(default_factory=Counter)


class Sequencer:
    """Runs random sequences, one organization each, on one embedded-default installation."""

    def __init__(self, root: Path, seed: int, size: int, tally: Tally) -> None:
        self.rng = random.Random(seed)
        self.worlds = [make_world(self.rng, seed * 1000 + i) for i in range(size)]
        self.clock = Clock()
        self.env: Env = build_env(root / "home", self.clock, samples=write_samples(root / "samples", self.worlds))
        for chaos in self.env.chaos.values():
            chaos.sandbox = False  # the wrapper injects every fault (armed for one run at a time)
        self.tally = tally

    def close(self) -> None:
        self.env.close()
        self.env.ledger.close()

    def run_all(self) -> None:
        for world, *_ in self.worlds:
            self.sequence(world)

    # ------------------------------------------------------------------ one sequence

    def sequence(self, w: World) -> None:
        self.arrive(w, self.rng.randint(1, 6))
        for _ in range(self.rng.randint(2, 7)):
            step = self.rng.choice(STEPS)
            self.tally.steps[step] += 1
            getattr(self, f"_{step}")(w)
        self._resume(w)
        self.clock.advance(LEASE)  # claims of a crashed run run out; faults are gone
        self.run(w)
        self.tally.sequences += 1
        check_sequence(self.env, w, self.tally)

    def run(self, w: World, fault: Fault | None = None) -> None:
        for chaos in self.env.chaos.values():
            chaos.fault, chaos.reads = fault, Counter()
        try:
            self.env.run([w.org])
        except Crash:
            pass
        finally:
            for chaos in self.env.chaos.values():
                chaos.fault = None

    def arrive(self, w: World, count: int) -> None:
        now = self.clock()
        self.env.services.extras["store"].load_opportunities([random_opportunity(self.rng, w, now)
                                                              for _ in range(count)])
        self.tally.opportunities += count

    def _run(self, w: World) -> None:
        self.run(w)

    def _arrive(self, w: World) -> None:
        self.arrive(w, self.rng.randint(1, 3))

    def _advance(self, w: World) -> None:
        self.clock.advance(timedelta(minutes=self.rng.choice([1, 20, 61, 240])))

    def _stop(self, w: World) -> None:
        scope = w.org if self.rng.random() < 0.8 else "global"
        self._switch(scope, True)
        self.run(w)  # nothing may be sent now
        if self.rng.random() < 0.5:
            self._switch(scope, False)

    def _resume(self, w: World) -> None:
        for scope in (w.org, "global"):
            self._switch(scope, False)

    def _switch(self, scope: str, active: bool) -> None:
        self.env.services.state.set_kill_switch(KillSwitch(scope=scope, active=active, set_by="ops@acme.example",
                                                           set_at=self.clock(), reason="invariant run"))

    def _decide(self, w: World, approve: bool) -> None:
        pending = self.env.services.state.list_pending(w.org)
        if not pending:
            return
        choice = self.rng.choice(pending)
        with contextlib.suppress(ApprovalError):  # e.g. expired since it was listed
            decide(self.env.services, choice.action_id, approve=approve, approver=APPROVER)

    def _approve(self, w: World) -> None:
        self._decide(w, True)

    def _reject(self, w: World) -> None:
        self._decide(w, False)

    def _fault(self, w: World) -> None:
        self.run(w, self.rng.choice(FAULTS))

    def _outside_edit(self, w: World) -> None:
        campaign = self.rng.choice(w.campaigns)
        self.env.services.extras["world"].set_campaign_status(w.customer, campaign,
                                                              self.rng.choice(["PAUSED", "ENABLED"]))

    def _rollback(self, w: World) -> None:
        executed = self.env.services.log.query(organization_id=w.org, statuses=[ActionStatus.EXECUTED])
        if not executed:
            return
        ledger = self.env.ledger
        ledger.phase = "rollback"
        try:
            self.env.rollbacks().rollback(self.rng.choice(executed).action_id, actor="ops@acme.example",
                                          run_id=f"rb-{self.clock():%j%H%M%S}")
        finally:
            ledger.phase = "forward"


def run_batch(root: Path, seed: int, size: int) -> Tally:
    """`size` sequences on one new installation under `root` (a process-pool entry point)."""
    tally = Tally()
    sequencer = Sequencer(root / f"seed-{seed}", seed, size, tally)
    try:
        sequencer.run_all()
    finally:
        sequencer.close()
    return tally


def merge(tallies: list[Tally]) -> Tally:
    total = Tally()
    for tally in tallies:
        total.sequences += tally.sequences
        total.opportunities += tally.opportunities
        total.steps.update(tally.steps)
        total.statuses.update(tally.statuses)
    return total


# --------------------------------------------------------------------------- the invariants


def check_sequence(env: Env, w: World, tally: Tally) -> None:
    """Every invariant for one finished sequence (and the ledger as a whole)."""
    ledger = env.ledger
    policy = env.services.state.get_org(w.org)
    assert policy is not None
    limits = resolve_limits(policy.limits)
    # Sent again only after a definite "nothing landed" (5xx, 429) is fine; landing twice never is.
    assert [k for k, n in ledger.landed().items() if n > 1] == [], "an action landed twice"
    assert ledger.unlogged == [], "a change landed without a durable write-ahead row with its rollback plan"
    assert ledger.during_stop == [], "something was sent during an emergency stop"
    busiest = ledger.busiest_hour().get(w.org, 0)
    assert busiest <= int(limits.hourly_action_limit), f"{w.org}: {busiest} changes within one hour"
    latest = {r.action_id: r for r in env.services.log.query(organization_id=w.org, limit=100_000)}
    stuck = {a: [f"{e.status.value}: {e.error_message}" for e in env.services.log.events(a)]
             for a, r in latest.items() if r.status in IN_FLIGHT}
    assert stuck == {}, f"{w.org}: left in flight after a clean run: {stuck}"
    tally.statuses.update(r.status.value for r in latest.values())
    landed = {key for org, key, _ in ledger.landed_at if org == w.org}
    for key in landed:
        assert latest[key].status not in (ActionStatus.FAILED, ActionStatus.BLOCKED), f"{key} landed, log says no"
        row = next(r for r in env.services.log.events(key) if r.status == ActionStatus.EXECUTING)
        check_executed(row, policy, limits)


def _d(value: Any) -> Decimal:
    return Decimal(str(value))


def check_executed(row: ActionRecord, policy: OrgPolicy, limits: Any) -> None:
    """Judge one executed action from its write-ahead row, independently of the rules' own facts."""
    by_person = row.executed_by not in (None, "operator")
    action, snapshot = row.payload["action"], row.payload.get("snapshot") or {}
    campaign = snapshot.get("campaign") or {}
    performance = snapshot.get("performance") or {}
    cost, value = _d(performance.get("cost", 0)), _d(performance.get("conversion_value", 0))
    winner = value > 0 and (cost == 0 or value / cost > limits.winner_roas)
    brand = bool(campaign) and policy.is_brand(campaign["name"], tuple(campaign.get("labels", ())))
    cut = action["type"] == "pause_campaign"
    if action["type"] == "adjust_campaign_budget":
        before = _d(snapshot["budget"]["amount"])
        after = next(_d(op["amount"]) for op in row.payload["operations"] if "amount" in op)
        cut = after < before
        assert after <= limits.campaign_daily_budget_cap, f"{row.action_id}: {after} over the campaign cap"
        if after > before:
            pct = (after - before) / before * 100
            assert pct <= 50, f"{row.action_id}: +{pct:.1f} % in one step"
            assert pct <= limits.budget_increase_approval_pct or by_person, f"{row.action_id}: +{pct:.1f} % alone"
            account = snapshot.get("account") or {}
            cap = limits.org_daily_budget_cap
            if cap is not None and account and campaign.get("status") == "ENABLED":
                total = _d(account["total_daily_budget"]) - before + after
                assert total <= cap, f"{row.action_id}: org total {total} over its cap {cap}"
    if cut and row.platform == Platform.GOOGLE_ADS.value:
        assert not winner, f"{row.action_id}: a winner campaign (ROAS > {limits.winner_roas}) was paused or cut"
        assert not brand or by_person, f"{row.action_id}: brand campaign {campaign.get('name')!r} cut without a person"
