"""roas_floor_for_increase and min_conversions_for_scale: campaign metrics for budgets, keyword for bids."""

from __future__ import annotations

from decimal import Decimal

import pytest

from guardrails.rules.scale import min_conversions_for_scale, roas_floor_for_increase
from schemas.common import Outcome
from tests.unit.guardrails import factories as f

ALLOW, BLOCK = Outcome.ALLOW, Outcome.BLOCK
D = Decimal


@pytest.mark.parametrize(("value", "expected"), [("1999.99", BLOCK), ("2000", ALLOW), ("2000.01", ALLOW)])
def test_roas_floor_boundaries(value: str, expected: Outcome) -> None:
    ctx = f.budget_ctx(100, 110, snap=f.snapshot(performance=f.performance(cost=D(1000), conversion_value=D(value))))
    result = roas_floor_for_increase(ctx)
    assert result.outcome == expected
    assert result.observed["scope"] == "campaign"
    assert result.observed["cost"] == "1000"


def test_roas_floor_fails_closed_without_cost_data() -> None:
    no_perf = f.budget_ctx(100, 110, snap=f.snapshot(performance=None))
    assert roas_floor_for_increase(no_perf).outcome == BLOCK
    zero_cost = f.budget_ctx(100, 110, snap=f.snapshot(performance=f.performance(cost=D(0), conversion_value=D(50))))
    assert roas_floor_for_increase(zero_cost).outcome == BLOCK
    assert roas_floor_for_increase(f.budget_ctx(100, 110, snap=None)).outcome == BLOCK


def test_bid_increase_is_judged_on_the_keyword() -> None:
    weak_campaign = f.performance(cost=D(1000), conversion_value=D(500), conversions=D(1))
    strong_keyword = f.keyword(performance=f.performance(cost=D(100), conversion_value=D(300), conversions=D(6)))
    ctx = f.bid_ctx("1.00", "1.10", snap=f.snapshot(performance=weak_campaign, keyword=strong_keyword))
    assert roas_floor_for_increase(ctx).outcome == ALLOW
    assert min_conversions_for_scale(ctx).outcome == ALLOW
    assert roas_floor_for_increase(ctx).observed["scope"] == "keyword"

    weak_keyword = f.keyword(performance=f.performance(cost=D(100), conversion_value=D(199), conversions=D(4)))
    ctx = f.bid_ctx("1.00", "1.10", snap=f.snapshot(keyword=weak_keyword))
    assert roas_floor_for_increase(ctx).outcome == BLOCK
    assert min_conversions_for_scale(ctx).outcome == BLOCK

    no_keyword_perf = f.bid_ctx("1.00", "1.10", snap=f.snapshot(keyword=f.keyword(performance=None)))
    assert roas_floor_for_increase(no_keyword_perf).outcome == BLOCK
    assert min_conversions_for_scale(no_keyword_perf).outcome == BLOCK


def test_roas_floor_tightened() -> None:
    lim = f.limits(roas_floor_for_increase=3)
    ctx = f.budget_ctx(
        100, 110, lim=lim, snap=f.snapshot(performance=f.performance(cost=D(1000), conversion_value=D(2999)))
    )
    assert roas_floor_for_increase(ctx).outcome == BLOCK


@pytest.mark.parametrize(("conversions", "expected"), [("4", BLOCK), ("4.99", BLOCK), ("5", ALLOW), ("5.01", ALLOW)])
def test_min_conversions_boundaries(conversions: str, expected: Outcome) -> None:
    ctx = f.budget_ctx(100, 110, snap=f.snapshot(performance=f.performance(conversions=D(conversions))))
    result = min_conversions_for_scale(ctx)
    assert result.outcome == expected
    assert result.observed["conversions"] == conversions


def test_min_conversions_fails_closed_and_tightens() -> None:
    assert min_conversions_for_scale(f.budget_ctx(100, 110, snap=f.snapshot(performance=None))).outcome == BLOCK
    lim = f.limits(min_conversions_for_scale=30)
    assert min_conversions_for_scale(f.budget_ctx(100, 110, lim=lim)).outcome == BLOCK  # default has 20


def test_scale_rules_ignore_decreases_and_non_money_actions() -> None:
    for ctx in (f.budget_ctx(100, 90), f.bid_ctx("1", "0.9"), f.pause_ctx(), f.automation_ctx(3)):
        assert roas_floor_for_increase(ctx).applies is False
        assert min_conversions_for_scale(ctx).applies is False
