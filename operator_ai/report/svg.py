"""A small inline SVG chart: actions executed per day (bars) and the cumulative measured change in
conversions (line). Plain SVG so the report needs no plotting library and renders in any browser."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from operator_ai.escaping import html as escape

WIDTH, HEIGHT = 720, 240
LEFT, RIGHT, TOP, BOTTOM = 48, 56, 36, 44
BAR, LINE, GRID = "#4a78c2", "#2a9d5b", "#d0d4da"


def _fmt(value: float) -> str:
    return f"{value:.1f}"


def chart(timeline: list[dict[str, Any]]) -> str:
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    n = max(1, len(timeline))
    counts = [int(t["executed"]) for t in timeline]
    running, cumulative = Decimal(0), []
    for t in timeline:
        running += Decimal(t["conversions_delta"])
        cumulative.append(float(running))
    top_count = max([1, *counts])
    low, high = min([0.0, *cumulative]), max([0.0, *cumulative])
    if high == low:
        high = low + 1

    def x(i: int) -> float:
        return LEFT + (i + 0.5) * plot_w / n

    def y_count(v: float) -> float:
        return TOP + plot_h - v / top_count * plot_h

    def y_line(v: float) -> float:
        return TOP + plot_h - (v - low) / (high - low) * plot_h

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
             f'viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="actions executed and measured impact per day" '
             'font-family="sans-serif" font-size="11">',
             f'<rect x="0" y="0" width="{WIDTH}" height="{HEIGHT}" fill="#ffffff"/>',
             f'<line x1="{LEFT}" y1="{TOP + plot_h}" x2="{LEFT + plot_w}" y2="{TOP + plot_h}" stroke="{GRID}"/>',
             f'<line x1="{LEFT}" y1="{_fmt(y_line(0))}" x2="{LEFT + plot_w}" y2="{_fmt(y_line(0))}" '
             f'stroke="{GRID}" stroke-dasharray="4 3"/>']
    bar_w = plot_w / n * 0.6
    for i, count in enumerate(counts):
        if count:
            parts.append(f'<rect x="{_fmt(x(i) - bar_w / 2)}" y="{_fmt(y_count(count))}" width="{_fmt(bar_w)}" '
                         f'height="{_fmt(TOP + plot_h - y_count(count))}" fill="{BAR}"><title>'
                         f'{escape(timeline[i]["day"])}: {count} executed</title></rect>')
    points = " ".join(f"{_fmt(x(i))},{_fmt(y_line(v))}" for i, v in enumerate(cumulative))
    if points:
        parts.append(f'<polyline points="{points}" fill="none" stroke="{LINE}" stroke-width="2"/>')
    step = max(1, n // 8)
    for i in range(0, len(timeline), step):
        parts.append(f'<text x="{_fmt(x(i))}" y="{TOP + plot_h + 16}" text-anchor="middle" fill="#444">'
                     f'{escape(timeline[i]["day"][5:])}</text>')
    parts += [
        f'<text x="{LEFT - 6}" y="{_fmt(y_count(top_count) + 4)}" text-anchor="end" fill="{BAR}">{top_count}</text>',
        f'<text x="{LEFT - 6}" y="{TOP + plot_h + 4}" text-anchor="end" fill="{BAR}">0</text>',
        f'<text x="{LEFT + plot_w + 6}" y="{_fmt(y_line(high) + 4)}" fill="{LINE}">{escape(f"{high:+.0f}")}</text>',
        f'<text x="{LEFT + plot_w + 6}" y="{_fmt(y_line(low) + 4)}" fill="{LINE}">{escape(f"{low:+.0f}")}</text>',
        f'<rect x="{LEFT}" y="10" width="10" height="10" fill="{BAR}"/>',
        f'<text x="{LEFT + 14}" y="19" fill="#222">actions executed per day</text>',
        f'<line x1="{LEFT + 190}" y1="15" x2="{LEFT + 204}" y2="15" stroke="{LINE}" stroke-width="2"/>',
        f'<text x="{LEFT + 208}" y="19" fill="#222">cumulative measured change in conversions</text>',
        "</svg>",
    ]
    return "\n".join(parts)
