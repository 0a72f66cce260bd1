"""The pre-execution checks of spec §4 and `first_failure`."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from guardrails.checks import (
    CHECK_IDS,
    check_kill_switch,
    check_no_similar_failure,
    check_no_unsettled_change,
    check_opportunity_current,
    check_plan_fresh,
    check_platform_connected,
    first_failure,
)
from guardrails.limits import Limits
from schemas.facts import PastAction
from schemas.policy import KillSwitchState
from tests.unit.guardrails import factories as f

NOW = f.NOW
KEY = f.CAMPAIGN_KEY


def test_check_ids() -> None:
    assert CHECK_IDS == ("kill_switch", "opportunity_current", "platform_connected", "no_similar_failure",
                         "no_unsettled_change", "plan_fresh")


# --------------------------------------------------------------------------- kill switch


def test_kill_switch_check() -> None:
    assert check_kill_switch(KillSwitchState()).passed
    assert check_kill_switch(f.kill_switch(active=False)).passed
    failed = check_kill_switch(f.kill_switch("org-acme"))
    assert not failed.passed
    assert failed.check_id == "kill_switch"
    assert "sam@acme.example" in failed.message and "runaway spend" in failed.message
    assert failed.observed["scope"] == "org-acme"


# --------------------------------------------------------------------------- opportunity


@pytest.mark.parametrize(
    ("status", "expires_in", "passed"),
    [
        ("approved", timedelta(hours=1), True),
        ("approved", None, True),
        ("approved", timedelta(microseconds=1), True),
        ("approved", timedelta(0), False),  # expiring now is expired
        ("approved", -timedelta(hours=1), False),
        ("dismissed", timedelta(hours=1), False),
        ("expired", timedelta(hours=1), False),
        ("actioned", timedelta(hours=1), False),
        ("pending", timedelta(hours=1), False),
        (None, None, False),
    ],
)
def test_opportunity_current(status: str | None, expires_in: timedelta | None, passed: bool) -> None:
    expires_at = None if expires_in is None else NOW + expires_in
    result = check_opportunity_current(status, expires_at, NOW)
    assert result.passed is passed
    assert result.check_id == "opportunity_current"
    assert result.observed["status"] == status


def test_dismissed_message_names_the_status() -> None:
    assert "'dismissed'" in check_opportunity_current("dismissed", None, NOW).message


# --------------------------------------------------------------------------- connection


def test_platform_connected() -> None:
    assert check_platform_connected(None).passed
    failed = check_platform_connected("credentials env:ADS_TOKEN are not set")
    assert not failed.passed
    assert failed.observed == {"error": "credentials env:ADS_TOKEN are not set"}
    assert "env:ADS_TOKEN" in failed.message


# --------------------------------------------------------------------------- similar failure


def _failed(hours_ago: float, **kw: Any) -> PastAction:
    values: dict[str, Any] = {
        "hours_ago": hours_ago,
        "entity_key": KEY,
        "action_type": "pause_campaign",
        "status": "FAILED",
    }
    values.update(kw)
    return f.past(executed=False, **values)


@pytest.mark.parametrize(("hours_ago", "passed"), [(23.99, False), (24, True), (24.01, True), (0.1, False)])
def test_similar_failure_window(hours_ago: float, passed: bool) -> None:
    history = (_failed(hours_ago),)
    result = check_no_similar_failure(history, KEY, "pause_campaign", NOW, Limits())
    assert result.passed is passed
    if not passed:
        assert result.observed["failed_action_ids"] == [history[0].action_id]


def test_similar_failure_needs_same_type_target_and_a_failure() -> None:
    history = (
        _failed(1, action_type="adjust_campaign_budget"),
        _failed(1, entity_key="google_ads:1234567890:campaign:999"),
        _failed(1, status="EXECUTED"),
        _failed(1, status="ROLLED_BACK"),
    )
    assert check_no_similar_failure(history, KEY, "pause_campaign", NOW, Limits()).passed


def test_similar_failure_window_tightens() -> None:
    history = (_failed(30),)
    lim = f.limits(similar_failure_hours=48)
    assert not check_no_similar_failure(history, KEY, "pause_campaign", NOW, lim).passed


# --------------------------------------------------------------------------- unsettled changes


@pytest.mark.parametrize("status", ["EXECUTING", "UNCERTAIN"])
def test_a_change_in_flight_on_the_entity_holds_back_another(status: str) -> None:
    history = (_failed(1, status=status, action_id="act-earlier"),)
    result = check_no_unsettled_change(history, KEY, "act-new")
    assert not result.passed and result.check_id == "no_unsettled_change"
    assert result.observed == {"entity_key": KEY, "in_flight": ["act-earlier"]} and "act-earlier" in result.message


@pytest.mark.parametrize("past", [
    {"status": "EXECUTED"}, {"status": "FAILED"}, {"status": "ROLLED_BACK"},  # settled
    {"status": "UNCERTAIN", "entity_key": "google_ads:1234567890:campaign:999"},  # another entity
    {"status": "UNCERTAIN", "action_id": "act-new"},  # the action itself (being settled, then re-checked)
])
def test_settled_other_or_own_changes_do_not_hold_back(past: dict[str, Any]) -> None:
    history = (_failed(1, **{"action_id": "act-earlier", **past}),)
    assert check_no_unsettled_change(history, KEY, "act-new").passed


# --------------------------------------------------------------------------- plan freshness


def test_plan_fresh_when_equal() -> None:
    state = {"status": "ENABLED", "amount": "100.00"}
    result = check_plan_fresh(state, dict(state))
    assert result.passed
    assert result.observed == {"keys": ["amount", "status"]}


def test_stale_plan_reports_old_and_new() -> None:
    result = check_plan_fresh(
        {"status": "ENABLED", "amount": "100.00", "gone": 1},
        {"status": "PAUSED", "amount": "100.00", "added": [1]},
    )
    assert not result.passed
    assert result.observed["differences"] == {
        "status": {"planned": "ENABLED", "current": "PAUSED"},
        "gone": {"planned": 1, "current": "<missing>"},
        "added": {"planned": "<missing>", "current": [1]},
    }
    assert "'ENABLED' -> 'PAUSED'" in result.message
    assert "amount" not in result.observed["differences"]


# --------------------------------------------------------------------------- first_failure


def test_first_failure() -> None:
    ok = check_platform_connected(None)
    first = check_platform_connected("down")
    second = check_kill_switch(f.kill_switch())
    assert first_failure([ok, first, second]) is first
    assert first_failure([ok, ok]) is None
    assert first_failure([]) is None
