"""pause_min_spend, pause_has_conversions, pause_min_runtime, pause_high_spend, brand_protection,
winner_protection."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from guardrails.context import GuardrailContext
from guardrails.rules.pause import (
    brand_protection,
    pause_has_conversions,
    pause_high_spend,
    pause_min_runtime,
    pause_min_spend,
    winner_protection,
)
from schemas.common import Outcome
from schemas.snapshots import Snapshot
from tests.unit.guardrails import factories as f

ALLOW, APPROVE, BLOCK = Outcome.ALLOW, Outcome.NEEDS_APPROVAL, Outcome.BLOCK
D = Decimal
PAUSE_RULES = (pause_min_spend, pause_has_conversions, pause_min_runtime, pause_high_spend)


def _pause_with(**perf: Any) -> GuardrailContext:
    base: dict[str, Any] = {"cost": D(700), "conversions": D(0), "conversion_value": D(0)}
    base.update(perf)
    return f.pause_ctx(snap=f.snapshot(performance=f.performance(**base)))


# --------------------------------------------------------------------------- pause_min_spend


@pytest.mark.parametrize(("cost", "expected"), [("499.99", BLOCK), ("500", ALLOW), ("500.01", ALLOW)])
def test_pause_min_spend_boundaries(cost: str, expected: Outcome) -> None:
    result = pause_min_spend(_pause_with(cost=D(cost)))
    assert result.outcome == expected
    assert result.observed["cost"] == cost and result.observed["min_spend"] == "500"


def test_pause_min_spend_fails_closed_and_tightens() -> None:
    assert pause_min_spend(f.pause_ctx(snap=f.snapshot(performance=None))).outcome == BLOCK
    assert pause_min_spend(f.pause_ctx(snap=None)).outcome == BLOCK
    assert pause_min_spend(f.pause_ctx(lim=f.limits(pause_min_spend=800))).outcome == BLOCK


# --------------------------------------------------------------------------- pause_has_conversions


@pytest.mark.parametrize(("conversions", "expected"), [("0", ALLOW), ("0.01", APPROVE), ("1", APPROVE)])
def test_pause_has_conversions(conversions: str, expected: Outcome) -> None:
    assert pause_has_conversions(_pause_with(conversions=D(conversions))).outcome == expected


def test_pause_has_conversions_unknown_needs_approval() -> None:
    assert pause_has_conversions(f.pause_ctx(snap=f.snapshot(performance=None))).outcome == APPROVE


# --------------------------------------------------------------------------- pause_min_runtime

START = date(2026, 11, 17)
MIDNIGHT = datetime(2026, 11, 17, tzinfo=UTC)


# A start date alone counts from the end of that day wherever the account is (UTC-12: 36 h after midnight UTC).
DATE_ONLY_START = MIDNIGHT + timedelta(hours=36)


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (DATE_ONLY_START + timedelta(hours=72) - timedelta(microseconds=1), BLOCK),
        (DATE_ONLY_START + timedelta(hours=72), ALLOW),
        (DATE_ONLY_START + timedelta(hours=72, microseconds=1), ALLOW),
        (MIDNIGHT + timedelta(hours=72), BLOCK),  # the old reading (00:00 UTC of the date) let this through
        (MIDNIGHT - timedelta(hours=1), BLOCK),  # starts in the future
    ],
)
def test_pause_min_runtime_boundaries(now: datetime, expected: Outcome) -> None:
    snap = f.snapshot(campaign=f.campaign(start_date=START))
    result = pause_min_runtime(f.pause_ctx(snap=snap, now=now))
    assert result.outcome == expected
    assert result.observed["start_date"] == "2026-11-17"


def test_pause_min_runtime_counts_from_the_stated_start_time() -> None:
    """Issue 13.7: a campaign the platform says started at 20:00 on its start date counts from 20:00."""
    started = MIDNIGHT + timedelta(hours=20)
    snap = f.snapshot(campaign=f.campaign(start_date=START, started_at=started))
    assert pause_min_runtime(f.pause_ctx(snap=snap, now=started + timedelta(hours=71, minutes=59))).outcome == BLOCK
    allowed = pause_min_runtime(f.pause_ctx(snap=snap, now=started + timedelta(hours=72)))
    assert allowed.outcome == ALLOW and allowed.observed["counted_from"] == started.isoformat()


def test_pause_min_runtime_unknown_start_blocks() -> None:
    assert pause_min_runtime(f.pause_ctx(snap=f.snapshot(campaign=f.campaign(start_date=None)))).outcome == BLOCK
    assert pause_min_runtime(f.pause_ctx(snap=f.snapshot(campaign=None))).outcome == BLOCK


def test_pause_min_runtime_tightened() -> None:
    snap = f.snapshot(campaign=f.campaign(start_date=START))
    lim = f.limits(pause_min_runtime_hours=96)
    assert pause_min_runtime(f.pause_ctx(snap=snap, now=MIDNIGHT + timedelta(hours=80), lim=lim)).outcome == BLOCK


# --------------------------------------------------------------------------- pause_high_spend


@pytest.mark.parametrize(
    ("cost", "expected"), [("69999.86", ALLOW), ("70000", ALLOW), ("70000.14", APPROVE), ("140000", APPROVE)]
)
def test_pause_high_spend_boundaries(cost: str, expected: Outcome) -> None:
    # 14-day window: 70,000 is exactly 5,000 a day.
    result = pause_high_spend(_pause_with(cost=D(cost)))
    assert result.outcome == expected


def test_pause_high_spend_unknown_needs_approval() -> None:
    assert pause_high_spend(f.pause_ctx(snap=f.snapshot(performance=None))).outcome == APPROVE
    lim = f.limits(pause_high_daily_spend=40)
    assert pause_high_spend(f.pause_ctx(lim=lim)).outcome == APPROVE  # 700 / 14 = 50 a day


# --------------------------------------------------------------------------- scope


def test_pause_rules_do_not_concern_email_pauses_or_other_actions() -> None:
    for ctx in (f.email_pause_ctx(), f.budget_ctx(100, 110), f.automation_ctx(2)):
        for rule in PAUSE_RULES:
            assert rule(ctx).applies is False, rule.__name__


def test_healthy_pause_passes_every_pause_rule() -> None:
    for rule in PAUSE_RULES:
        assert rule(f.pause_ctx()).outcome == ALLOW, rule.__name__


# --------------------------------------------------------------------------- brand_protection


BRAND = f.campaign(name="Brand – Acme")


@pytest.mark.parametrize(
    "ctx_factory",
    [
        lambda snap: f.pause_ctx(snap=snap),
        lambda snap: f.budget_ctx(100, 90, snap=snap),
        lambda snap: f.bid_ctx("1.00", "0.90", snap=snap),
    ],
)
def test_brand_campaign_pause_or_cut_needs_approval(ctx_factory: Callable[[Snapshot], GuardrailContext]) -> None:
    result = brand_protection(ctx_factory(f.snapshot(campaign=BRAND)))
    assert result.outcome == APPROVE
    assert result.observed["campaign"] == "Brand – Acme"
    assert brand_protection(ctx_factory(f.snapshot())).outcome == ALLOW


def test_brand_label_counts() -> None:
    snap = f.snapshot(campaign=f.campaign(labels=("BRAND",)))
    assert brand_protection(f.pause_ctx(snap=snap)).outcome == APPROVE


def test_brand_increase_is_not_a_cut() -> None:
    assert brand_protection(f.budget_ctx(100, 110, snap=f.snapshot(campaign=BRAND))).applies is False


def test_brand_unknown_campaign_needs_approval() -> None:
    assert brand_protection(f.bid_ctx("1.00", "0.90", snap=f.snapshot(campaign=None))).outcome == APPROVE


def test_brand_protection_ignores_email_pause() -> None:
    assert brand_protection(f.email_pause_ctx()).applies is False


# --------------------------------------------------------------------------- winner_protection


@pytest.mark.parametrize(("value", "expected"), [("4999.99", ALLOW), ("5000", ALLOW), ("5000.01", BLOCK)])
def test_winner_pause_boundaries(value: str, expected: Outcome) -> None:
    ctx = _pause_with(cost=D(1000), conversion_value=D(value))
    assert winner_protection(ctx).outcome == expected


def test_winner_budget_and_bid_cuts_blocked() -> None:
    winner = f.performance(cost=D(1000), conversion_value=D(6000))
    assert winner_protection(f.budget_ctx(100, 90, snap=f.snapshot(performance=winner))).outcome == BLOCK
    assert winner_protection(f.bid_ctx("1", "0.9", snap=f.snapshot(performance=winner))).outcome == BLOCK


def test_winning_keyword_bid_cut_blocked_even_in_an_ordinary_campaign() -> None:
    keyword = f.keyword(performance=f.performance(cost=D(100), conversion_value=D(600)))
    result = winner_protection(f.bid_ctx("1", "0.9", snap=f.snapshot(keyword=keyword)))
    assert result.outcome == BLOCK
    assert "keyword" in result.message
    assert result.observed["campaign_roas"] == "3.0000"


def test_winner_increase_not_concerned_and_no_data_fails_closed() -> None:
    winner = f.performance(cost=D(1000), conversion_value=D(6000))
    assert winner_protection(f.budget_ctx(100, 110, snap=f.snapshot(performance=winner))).applies is False
    assert winner_protection(f.pause_ctx(snap=f.snapshot(performance=None))).outcome == BLOCK
    assert winner_protection(f.email_pause_ctx()).applies is False


def test_zero_cost_campaign_is_not_a_winner_and_threshold_tightens() -> None:
    assert winner_protection(_pause_with(cost=D(0))).outcome == ALLOW
    lim = f.limits(winner_roas=2)
    ctx = f.budget_ctx(100, 90, lim=lim)  # default campaign ROAS is 3
    assert winner_protection(ctx).outcome == BLOCK
