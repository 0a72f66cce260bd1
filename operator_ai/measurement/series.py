"""From platform readings to a checkpoint's `Panel`: the reads a series verdict needs, the control it is
judged against, and the other changes that confound it (issue 14).

Per action one read of the treated entity's daily series from `PRE_PERIOD_DAYS` before the execution day
to the end of the latest due after window, and one of every other campaign of the account over the same
days (`ACCOUNT_CAMPAIGNS`), both in the account's single batched `read_metrics` call.

The control is the sum of the account's other campaigns that are comparable over the whole range: still
enabled, not in a learning period, no change by the Operator (our log) or by anyone else (the platform's
change history, where it reports one) from the start of the pre-period to the end of the after window,
not the campaign holding the treated entity, and steady (`controls.py`: active from the pre-period's first
day on, nearly every day, without a ramp of its own). Changes to the treated entity itself inside the
checkpoint's windows make it `confounded`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from operator_ai.measurement.controls import NO_HOLDER, Holder, drop_ramping, unsteady
from operator_ai.measurement.controls import holder as holder_of
from operator_ai.measurement.judge import SeriesWindow
from operator_ai.measurement.verdict import Panel
from operator_ai.measurement.windows import Checkpoint
from schemas.common import ActionStatus
from schemas.impact import ControlInfo
from schemas.metrics import PRE_PERIOD_DAYS, DailyMetrics, EntityChange, EntitySeries, MetricReading
from schemas.records import ActionRecord

OWN_WINDOW = timedelta(minutes=30)  # a platform change this close to one of ours is ours (already in the log)
_CHANGED = (ActionStatus.EXECUTED, ActionStatus.MEASURED, ActionStatus.UNCERTAIN, ActionStatus.ROLLING_BACK,
            ActionStatus.ROLLED_BACK, ActionStatus.ROLLBACK_FAILED)
_FIELDS = ("conversions", "clicks", "cost", "conversion_value")


def midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


def execution_day(record: ActionRecord) -> date | None:
    return None if record.executed_at is None else record.executed_at.astimezone(UTC).date()


def read_range(exec_day: date, checkpoints: Sequence[Checkpoint]) -> tuple[datetime, datetime]:
    """[start of the pre-period, end of the latest after window) for one read covering every checkpoint."""
    return midnight(exec_day - timedelta(days=PRE_PERIOD_DAYS)), max(cp.after[1] for cp in checkpoints)


# --------------------------------------------------------------------------- changes


def campaign_of(record: ActionRecord) -> str | None:
    target = ((record.payload or {}).get("action") or {}).get("target") or {}
    found = target.get("campaign_id")
    return str(found) if found else None


def own_changes(records: Iterable[ActionRecord], exclude_action: str) -> list[EntityChange]:
    """Changes the Operator made to campaigns (executions and rollbacks), from the latest rows of the log; a
    keyword's change counts as a change to its campaign (named by the action's snapshot)."""
    found = []
    for record in records:
        campaign = holder_of(record).campaign
        if campaign is None or record.action_id == exclude_action or record.status not in _CHANGED:
            continue
        if record.executed_at is not None:
            found.append(EntityChange(entity_id=campaign, changed_at=record.executed_at, kind=record.action_type,
                                      actor="operator", source="operator_log", detail=record.action_id))
        if record.status in (ActionStatus.ROLLED_BACK, ActionStatus.ROLLING_BACK, ActionStatus.ROLLBACK_FAILED):
            found.append(EntityChange(entity_id=campaign, changed_at=record.rolled_back_at or record.event_time,
                                      kind="rollback", actor="operator", source="operator_log",
                                      detail=record.action_id))
    return found


def outside_changes(reported: Iterable[EntityChange], ours: Sequence[EntityChange],
                    this_action_at: datetime | None) -> list[EntityChange]:
    """Platform-reported changes that are not the Operator's own (this action or one in our log)."""
    times = [c.changed_at for c in ours] + ([this_action_at] if this_action_at else [])
    return [c for c in reported if all(abs(c.changed_at - t) > OWN_WINDOW for t in times)]


def changes_between(changes: Iterable[EntityChange], entity_id: str, start: datetime,
                    end: datetime) -> list[EntityChange]:
    return [c for c in changes if c.entity_id == entity_id and start <= c.changed_at < end]


# --------------------------------------------------------------------------- panels


def _by_day(days: Iterable[DailyMetrics]) -> dict[date, DailyMetrics]:
    return {d.day: d for d in days}


def _arrays(rows: dict[date, DailyMetrics], days: Sequence[date]) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {name: [] for name in _FIELDS}
    for day in days:
        row = rows.get(day)
        for name in _FIELDS:
            out[name].append(float(getattr(row, name)) if row is not None else 0.0)
    return out


def _add(total: dict[str, list[float]] | None, more: dict[str, list[float]]) -> dict[str, list[float]]:
    if total is None:
        return {k: list(v) for k, v in more.items()}
    return {k: [a + b for a, b in zip(total[k], more[k], strict=True)] for k in total}


def _window(rows: dict[date, DailyMetrics], days: Sequence[date]) -> dict[str, Any]:
    picked = [rows[d] for d in days if d in rows]
    from decimal import Decimal

    return SeriesWindow(days=len(days), cost=sum((d.cost for d in picked), Decimal(0)),
                        conversions=sum((d.conversions for d in picked), Decimal(0)),
                        conversion_value=sum((d.conversion_value for d in picked), Decimal(0)),
                        clicks=sum(d.clicks for d in picked)).numbers()


def _days(start: date, end_exclusive: date) -> list[date]:
    return [start + timedelta(days=i) for i in range((end_exclusive - start).days)]


def eligible_controls(controls: MetricReading | None, changes: Sequence[EntityChange], start: datetime,
                      end: datetime, *, pre_days: Sequence[date] = (), after_days: Sequence[date] = (),
                      holder: Holder | None = None,
                      treated_days: Sequence[DailyMetrics] = ()) -> tuple[list[EntitySeries], dict[str, str]]:
    """The account's campaigns fit to serve as control over [start, end), and why the others are not
    (`controls.py` has the rules on the campaign holding the treated entity and on steady activity)."""
    if controls is None or not controls.measurable:
        return [], {}
    usable, excluded = [], {}
    for series in controls.series:
        own = changes_between(changes, series.entity_id, start, end)
        reported = [c for c in series.changes if start <= c.changed_at < end]
        if holder is not None and holder.campaign == series.entity_id:
            excluded[series.entity_id] = holder.why()
        elif holder is not None and holder.budget_id and series.budget_id == holder.budget_id:
            excluded[series.entity_id] = f"spends from the treated campaign's budget {holder.budget_id}"
        elif series.status and series.status.upper() not in ("ENABLED", "ACTIVE"):
            excluded[series.entity_id] = f"status {series.status}"
        elif series.learning:
            excluded[series.entity_id] = f"bidding strategy {series.learning_status}"
        elif own or reported:
            excluded[series.entity_id] = f"changed in the period ({(own + reported)[0].kind})"
        elif (why := unsteady(series, pre_days, after_days)) is not None:
            excluded[series.entity_id] = why
        else:
            usable.append(series)
    if holder is not None and holder.keyword and holder.campaign:  # left out of the read already: say so
        excluded.setdefault(holder.campaign, holder.why())
    return drop_ramping(usable, excluded, pre_days, treated_days), excluded


MIN_PRE_DAYS = 7  # an earlier change to the treated entity cuts the pre-period only if this many days remain


def build_panel(cp: Checkpoint, exec_day: date, treated: MetricReading, controls: MetricReading | None,
                changes: Sequence[EntityChange], treated_changes: Sequence[EntityChange] = (),
                holder: Holder | None = None, settled_from: date | None = None) -> Panel:
    """The checkpoint's panel: pre-period = the `PRE_PERIOD_DAYS` before the execution day, from the treated
    entity's first active day on (a campaign younger than that would otherwise look like it grew) and after
    its latest earlier change (`treated_changes`: the level before it is not this action's baseline).
    `holder`: the campaign holding the treated entity, never part of the control (a keyword's unknown
    campaign: no control). `settled_from`: the first day after the learning period of the Operator's earlier
    change to the campaign (settling.settled_after), where the pre-period starts when enough days remain."""
    pre_days = _days(exec_day - timedelta(days=PRE_PERIOD_DAYS), exec_day)
    active = [d.day for d in treated.days if d.day in set(pre_days) and (d.cost > 0 or d.clicks > 0
                                                                          or d.impressions > 0 or d.conversions > 0)]
    if active:
        pre_days = [d for d in pre_days if d >= min(active)]
    earlier = [c.changed_at.date() for c in treated_changes if c.changed_at.date() < exec_day]
    if earlier and len([d for d in pre_days if d > max(earlier)]) >= MIN_PRE_DAYS:
        pre_days = [d for d in pre_days if d > max(earlier)]
    if settled_from is not None and len([d for d in pre_days if d >= settled_from]) >= MIN_PRE_DAYS:
        pre_days = [d for d in pre_days if d >= settled_from]
    after_days = _days(cp.after[0].date(), cp.after[1].date())
    before_days = _days(cp.before[0].date(), cp.before[1].date())
    rows = _by_day(treated.days)
    usable, excluded = eligible_controls(controls, changes, midnight(pre_days[0]), cp.after[1], pre_days=pre_days,
                                         after_days=after_days, holder=holder, treated_days=treated.days)
    if holder is not None and holder.unknown:
        usable = []
    control_pre = control_after = None
    for series in usable:
        series_rows = _by_day(series.days)
        control_pre = _add(control_pre, _arrays(series_rows, pre_days))
        control_after = _add(control_after, _arrays(series_rows, after_days))
    if control_pre is not None:
        info = ControlInfo(kind="campaigns", entities=tuple(s.entity_id for s in usable), excluded=excluded,
                           pre_days=len(pre_days),
                           pre_correlation=_correlation(_arrays(rows, pre_days)["conversions"],
                                                        control_pre["conversions"]))
    else:
        none_read = controls is not None and not controls.series and not excluded
        reason = (NO_HOLDER if holder is not None and holder.unknown
                  else "no other campaign in the account" if none_read
                  else "no comparable campaign: each other one is left out (see excluded)" if controls is not None
                  else "the account's other campaigns were not read")
        info = ControlInfo(kind="none", excluded=excluded, reason=reason, pre_days=len(pre_days))
    return Panel(treated_pre=_arrays(rows, pre_days), treated_after=_arrays(rows, after_days),
                 control_pre=control_pre, control_after=control_after, control=info,
                 before=_window(rows, before_days), after=_window(rows, after_days))


def _correlation(a: Sequence[float], b: Sequence[float]) -> float | None:
    from statistics import StatisticsError, correlation

    try:
        return round(correlation(list(a), list(b)), 3)
    except (StatisticsError, ValueError):
        return None
