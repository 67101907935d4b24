"""A fairness document (`govgate/fairness/v1`) as plain-text tables: per attribute and per
intersection, one row per group, then the aggregates (`govgate fairness`, the text report)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

#: (label, aggregate key) shown under each table, by which columns the analysis had.
_SELECTION_AGGREGATES = [
    ("DP diff", "demographic_parity_difference"),
    ("DP ratio", "demographic_parity_ratio"),
]
_LABEL_AGGREGATES = [
    ("EO diff", "equalized_odds_difference"),
    ("EO ratio", "equalized_odds_ratio"),
    ("EOpp diff", "equal_opportunity_difference"),
    ("FPR diff", "false_positive_rate_difference"),
    ("PPV diff", "predictive_parity_difference"),
]
_SCORE_AGGREGATES = [("score-rate ratio", "scoring_rate_ratio")]


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def _num(value: float | None, digits: int = 3) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _p(value: float | None) -> str:
    if value is None:
        return "-"
    return "<0.001" if value < 0.001 else f"{value:.3f}"


def _table(headers: list[str], rows: list[list[str]], right: set[int]) -> list[str]:
    widths = [
        max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)
    ]

    def line(cells: list[str]) -> str:
        return "  ".join(
            c.rjust(widths[i]) if i in right else c.ljust(widths[i]) for i, c in enumerate(cells)
        ).rstrip()

    return [line(headers)] + [line(r) for r in rows]


def render_text_table(doc: Mapping[str, Any]) -> str:
    """Per-attribute (and per-intersection) group tables of a fairness document, as plain text."""
    columns = doc.get("columns", {})
    has_label = columns.get("label") is not None
    has_score = columns.get("score") is not None
    out = _preamble(doc, has_score)
    for section in [*doc.get("attributes", []), *doc.get("intersections", [])]:
        out.append("")
        out.extend(_section(section, has_label, has_score))
    return "\n".join(out) + "\n"


def _preamble(doc: Mapping[str, Any], has_score: bool) -> list[str]:
    """What was analysed: rows, rejected rows, the minimum share and the score median."""
    small = (
        f"groups under {100 * float(doc['min_share']):g}% of rows are excluded from the "
        "reference and the aggregates (marked *)"
        if doc["min_share"]
        else "every group is compared (no minimum share)"
    )
    out = [f"rows analysed: {doc['rows']:,}; rejected rows: {doc['rejected_rows']:,}; {small}"]
    row_filter = doc.get("where")
    if row_filter:
        out.append(
            f"row filter: {'; '.join(row_filter['conditions'])} "
            f"({row_filter['excluded_rows']:,} rows left out)"
        )
    for name, edges in (doc.get("bins") or {}).items():
        out.append(f"{name} binned at {', '.join(f'{edge:g}' for edge in edges)}")
    if has_score and doc.get("score_median") is not None:
        out.append(f"median score of the full sample: {doc['score_median']:.6g}")
    return out


def _section(section: Mapping[str, Any], has_label: bool, has_score: bool) -> list[str]:
    """One attribute's (or intersection's) heading, group table and aggregates."""
    reference = section.get("reference")
    out = [
        f"{section['name']}: {section['rows']:,} rows in {len(section['groups'])} groups; "
        f"unknown or missing: {section['unknown']:,}; reference (most selected): "
        f"{reference if reference is not None else '-'}"
    ]
    headers = ["group", "n", "share", "selected", "rate", "95% CI", "impact", "p"]
    if has_label:
        headers += ["TPR", "FPR", "FNR", "PPV"]
    if has_score:
        headers += ["score>med", "score IR"]
    rows = [_group_row(group, has_label, has_score) for group in section["groups"]]
    right = set(range(1, len(headers)))
    out.extend("  " + line for line in _table(headers, rows, right))
    if section.get("not_compared"):
        # The aggregates below are all "-": say why rather than print a row of dashes alone.
        out.append(f"  not compared: {section['not_compared']}")
    labels = list(_SELECTION_AGGREGATES)
    if has_label:
        labels += _LABEL_AGGREGATES
    if has_score:
        labels += _SCORE_AGGREGATES
    for title, key in (("between groups", "between_groups"), ("to overall", "to_overall")):
        parts = [f"{label} {_num(section[key].get(name))}" for label, name in labels]
        out.append(f"  {title}: " + "; ".join(parts))
    return out


def _group_row(group: Mapping[str, Any], has_label: bool, has_score: bool) -> list[str]:
    """One group's cells, in the order of the table's headers."""
    ci = group["ci"].get("selection_rate")
    row = [
        group["value"] + (" *" if group["excluded"] else ""),
        f"{group['n']:,}",
        _pct(group["share"]),
        f"{group['selected']:,}",
        _num(group["selection_rate"]),
        f"{ci[0]:.3f}-{ci[1]:.3f}" if ci else "-",
        _num(group["impact_ratio"]),
        _p(group["p_value"]),
    ]
    if has_label:
        row += [_num(group[k]) for k in ("tpr", "fpr", "fnr", "ppv")]
    if has_score:
        row += [_num(group["scoring_rate"]), _num(group["scoring_impact_ratio"])]
    return row
