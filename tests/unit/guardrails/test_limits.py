"""Policies may only tighten limits: `resolve_limits` refuses anything that loosens a default or ceiling."""

from __future__ import annotations

from decimal import Decimal

import pytest

from guardrails.limits import LIMIT_RULES, LimitLoosenedError, Limits, resolve_limits

D = Decimal
NUMERIC = [name for name in LIMIT_RULES if getattr(Limits(), name) is not None]


def test_defaults_are_the_spec_numbers() -> None:
    lim = Limits()
    assert (lim.confidence_approval_below, lim.confidence_block_below) == (D("0.85"), D("0.5"))
    assert (lim.budget_increase_approval_pct, lim.budget_increase_block_pct) == (D(20), D(50))
    assert (lim.budget_cumulative_approval_pct, lim.budget_cumulative_block_pct) == (D(20), D(100))
    assert lim.budget_decrease_block_pct == 80
    assert lim.campaign_daily_budget_cap == 5000 and lim.org_daily_budget_cap is None
    assert lim.reallocation_approval_pct == 30
    assert (lim.roas_floor_for_increase, lim.min_conversions_for_scale) == (D(2), D(5))
    assert (lim.pause_min_spend, lim.pause_min_runtime_hours, lim.pause_high_daily_spend) == (D(500), D(72), D(5000))
    assert lim.winner_roas == 5
    assert (lim.bid_increase_approval_pct, lim.bid_increase_block_pct) == (D(20), D(50))
    assert lim.automation_contacts_approval_above == 1000
    assert (lim.hourly_action_limit, lim.daily_action_limit) == (D(10), D(50))
    assert (lim.cooldown_hours, lim.stale_data_hours) == (D(48), D(6))


def test_every_limit_has_a_direction() -> None:
    fields = set(Limits.model_fields) - {"measurement_checkpoint_hours"}
    assert fields == set(LIMIT_RULES)


@pytest.mark.parametrize("name", NUMERIC)
def test_loosening_any_limit_fails(name: str) -> None:
    default = getattr(Limits(), name)
    looser = default + 1 if LIMIT_RULES[name].tighter == "lower" else default / 2
    with pytest.raises(LimitLoosenedError, match=name):
        resolve_limits({name: looser})


@pytest.mark.parametrize("name", NUMERIC)
def test_tightening_any_limit_is_applied(name: str) -> None:
    default = getattr(Limits(), name)
    tighter = default / 2 if LIMIT_RULES[name].tighter == "lower" else default + 1
    assert getattr(resolve_limits({name: tighter}), name) == tighter


def test_equal_to_default_is_accepted() -> None:
    assert resolve_limits({"budget_increase_block_pct": D(50)}).budget_increase_block_pct == 50


@pytest.mark.parametrize(
    ("name", "value"),
    [("budget_increase_block_pct", "50.01"), ("budget_cumulative_block_pct", "101"), ("bid_increase_block_pct", "51")],
)
def test_hard_ceilings_cannot_be_exceeded(name: str, value: str) -> None:
    with pytest.raises(LimitLoosenedError):
        resolve_limits({name: D(value)})


def test_every_problem_is_named_at_once() -> None:
    with pytest.raises(LimitLoosenedError) as error:
        resolve_limits({"winner_roas": D(9), "bogus": D(1), "pause_min_spend": D(-1), "cooldown_hours": D("NaN")})
    message = str(error.value)
    for name in ("winner_roas", "bogus: unknown limit", "pause_min_spend", "cooldown_hours"):
        assert name in message


def test_org_cap_may_be_set_from_nothing() -> None:
    assert resolve_limits({"org_daily_budget_cap": D(20000)}).org_daily_budget_cap == 20000


def test_only_deployment_raises_the_campaign_cap() -> None:
    with pytest.raises(LimitLoosenedError):
        resolve_limits({"campaign_daily_budget_cap": D(8000)})
    raised = resolve_limits(campaign_cap_ceiling=D(10000))
    assert raised.campaign_daily_budget_cap == 10000
    assert (
        resolve_limits({"campaign_daily_budget_cap": D(8000)}, campaign_cap_ceiling=D(10000)).campaign_daily_budget_cap
        == 8000
    )
    with pytest.raises(LimitLoosenedError):
        resolve_limits({"campaign_daily_budget_cap": D(10001)}, campaign_cap_ceiling=D(10000))
