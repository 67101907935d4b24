"""The geometry of the horizontal bar charts the fairness section draws as SVG."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from govgate.outputs.dossier.context.values import display_rate

CHART_WIDTH = 470
CHART_LABEL = 150
CHART_BAR = 250
CHART_ROW = 16


def bar_chart(
    rows: Sequence[tuple[str, float | None, bool]],
    *,
    title: str,
    scale_max: float,
    lines: Sequence[tuple[float, str]] = (),
    flag_below: float | None = None,
) -> dict[str, Any]:
    """Geometry of one horizontal bar chart (the template draws it as SVG).

    rows: (label, value or None when undefined, excluded). Bars below `flag_below` are drawn
    hollow and labelled, so the chart reads in black and white.
    """
    top = 26
    bars = [
        _bar(top + index * CHART_ROW, label, value, excluded, scale_max, flag_below)
        for index, (label, value, excluded) in enumerate(rows)
    ]
    height = top + len(rows) * CHART_ROW + 18
    steps = 4
    ticks = [
        {
            "x": round(CHART_LABEL + CHART_BAR * step / steps, 2),
            "label": f"{scale_max * step / steps:g}",
        }
        for step in range(steps + 1)
    ]
    drawn_lines = [
        {
            "x": round(CHART_LABEL + min(value, scale_max) / scale_max * CHART_BAR, 2),
            "label": label,
        }
        for value, label in lines
    ]
    for bar in bars:
        _clear_of_lines(bar, drawn_lines)
    return {
        "title": title,
        "width": CHART_WIDTH,
        "height": height,
        "label_x": CHART_LABEL - 6,
        "bar_x": CHART_LABEL,
        "bar_width": CHART_BAR,
        "axis_y": top + len(rows) * CHART_ROW + 2,
        "top": top - 4,
        "bars": bars,
        "ticks": ticks,
        "lines": drawn_lines,
    }


#: Room a bar's value text takes (SVG units): "0.93" or "undefined" at the chart's font size.
VALUE_TEXT_WIDTH = 30


def _clear_of_lines(bar: dict[str, Any], lines: Sequence[Mapping[str, Any]]) -> None:
    """Move a bar's value text right of a threshold line it would otherwise be drawn over."""
    width = VALUE_TEXT_WIDTH + (30 if bar["below"] else 0) + (40 if bar["excluded"] else 0)
    for line in lines:
        if bar["value_x"] - 3 <= line["x"] <= bar["value_x"] + width:
            bar["value_x"] = round(line["x"] + 4, 2)


def _bar(
    y: int,
    label: str,
    value: float | None,
    excluded: bool,
    scale_max: float,
    flag_below: float | None,
) -> dict[str, Any]:
    """One bar at height `y`: its width on the scale, its label and value text, its flags."""
    width = 0.0
    if value is not None:
        width = max(0.0, min(value, scale_max)) / scale_max * CHART_BAR
    return {
        "label": label if len(label) <= 26 else label[:25] + "…",
        "y": y,
        "text_y": y + 11,
        "width": round(width, 2),
        "value": display_rate(value),
        "value_x": round(CHART_LABEL + width + 4, 2),
        "undefined": value is None,
        "excluded": excluded,
        "below": flag_below is not None and value is not None and value < flag_below,
    }
