"""Which campaigns of the account may serve as the control of a counterfactual verdict (issue 14).

The verdict compares the treated entity's share of each day's total (treated + control) before and after
the action, so a control only cancels what moves the whole account when it is steady on its own: a control
that starts, stops, grows or shrinks for reasons of its own moves that share as surely as the action does.
On top of the rules in `series.eligible_controls` (enabled, not learning, no change by anyone), a campaign
is left out when it

- holds the measured entity: the treated campaign itself, or a treated keyword's own campaign (the
  keyword's days are part of its campaign's: the treatment would leak into the control and pull the
  estimate towards "no effect"). A keyword action whose campaign is named neither in its action, its
  pre-execution snapshot nor the reading gets no control rather than a possibly contaminated one;
- spends from the treated campaign's budget (its snapshot's `budget_id`): a shared budget's other
  campaigns gain what a pause or a cut frees and share an increase, so the action moves them too;
- started during the pre-period: no activity (impressions, clicks, cost or conversions) on or before its
  first day;
- was idle on more than `MAX_IDLE_SHARE` of the pre-period's days or of the after window's (paused and
  resumed, ran out of its dates, days without a single impression);
- ramped on its own: the ratio of its clicks in the last `RAMP_DAYS` of the pre-period to those in its
  first `RAMP_DAYS` is more than `MAX_RAMP` times (or less than 1/`MAX_RAMP` of) the median of that ratio
  over the steady campaigns and the treated entity, so a move of the whole account is no ramp.

Only what every daily platform answers is used: one row per day with activity (`EntitySeries.days`;
Google Ads `segments.date` rows) and the status at read time. No start date is needed: a launch shows as
days without rows.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from schemas.metrics import DailyMetrics, EntitySeries, MetricReading
from schemas.records import ActionRecord

MAX_IDLE_SHARE = 0.1  # idle days allowed: 2 of 28 pre-period days, none of a 7-day after window
RAMP_DAYS = 7
MAX_RAMP = 2.0
MIN_RAMP_CLICKS = 30  # clicks in the two weeks together below which a ramp cannot be told from noise


@dataclass(frozen=True)
class Holder:
    """The campaign that holds the measured entity (the control must leave it out)."""

    campaign: str | None
    keyword: bool = False  # the measured entity is a keyword of `campaign`
    budget_id: str | None = None  # the treated campaign's budget: campaigns spending from it share the action

    @property
    def unknown(self) -> bool:
        """A keyword whose campaign is not known: any campaign of the account might contain it."""
        return self.keyword and self.campaign is None

    def why(self) -> str:
        return "holds the treated keyword" if self.keyword else "the treated campaign"


NO_HOLDER = ("the treated keyword's campaign is named neither in the action, its snapshot nor the reading: "
             "no control rather than one that may contain the keyword")


def holder(record: ActionRecord, treated: MetricReading | None = None) -> Holder:
    """The campaign of the measured entity: the action's target campaign; for a keyword (whose target names
    only its ad group and criterion) the campaign its pre-execution snapshot or the keyword reading names."""
    payload = record.payload or {}
    target = (payload.get("action") or {}).get("target") or {}
    snapshot = payload.get("snapshot") or {}
    if target.get("campaign_id"):
        budget = ((snapshot.get("budget") or {}).get("budget_id") or (snapshot.get("campaign") or {}).get("budget_id"))
        return Holder(str(target["campaign_id"]), budget_id=str(budget) if budget else None)
    if not target.get("criterion_id"):
        return Holder(None)
    keyword = snapshot.get("keyword") or {}
    found = keyword.get("campaign_id") or (treated.attributes.get("campaign_id") if treated is not None else None)
    return Holder(str(found) if found else None, keyword=True)


def active(day: DailyMetrics) -> bool:
    """A day with any metric: Google Ads leaves out date-segmented rows whose selected metrics are all zero."""
    return day.impressions > 0 or day.clicks > 0 or day.cost > 0 or day.conversions > 0


def _idle_allowed(days: int) -> int:
    return math.floor(days * MAX_IDLE_SHARE + 1e-9)


def unsteady(series: EntitySeries, pre_days: Sequence[date], after_days: Sequence[date]) -> str | None:
    """Why the campaign's activity rules it out as a control (None: active throughout)."""
    if not pre_days:
        return None
    on = {d.day for d in series.days if active(d)}
    if not on:
        return "no activity in the period"
    first = min(on)
    if first > pre_days[0]:
        if first > pre_days[-1]:
            return "no activity in the pre-period"
        return f"started during the pre-period (first active day {first.isoformat()})"
    for days, name in ((pre_days, "pre-period"), (after_days, "after-window")):
        seen = sum(1 for d in days if d in on)
        if len(days) - seen > _idle_allowed(len(days)):
            return f"active on only {seen} of {len(days)} {name} days"
    return None


def _clicks(days: Iterable[DailyMetrics], pick: Sequence[date]) -> float:
    wanted = set(pick)
    return float(sum(d.clicks for d in days if d.day in wanted))


def ramp(days: Sequence[DailyMetrics], pre_days: Sequence[date]) -> float | None:
    """Clicks in the last `RAMP_DAYS` of the pre-period over those in its first (None: too few to tell)."""
    if len(pre_days) < 2 * RAMP_DAYS:
        return None
    a, b = _clicks(days, pre_days[:RAMP_DAYS]), _clicks(days, pre_days[-RAMP_DAYS:])
    if a + b < MIN_RAMP_CLICKS:
        return None
    return math.inf if a == 0 else b / a


def drop_ramping(usable: list[EntitySeries], excluded: dict[str, str], pre_days: Sequence[date],
                 treated: Sequence[DailyMetrics]) -> list[EntitySeries]:
    """The steady campaigns without those that ramped on their own: whose ramp is more than `MAX_RAMP` times
    (or less than 1/`MAX_RAMP` of) the median ramp of the steady campaigns and the treated entity, so that a
    move of the whole account is no ramp (their reason is added to `excluded`)."""
    ramps = {s.entity_id: ramp(s.days, pre_days) for s in usable}
    known = sorted(r for r in [*ramps.values(), ramp(treated, pre_days)] if r is not None)
    if not known:
        return usable
    typical = statistics.median(known)
    kept = []
    for series in usable:
        own = ramps[series.entity_id]
        relative = None if own is None or typical in (0, math.inf) else own / typical
        if relative is not None and (relative > MAX_RAMP or relative < 1 / MAX_RAMP):
            shown = "from none" if relative == math.inf else f"×{own:.2f}"
            excluded[series.entity_id] = (f"ramped during the pre-period (clicks {shown} from its first to its "
                                          f"last {RAMP_DAYS} days; the account's typical ×{typical:.2f})")
        else:
            kept.append(series)
    return kept
