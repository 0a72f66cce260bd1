"""Report rendering: the SVG is well-formed and scales to its data, text from the log is escaped, and
Markdown and HTML show the same sections."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

from operator_ai.report import render_html, render_json, render_markdown
from operator_ai.report.svg import chart

HOSTILE = "<script>alert(1)</script> | pipe"


def report(timeline: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {
        "title": "Operator weekly report", "mode": "SANDBOX", "organization_id": None,
        "period": {"since": "2026-11-23T09:00:00+00:00", "until": "2026-11-30T09:00:00+00:00", "days": 8},
        "actions": {"total": 2, "by_status": {"MEASURED": 1, "ROLLED_BACK": 1}, "executed": 2,
                    "by_type": {"pause_campaign": {"MEASURED": 1, "ROLLED_BACK": 1}}},
        "measurement": {"final_verdicts": {"successful": 1, "failed": 1, "inconclusive": 0}, "not_measurable": 0,
                        "success_rate": 0.5, "being_measured": 0,
                        "impact": [{"action_id": "act-1", "organization_id": "org-acme", "type": "pause_campaign",
                                    "at": "2026-11-30T09:00:00+00:00", "checkpoint": "+168h", "verdict": "failed",
                                    "metric": "clicks", "before": {"conversions": "12", "cost": "600"},
                                    "after": {"conversions": "0", "cost": "0"}, "effect_pct": -100.0,
                                    "p_value": 0.0, "test": "t", "reason": HOSTILE, "measurable": True}],
                        "totals": {"conversions_delta": "-12", "cost_delta": "-600", "conversion_value_delta": "0"}},
        "rollbacks": [{"action_id": "act-1", "organization_id": "org-acme", "type": "pause_campaign",
                       "at": "2026-11-30T09:00:00+00:00", "status": "ROLLED_BACK", "by": "operator:auto-rollback",
                       "reason": HOSTILE, "automatic": True, "error": None}],
        "pending_approvals": [], "experiments": [],
        "timeline": timeline if timeline is not None else [
            {"day": "2026-11-23", "executed": 2, "measured": 0, "rolled_back": 0, "conversions_delta": "0"},
            {"day": "2026-11-30", "executed": 0, "measured": 2, "rolled_back": 1, "conversions_delta": "-12"}],
    }


def test_the_chart_is_well_formed_svg_with_a_bar_per_active_day() -> None:
    svg = ET.fromstring(chart(report()["timeline"]))
    ns = "{http://www.w3.org/2000/svg}"
    bars = [r for r in svg.iter(f"{ns}rect") if r.find(f"{ns}title") is not None]
    assert len(bars) == 1 and bars[0].find(f"{ns}title").text == "2026-11-23: 2 executed"  # type: ignore[union-attr]
    [line] = list(svg.iter(f"{ns}polyline"))
    assert len(line.get("points", "").split()) == 2
    labels = {t.text for t in svg.iter(f"{ns}text")}
    assert {"-12", "+0", "2", "0"} <= labels


def test_an_empty_period_still_draws() -> None:
    svg = ET.fromstring(chart([]))
    assert svg.tag.endswith("svg") and not list(svg.iter("{http://www.w3.org/2000/svg}polyline"))


def test_text_from_the_log_is_escaped() -> None:
    html = render_html(report())
    assert "<script>" not in html and "&lt;script&gt;" in html
    markdown = render_markdown(report())
    assert "\\| pipe" in markdown and "| <1e-06 |" in markdown


def test_markdown_and_html_show_the_same_sections() -> None:
    markdown, html = render_markdown(report()), render_html(report())
    for title in ("Summary", "Actions by status", "Actions by type", "Measured impact (final verdicts)",
                  "Rollbacks", "Pending approvals", "Experiments", "Over time"):
        assert f"## {title}" in markdown and f"<h2>{title}</h2>" in html
    assert "| success rate (successful / final verdicts) | 50 % |" in markdown
    assert render_json(report()).startswith("{")


def test_measured_impact_shows_its_interval_and_control() -> None:
    data = report()
    [item] = data["measurement"]["impact"]
    item.update(effect_pct=-41.2, interval={"low_pct": -63.5, "high_pct": -12.0, "level": 0.9},
                control={"kind": "campaigns", "campaigns": ["213", "215"], "reason": None, "model": "m"})
    markdown = render_markdown(data)
    assert "-41.2 % [90 % -63.5 to -12.0]" in markdown and "campaigns 213, 215" in markdown
    item.update(control={"kind": "none", "campaigns": [], "reason": HOSTILE, "model": "m"}, interval=None)
    html = render_html(data)
    assert "none (&lt;script&gt;" in html and "-41.2 %" in html
