"""The org's history window covers every time-based limit of its policy (issue 13.8)."""

from __future__ import annotations

from decimal import Decimal

from guardrails.limits import HISTORY_LIMITS, LIMIT_RULES, resolve_limits


def test_the_history_window_reaches_the_longest_time_based_limit() -> None:
    assert resolve_limits().history_hours() == Decimal(48)
    assert resolve_limits({"similar_failure_hours": Decimal(72)}).history_hours() == Decimal(72)
    assert resolve_limits({"cooldown_hours": Decimal(96), "similar_failure_hours": Decimal(72)}).history_hours() == 96


def test_every_hours_limit_judged_on_history_is_in_the_window() -> None:
    # Limits in hours that are not about the org's past actions: data freshness and approval lifetime.
    not_history = {"stale_data_hours", "approval_ttl_hours", "pause_min_runtime_hours"}
    hours = {name for name in LIMIT_RULES if name.endswith("_hours")}
    assert hours - not_history == set(HISTORY_LIMITS)
