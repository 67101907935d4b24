"""The `govgate/fairness/v1` document of a CellTable: per attribute and per intersection, each
group's rates, intervals, impact ratios and p-values, the aggregates, and why anything a
comparison needs is missing (`not_compared`, `not_computed`; docs/fairness.md)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from govgate.analysis.aggregate import MAX_REJECTED_LISTED
from govgate.analysis.fairness.counts import CellTable, Counts
from govgate.analysis.fairness.groups import INTERSECTION_SEPARATOR, attribute_subsets
from govgate.analysis.fairness.metrics import (
    AGGREGATE_BASIS,
    MIN_COMPARED,
    RATE_KEYS,
    aggregate_metrics,
    eligible,
    two_proportion_p_value,
    wilson_interval,
)
from govgate.analysis.fairness.spec import FairnessSpec

SCHEMA_ID = "govgate/fairness/v1"

#: A group compared with the others, as (its document entry, its counts).
_Compared = tuple[dict[str, Any], Counts]

#: What a group needs for each aggregate basis to count, in words (for `not_computed`).
_BASIS_NEEDS = {
    "equalized_odds": "both a positive and a negative label",
    "true_positive_rate": "a positive label",
    "false_positive_rate": "a negative label",
    "predictive_parity": "a selected row",
}


def _value_key(value: str) -> tuple[int, float, str]:
    """Numbers in numeric order before text in text order (age 9 before age 10)."""
    try:
        return (0, float(value), value)
    except ValueError:
        return (1, 0.0, value)


def _sorter(
    names: Sequence[str], bands: Mapping[str, Sequence[str]]
) -> Callable[[tuple[str, ...]], tuple[tuple[int, float, str], ...]]:
    """The natural order of groups: bands low to high, numbers numerically, then text."""
    ranks = {
        name: {label: rank for rank, label in enumerate(bands[name])}
        for name in names
        if name in bands
    }

    def key(values: tuple[str, ...]) -> tuple[tuple[int, float, str], ...]:
        out = []
        for name, value in zip(names, values, strict=True):
            rank = ranks.get(name, {}).get(value)
            out.append((0, float(rank), value) if rank is not None else _value_key(value))
        return tuple(out)

    return key


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
    names = [table.attributes[i] for i in indexes]
    ordered = sorted(grouped, key=_sorter(names, table.band_order))
    groups = [
        (_group_entry(name, values, grouped[values], table.rows, table, min_share), grouped[values])
        for values in ordered
    ]
    entries = [entry for entry, _ in groups]
    compared = [(entry, counts) for entry, counts in groups if not entry["excluded"]]
    not_compared = _why_not_compared(name, len(indexes), entries, len(compared), unknown, min_share)
    reference = scoring_reference = None
    if not_compared is None:
        reference = _reference(compared, "selection_rate")
        if reference is not None:
            _set_impact_ratios(groups, reference, "selection_rate", "impact_ratio", p_values=True)
        if table.has_score:
            scoring_reference = _reference(compared, "scoring_rate")
        if scoring_reference is not None:
            _set_impact_ratios(
                groups, scoring_reference, "scoring_rate", "scoring_impact_ratio", p_values=False
            )
    compared_counts = [c for _, c in compared]
    section = {
        "name": name,
        "attributes": names,
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
        "not_compared": not_compared,
    }
    section["not_computed"] = _not_computed(section, table, not_compared)
    return section


def _why_not_compared(
    name: str,
    width: int,
    entries: list[dict[str, Any]],
    compared: int,
    unknown: int,
    min_share: float,
) -> str | None:
    """Why fewer than two groups could be compared, in the user's terms; None when they can."""
    if compared >= MIN_COMPARED:
        return None
    share = f"{100 * min_share:g}%"
    fix = "bin the attribute" if width == 1 else "bin an attribute or analyse fewer together"
    fix += " (or lower the minimum share)"
    if not entries:
        return (
            f"no row has a known value of {name} ({unknown:,} unknown or missing): there are "
            "no groups to compare"
        )
    if len(entries) == 1:
        return (
            f"every row with a known value of {name} is in one group ({entries[0]['value']}): "
            "there is no other group to compare it with"
        )
    if compared == 0:
        return f"all {len(entries)} groups of {name} are under the {share} minimum share: {fix}"
    kept = next(e["value"] for e in entries if not e["excluded"])
    return (
        f"only one of the {len(entries)} groups of {name} ({kept}) is at or above the {share} "
        f"minimum share; the other {len(entries) - 1} are under it: {fix}"
    )


def _not_computed(
    section: dict[str, Any], table: CellTable, not_compared: str | None
) -> dict[str, str]:
    """Each field a rule may read that is null here, with why (`path` → reason)."""
    out: dict[str, str] = {}
    ratio_fields = ["impact_ratio"] + (["scoring_impact_ratio"] if table.has_score else [])
    if not_compared is not None:
        out.update(dict.fromkeys(ratio_fields, not_compared))
    else:
        if section["reference"] is None or not _reference_rate(section, "selection_rate"):
            out["impact_ratio"] = (
                f"no row of a compared group of {section['name']} was selected, so impact "
                "ratios are undefined"
            )
        if table.has_score and (
            section["scoring_reference"] is None or not _reference_rate(section, "scoring_rate")
        ):
            out["scoring_impact_ratio"] = (
                f"no row of a compared group of {section['name']} scored above the median, so "
                "scoring impact ratios are undefined"
            )
    counts = section["groups_compared"]
    for method in ("between_groups", "to_overall"):
        for key, basis in AGGREGATE_BASIS.items():
            if section[method].get(key) is not None:
                continue
            if basis in _BASIS_NEEDS and not table.has_label:
                continue  # no label analysed: not applicable, not missing
            if key.startswith("scoring") and not table.has_score:
                continue
            if not_compared is not None:
                out[f"{method}.{key}"] = not_compared
            elif counts[basis] < MIN_COMPARED:
                out[f"{method}.{key}"] = (
                    f"fewer than two compared groups of {section['name']} have "
                    f"{_BASIS_NEEDS[basis]} ({counts[basis]})"
                )
            else:
                out[f"{method}.{key}"] = (
                    f"{section['name']}: the rate it divides by is 0, so it is undefined"
                )
    return out


def _reference_rate(section: dict[str, Any], metric: str) -> float | None:
    key = "reference" if metric == "selection_rate" else "scoring_reference"
    for group in section["groups"]:
        if group["value"] == section[key]:
            rate = group[metric]
            return float(rate) if rate is not None else None
    return None


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
        "where": _row_filter(table, spec),
        "bins": {name: [float(e) for e in edges] for name, edges in spec.bins.items()},
        "max_groups": spec.max_groups,
        "score_median": table.score_median,
        "overall": _overall(table),
        "attributes": attributes,
        "intersections": intersections,
    }


def _row_filter(table: CellTable, spec: FairnessSpec) -> dict[str, Any] | None:
    """The row filter as applied: its conditions (canonical spelling) and the rows left out."""
    conditions = spec.conditions()
    if not conditions:
        return None
    return {
        "conditions": [condition.describe() for condition in conditions],
        "excluded_rows": table.excluded_rows,
    }
