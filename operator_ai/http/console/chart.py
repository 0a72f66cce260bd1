"""A small measurement chart as data: before/after bars per checkpoint, drawn by `action.html` as inline
SVG (no script, no image request: the CSP allows neither). Geometry is computed here; the template only
places what it is given, escaped."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

WIDTH, HEIGHT, TOP, BOTTOM, LEFT = 480, 160, 16, 28, 8
BEFORE, AFTER = "#9aa5b1", "#2f80ed"


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    fill: str
    label: str  # shown as the bar's tooltip


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    metric: str
    bars: tuple[Bar, ...]
    labels: tuple[tuple[float, str], ...]  # (x, checkpoint label) under each pair


def _value(text: str | None) -> Decimal | None:
    try:
        return None if text is None else Decimal(text)
    except InvalidOperation:
        return None


def measurement_chart(measurements: Any) -> Chart | None:
    points = []
    for m in measurements:
        before, after = _value(m.value_before), _value(m.value_after)
        if before is not None and after is not None and before.is_finite() and after.is_finite():
            points.append((m.label, before, after))
    if not points:
        return None
    top = max([Decimal(1), *(max(b, a) for _, b, a in points)])
    plot_h = HEIGHT - TOP - BOTTOM
    slot = (WIDTH - LEFT) / len(points)
    bar_w = min(40.0, slot / 3)
    bars, labels = [], []
    for i, (label, before, after) in enumerate(points):
        x0 = LEFT + i * slot + slot / 2 - bar_w
        for j, (value, fill, name) in enumerate(((before, BEFORE, "before"), (after, AFTER, "after"))):
            height = float(value / top) * plot_h
            bars.append(Bar(round(x0 + j * bar_w, 1), round(TOP + plot_h - height, 1), round(bar_w - 2, 1),
                            round(height, 1), fill, f"{label} {name}: {value}"))
        labels.append((round(LEFT + i * slot + slot / 2, 1), label))
    metric = next((m.metric for m in measurements if m.metric), None) or "conversions"
    return Chart(WIDTH, HEIGHT, str(metric), tuple(bars), tuple(labels))
