"""Can an approved action run now? Asked before an approval is recorded, so a decision is never used up
on an action that would only be held back (spec §6: refused up front, the action stays pending).

Only the temporary holds a person can wait out are asked here — the emergency stop and the hourly and
daily execution limits — each with when the action could run. Everything else (a stale plan, a block,
a changed entity) is judged after the approval, by the guardrails, as before.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from connectors.base import StateStore
from guardrails.limits import Limits

_SEARCH_STEPS = 24  # bisection steps: an hour to well under a second, a day to a few ms


def not_now(state: StateStore, organization_id: str, limits: Limits, now: datetime) -> str | None:
    """Why the org's approved action cannot run at `now`, and from when it could; None if it can."""
    stop = state.kill_switches(organization_id).active
    if stop is not None:
        scope = "everywhere" if stop.scope == "global" else f"for {stop.scope}"
        return (f"cannot run now: the emergency stop is on {scope} (by {stop.set_by}: {stop.reason}); "
                "approve it after the emergency stop is released. The action stays pending.")
    for span, hours, limit in (("hour", 1, limits.hourly_action_limit), ("24 h", 24, limits.daily_action_limit)):
        window = timedelta(hours=hours)
        executed = state.count_executions(organization_id, now - window)
        if executed >= limit:
            frees = _frees_at(state, organization_id, now, window, int(limit))
            return (f"cannot run now: {executed} actions executed in the last {span} (limit {limit}); it can run "
                    f"from {frees:%Y-%m-%d %H:%M:%S} UTC, when the oldest counted execution leaves the window. "
                    "The action stays pending: approve it then.")
    return None


def _frees_at(state: StateStore, organization_id: str, now: datetime, window: timedelta, limit: int) -> datetime:
    """The first moment the rolling window holds fewer than `limit` executions (none are added meanwhile).

    Bisection over the port's `count_executions`, so every state store answers it without a new method."""
    low, high = now, now + window  # at `high` every execution counted now has left the window
    for _ in range(_SEARCH_STEPS):
        middle = low + (high - low) / 2
        if state.count_executions(organization_id, middle - window) < limit:
            high = middle
        else:
            low = middle
    seconds = math.ceil(high.timestamp())
    return datetime.fromtimestamp(seconds, tz=high.tzinfo)
