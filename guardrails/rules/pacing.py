"""Rules about tempo and freshness: how many actions per hour/day, repeat changes, and stale evidence."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from guardrails.context import GuardrailContext
from guardrails.rules._common import DAY_HOURS, HOUR, allow, block, hours_between, needs_approval, not_applicable, show
from schemas.verdict import RuleResult


def _rate(rule_id: str, ctx: GuardrailContext, hours: int, counted: int, limit: Decimal, span: str) -> RuleResult:
    """Blocks when executing one more would exceed `limit`; the action is retried by a later run.

    The count is the larger of the store's counter and what the history shows, so either source missing
    an execution cannot let one through."""
    from_history = len(ctx.executed_since(hours))
    executed = max(counted, from_history)
    observed = {"executed": executed, "counter": counted, "from_history": from_history, "limit": limit}
    if executed >= limit:
        message = f"{executed} actions executed in the last {span} (limit {limit}): deferred to a later run"
        return block(rule_id, message, observed)
    return allow(rule_id, f"{executed} of {limit} actions executed in the last {span}", observed)


def hourly_rate(ctx: GuardrailContext) -> RuleResult:
    return _rate("hourly_rate", ctx, HOUR, ctx.executed_last_hour, ctx.limits.hourly_action_limit, "hour")


def daily_rate(ctx: GuardrailContext) -> RuleResult:
    return _rate("daily_rate", ctx, DAY_HOURS, ctx.executed_last_24h, ctx.limits.daily_action_limit, "24 h")


def cooldown(ctx: GuardrailContext) -> RuleResult:
    """A change to the entity inside the cooldown, by the Operator (history) or by anyone else (the outside
    changes the snapshot carries, e.g. Google Ads change_event), needs a person."""
    hours = ctx.limits.cooldown_hours
    key = ctx.facts.entity_key
    start = ctx.now - timedelta(hours=float(hours))
    recent = sorted((p for p in ctx.executed_since(hours) if p.entity_key == key), key=lambda p: p.at, reverse=True)
    changes = ctx.snapshot.outside_changes if ctx.snapshot is not None else None
    outside = sorted((c for c in changes or () if c.entity_key == key and start < c.changed_at <= ctx.now),
                     key=lambda c: c.changed_at, reverse=True)
    observed: dict[str, Any] = {"entity_key": key, "cooldown_hours": hours}
    if outside and (not recent or outside[0].changed_at > recent[0].at):
        last_change = outside[0]
        ago = hours_between(last_change.changed_at, ctx.now)
        observed.update(last_changed_at=last_change.changed_at, hours_ago=show(ago), changed_by=last_change.actor,
                        client_type=last_change.client_type, resource=last_change.resource_name)
        return needs_approval(
            "cooldown", f"{key} was changed outside the Operator {show(ago)} h ago (by {last_change.actor}, "
            f"{last_change.client_type})", observed)
    if recent:
        last = recent[0]
        ago = hours_between(last.at, ctx.now)
        observed.update(last_action_id=last.action_id, last_changed_at=last.at, hours_ago=show(ago))
        return needs_approval(
            "cooldown", f"{key} was changed by the Operator {show(ago)} h ago ({last.action_type})", observed
        )
    return allow("cooldown", f"{key} was not changed by the Operator or anyone else in the last {hours} h", observed)


def stale_data(ctx: GuardrailContext) -> RuleResult:
    if not ctx.facts.spend_increasing:
        return not_applicable("stale_data", "does not increase spend")
    limit = ctx.limits.stale_data_hours
    snapshot = ctx.snapshot
    if snapshot is None:
        return block("stale_data", "no snapshot behind a spend increase (fail closed)", {"max_age_hours": limit})
    ages = {"snapshot": hours_between(snapshot.read_at, ctx.now)}
    for scope, perf in (
        ("campaign_metrics", snapshot.performance),
        ("keyword_metrics", snapshot.keyword.performance if snapshot.keyword else None),
    ):
        if perf is not None and perf.data_as_of is not None:
            ages[scope] = hours_between(perf.data_as_of, ctx.now)
    observed = {"max_age_hours": limit, **{f"{scope}_age_hours": show(age) for scope, age in ages.items()}}
    stale = [f"{scope} is {show(age)} h old" for scope, age in ages.items() if age > limit]
    if stale:
        return block("stale_data", f"data older than {limit} h: " + ", ".join(stale), observed)
    return allow("stale_data", f"data is fresher than {limit} h", observed)
