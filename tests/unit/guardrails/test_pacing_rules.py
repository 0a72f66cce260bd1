"""hourly_rate, daily_rate, cooldown, stale_data."""

from __future__ import annotations

from datetime import timedelta

import pytest

from guardrails.rules.pacing import cooldown, daily_rate, hourly_rate, stale_data
from schemas.common import Outcome
from tests.unit.guardrails import factories as f

ALLOW, APPROVE, BLOCK = Outcome.ALLOW, Outcome.NEEDS_APPROVAL, Outcome.BLOCK


# --------------------------------------------------------------------------- rates


@pytest.mark.parametrize(("executed", "expected"), [(9, ALLOW), (10, BLOCK), (11, BLOCK)])
def test_hourly_rate_boundaries(executed: int, expected: Outcome) -> None:
    result = hourly_rate(f.context(executed_last_hour=executed))
    assert result.outcome == expected
    assert result.observed["executed"] == executed
    if expected == BLOCK:
        assert "deferred to a later run" in result.message


@pytest.mark.parametrize(("executed", "expected"), [(49, ALLOW), (50, BLOCK), (51, BLOCK)])
def test_daily_rate_boundaries(executed: int, expected: Outcome) -> None:
    assert daily_rate(f.context(executed_last_24h=executed)).outcome == expected


def test_rates_also_count_the_history() -> None:
    in_hour = tuple(f.past(hours_ago=0.5, entity_key=f"e{i}") for i in range(10))
    assert hourly_rate(f.context(history=in_hour)).outcome == BLOCK
    just_out = tuple(f.past(hours_ago=1, entity_key=f"e{i}") for i in range(10))
    assert hourly_rate(f.context(history=just_out)).outcome == ALLOW
    unexecuted = tuple(f.past(hours_ago=0.5, executed=False, status="FAILED", entity_key=f"e{i}") for i in range(10))
    assert hourly_rate(f.context(history=unexecuted)).outcome == ALLOW
    day = tuple(f.past(hours_ago=2 + i * 0.4, entity_key=f"e{i}") for i in range(50))
    result = daily_rate(f.context(history=day))
    assert result.outcome == BLOCK
    assert result.observed["from_history"] == 50


def test_rates_read_tightened_limits() -> None:
    lim = f.limits(hourly_action_limit=2, daily_action_limit=5)
    assert hourly_rate(f.context(executed_last_hour=2, lim=lim)).outcome == BLOCK
    assert daily_rate(f.context(executed_last_24h=4, lim=lim)).outcome == ALLOW
    assert daily_rate(f.context(executed_last_24h=5, lim=lim)).outcome == BLOCK


# --------------------------------------------------------------------------- cooldown


@pytest.mark.parametrize(("hours_ago", "expected"), [(47.99, APPROVE), (48, ALLOW), (48.01, ALLOW), (0.1, APPROVE)])
def test_cooldown_boundaries(hours_ago: float, expected: Outcome) -> None:
    change = f.budget_facts(100, 110)
    history = (f.past(hours_ago=hours_ago, entity_key=change.entity_key),)
    result = cooldown(f.context(change=change, history=history))
    assert result.outcome == expected
    if expected == APPROVE:
        assert result.observed["last_changed_at"] == (f.NOW - timedelta(hours=hours_ago)).isoformat()


def test_cooldown_only_for_the_same_entity_and_executed_actions() -> None:
    change = f.budget_facts(100, 110)
    other = (f.past(hours_ago=1, entity_key="google_ads:1234567890:campaign:999:budget"),)
    assert cooldown(f.context(change=change, history=other)).outcome == ALLOW
    failed = (f.past(hours_ago=1, entity_key=change.entity_key, executed=False, status="FAILED"),)
    assert cooldown(f.context(change=change, history=failed)).outcome == ALLOW


def test_cooldown_tightened() -> None:
    change = f.budget_facts(100, 110)
    history = (f.past(hours_ago=60, entity_key=change.entity_key),)
    assert cooldown(f.context(change=change, history=history, lim=f.limits(cooldown_hours=72))).outcome == APPROVE


# --------------------------------------------------------------------------- stale_data


@pytest.mark.parametrize(
    ("age", "expected"),
    [(timedelta(hours=5, minutes=59), ALLOW), (timedelta(hours=6), ALLOW), (timedelta(hours=6, seconds=1), BLOCK)],
)
def test_stale_snapshot_boundaries(age: timedelta, expected: Outcome) -> None:
    snap = f.snapshot(read_at=f.NOW - age)
    assert stale_data(f.budget_ctx(100, 110, snap=snap)).outcome == expected


def test_stale_metrics_block_even_with_a_fresh_read() -> None:
    old = f.performance(data_as_of=f.NOW - timedelta(hours=7))
    result = stale_data(f.budget_ctx(100, 110, snap=f.snapshot(performance=old)))
    assert result.outcome == BLOCK
    assert result.observed["campaign_metrics_age_hours"] == "7.00"
    keyword = f.keyword(performance=f.performance(data_as_of=f.NOW - timedelta(hours=8)))
    assert stale_data(f.bid_ctx("1", "1.1", snap=f.snapshot(keyword=keyword))).outcome == BLOCK


def test_stale_data_fails_closed_without_snapshot() -> None:
    assert stale_data(f.budget_ctx(100, 110, snap=None)).outcome == BLOCK


def test_stale_data_only_for_spend_increases() -> None:
    old = f.snapshot(read_at=f.NOW - timedelta(days=2))
    assert stale_data(f.budget_ctx(100, 90, snap=old)).applies is False
    assert stale_data(f.pause_ctx(snap=old)).applies is False


def test_stale_data_tightened() -> None:
    snap = f.snapshot(read_at=f.NOW - timedelta(hours=2))
    assert stale_data(f.budget_ctx(100, 110, snap=snap, lim=f.limits(stale_data_hours=1))).outcome == BLOCK
