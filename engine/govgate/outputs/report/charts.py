"""Server-side SVG charts of the report (no script, no network): the readiness trend, the
pass/fail/error counts per run and fairness impact ratios against the four-fifths line. Each
chart has a table beside it in the template; the SVG is decoration for those who would rather
look than read, so it is `aria-hidden` with the table as its accessible form."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

WIDTH = 640
HEIGHT = 200
PAD = 36
#: Colours with at least 4.5:1 contrast on white (WCAG 2.1 AA for text and marks).
COLOURS = {"pass": "#1b6e35", "fail": "#b3261e", "error": "#7a4a00", "line": "#1f4e8c"}
FOUR_FIFTHS = 0.8


def _svg(body: list[str], label: str, height: int = HEIGHT) -> str:
    return (
        f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" role="img" aria-hidden="true" '
        f'focusable="false" xmlns="http://www.w3.org/2000/svg"><title>{escape(label)}</title>'
        + "".join(body)
        + "</svg>"
    )


def _x(index: int, count: int) -> float:
    span = WIDTH - 2 * PAD
    return PAD + (span * index / (count - 1) if count > 1 else span / 2)


def readiness_trend(rows: Sequence[Mapping[str, Any]]) -> str:
    """Readiness score per run as a line with a labelled point per run."""
    scored = [r for r in rows if isinstance(r.get("score"), int) and r.get("of")]
    if not scored:
        return ""
    top = max(int(r["of"]) for r in scored)
    plot = HEIGHT - 2 * PAD
    points = [
        (_x(i, len(scored)), HEIGHT - PAD - plot * int(r["score"]) / top, r)
        for i, r in enumerate(scored)
    ]
    body = [
        f'<line x1="{PAD}" y1="{HEIGHT - PAD}" x2="{WIDTH - PAD}" y2="{HEIGHT - PAD}" '
        'stroke="#555"/>',
        f'<polyline fill="none" stroke="{COLOURS["line"]}" stroke-width="2" points="'
        + " ".join(f"{x:.1f},{y:.1f}" for x, y, _ in points)
        + '"/>',
    ]
    for x, y, row in points:
        body.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{COLOURS["line"]}"/>')
        body.append(
            f'<text x="{x:.1f}" y="{y - 9:.1f}" text-anchor="middle" font-size="12">'
            f"{row['score']}/{row['of']}</text>"
        )
        body.append(
            f'<text x="{x:.1f}" y="{HEIGHT - PAD + 16}" text-anchor="middle" font-size="12">'
            f"#{row['seq']}</text>"
        )
    return _svg(body, "Readiness per recorded run")


def outcome_bars(rows: Sequence[Mapping[str, Any]]) -> str:
    """Pass, fail and error counts per run as stacked bars."""
    if not rows:
        return ""
    top = max(r["pass"] + r["fail"] + r["error"] for r in rows) or 1
    plot = HEIGHT - 2 * PAD
    width = min(48.0, (WIDTH - 2 * PAD) / len(rows) * 0.6)
    body = []
    for index, row in enumerate(rows):
        x = _x(index, len(rows)) - width / 2
        y = float(HEIGHT - PAD)
        for status in ("pass", "fail", "error"):
            h = plot * row[status] / top
            y -= h
            body.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{width:.1f}" height="{h:.1f}" '
                f'fill="{COLOURS[status]}"/>'
            )
        body.append(
            f'<text x="{x + width / 2:.1f}" y="{HEIGHT - PAD + 16}" text-anchor="middle" '
            f'font-size="12">#{row["seq"]}</text>'
        )
    return _svg(body, "Pass, fail and error counts per recorded run")


def impact_bars(groups: Sequence[Mapping[str, Any]]) -> str:
    """Each group's impact ratio as a horizontal bar, the four-fifths line drawn across; the
    value is written at the bar's end, right of the line when the bar crosses it."""
    shown = [g for g in groups if isinstance(g.get("impact_ratio"), int | float)]
    if not shown:
        return ""
    row_height = 26
    height = PAD + row_height * len(shown) + 10
    left, right = 150, WIDTH - 70
    scale = max(1.0, *(float(g["impact_ratio"]) for g in shown))
    line_x = left + (right - left) * FOUR_FIFTHS / scale
    body = []
    for index, group in enumerate(shown):
        y = PAD / 2 + index * row_height
        ratio = float(group["impact_ratio"])
        end = left + (right - left) * ratio / scale
        colour = COLOURS["pass"] if ratio >= FOUR_FIFTHS else COLOURS["fail"]
        body.append(
            f'<text x="{left - 6}" y="{y + 15}" text-anchor="end" font-size="12">'
            f"{escape(str(group.get('id')))[:24]}</text>"
            f'<rect x="{left}" y="{y + 3}" width="{end - left:.1f}" height="16" fill="{colour}"/>'
            f'<text x="{end + 6:.1f}" y="{y + 15}" font-size="12">{ratio:.2f}</text>'
        )
    body.append(
        f'<line x1="{line_x:.1f}" y1="{PAD / 4}" x2="{line_x:.1f}" y2="{height - 6}" '
        'stroke="#222" stroke-dasharray="4 3"/>'
        f'<text x="{line_x:.1f}" y="{height - 1}" text-anchor="middle" font-size="11">0.8</text>'
    )
    return _svg(body, "Impact ratio per group against the four-fifths line", height)


def coverage_trend(rows: Sequence[Mapping[str, Any]]) -> str:
    """Decision-log records per run as bars, and the reviewer coverage of high-risk decisions
    as a line on a 0-100 % scale (its own axis on the right)."""
    if not rows:
        return ""
    top = max(int(r["records"]) for r in rows) or 1
    plot = HEIGHT - 2 * PAD
    width = min(40.0, (WIDTH - 2 * PAD) / len(rows) * 0.5)
    body = []
    points = []
    for index, row in enumerate(rows):
        x = _x(index, len(rows))
        h = plot * int(row["records"]) / top
        body.append(
            f'<rect x="{x - width / 2:.1f}" y="{HEIGHT - PAD - h:.1f}" width="{width:.1f}" '
            f'height="{h:.1f}" fill="#8aa7cf"/>'
            f'<text x="{x:.1f}" y="{HEIGHT - PAD + 16}" text-anchor="middle" font-size="12">'
            f"#{row['seq']}</text>"
        )
        if row.get("share") is not None:
            points.append((x, HEIGHT - PAD - plot * float(row["share"]), float(row["share"])))
    if points:
        body.append(
            f'<polyline fill="none" stroke="{COLOURS["fail"]}" stroke-width="2" points="'
            + " ".join(f"{x:.1f},{y:.1f}" for x, y, _ in points)
            + '"/>'
        )
        for x, y, share in points:
            body.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{COLOURS["fail"]}"/>'
                f'<text x="{x:.1f}" y="{y - 9:.1f}" text-anchor="middle" font-size="12">'
                f"{100 * share:.1f}%</text>"
            )
    return _svg(body, "Decision-log records and reviewer coverage per recorded run")
