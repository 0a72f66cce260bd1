"""The control pool never crashes and accounts for every campaign, whatever their days look like: launches,
gaps, stops, ramps, zeros, a treated entity with a short history. Every campaign read is either in the
control or excluded with a reason, never both, and no campaign in the control was idle beyond the rule."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from operator_ai.measurement.controls import Holder, unsteady
from operator_ai.measurement.series import build_panel
from operator_ai.measurement.windows import schedule
from schemas.metrics import DailyMetrics, EntitySeries, MetricReading
from tests.unit.measurement.records import EXECUTED_AT, executed

RECORD = executed()
EXEC_DAY = EXECUTED_AT.date()
OFFSETS = [o for o in range(-28, 8) if o != 0]


@st.composite
def day_rows(draw: st.DrawFn) -> tuple[DailyMetrics, ...]:
    active = draw(st.lists(st.sampled_from(OFFSETS), unique=True, max_size=len(OFFSETS)))
    level = draw(st.integers(min_value=0, max_value=60))
    slope = draw(st.integers(min_value=-2, max_value=4))
    rows = []
    for offset in sorted(active):
        clicks = max(0, level + slope * (offset + 28))
        rows.append(DailyMetrics(day=EXEC_DAY + timedelta(days=offset), clicks=clicks, impressions=clicks * 10,
                                 cost=Decimal(clicks), conversions=Decimal(clicks // 10)))
    return tuple(rows)


@given(day_rows(), st.lists(day_rows(), max_size=5), st.sampled_from([None, "c1", "c9"]), st.booleans(),
       st.sampled_from([0, 1, 2]))
def test_every_campaign_is_either_a_control_or_excluded_with_a_reason(
        treated: tuple[DailyMetrics, ...], pool: list[tuple[DailyMetrics, ...]], holding: str | None,
        keyword: bool, checkpoint: int) -> None:
    series = tuple(EntitySeries(entity_id=f"c{i}", days=rows, status="ENABLED", budget_id=f"b{i % 2}")
                   for i, rows in enumerate(pool))
    reading = MetricReading(key="t", read_at=EXECUTED_AT, days=treated)
    holder = Holder(holding, keyword=keyword, budget_id="b1" if holding else None)
    cp = schedule(RECORD)[checkpoint]
    panel = build_panel(cp, EXEC_DAY, reading, MetricReading(key="c", read_at=EXECUTED_AT, series=series), [],
                        holder=holder)
    control = panel.control
    read = {s.entity_id for s in series}
    assert not set(control.entities) & set(control.excluded)
    assert set(control.entities) <= read and (holder.unknown or read <= set(control.entities) | set(control.excluded))
    assert all(why for why in control.excluded.values())
    assert (control.kind == "none") == (not control.entities)
    if control.kind == "none":
        assert control.reason
    pre = [EXEC_DAY - timedelta(days=n) for n in range(control.pre_days, 0, -1)]
    after = [cp.after[0].date() + timedelta(days=n) for n in range((cp.after[1] - cp.after[0]).days)]
    for s in series:
        if s.entity_id in control.entities:
            assert unsteady(s, pre, after) is None and s.entity_id != holding
