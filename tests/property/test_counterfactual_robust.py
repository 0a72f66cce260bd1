"""The counterfactual verdict never crashes and keeps its interval around its estimate, whatever the days
look like: zeros, a paused window, a campaign with no history, a control that vanished."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from operator_ai.measurement.specs import SPECS, MeasureSpec
from operator_ai.measurement.verdict import Panel, judge_panel
from schemas.impact import ControlInfo

counts = st.lists(st.integers(min_value=0, max_value=400).map(float), min_size=28, max_size=28)
after = st.lists(st.integers(min_value=0, max_value=400).map(float), min_size=1, max_size=7)
SPECS_USED = [MeasureSpec("series", "conversions", "up"), SPECS["pause_campaign"], SPECS["adjust_campaign_budget"],
              SPECS["add_negative_keywords"]]


@given(counts, after, counts, st.integers(min_value=0, max_value=3), st.booleans(), st.data())
def test_any_days_give_a_verdict_and_a_consistent_interval(pre: list[float], post: list[float], control: list[float],
                                                           which: int, with_control: bool, data: st.DataObject) -> None:
    n = len(post)
    control_after = data.draw(st.lists(st.integers(min_value=0, max_value=400).map(float), min_size=n, max_size=n))
    cost_pre = data.draw(st.lists(st.sampled_from([0.0, 50.0, 100.0]), min_size=28, max_size=28))
    cost_after = data.draw(st.lists(st.sampled_from([0.0, 50.0, 100.0]), min_size=n, max_size=n))

    def series(values: list[float], cost: list[float]) -> dict[str, list[float]]:
        return {"conversions": values, "clicks": [v * 3 for v in values], "cost": cost}

    panel = Panel(series(pre, cost_pre), series(post, cost_after),
                  series(control, [100.0] * 28) if with_control else None,
                  series(control_after, [100.0] * n) if with_control else None,
                  ControlInfo(kind="campaigns" if with_control else "none", entities=("2",) if with_control else (),
                              reason=None if with_control else "none"), {}, {})
    result = judge_panel(SPECS_USED[which], panel, alpha=0.05, min_harm_pct=10.0)
    assert result.verdict in ("successful", "failed", "inconclusive")
    impact = result.extra.get("impact")
    if impact and impact["effect_pct"] is not None:
        low, high = impact["ci_low_pct"], impact["ci_high_pct"]
        assert low is None or low <= impact["effect_pct"] + 1e-6
        assert high is None or impact["effect_pct"] <= high + 1e-6
        assert impact["dispersion"] >= 1.0
    if result.extra.get("rollback_evidence"):
        assert result.verdict == "failed"
