"""budget_increase_pct, budget_cumulative_24h, budget_decrease_floor, daily_spend_cap, reallocation_24h,
shared_budget, bid_increase_pct: just under / at / just over every threshold."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from guardrails.rules.budget import (
    bid_increase_pct,
    budget_cumulative_24h,
    budget_decrease_floor,
    budget_increase_pct,
    daily_spend_cap,
    reallocation_24h,
    shared_budget,
)
from schemas.common import Outcome
from schemas.facts import PastAction
from tests.unit.guardrails import factories as f

ALLOW, APPROVE, BLOCK = Outcome.ALLOW, Outcome.NEEDS_APPROVAL, Outcome.BLOCK
D = Decimal


# --------------------------------------------------------------------------- budget_increase_pct


@pytest.mark.parametrize(
    ("after", "expected"),
    [
        ("119.99", ALLOW),
        ("120", ALLOW),
        ("120.01", APPROVE),
        ("149.99", APPROVE),
        ("150", APPROVE),
        ("150.01", BLOCK),
        ("400", BLOCK),
    ],
)
def test_budget_increase_pct_boundaries(after: str, expected: Outcome) -> None:
    result = budget_increase_pct(f.budget_ctx(100, after))
    assert result.outcome == expected
    assert result.observed["before"] == "100" and result.observed["after"] == after


def test_budget_increase_pct_compares_unrounded() -> None:
    # 20.004 % would round to 20.00 %: it is still above 20 %.
    assert budget_increase_pct(f.budget_ctx(100, "120.004")).outcome == APPROVE
    assert budget_increase_pct(f.budget_ctx(100, "150.004")).outcome == BLOCK


def test_budget_increase_from_zero_blocks() -> None:
    assert budget_increase_pct(f.budget_ctx(0, 10)).outcome == BLOCK


def test_budget_increase_pct_reads_tightened_limits() -> None:
    lim = f.limits(budget_increase_approval_pct=10, budget_increase_block_pct=15)
    assert budget_increase_pct(f.budget_ctx(100, 110, lim=lim)).outcome == ALLOW
    assert budget_increase_pct(f.budget_ctx(100, "110.01", lim=lim)).outcome == APPROVE
    assert budget_increase_pct(f.budget_ctx(100, "115.01", lim=lim)).outcome == BLOCK


def test_budget_increase_pct_ignores_decreases_and_other_actions() -> None:
    assert budget_increase_pct(f.budget_ctx(100, 90)).applies is False
    assert budget_increase_pct(f.pause_ctx()).applies is False


# --------------------------------------------------------------------------- bid_increase_pct


@pytest.mark.parametrize(
    ("after", "expected"),
    [
        ("1.1999", ALLOW),
        ("1.20", ALLOW),
        ("1.2001", APPROVE),
        ("1.4999", APPROVE),
        ("1.50", APPROVE),
        ("1.5001", BLOCK),
    ],
)
def test_bid_increase_pct_boundaries(after: str, expected: Outcome) -> None:
    assert bid_increase_pct(f.bid_ctx("1.00", after)).outcome == expected


def test_bid_increase_pct_tightened_and_not_applicable() -> None:
    lim = f.limits(bid_increase_approval_pct=5)
    assert bid_increase_pct(f.bid_ctx("1.00", "1.06", lim=lim)).outcome == APPROVE
    assert bid_increase_pct(f.bid_ctx("1.00", "0.50")).applies is False
    assert bid_increase_pct(f.budget_ctx(100, 200)).applies is False
    assert bid_increase_pct(f.bid_ctx("0", "0.10")).outcome == BLOCK


# --------------------------------------------------------------------------- budget_cumulative_24h


def _increase(before: int | str, after: int | str, hours_ago: float = 2, **kw: Any) -> PastAction:
    return f.past(hours_ago=hours_ago, budget_before=before, budget_after=after, **kw)


@pytest.mark.parametrize(
    ("after", "expected"),
    [("119.99", ALLOW), ("120", ALLOW), ("120.01", APPROVE), ("199.99", APPROVE), ("200", APPROVE), ("200.01", BLOCK)],
)
def test_cumulative_boundaries(after: str, expected: Outcome) -> None:
    # 100 -> 110 executed 2 h ago; now 110 -> after. The window starts at 100.
    history = (_increase(100, 110),)
    result = budget_cumulative_24h(f.budget_ctx(110, after, history=history))
    assert result.outcome == expected
    assert result.observed["window_start_budget"] == "100"


def test_cumulative_sums_several_increases_from_the_earliest_start() -> None:
    history = (_increase(150, 180, hours_ago=3), _increase(100, 150, hours_ago=20))
    result = budget_cumulative_24h(f.budget_ctx(180, 200, history=history))
    # (50 + 30 + 20) / 100 = 100 %: at the ceiling, still needs a person.
    assert result.outcome == APPROVE
    assert result.observed["cumulative_pct"] == "100.00"
    assert budget_cumulative_24h(f.budget_ctx(180, "200.01", history=history)).outcome == BLOCK


def test_cumulative_increases_at_the_same_instant_start_from_the_smallest_budget() -> None:
    """Found by the property tests (--slow): 0.52 -> 0.91 -> 1.00, both recorded at the same instant, then
    1.00 -> 1.0401 is +100.02 % in 24 h whichever order the history lists them in."""
    chain = [_increase("0.91", "1.00", hours_ago=1), _increase("0.52", "0.91", hours_ago=1)]
    for history in (tuple(chain), tuple(reversed(chain))):
        result = budget_cumulative_24h(f.budget_ctx("1.00", "1.0401", history=history))
        assert result.outcome == BLOCK, result.observed
        assert result.observed["window_start_budget"] == "0.52"


def test_cumulative_window_is_24_hours() -> None:
    inside = (_increase(100, 119, hours_ago=23.99),)
    outside = (_increase(100, 119, hours_ago=24),)
    assert budget_cumulative_24h(f.budget_ctx(119, 122, history=inside)).outcome == APPROVE
    assert budget_cumulative_24h(f.budget_ctx(119, 122, history=outside)).outcome == ALLOW


def test_cumulative_ignores_other_campaigns_unexecuted_and_decreases() -> None:
    history = (
        _increase(100, 119, campaign_key="google_ads:1234567890:campaign:999", entity_key="other"),
        _increase(100, 119, executed=False, status="FAILED"),
        _increase(200, 100),  # a decrease does not offset, nor count
    )
    result = budget_cumulative_24h(f.budget_ctx(100, 110, history=history))
    assert result.outcome == ALLOW
    assert result.observed["increases_in_window"] == []


def test_cumulative_counts_rolled_back_increases() -> None:
    history = (_increase(100, 115, status="ROLLED_BACK"),)
    assert budget_cumulative_24h(f.budget_ctx(100, 110, history=history)).outcome == APPROVE


def test_cumulative_from_zero_blocks_and_decrease_not_applicable() -> None:
    assert budget_cumulative_24h(f.budget_ctx(0, 5)).outcome == BLOCK
    assert budget_cumulative_24h(f.budget_ctx(100, 50)).applies is False


# --------------------------------------------------------------------------- budget_decrease_floor


@pytest.mark.parametrize(("after", "expected"), [("20.01", ALLOW), ("20", ALLOW), ("19.99", BLOCK), ("0", BLOCK)])
def test_decrease_pct_boundaries(after: str, expected: Outcome) -> None:
    result = budget_decrease_floor(f.budget_ctx(100, after))
    assert result.outcome == expected
    if expected == BLOCK:
        assert "pause instead" in result.message


@pytest.mark.parametrize(("after", "expected"), [("5.01", ALLOW), ("5", ALLOW), ("4.99", BLOCK)])
def test_decrease_below_platform_minimum_blocks(after: str, expected: Outcome) -> None:
    snap = f.snapshot(budget=f.budget(amount=D(6)), account=f.account(min_daily_budget=D(5)))
    assert budget_decrease_floor(f.budget_ctx(6, after, snap=snap)).outcome == expected


def test_decrease_without_account_reports_unknown_minimum() -> None:
    result = budget_decrease_floor(f.budget_ctx(100, 50, snap=f.snapshot(account=None)))
    assert result.outcome == ALLOW
    assert result.observed["platform_minimum"] is None


def test_decrease_floor_tightened_and_not_applicable() -> None:
    lim = f.limits(budget_decrease_block_pct=50)
    assert budget_decrease_floor(f.budget_ctx(100, 49, lim=lim)).outcome == BLOCK
    assert budget_decrease_floor(f.budget_ctx(100, 120)).applies is False


# --------------------------------------------------------------------------- daily_spend_cap


@pytest.mark.parametrize(("after", "expected"), [("4999.99", ALLOW), ("5000", ALLOW), ("5000.01", BLOCK)])
def test_campaign_cap_boundaries(after: str, expected: Outcome) -> None:
    assert daily_spend_cap(f.budget_ctx(4500, after)).outcome == expected


def test_campaign_cap_tightened() -> None:
    lim = f.limits(campaign_daily_budget_cap=1000)
    assert daily_spend_cap(f.budget_ctx(900, 1000, lim=lim)).outcome == ALLOW
    assert daily_spend_cap(f.budget_ctx(900, "1000.01", lim=lim)).outcome == BLOCK


def test_cuts_are_never_capped() -> None:
    assert daily_spend_cap(f.budget_ctx(6000, 5500)).applies is False


@pytest.mark.parametrize(("after", "expected"), [("599.99", ALLOW), ("600", ALLOW), ("600.01", BLOCK)])
def test_org_cap_boundaries(after: str, expected: Outcome) -> None:
    # The org spends 10,000 a day; this campaign 100 -> after; the org cap is 10,500.
    lim = f.limits(org_daily_budget_cap=10500)
    result = daily_spend_cap(f.budget_ctx(100, after, lim=lim, org_total_daily_budget=D(10000)))
    assert result.outcome == expected


def test_org_cap_with_unknown_total_fails_closed() -> None:
    lim = f.limits(org_daily_budget_cap=10500)
    assert daily_spend_cap(f.budget_ctx(100, 101, lim=lim, org_total_daily_budget=None)).outcome == BLOCK
    # Without an org cap the total is not needed.
    assert daily_spend_cap(f.budget_ctx(100, 101, org_total_daily_budget=None)).outcome == ALLOW


def test_org_cap_replaces_the_changed_budget_among_the_orgs_active_budgets() -> None:
    # The org's active budgets: this one (100) and 9,900 elsewhere; 100 -> 600 makes 10,500 in all.
    budgets = {f"{f.CUSTOMER}/900": D(100), "9999999999/1": D(9900)}
    lim = f.limits(org_daily_budget_cap=10500)
    ok = daily_spend_cap(f.budget_ctx(100, 600, lim=lim, org_total_daily_budget=D(10000), org_daily_budgets=budgets))
    assert ok.outcome == ALLOW and ok.observed["org_total_after"] == "10500"
    assert ok.observed["org_worst_case_day"] == "21000" and ok.observed["org_projected_month"] == "319200.0"
    over = daily_spend_cap(f.budget_ctx(100, "600.01", lim=lim, org_total_daily_budget=D(10000),
                                        org_daily_budgets=budgets))
    assert over.outcome == BLOCK and "twice" not in over.message and "on one day" in over.message


def test_org_cap_counts_an_increase_of_a_budget_no_enabled_campaign_spends() -> None:
    # A paused campaign's budget is not among the active ones: its increase is added to the total.
    budgets = {"9999999999/1": D(10000)}
    lim = f.limits(org_daily_budget_cap=10500)
    result = daily_spend_cap(f.budget_ctx(100, 601, lim=lim, org_total_daily_budget=D(10000),
                                          org_daily_budgets=budgets))
    assert result.outcome == BLOCK and result.observed["org_total_after"] == "10501"


@pytest.mark.parametrize(("after", "expected"), [("100", None), ("110", ALLOW), ("110.01", APPROVE)])
def test_projected_monthly_spend_needs_approval_above_the_org_limit(after: str, expected: Outcome | None) -> None:
    # 1,000 a day now; 30.4 x 1,010 = 30,704 is the limit.
    lim = f.limits(org_monthly_spend_approval_above=30704)
    result = daily_spend_cap(f.budget_ctx(100, after, lim=lim, org_total_daily_budget=D(1000)))
    if expected is None:
        assert result.applies is False
    else:
        assert result.outcome == expected
    unknown = daily_spend_cap(f.budget_ctx(100, 101, lim=lim, org_total_daily_budget=None))
    assert unknown.outcome == APPROVE  # fail closed without blocking: a person can check the total


def test_org_limits_may_only_tighten() -> None:
    from guardrails.limits import LimitLoosenedError, resolve_limits

    assert resolve_limits({"org_monthly_spend_approval_above": D(50000)}).org_monthly_spend_approval_above == 50000
    with pytest.raises(LimitLoosenedError):
        resolve_limits({"org_monthly_spend_approval_above": D(-1)})


# --------------------------------------------------------------------------- reallocation_24h


@pytest.mark.parametrize(("after", "expected"), [("399.99", ALLOW), ("400", ALLOW), ("400.01", APPROVE)])
def test_reallocation_boundaries(after: str, expected: Outcome) -> None:
    # Org total 1,000; moving 300 (30 %) is the most without approval.
    result = reallocation_24h(f.budget_ctx(100, after, org_total_daily_budget=D(1000)))
    assert result.outcome == expected


def test_reallocation_counts_absolute_moves_of_the_org_in_24h() -> None:
    history = (
        f.past(budget_before=300, budget_after=200, campaign_key="c2", entity_key="c2", hours_ago=5),  # 100 out
        f.past(budget_before=50, budget_after=150, campaign_key="c3", entity_key="c3", hours_ago=23),  # 100 in
        f.past(budget_before=50, budget_after=550, campaign_key="c4", entity_key="c4", hours_ago=25),  # too old
        f.past(action_type="pause_campaign", entity_key="c5"),  # not a budget change
    )
    ctx = f.budget_ctx(100, 200, org_total_daily_budget=D(1000), history=history)
    result = reallocation_24h(ctx)
    assert result.outcome == ALLOW
    assert result.observed["moved_with_this"] == "300"
    more = f.budget_ctx(100, "200.01", org_total_daily_budget=D(1000), history=history)
    assert reallocation_24h(more).outcome == APPROVE


def test_reallocation_uses_a_larger_orchestrator_figure() -> None:
    ctx = f.budget_ctx(100, 101, org_total_daily_budget=D(1000), org_budget_increase_24h=D(300))
    assert reallocation_24h(ctx).outcome == APPROVE


def test_reallocation_falls_back_to_account_total_then_fails_closed() -> None:
    snap = f.snapshot(account=f.account(total_daily_budget=D(1000)))
    assert reallocation_24h(f.budget_ctx(100, 400, snap=snap, org_total_daily_budget=None)).outcome == ALLOW
    assert reallocation_24h(f.budget_ctx(100, 401, snap=snap, org_total_daily_budget=None)).outcome == APPROVE
    no_account = f.snapshot(account=None)
    assert reallocation_24h(f.budget_ctx(100, 101, snap=no_account, org_total_daily_budget=None)).outcome == APPROVE


def test_reallocation_tightened_and_not_applicable() -> None:
    lim = f.limits(reallocation_approval_pct=5)
    assert reallocation_24h(f.budget_ctx(100, 151, lim=lim, org_total_daily_budget=D(1000))).outcome == APPROVE
    assert reallocation_24h(f.pause_ctx()).applies is False
    assert reallocation_24h(f.budget_ctx(100, 100)).applies is False


# --------------------------------------------------------------------------- shared_budget


@pytest.mark.parametrize(
    ("shared", "references", "expected"),
    [(False, 1, ALLOW), (False, 2, APPROVE), (True, 1, APPROVE), (True, 3, APPROVE)],
)
def test_shared_budget(shared: bool, references: int, expected: Outcome) -> None:
    snap = f.snapshot(budget=f.budget(explicitly_shared=shared, reference_count=references))
    result = shared_budget(f.budget_ctx(100, 110, snap=snap))
    assert result.outcome == expected
    assert result.observed["reference_count"] == references


def test_shared_budget_unknown_needs_approval_and_applies_to_budget_changes_only() -> None:
    assert shared_budget(f.budget_ctx(100, 90, snap=f.snapshot(budget=None))).outcome == APPROVE
    assert shared_budget(f.pause_ctx()).applies is False
    assert shared_budget(f.bid_ctx("1", "1.1")).applies is False
