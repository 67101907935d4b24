"""The `govgate/fairness/v1` document of a CellTable: per attribute and per intersection, each
group's rates, intervals, impact ratios and p-values, and the aggregates (docs/fairness.md)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

from govgate.analysis.aggregate import MAX_REJECTED_LISTED
from govgate.analysis.fairness.counts import CellTable, Counts
from govgate.analysis.fairness.metrics import (
    RATE_KEYS,
    aggregate_metrics,
    eligible,
    two_proportion_p_value,
    wilson_interval,
)
from govgate.analysis.fairness.spec import FairnessSpec

SCHEMA_ID = "govgate/fairness/v1"
INTERSECTION_SEPARATOR = "×"

#: A group compared with the others, as (its document entry, its counts).
_Compared = tuple[dict[str, Any], Counts]


def _sort_key(values: tuple[str, ...]) -> tuple[tuple[int, float, str], ...]:
    """Numbers in numeric order before text in text order (age 9 before age 10)."""
    out = []
    for value in values:
        try:
            out.append((0, float(value), value))
        except ValueError:
            out.append((1, 0.0, value))
    return tuple(out)


def _group_entry(
    name: str,
    values: tuple[str, ...],
    counts: Counts,
    rows: int,
    table: CellTable,
    min_share: float,
) -> dict[str, Any]:
    value = INTERSECTION_SEPARATOR.join(values)
    share = counts.n / rows
    entry: dict[str, Any] = {
        "id": f"{name}={value}",
        "value": value,
        "values": list(values),
        "n": counts.n,
        "share": share,
        "selected": counts.selected,
        "selection_rate": counts.rate("selection_rate"),
        "positives": counts.positives if table.has_label else None,
        "true_positives": counts.true_positives if table.has_label else None,
        "false_positives": counts.false_positives if table.has_label else None,
        "tpr": counts.rate("tpr") if table.has_label else None,
        "fpr": counts.rate("fpr") if table.has_label else None,
        "fnr": counts.rate("fnr") if table.has_label else None,
        "ppv": counts.rate("ppv") if table.has_label else None,
        "above_median": counts.above_median if table.has_score else None,
        "scoring_rate": counts.rate("scoring_rate") if table.has_score else None,
        "impact_ratio": None,
        "scoring_impact_ratio": None,
        "p_value": None,
        "ci": {},
        "excluded": share < min_share,
    }
    for metric in RATE_KEYS:
        if entry[metric] is None:
            entry["ci"][metric] = None
        else:
            entry["ci"][metric] = wilson_interval(*counts.fraction(metric))
    return entry


def _grouped(
    table: CellTable, indexes: tuple[int, ...]
) -> tuple[dict[tuple[str, ...], Counts], int]:
    """Counts per group of the attributes at `indexes`, and the rows with an unknown value."""
    grouped: dict[tuple[str, ...], Counts] = {}
    unknown = 0
    for key, counts in table.cells.items():
        projected = tuple(key[i] for i in indexes)
        if any(v is None for v in projected):
            unknown += counts.n
            continue
        grouped.setdefault(projected, Counts()).add(counts)  # type: ignore[arg-type]
    return grouped, unknown


def _reference(compared: list[_Compared], metric: str) -> _Compared | None:
    """The most-selected (or most-scored) non-excluded group; ties go to the first in order."""
    best: _Compared | None = None
    for entry, counts in compared:
        rate = counts.rate(metric)
        if rate is None:
            continue
        if best is None or rate > (best[1].rate(metric) or 0.0):
            best = (entry, counts)
    return best


def _set_impact_ratios(
    groups: list[_Compared], reference: _Compared, metric: str, key: str, *, p_values: bool
) -> None:
    """Each group's rate over the reference group's, and (for selection) its z-test p-value."""
    ref_entry, ref_counts = reference
    top = ref_counts.rate(metric) or 0.0
    for entry, counts in groups:
        rate = counts.rate(metric)
        entry[key] = rate / top if (top and rate is not None) else None
        if p_values and entry is not ref_entry:
            entry["p_value"] = two_proportion_p_value(
                counts.selected, counts.n, ref_counts.selected, ref_counts.n
            )


def _groups_compared(compared: list[Counts], has_label: bool) -> dict[str, int]:
    """How many groups each aggregate compares (those on which its rates are defined)."""
    return {
        "selection_rate": len(compared),
        "equalized_odds": len(eligible(compared, ["tpr", "fpr"])) if has_label else 0,
        "true_positive_rate": len(eligible(compared, ["tpr"])) if has_label else 0,
        "false_positive_rate": len(eligible(compared, ["fpr"])) if has_label else 0,
        "predictive_parity": len(eligible(compared, ["ppv"])) if has_label else 0,
    }


def _analysis(
    name: str,
    indexes: tuple[int, ...],
    table: CellTable,
    min_share: float,
) -> dict[str, Any]:
    grouped, unknown = _grouped(table, indexes)
    ordered = sorted(grouped, key=_sort_key)
    groups = [
        (_group_entry(name, values, grouped[values], table.rows, table, min_share), grouped[values])
        for values in ordered
    ]
    entries = [entry for entry, _ in groups]
    compared = [(entry, counts) for entry, counts in groups if not entry["excluded"]]
    reference = _reference(compared, "selection_rate")
    if reference is not None:
        _set_impact_ratios(groups, reference, "selection_rate", "impact_ratio", p_values=True)
    scoring_reference = _reference(compared, "scoring_rate") if table.has_score else None
    if scoring_reference is not None:
        _set_impact_ratios(
            groups, scoring_reference, "scoring_rate", "scoring_impact_ratio", p_values=False
        )
    compared_counts = [c for _, c in compared]
    return {
        "name": name,
        "attributes": [table.attributes[i] for i in indexes],
        "rows": table.rows - unknown,
        "unknown": unknown,
        "reference": reference[0]["value"] if reference else None,
        "scoring_reference": scoring_reference[0]["value"] if scoring_reference else None,
        "excluded_groups": sum(1 for e in entries if e["excluded"]),
        "groups": entries,
        "groups_compared": _groups_compared(compared_counts, table.has_label),
        "between_groups": aggregate_metrics(
            compared_counts,
            method="between_groups",
            has_label=table.has_label,
            has_score=table.has_score,
        ),
        "to_overall": aggregate_metrics(
            compared_counts,
            method="to_overall",
            has_label=table.has_label,
            has_score=table.has_score,
        ),
    }


def attribute_subsets(count: int) -> Iterator[tuple[int, ...]]:
    """Every intersection of two or more attributes, in the order the attributes were given."""
    for size in range(2, count + 1):
        yield from itertools.combinations(range(count), size)


def _overall(table: CellTable) -> dict[str, Any]:
    """The rates over every row, whatever its groups."""
    overall = Counts()
    for counts in table.cells.values():
        overall.add(counts)
    return {
        "n": overall.n,
        "selected": overall.selected,
        "selection_rate": overall.rate("selection_rate"),
        "positives": overall.positives if table.has_label else None,
        "tpr": overall.rate("tpr") if table.has_label else None,
        "fpr": overall.rate("fpr") if table.has_label else None,
        "fnr": overall.rate("fnr") if table.has_label else None,
        "ppv": overall.rate("ppv") if table.has_label else None,
        "scoring_rate": overall.rate("scoring_rate") if table.has_score else None,
    }


def build_document(table: CellTable, spec: FairnessSpec) -> dict[str, Any]:
    """The `govgate/fairness/v1` document for a CellTable."""
    attributes = [
        _analysis(name, (index,), table, spec.min_share)
        for index, name in enumerate(table.attributes)
    ]
    intersections = [
        _analysis(
            INTERSECTION_SEPARATOR.join(table.attributes[i] for i in subset),
            subset,
            table,
            spec.min_share,
        )
        for subset in attribute_subsets(len(table.attributes))
    ]
    return {
        "schema": SCHEMA_ID,
        "rows": table.rows,
        "rejected_rows": table.rejected_rows,
        "rejected_lines": table.rejected_lines[:MAX_REJECTED_LISTED],
        "columns": {
            "prediction": spec.prediction,
            "label": spec.label,
            "score": spec.score,
            "attributes": list(spec.attributes),
        },
        "mapping": {
            "prediction": table.prediction_mapping.to_json() if table.prediction_mapping else None,
            "label": table.label_mapping.to_json() if table.label_mapping else None,
        },
        "min_share": spec.min_share,
        "confidence": spec.confidence,
        "score_median": table.score_median,
        "overall": _overall(table),
        "attributes": attributes,
        "intersections": intersections,
    }
