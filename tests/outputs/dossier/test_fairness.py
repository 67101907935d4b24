"""The fairness section: charts with the four-fifths line, SVG in the HTML, and analyses that
cannot be used saying why."""

from __future__ import annotations

import dataclasses

from outputs.dossier.harness import html_of, item

from govgate.outputs.dossier import FOUR_FIFTHS, DossierInput, bar_chart


def test_fairness_charts_draw_the_four_fifths_line_and_hollow_bars() -> None:
    chart = bar_chart(
        [("a", 0.5, False), ("b", 1.0, False), ("c", None, True)],
        title="Impact ratio",
        scale_max=1.0,
        lines=[(FOUR_FIFTHS, "0.8")],
        flag_below=0.8,
    )
    a, b, c = chart["bars"]
    assert a["below"] and not b["below"]
    assert b["width"] == chart["bar_width"] and a["width"] == chart["bar_width"] / 2
    assert c["undefined"] and c["width"] == 0
    (line,) = chart["lines"]
    assert line["x"] == chart["bar_x"] + 0.8 * chart["bar_width"]


def test_fairness_svg_in_the_html(rich_input: DossierInput) -> None:
    html = html_of(rich_input)
    assert html.count("<svg") == 4  # selection rate and impact ratio, for sex and sex×age
    assert 'stroke-dasharray="4,2"' in html  # the threshold line
    assert 'fill="#ffffff"' in html  # the hollow bar of the group below 0.8
    assert "&lt;script&gt;" in html and "<script" not in html


def test_unusable_evidence_says_why(example_input: DossierInput) -> None:
    broken = item(
        "fairness.analysis",
        "data/broken.csv",
        None,
        problem="line 3: unterminated quote",
        collector="fairness",
    )
    odd = item("fairness.analysis", "data/odd.json", {"metric": "accuracy", "value": 0.91})
    html = html_of(dataclasses.replace(example_input, evidence=(broken, odd)))
    assert "the analysis could not be used: line 3: unterminated quote" in html
    assert "not in the govgate/fairness/v1 shape" in html
    assert "accuracy" in html and "0.91" in html
