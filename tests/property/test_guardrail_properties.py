"""Properties of the guardrails over random budget/bid/pause actions, snapshots, policies and histories.

Whatever the inputs: no allowed action (approved or not) breaches a hard ceiling, brand and winner
campaigns are never paused or cut without a person (winners not even with one), nothing is allowed
while an emergency stop is on, and an approval never turns a block into an allow.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta
from decimal import Decimal
from typing import TypeVar

from hypothesis import event, given
from hypothesis import strategies as st

from guardrails.context import GuardrailContext
from guardrails.engine import evaluate
from guardrails.limits import LIMIT_RULES, Limits, resolve_limits
from schemas.actions import Action
from schemas.common import AutonomyMode, Outcome, RolloutPhase
from schemas.facts import PastAction
from schemas.policy import KillSwitchState
from schemas.snapshots import Performance
from schemas.verdict import Verdict
from tests.unit.guardrails import factories as f

D = Decimal
HUNDRED = D(100)


def _ceiling(name: str) -> Decimal:
    value = LIMIT_RULES[name].hard_ceiling
    assert value is not None
    return value


# The loosest values any org may reach (spec §3 hard ceilings; no deployment raise here).
INCREASE_CEILING_PCT = _ceiling("budget_increase_block_pct")
CUMULATIVE_CEILING_PCT = _ceiling("budget_cumulative_block_pct")
BID_CEILING_PCT = _ceiling("bid_increase_block_pct")
CAMPAIGN_CAP = _ceiling("campaign_daily_budget_cap")
APPROVER = "jane@acme.example"
T = TypeVar("T")
# Percentage changes drawn around the thresholds (hypothesis favours the ends of each range).
PCT_RANGES = ((-100, -70), (-90, 0), (0, 25), (15, 55), (45, 110))


@dataclass(frozen=True)
class Case:
    ctx: GuardrailContext
    kind: str  # "budget", "bid" or "pause"
    brand: bool
    winner: bool


def mostly(usual: st.SearchStrategy[T], other: st.SearchStrategy[T]) -> st.SearchStrategy[T]:
    """`usual` about nine times in ten, so that allowed verdicts are common enough to test.

    `other` sits on an inner value: hypothesis favours the ends of a range and shrinks towards 0."""
    return st.integers(0, 9).flatmap(lambda i: other if i == 7 else usual)


def only_usual(usual: st.SearchStrategy[T], other: st.SearchStrategy[T]) -> st.SearchStrategy[T]:
    """For healthy cases: every input sane, so only the numbers under test decide the verdict."""
    return usual


def money(low: str, high: str) -> st.SearchStrategy[Decimal]:
    return st.decimals(min_value=D(low), max_value=D(high), places=2, allow_nan=False, allow_infinity=False)


def changed(before: Decimal, direction: str | None) -> st.SearchStrategy[Decimal]:
    """A new value: mostly a percentage change around the interesting thresholds (up or down only when
    `direction` says so), sometimes anything."""
    ranges = [
        (low, high)
        for low, high in PCT_RANGES
        if direction is None or (low >= 0 if direction == "increase" else high <= 0)
    ]
    pct = st.one_of(*(st.decimals(min_value=D(low), max_value=D(high), places=3) for low, high in ranges))
    by_pct = pct.map(lambda pct: max(D(0), (before * (HUNDRED + pct) / HUNDRED).quantize(D("0.0001"))))
    return mostly(by_pct, money("0", "9000"))


@st.composite
def limits(draw: st.DrawFn) -> Limits:
    """Default limits, sometimes with a few tightened (always through the real loader)."""
    overrides: dict[str, Decimal] = {}
    for name in draw(st.lists(st.sampled_from(sorted(LIMIT_RULES)), max_size=3, unique=True)):
        default = getattr(Limits(), name)
        if default is None:
            overrides[name] = draw(money("100", "20000"))
        elif LIMIT_RULES[name].tighter == "lower":
            overrides[name] = default * draw(st.sampled_from([D("0.5"), D("0.9"), D(1)]))
        else:
            overrides[name] = default * draw(st.sampled_from([D(1), D("1.1"), D(2)]))
    return resolve_limits(overrides)


@st.composite
def performances(draw: st.DrawFn, healthy: bool = False, converting: bool = True) -> Performance:
    """Window metrics; healthy ones would justify scaling (or, not `converting`, a pause)."""
    pick = only_usual if healthy else mostly
    cost = draw(pick(money("500", "90000"), money("0", "500")))
    roas = draw(pick(st.decimals(min_value=D(2), max_value=D(8), places=2), st.decimals(0, 8, places=2)))
    return f.performance(
        cost=cost,
        conversion_value=(cost * roas).quantize(D("0.01")),
        conversions=D(draw(pick(st.integers(5, 40) if converting else st.just(0), st.integers(0, 40)))),
        data_as_of=f.NOW - timedelta(minutes=draw(pick(st.integers(0, 300), st.integers(0, 600)))),
    )


@st.composite
def budget_history(draw: st.DrawFn, current: Decimal) -> tuple[PastAction, ...]:
    """Earlier changes on the same campaign (a chain ending at `current`) and on other campaigns."""
    steps = draw(st.lists(st.decimals(min_value=D(-30), max_value=D(80), places=1), max_size=4))
    value, chain = current, []
    for pct in steps:  # walk backwards from the current budget
        earlier = (value * HUNDRED / (HUNDRED + pct)).quantize(D("0.01"))
        chain.append((earlier, value))
        value = earlier
    hours = sorted(draw(st.lists(st.floats(0.05, 30), min_size=len(chain), max_size=len(chain))))
    history = [
        f.past(
            hours_ago=h,
            budget_before=before,
            budget_after=after,
            status=draw(st.sampled_from(["EXECUTED", "ROLLED_BACK"])),
        )
        for h, (before, after) in zip(hours, chain, strict=True)
    ]
    for i in range(draw(st.integers(0, 3))):
        history.append(
            f.past(
                hours_ago=draw(st.floats(0.05, 50)),
                entity_key=f"other{i}",
                campaign_key=f"other{i}",
                budget_before=draw(money("1", "500")),
                budget_after=draw(money("1", "500")),
                executed=draw(st.booleans()),
            )
        )
    return tuple(history)


@st.composite
def cases(
    draw: st.DrawFn,
    kinds: tuple[str, ...] = ("budget", "bid", "pause"),
    healthy: bool = False,
    direction: str | None = None,
) -> Case:
    """A random action in context. `healthy` keeps every input sane but the change, the campaign's
    brand/ROAS and its history; `direction` ("increase", "decrease") steers budget and bid changes."""
    pick = only_usual if healthy else mostly
    kind = draw(st.sampled_from(kinds))
    brand = draw(st.booleans())
    perf = draw(pick(performances(healthy, converting=kind != "pause"), st.none()))
    campaign = f.campaign(
        name="Brand – Acme" if brand else "Generic – Widgets",
        start_date=(f.NOW - timedelta(hours=draw(pick(st.integers(96, 24 * 90), st.integers(0, 96))))).date(),
    )
    snapshot_parts: dict[str, object] = {
        "campaign": campaign,
        "performance": perf,
        "read_at": f.NOW - timedelta(minutes=draw(pick(st.integers(0, 300), st.integers(0, 600)))),
        "budget": f.budget(
            explicitly_shared=draw(pick(st.just(False), st.booleans())),
            reference_count=draw(pick(st.just(1), st.integers(1, 3))),
        ),
    }
    history: tuple[PastAction, ...] = ()
    keyword_perf = None
    action: Action
    if kind == "budget":
        before = draw(st.one_of(money("1", "6000"), money("3300", "5000")))  # the second near the 5,000 cap
        after = draw(changed(before, direction))
        action, change = f.budget_action(after), f.budget_facts(before, after)
        history = draw(budget_history(before))
    elif kind == "bid":
        before = draw(money("0.05", "20"))
        after = draw(changed(before, direction)).quantize(D("0.01"))
        keyword_perf = draw(pick(performances(healthy), st.none()))
        snapshot_parts["keyword"] = f.keyword(cpc_bid=before, effective_cpc_bid=before, performance=keyword_perf)
        action, change = f.bid_action(after), f.bid_facts(before, after)
    else:
        action, change = f.pause_action(), f.pause_facts()
    snap = f.snapshot(**snapshot_parts)
    lim = draw(limits())
    winner = any(p is not None and p.roas is not None and p.roas > lim.winner_roas for p in (perf, keyword_perf))
    ctx = f.context(
        action,
        change,
        draw(pick(st.just(snap), st.none())),
        org=f.policy(
            autonomy=draw(pick(st.just(AutonomyMode.AUTONOMOUS), st.sampled_from(AutonomyMode))),
            rollout_phase=draw(pick(st.just(RolloutPhase.FULL), st.sampled_from(RolloutPhase))),
        ),
        lim=lim,
        confidence=draw(pick(st.floats(0.85, 1), st.floats(0, 1))),
        kill_switch=draw(
            pick(st.just(KillSwitchState()), st.sampled_from([f.kill_switch(), f.kill_switch("org-acme")]))
        ),
        history=history,
        org_total_daily_budget=draw(pick(money("20000", "50000"), st.one_of(money("0", "20000"), st.none()))),
        executed_last_hour=draw(pick(st.integers(0, 9), st.integers(0, 12))),
        executed_last_24h=draw(pick(st.integers(0, 49), st.integers(0, 55))),
    )
    return Case(ctx=ctx, kind=kind, brand=brand, winner=winner)


ANY_CASE = st.one_of(cases(), cases(healthy=True))


def verdicts(case: Case) -> tuple[Verdict, Verdict]:
    return evaluate(case.ctx), evaluate(case.ctx, approved_by=APPROVER)


def _cumulative_pct(ctx: GuardrailContext) -> Decimal:
    """Independent reading of spec §3: executed increases on this campaign in the rolling 24 h plus this
    one, as a share of the budget before the earliest of them."""
    facts = ctx.facts
    assert facts.budget_before is not None and facts.budget_after is not None
    start = ctx.now - timedelta(hours=24)
    earlier = sorted(
        (p.at, p.budget_before, p.budget_after)
        for p in ctx.history
        if p.executed and p.at > start and p.campaign_key == facts.campaign_key
        if p.budget_before is not None and p.budget_after is not None and p.budget_after > p.budget_before
    )
    base = earlier[0][1] if earlier else facts.budget_before
    total = sum((after - before for _, before, after in earlier), facts.budget_after - facts.budget_before)
    return total / base * HUNDRED


def increases(kind: str) -> st.SearchStrategy[Case]:
    return st.one_of(cases((kind,), direction="increase"), cases((kind,), healthy=True, direction="increase"))


@given(increases("budget"))
def test_no_allowed_budget_increase_breaches_a_hard_ceiling(case: Case) -> None:
    facts = case.ctx.facts
    for verdict in verdicts(case):
        if verdict.outcome != Outcome.ALLOW or not facts.is_budget_increase:
            continue
        assert facts.budget_before is not None and facts.budget_after is not None
        pct = (facts.budget_after - facts.budget_before) / facts.budget_before * HUNDRED
        event(f"allowed budget increase {'over' if pct > 20 else 'up to'} 20 %")
        assert pct <= INCREASE_CEILING_PCT
        assert facts.budget_after <= CAMPAIGN_CAP
        assert _cumulative_pct(case.ctx) <= CUMULATIVE_CEILING_PCT


@given(increases("bid"))
def test_no_allowed_bid_increase_breaches_a_hard_ceiling(case: Case) -> None:
    facts = case.ctx.facts
    for verdict in verdicts(case):
        if verdict.outcome != Outcome.ALLOW or not facts.is_bid_increase:
            continue
        assert facts.bid_before is not None and facts.bid_after is not None
        event("allowed bid increase")
        assert (facts.bid_after - facts.bid_before) / facts.bid_before * HUNDRED <= BID_CEILING_PCT


CUTS = st.one_of(cases(direction="decrease"), cases(healthy=True, direction="decrease"))


@given(CUTS)
def test_brand_and_winner_campaigns_are_never_paused_or_cut_without_a_person(case: Case) -> None:
    facts = case.ctx.facts
    cut = facts.is_pause or facts.is_budget_decrease or facts.is_bid_decrease
    if not cut:
        return
    plain, approved = verdicts(case)
    if case.brand or case.winner:
        event("brand or winner cut")
        assert plain.outcome != Outcome.ALLOW
    if case.winner and case.ctx.snapshot is not None:
        assert plain.outcome == approved.outcome == Outcome.BLOCK


@given(ANY_CASE, st.sampled_from(["global", "org-acme"]))
def test_nothing_is_allowed_with_the_kill_switch_on(case: Case, scope: str) -> None:
    stopped = Case(replace(case.ctx, kill_switch=f.kill_switch(scope)), case.kind, case.brand, case.winner)
    for verdict in verdicts(stopped):
        assert verdict.outcome == Outcome.BLOCK
        assert "kill_switch" in verdict.rule_ids(Outcome.BLOCK)


@given(ANY_CASE)
def test_approval_never_turns_a_block_into_an_allow(case: Case) -> None:
    plain, approved = verdicts(case)
    event(f"plain verdict {plain.outcome.value}")
    if plain.outcome == Outcome.BLOCK:
        assert approved.outcome == Outcome.BLOCK
        assert approved.blocking == plain.blocking
    else:
        assert approved.outcome == Outcome.ALLOW
    assert [r.rule_id for r in plain.rules] == [r.rule_id for r in approved.rules]
