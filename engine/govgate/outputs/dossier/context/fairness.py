"""The fairness section: per-group rates, impact ratios against the pack's threshold, charts and
aggregate metrics of every fairness analysis in the run's evidence."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from govgate.core.evidence import Evidence
from govgate.core.result import FAIRNESS_KIND
from govgate.outputs.dossier.context.charts import bar_chart
from govgate.outputs.dossier.context.values import data_tree, display_rate, display_text, where
from govgate.outputs.dossier.inputs import DossierInput

#: The four-fifths rule (29 CFR 1607.4(D)); the line every impact-ratio chart draws.
FOUR_FIFTHS = 0.8

AGGREGATES = (
    ("demographic_parity_difference", "Demographic parity difference"),
    ("demographic_parity_ratio", "Demographic parity ratio"),
    ("equalized_odds_difference", "Equalized odds difference"),
    ("equalized_odds_ratio", "Equalized odds ratio"),
    ("equal_opportunity_difference", "Equal opportunity difference"),
    ("equal_opportunity_ratio", "Equal opportunity ratio"),
    ("equalized_odds_difference_mean", "Equalized odds difference (mean)"),
    ("equalized_odds_ratio_mean", "Equalized odds ratio (mean)"),
    ("false_positive_rate_difference", "False positive rate difference"),
    ("predictive_parity_difference", "Predictive parity difference"),
    ("scoring_rate_difference", "Scoring rate difference (LL144)"),
    ("scoring_rate_ratio", "Scoring rate ratio (LL144)"),
)

#: Facts about an analysis shown above its table, when the analysis has them.
FACTS = (
    ("rows", "rows"),
    ("unknown", "unknown or missing attribute"),
    ("excluded_groups", "groups excluded"),
    ("reference", "reference group"),
)


def _impact_threshold(result: Mapping[str, Any]) -> tuple[float, str]:
    """The impact-ratio threshold a pack declares (`min_impact_ratio`), else four-fifths."""
    for pack, params in sorted((result.get("params") or {}).items()):
        if isinstance(params, Mapping):
            value = params.get("min_impact_ratio")
            if isinstance(value, int | float) and not isinstance(value, bool):
                return float(value), f"parameter min_impact_ratio of pack {pack}"
    return FOUR_FIFTHS, "the four-fifths rule (29 CFR 1607.4(D))"


def _number(value: Any) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return None


def _group_row(group: Mapping[str, Any], threshold: float) -> dict[str, Any]:
    return {
        "value": display_text(group.get("value")),
        "n": group.get("n"),
        "share": display_rate(group.get("share")),
        "selection_rate": display_rate(group.get("selection_rate")),
        "impact_ratio": display_rate(group.get("impact_ratio")),
        "tpr": display_rate(group.get("tpr")),
        "fpr": display_rate(group.get("fpr")),
        # No p-value for the reference group itself: a dash, not "undefined".
        "p_value": display_rate(group["p_value"]) if group.get("p_value") is not None else "—",
        "excluded": bool(group.get("excluded")),
        "below": isinstance(group.get("impact_ratio"), int | float)
        and not group.get("excluded")
        and group["impact_ratio"] < threshold,
    }


def _charts(groups: list[Mapping[str, Any]], threshold: float) -> list[dict[str, Any]]:
    """Selection rate and impact ratio per group; the second marks 0.8 and the pack's line."""
    ratios = [_number(g.get("impact_ratio")) for g in groups]
    ir_max = max([1.0, *(r for r in ratios if r is not None)])
    lines = [(FOUR_FIFTHS, "0.8")]
    if abs(threshold - FOUR_FIFTHS) > 1e-9:
        lines.append((threshold, f"{threshold:g}"))

    def rows(metric: str) -> list[tuple[str, float | None, bool]]:
        return [
            (display_text(g.get("value")), _number(g.get(metric)), bool(g.get("excluded")))
            for g in groups
        ]

    return [
        bar_chart(rows("selection_rate"), title="Selection rate per group", scale_max=1.0),
        bar_chart(
            rows("impact_ratio"),
            title="Impact ratio per group (line: 0.8)",
            scale_max=ir_max,
            lines=lines,
            flag_below=threshold,
        ),
    ]


def _aggregates(raw: Mapping[str, Any]) -> list[dict[str, str]]:
    """The aggregate metrics present, between groups and against the overall population."""
    between = raw.get("between_groups") or {}
    overall = raw.get("to_overall") or {}
    return [
        {
            "label": label,
            "between": display_rate(between[key]) if key in between else "—",
            "overall": display_rate(overall[key]) if key in overall else "—",
        }
        for key, label in AGGREGATES
        # A metric no data defines (the LL144 scoring rates when no score was logged) is
        # left out rather than printed as a row of "undefined".
        if between.get(key) is not None or overall.get(key) is not None
    ]


def _fairness_block(raw: Mapping[str, Any], kind: str, threshold: float) -> dict[str, Any]:
    """One analysed attribute or intersection: its facts, group table, charts and aggregates."""
    groups = [g for g in raw.get("groups") or [] if isinstance(g, Mapping)]
    facts = [
        f"{label} {display_text(raw[key])}" for key, label in FACTS if raw.get(key) is not None
    ]
    return {
        "name": display_text(raw.get("name")),
        "facts": " · ".join(facts),
        "kind": kind,
        "rows": [_group_row(group, threshold) for group in groups],
        "charts": _charts(groups, threshold) if groups else [],
        "aggregates": _aggregates(raw),
    }


def _analysis(item: Evidence, threshold: float) -> dict[str, Any]:
    """One fairness evidence item; its raw data is shown when it is not the expected shape."""
    data = item.data if isinstance(item.data, Mapping) else None
    entry: dict[str, Any] = {
        "subject": item.subject,
        "source": where(item.source.to_json()),
        "digest": item.digest,
        "collected_at": item.collected_at,
        "problem": item.problem,
        "blocks": [],
        "shape_ok": bool(data and isinstance(data.get("attributes"), list)),
        "rows": data.get("rows") if data else None,
        "rejected_rows": data.get("rejected_rows") if data else None,
        "raw": None,
    }
    if data is not None:
        for attr in data.get("attributes") or []:
            if isinstance(attr, Mapping):
                entry["blocks"].append(_fairness_block(attr, "attribute", threshold))
        for inter in data.get("intersections") or []:
            if isinstance(inter, Mapping):
                entry["blocks"].append(_fairness_block(inter, "intersection", threshold))
        if not entry["shape_ok"]:
            entry["raw"] = data_tree(data)
    return entry


def fairness_context(inp: DossierInput) -> dict[str, Any]:
    threshold, threshold_source = _impact_threshold(inp.result)
    analyses = [
        _analysis(item, threshold)
        for item in sorted(inp.evidence, key=lambda e: e.subject)
        if item.kind == FAIRNESS_KIND
    ]
    bias_ran = any(p.get("name") == "bias" for p in inp.result.get("packs") or [])
    return {
        "analyses": analyses,
        "threshold": threshold,
        "threshold_source": threshold_source,
        "bias_pack": bias_ran,
    }
