"""Group fairness metrics for bias audits: counts aggregated in SQL, metrics computed in Python.

One scan of the prediction file produces a small table of counts per combination of protected
attributes, prediction and label (`CELL_COUNTS_SQL`, plain SQL that DuckDB and Spark SQL both
accept, over a relation whose columns the loader has renamed to `a0..aN, y_pred, y_true,
score`). Everything else (selection rates, TPR/FPR/FNR/PPV, impact ratios, Wilson intervals,
z-tests and fairlearn's `between_groups` / `to_overall` aggregates) is arithmetic on those
counts, so a group with an undefined rate is `null`, never 0, and the numbers do not depend on
which engine counted. The result is the `govgate/fairness/v1` document (docs/fairness.md).
"""

from __future__ import annotations

import difflib
import itertools
import json
import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from govgate.support.errors import InputError, UsageError
from govgate.support.formats import LOCAL_COMPRESSIONS, TABULAR_FORMATS, tabular_format

if TYPE_CHECKING:
    from govgate.analysis.aggregate import AggregationBackend, RegisteredSource, TableSource

SCHEMA_ID = "govgate/fairness/v1"
#: Two-sided 95 % normal quantile, for the Wilson intervals.
Z_95 = 1.959963984540054
DEFAULT_MIN_SHARE = 0.02
#: Attribute values that mean "not known" (compared case-insensitively after trimming); NULL
#: and empty cells are always unknown. `?` is how UCI data sets (Adult) write a missing value.
DEFAULT_UNKNOWN_VALUES = ("", "?", "na", "n/a", "null", "none", "unknown")
#: More distinct (attributes, prediction, label) combinations than this means a column is not
#: what it was said to be (a probability passed as --prediction); refuse instead of fetching.
MAX_CELLS = 1_000_000
#: Rejected input lines listed in the document (all of them are counted).
MAX_REJECTED_LISTED = 100
INTERSECTION_SEPARATOR = "×"

AGGREGATE_KEYS = (
    "demographic_parity_difference",
    "demographic_parity_ratio",
    "equalized_odds_difference",
    "equalized_odds_ratio",
    "equalized_odds_difference_mean",
    "equalized_odds_ratio_mean",
    "equal_opportunity_difference",
    "equal_opportunity_ratio",
    "false_positive_rate_difference",
    "predictive_parity_difference",
    "scoring_rate_difference",
    "scoring_rate_ratio",
)
RATE_KEYS = ("selection_rate", "tpr", "fpr", "fnr", "ppv", "scoring_rate")

# --------------------------------------------------------------------------------------------
# Portable aggregation SQL. `{relation}` is a table or view with the columns a0..a{k-1}
# (protected attributes), y_pred, y_true (when a label is analysed) and score (DOUBLE, when a
# score is analysed); `{keys}` is the comma-separated list of those key columns and `{limit}`
# an integer. Only GROUP BY, COUNT, SUM, CASE, CROSS JOIN, LIMIT and percentile_cont WITHIN
# GROUP are used: DuckDB and Spark SQL (3.3+) both accept them unchanged.
# --------------------------------------------------------------------------------------------

CELL_COUNTS_SQL = """
SELECT {keys}, COUNT(*) AS n
FROM {relation}
GROUP BY {keys}
LIMIT {limit}
"""

#: LL144 §5-301(c): the scoring rate is the share of a category scoring above the median of
#: the full sample, so the median is taken over every row before grouping.
CELL_COUNTS_WITH_SCORE_SQL = """
WITH cut AS (
  SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY score) AS median
  FROM {relation}
  WHERE score IS NOT NULL
)
SELECT {keys}, COUNT(*) AS n,
       SUM(CASE WHEN score > cut.median THEN 1 ELSE 0 END) AS above_median,
       SUM(CASE WHEN score IS NULL THEN 1 ELSE 0 END) AS score_missing,
       MAX(cut.median) AS median
FROM {relation} CROSS JOIN cut
GROUP BY {keys}
LIMIT {limit}
"""


def cell_counts_sql(attributes: int, *, label: bool, score: bool, relation: str) -> str:
    """The aggregation query for `attributes` protected attributes (see CELL_COUNTS_SQL)."""
    keys = [f"a{i}" for i in range(attributes)] + ["y_pred"] + (["y_true"] if label else [])
    template = CELL_COUNTS_WITH_SCORE_SQL if score else CELL_COUNTS_SQL
    return template.format(keys=", ".join(keys), relation=relation, limit=MAX_CELLS + 1)


# --------------------------------------------------------------------------------------------
# What to analyse
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FairnessSpec:
    """Columns and mappings of one analysis. `option_names` words errors for CLI or config."""

    prediction: str
    attributes: tuple[str, ...]
    label: str | None = None
    score: str | None = None
    positive: tuple[str, ...] | None = None
    negative: tuple[str, ...] | None = None
    label_positive: tuple[str, ...] | None = None
    label_negative: tuple[str, ...] | None = None
    min_share: float = DEFAULT_MIN_SHARE
    unknown_values: tuple[str, ...] = DEFAULT_UNKNOWN_VALUES
    confidence: float = 0.95
    option_names: Mapping[str, str] = field(
        default_factory=lambda: {
            "positive": "--positive",
            "negative": "--negative",
            "label_positive": "--label-positive",
            "label_negative": "--label-negative",
            "prediction": "--prediction",
            "label": "--label",
            "score": "--score",
            "attributes": "--attr",
        }
    )

    def validate(self, where: str) -> None:
        if not self.attributes:
            raise UsageError(f"{where}: at least one protected attribute is needed")
        names = [self.prediction, *self.attributes]
        names += [c for c in (self.label, self.score) if c]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise UsageError(f"{where}: column {duplicates[0]!r} is given for two roles")
        if not 0 <= self.min_share < 1:
            raise UsageError(f"{where}: min share {self.min_share} must be in [0, 1)")
        if self.confidence != 0.95:
            raise UsageError(f"{where}: only 95% confidence intervals are supported")


# --------------------------------------------------------------------------------------------
# Values: attribute groups and the explicit positive/negative mapping
# --------------------------------------------------------------------------------------------

Token = tuple[str, Any]  # ("null", None) | ("bool", b) | ("num", float) | ("str", text)


def value_token(value: Any) -> Token:
    """A typed, hashable form of a cell value (True and 1 must not collide as dict keys)."""
    if value is None:
        return ("null", None)
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, (int, float)):
        number = float(value)
        return ("null", None) if math.isnan(number) else ("num", number)
    if isinstance(value, str):
        return ("str", value.strip())
    try:  # Decimal and friends
        return ("num", float(value))
    except (TypeError, ValueError):
        return ("str", str(value).strip())


def show_token(token: Token) -> str:
    kind, value = token
    if kind == "null":
        return "<empty>"
    if kind == "bool":
        return "true" if value else "false"
    if kind == "num":
        return str(int(value)) if float(value).is_integer() else repr(value)
    return str(value)


def attribute_text(value: Any, unknown: frozenset[str]) -> str | None:
    """The group name of an attribute value, or None when the value is unknown or missing."""
    token = value_token(value)
    if token[0] == "null":
        return None
    text = show_token(token)
    return None if text.strip().casefold() in unknown else text


def _matches(token: Token, text: str) -> bool:
    kind, value = token
    wanted = text.strip()
    if kind == "str":
        return str(value) == wanted
    if kind == "bool":
        lowered = wanted.lower()
        return (lowered in ("true", "1")) if value else (lowered in ("false", "0"))
    if kind == "num":
        try:
            return bool(float(wanted) == value)
        except ValueError:
            return False
    return False


def _quoted(tokens: Iterable[Token], limit: int = 5) -> str:
    shown = sorted(show_token(t) for t in tokens)
    text = ", ".join(repr(s) for s in shown[:limit])
    return text + (f" and {len(shown) - limit} more" if len(shown) > limit else "")


@dataclass(frozen=True)
class BinaryMapping:
    """Which cell values of a prediction or label column mean 1 (favourable) and 0."""

    positive: frozenset[Token]
    negative: frozenset[Token]

    def to_json(self) -> dict[str, list[str]]:
        return {
            "positive": sorted(show_token(t) for t in self.positive),
            "negative": sorted(show_token(t) for t in self.negative),
        }


def build_mapping(
    counts: Mapping[Token, int],
    *,
    column: str,
    role: str,
    positive: Sequence[str] | None,
    negative: Sequence[str] | None,
    positive_option: str,
    negative_option: str,
    where: str,
) -> BinaryMapping:
    """Map the distinct values of a column to 1/0, or raise an InputError naming the problem.

    Without an explicit positive value only booleans (true is 1) and the numbers 0/1 are
    accepted; text needs `positive` (fairlearn silently scores text labels as all-negative).
    With `positive` and no `negative`, the column must hold exactly one other value.
    """
    missing = counts.get(("null", None), 0)
    if missing:
        raise InputError(
            where,
            None,
            f"{role} column {column!r} is empty in {missing:,} row(s); every row needs a "
            f"{role} (drop or fill those rows before the audit)",
        )
    tokens = set(counts)
    pos: set[Token]
    neg: set[Token]
    if positive is None:
        kinds = {kind for kind, _ in tokens}
        if kinds <= {"bool"}:
            pos, neg = {("bool", True)}, {("bool", False)}
        elif kinds <= {"num"}:
            pos, neg = {("num", 1.0)}, {("num", 0.0)}
        else:
            raise InputError(
                where,
                None,
                f"{role} column {column!r} holds values such as {_quoted(tokens, 3)}; say which "
                f"one is the favourable outcome with {positive_option} VALUE",
            )
        explicit_negative = True
    else:
        pos = {t for t in tokens if any(_matches(t, p) for p in positive)}
        explicit_negative = negative is not None
        if negative is not None:
            neg = {t for t in tokens if any(_matches(t, n) for n in negative)}
        else:
            neg = tokens - pos
        if not pos and not explicit_negative:
            raise InputError(
                where,
                None,
                f"{positive_option} {', '.join(map(repr, positive))} does not occur in {role} "
                f"column {column!r} (its values: {_quoted(tokens)})",
            )
    both = pos & neg
    if both:
        raise InputError(
            where,
            None,
            f"{role} column {column!r}: value(s) {_quoted(both)} given as both positive and "
            "negative",
        )
    unmapped = tokens - pos - neg
    if unmapped:
        rows = sum(counts[t] for t in unmapped)
        raise InputError(
            where,
            None,
            f"{role} column {column!r} has unmapped value(s) {_quoted(unmapped)} in {rows:,} "
            f"row(s); map them with {positive_option} / {negative_option} (or fix the data)",
        )
    if not explicit_negative and len(neg) > 1:
        raise InputError(
            where,
            None,
            f"{role} column {column!r} has more than two values: {_quoted(pos)} is positive but "
            f"{_quoted(neg)} are all left over; an analysis needs one negative value, so name "
            f"the negatives with {negative_option} (or fix the data)",
        )
    return BinaryMapping(frozenset(pos), frozenset(neg))


# --------------------------------------------------------------------------------------------
# Counts
# --------------------------------------------------------------------------------------------


@dataclass
class Counts:
    """Confusion counts of one group (or of all rows)."""

    n: int = 0
    selected: int = 0
    positives: int = 0
    true_positives: int = 0
    above_median: int = 0

    def add(self, other: Counts) -> None:
        self.n += other.n
        self.selected += other.selected
        self.positives += other.positives
        self.true_positives += other.true_positives
        self.above_median += other.above_median

    @property
    def negatives(self) -> int:
        return self.n - self.positives

    @property
    def false_positives(self) -> int:
        return self.selected - self.true_positives

    def fraction(self, metric: str) -> tuple[int, int]:
        """(numerator, denominator) of a rate."""
        if metric == "selection_rate":
            return self.selected, self.n
        if metric == "tpr":
            return self.true_positives, self.positives
        if metric == "fpr":
            return self.false_positives, self.negatives
        if metric == "fnr":
            return self.positives - self.true_positives, self.positives
        if metric == "ppv":
            return self.true_positives, self.selected
        if metric == "scoring_rate":
            return self.above_median, self.n
        raise KeyError(metric)

    def rate(self, metric: str) -> float | None:
        numerator, denominator = self.fraction(metric)
        return numerator / denominator if denominator else None


@dataclass
class CellTable:
    """The aggregated counts of one input: per combination of attribute groups (None = unknown)."""

    attributes: tuple[str, ...]
    cells: dict[tuple[str | None, ...], Counts]
    has_label: bool
    has_score: bool
    rows: int
    rejected_rows: int = 0
    rejected_lines: list[dict[str, Any]] = field(default_factory=list)
    score_median: float | None = None
    prediction_mapping: BinaryMapping | None = None
    label_mapping: BinaryMapping | None = None


def cells_from_rows(
    rows: Iterable[Sequence[Any]],
    spec: FairnessSpec,
    *,
    where: str,
    decode_json: bool = False,
) -> CellTable:
    """Fold the rows of the aggregation query into a CellTable, mapping prediction and label.

    Each row is (a0..a{k-1}, y_pred, [y_true], n, [above_median, score_missing, median]).
    `decode_json` is set when the loader delivered cells as JSON text (JSONL input), so that a
    JSON `true` stays a boolean and `"1"` stays text.
    """
    k = len(spec.attributes)
    has_label = spec.label is not None
    has_score = spec.score is not None
    unknown = frozenset(v.strip().casefold() for v in spec.unknown_values)
    raw: list[tuple[tuple[Any, ...], Token, Token | None, int, int]] = []
    pred_counts: dict[Token, int] = {}
    label_counts: dict[Token, int] = {}
    score_missing = 0
    median: float | None = None
    decode = _decode_json if decode_json else (lambda v: v)
    for count, row in enumerate(rows):
        if count >= MAX_CELLS:
            raise InputError(
                where,
                None,
                f"more than {MAX_CELLS:,} distinct combinations of attributes, prediction and "
                "label: is a score or probability given as the prediction or label? (use "
                f"{spec.option_names['score']} for scores)",
            )
        attrs = tuple(decode(v) for v in row[:k])
        pred = value_token(decode(row[k]))
        position = k + 1
        label: Token | None = None
        if has_label:
            label = value_token(decode(row[position]))
            position += 1
        n = int(row[position])
        above = 0
        if has_score:
            above = int(row[position + 1] or 0)
            score_missing += int(row[position + 2] or 0)
            if row[position + 3] is not None:
                median = float(row[position + 3])
        pred_counts[pred] = pred_counts.get(pred, 0) + n
        if label is not None:
            label_counts[label] = label_counts.get(label, 0) + n
        raw.append((attrs, pred, label, n, above))
    total = sum(entry[3] for entry in raw)
    if total == 0:
        raise InputError(where, None, "no rows to analyse")
    if has_score and score_missing:
        raise InputError(
            where,
            None,
            f"score column {spec.score!r} is empty or not a number in {score_missing:,} row(s)",
        )
    names = spec.option_names
    prediction_mapping = build_mapping(
        pred_counts,
        column=spec.prediction,
        role="prediction",
        positive=spec.positive,
        negative=spec.negative,
        positive_option=names["positive"],
        negative_option=names["negative"],
        where=where,
    )
    label_mapping = None
    if has_label:
        assert spec.label is not None
        label_mapping = build_mapping(
            label_counts,
            column=spec.label,
            role="label",
            positive=spec.label_positive,
            negative=spec.label_negative,
            positive_option=names["label_positive"],
            negative_option=names["label_negative"],
            where=where,
        )
    cells: dict[tuple[str | None, ...], Counts] = {}
    for attrs, pred, label, n, above in raw:
        key = tuple(attribute_text(v, unknown) for v in attrs)
        selected = n if pred in prediction_mapping.positive else 0
        positives = 0
        if label is not None and label_mapping is not None and label in label_mapping.positive:
            positives = n
        counts = cells.setdefault(key, Counts())
        counts.add(
            Counts(
                n=n,
                selected=selected,
                positives=positives,
                true_positives=n if (selected and positives) else 0,
                above_median=above,
            )
        )
    return CellTable(
        attributes=tuple(spec.attributes),
        cells=cells,
        has_label=has_label,
        has_score=has_score,
        rows=total,
        score_median=median,
        prediction_mapping=prediction_mapping,
        label_mapping=label_mapping,
    )


def _decode_json(value: Any) -> Any:
    if value is None or not isinstance(value, str):
        return value
    try:
        decoded = json.loads(value)
    except ValueError:
        return value
    if isinstance(decoded, (dict, list)):
        return json.dumps(decoded, sort_keys=True)
    return decoded


# --------------------------------------------------------------------------------------------
# Statistics
# --------------------------------------------------------------------------------------------


def wilson_interval(successes: int, trials: int, z: float = Z_95) -> list[float] | None:
    """Wilson score interval of a proportion, or None when there are no trials."""
    if trials <= 0:
        return None
    p = successes / trials
    z2 = z * z
    denominator = 1 + z2 / trials
    centre = (p + z2 / (2 * trials)) / denominator
    half = z * math.sqrt(p * (1 - p) / trials + z2 / (4 * trials * trials)) / denominator
    return [max(0.0, centre - half), min(1.0, centre + half)]


def two_proportion_p_value(x1: int, n1: int, x2: int, n2: int) -> float | None:
    """Two-sided p-value of the pooled two-proportion z-test; None when it is undefined."""
    if n1 <= 0 or n2 <= 0:
        return None
    pooled = (x1 + x2) / (n1 + n2)
    variance = pooled * (1 - pooled) * (1 / n1 + 1 / n2)
    if variance <= 0:
        return None  # both groups all-selected or all-rejected: no spread to test against
    z = (x1 / n1 - x2 / n2) / math.sqrt(variance)
    return math.erfc(abs(z) / math.sqrt(2))


# --------------------------------------------------------------------------------------------
# Aggregates (fairlearn's MetricFrame.difference / .ratio semantics, FAIRNESS.md B.4)
# --------------------------------------------------------------------------------------------


def _eligible(groups: Sequence[Counts], metrics: Sequence[str]) -> list[Counts]:
    """Groups on which every rate the aggregate needs is defined."""
    return [g for g in groups if all(g.fraction(m)[1] > 0 for m in metrics)]


def _overall(groups: Sequence[Counts], metric: str) -> float | None:
    numerator = sum(g.fraction(metric)[0] for g in groups)
    denominator = sum(g.fraction(metric)[1] for g in groups)
    return numerator / denominator if denominator else None


def _difference(values: list[float], overall: float | None, method: str) -> float | None:
    if not values:
        return None
    if method == "between_groups":
        return max(values) - min(values)
    assert overall is not None
    return max(abs(v - overall) for v in values)


def _ratio(values: list[float], overall: float | None, method: str) -> float | None:
    if not values:
        return None
    if method == "between_groups":
        top = max(values)
        return min(values) / top if top else None
    if not overall:
        return None
    ratios = [v / overall for v in values]
    return min(1 / r if r > 1 else r for r in ratios)


def _metric_pair(
    groups: Sequence[Counts], metric: str, method: str
) -> tuple[float | None, float | None]:
    """(difference, ratio) of one rate over the groups where it is defined."""
    eligible = _eligible(groups, [metric])
    values = [g.rate(metric) for g in eligible]
    numbers = [v for v in values if v is not None]
    overall = _overall(eligible, metric)
    return _difference(numbers, overall, method), _ratio(numbers, overall, method)


def aggregate_metrics(
    groups: Sequence[Counts], *, method: str, has_label: bool, has_score: bool
) -> dict[str, float | None]:
    """Every aggregate of AGGREGATE_KEYS for the compared groups, as fairlearn defines them.

    Each aggregate uses only the groups on which its rates are defined (for equalized odds,
    both TPR and FPR), and `to_overall` compares with the rate over those same groups' rows:
    exactly what fairlearn returns when the undefined groups are filtered out first.
    """
    out: dict[str, float | None] = dict.fromkeys(AGGREGATE_KEYS)
    dpd, dpr = _metric_pair(groups, "selection_rate", method)
    out["demographic_parity_difference"] = dpd
    out["demographic_parity_ratio"] = dpr
    if has_label:
        eo_groups = _eligible(groups, ["tpr", "fpr"])
        tpr_d, tpr_r = _metric_pair(eo_groups, "tpr", method)
        fpr_d, fpr_r = _metric_pair(eo_groups, "fpr", method)
        if tpr_d is not None and fpr_d is not None:
            out["equalized_odds_difference"] = max(tpr_d, fpr_d)
            out["equalized_odds_difference_mean"] = (tpr_d + fpr_d) / 2
        if tpr_r is not None and fpr_r is not None:
            out["equalized_odds_ratio"] = min(tpr_r, fpr_r)
            out["equalized_odds_ratio_mean"] = (tpr_r + fpr_r) / 2
        eop_d, eop_r = _metric_pair(groups, "tpr", method)
        out["equal_opportunity_difference"] = eop_d
        out["equal_opportunity_ratio"] = eop_r
        out["false_positive_rate_difference"] = _metric_pair(groups, "fpr", method)[0]
        out["predictive_parity_difference"] = _metric_pair(groups, "ppv", method)[0]
    if has_score:
        srd, srr = _metric_pair(groups, "scoring_rate", method)
        out["scoring_rate_difference"] = srd
        out["scoring_rate_ratio"] = srr
    return out


# --------------------------------------------------------------------------------------------
# The document
# --------------------------------------------------------------------------------------------


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


def _analysis(
    name: str,
    indexes: tuple[int, ...],
    table: CellTable,
    min_share: float,
) -> dict[str, Any]:
    grouped: dict[tuple[str, ...], Counts] = {}
    unknown = 0
    for key, counts in table.cells.items():
        projected = tuple(key[i] for i in indexes)
        if any(v is None for v in projected):
            unknown += counts.n
            continue
        grouped.setdefault(projected, Counts()).add(counts)  # type: ignore[arg-type]
    ordered = sorted(grouped, key=_sort_key)
    entries = [
        _group_entry(name, values, grouped[values], table.rows, table, min_share)
        for values in ordered
    ]
    compared = [(e, grouped[v]) for e, v in zip(entries, ordered, strict=True) if not e["excluded"]]
    reference = _reference(compared, "selection_rate")
    if reference is not None:
        ref_entry, ref_counts = reference
        top = ref_counts.rate("selection_rate") or 0.0
        for entry, counts in zip(entries, (grouped[v] for v in ordered), strict=True):
            rate = counts.rate("selection_rate")
            entry["impact_ratio"] = rate / top if (top and rate is not None) else None
            if entry is not ref_entry:
                entry["p_value"] = two_proportion_p_value(
                    counts.selected, counts.n, ref_counts.selected, ref_counts.n
                )
    scoring_reference = _reference(compared, "scoring_rate") if table.has_score else None
    if scoring_reference is not None:
        top = scoring_reference[1].rate("scoring_rate") or 0.0
        for entry, counts in zip(entries, (grouped[v] for v in ordered), strict=True):
            rate = counts.rate("scoring_rate")
            entry["scoring_impact_ratio"] = rate / top if (top and rate is not None) else None
    compared_counts = [c for _, c in compared]
    groups_compared = {
        "selection_rate": len(compared_counts),
        "equalized_odds": len(_eligible(compared_counts, ["tpr", "fpr"])) if table.has_label else 0,
        "true_positive_rate": len(_eligible(compared_counts, ["tpr"])) if table.has_label else 0,
        "false_positive_rate": len(_eligible(compared_counts, ["fpr"])) if table.has_label else 0,
        "predictive_parity": len(_eligible(compared_counts, ["ppv"])) if table.has_label else 0,
    }
    return {
        "name": name,
        "attributes": [table.attributes[i] for i in indexes],
        "rows": table.rows - unknown,
        "unknown": unknown,
        "reference": reference[0]["value"] if reference else None,
        "scoring_reference": scoring_reference[0]["value"] if scoring_reference else None,
        "excluded_groups": sum(1 for e in entries if e["excluded"]),
        "groups": entries,
        "groups_compared": groups_compared,
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


def _reference(
    compared: list[tuple[dict[str, Any], Counts]], metric: str
) -> tuple[dict[str, Any], Counts] | None:
    """The most-selected (or most-scored) non-excluded group; ties go to the first in order."""
    best: tuple[dict[str, Any], Counts] | None = None
    for entry, counts in compared:
        rate = counts.rate(metric)
        if rate is None:
            continue
        if best is None or rate > (best[1].rate(metric) or 0.0):
            best = (entry, counts)
    return best


def attribute_subsets(count: int) -> Iterator[tuple[int, ...]]:
    """Every intersection of two or more attributes, in the order the attributes were given."""
    for size in range(2, count + 1):
        yield from itertools.combinations(range(count), size)


def build_document(table: CellTable, spec: FairnessSpec) -> dict[str, Any]:
    """The `govgate/fairness/v1` document for a CellTable."""
    overall = Counts()
    for counts in table.cells.values():
        overall.add(counts)
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
        "overall": {
            "n": overall.n,
            "selected": overall.selected,
            "selection_rate": overall.rate("selection_rate"),
            "positives": overall.positives if table.has_label else None,
            "tpr": overall.rate("tpr") if table.has_label else None,
            "fpr": overall.rate("fpr") if table.has_label else None,
            "fnr": overall.rate("fnr") if table.has_label else None,
            "ppv": overall.rate("ppv") if table.has_label else None,
            "scoring_rate": overall.rate("scoring_rate") if table.has_score else None,
        },
        "attributes": attributes,
        "intersections": intersections,
    }


# --------------------------------------------------------------------------------------------
# Loading files with DuckDB (the embedded backend)
# --------------------------------------------------------------------------------------------

RELATION = "govgate_fairness_input"
#: JSONL objects read to learn the keys (a key first seen later is reported as missing).
JSONL_SAMPLE_OBJECTS = 20_000


def detect_format(path: str) -> str | None:
    """csv, jsonl or parquet from a file name (compressed CSV/JSONL included)."""
    return tabular_format(path, LOCAL_COMPRESSIONS)


def _sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _sql_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _json_path(name: str, where: str) -> str:
    if '"' in name or "\\" in name:
        raise UsageError(f"{where}: JSON key {name!r} contains a quote or backslash")
    return _sql_string(f'$."{name}"')


def _column_error(where: str, role: str, column: str, available: Sequence[str]) -> UsageError:
    close = difflib.get_close_matches(column, list(available), n=1)
    folded = [a for a in available if a.casefold() == column.casefold()]
    hint = folded or close
    suggestion = f"; did you mean {hint[0]!r}?" if hint else ""
    shown = ", ".join(list(available)[:30]) + (" ..." if len(available) > 30 else "")
    return InputError(
        where, None, f"{role} column {column!r} not found{suggestion} (columns: {shown})"
    )


#: DuckDB's reject error types, in words (the row's content is never repeated).
_REJECT_REASONS = {
    "CAST": "value not of the column's type",
    "MISSING COLUMNS": "missing columns",
    "TOO MANY COLUMNS": "too many columns",
    "UNQUOTED VALUE": "unterminated or stray quote",
    "LINE SIZE OVER MAXIMUM": "line too long",
    "INVALID UNICODE": "not valid UTF-8",
    "INVALID ENCODING": "not valid UTF-8",
}


def _duckdb_rejected(
    connection: Any, fmt: str, paths: Sequence[str], display: Sequence[str], reject_tables: bool
) -> tuple[int, list[dict[str, Any]]]:
    """(count, first lines) of rows DuckDB's reader could not parse; call after the scan."""
    if fmt == "csv" and reject_tables:
        # A relation scanned twice (the score median) logs its rejects twice: count lines.
        total = connection.execute(
            "SELECT COUNT(*) FROM (SELECT DISTINCT file_id, line FROM govgate_reject_errors)"
        ).fetchone()[0]
        listed = connection.execute(
            "SELECT e.file_id, e.line, MIN(e.error_type), MIN(e.column_name) "  # noqa: S608
            "FROM govgate_reject_errors e GROUP BY e.file_id, e.line "
            f"ORDER BY e.file_id, e.line LIMIT {MAX_REJECTED_LISTED}"
        ).fetchall()
        files = dict(
            connection.execute(
                "SELECT DISTINCT file_id, file_path FROM govgate_reject_scans"
            ).fetchall()
        )
        by_path = dict(zip(paths, display, strict=True))
        lines = []
        for file_id, line, error_type, column in listed:
            path = by_path.get(str(files.get(file_id)), str(files.get(file_id)))
            error = _REJECT_REASONS.get(str(error_type), str(error_type).lower())
            if column:
                error += f" in column {column}"
            lines.append({"path": path, "line": int(line), "error": error})
        return int(total), lines
    if fmt == "jsonl":
        return _jsonl_rejected(connection, paths, display)
    return 0, []


def _jsonl_rejected(
    connection: Any, paths: Sequence[str], display: Sequence[str]
) -> tuple[int, list[dict[str, Any]]]:
    files = ", ".join(_sql_string(p) for p in paths)
    total = connection.execute(
        f"SELECT COUNT(*) FROM read_json_objects([{files}], format='newline_delimited', "  # noqa: S608
        "ignore_errors=true) WHERE json IS NULL OR json_type(json) <> 'OBJECT'"
    ).fetchone()[0]
    if not total:
        return 0, []
    # DuckDB does not say which lines; only then are the files read again to find them.
    lines: list[dict[str, Any]] = []
    for path, shown in zip(paths, display, strict=True):
        for number, line in _iter_lines(Path(path)):
            if len(lines) >= MAX_REJECTED_LISTED:
                return int(total), lines
            if not line.strip():
                continue
            try:
                parsed = json.loads(line)
            except ValueError:
                lines.append({"path": shown, "line": number, "error": "malformed JSON"})
                continue
            if not isinstance(parsed, dict):
                lines.append({"path": shown, "line": number, "error": "not a JSON object"})
    return int(total), lines


def _iter_lines(path: Path) -> Iterator[tuple[int, str]]:
    import gzip

    opener: Any = gzip.open if path.name.lower().endswith((".gz", ".gzip")) else open
    with opener(path, "rt", encoding="utf-8", errors="replace") as handle:
        yield from enumerate(handle, start=1)


def register_duckdb_predictions(
    connection: Any,
    view: str,
    source: TableSource,
    columns: Sequence[tuple[str, str, str]],
    numeric: set[str],
) -> RegisteredSource:
    """DuckDB's loading of prediction files: `view` with the role columns renamed.

    CSV rows the reader rejects are logged in reject tables and reported with their lines;
    JSONL lines that are not objects are counted, and their cells stay JSON text (decoded by
    `cells_from_rows`) so that a JSON `true` is not confused with the text "true".
    """
    from govgate.analysis.aggregate import RegisteredSource

    fmt = source.format
    where = source.where
    paths = list(source.uris)
    files = "[" + ", ".join(_sql_string(p) for p in paths) + "]"
    if fmt == "csv":
        # sample_size=-1: column types are sniffed from every row, not the first ones, so a
        # column that turns from numbers to text late is text, not thousands of rejected rows
        # (a whole group silently missing from the numbers). Spark's inferSchema reads all too.
        reader = (
            f"read_csv({files}, sample_size=-1, store_rejects=true, "
            "rejects_table='govgate_reject_errors', rejects_scan='govgate_reject_scans')"
        )
    elif fmt == "parquet":
        reader = f"read_parquet({files}, union_by_name=true)"
    else:
        reader = f"read_json_objects({files}, format='newline_delimited', ignore_errors=true)"
    available = _input_columns(connection, fmt, files, reader, where)
    selects = []
    for alias, role, column in columns:
        if column not in available:
            raise _column_error(where, role, column, available)
        if fmt == "jsonl":
            path = _json_path(column, where)
            expression = (
                f"TRY_CAST(json ->> {path} AS DOUBLE)" if alias in numeric else f"json -> {path}"
            )
        else:
            expression = _sql_ident(column)
            if alias in numeric:
                expression = f"TRY_CAST({expression} AS DOUBLE)"
        selects.append(f"{expression} AS {alias}")
    where_clause = (
        " WHERE json IS NOT NULL AND json_type(json) = 'OBJECT'" if fmt == "jsonl" else ""
    )
    connection.execute(
        # Every name and path in it went through _sql_ident / _sql_string / _json_path.
        f"CREATE OR REPLACE TEMP VIEW {view} AS SELECT {', '.join(selects)} "  # noqa: S608
        f"FROM {reader}{where_clause}"
    )
    shown = list(source.shown)
    return RegisteredSource(
        view=view,
        columns=available,
        decode_json=fmt == "jsonl",
        rejected=lambda: _duckdb_rejected(connection, fmt, paths, shown, fmt == "csv"),
        files=shown,
    )


def _input_columns(connection: Any, fmt: str, files: str, reader: str, where: str) -> list[str]:
    import duckdb

    try:
        if fmt == "jsonl":
            # Keys seen in the first objects (a malformed line must not hide them).
            keys = connection.execute(
                "SELECT key FROM (SELECT unnest(json_keys(json)) AS key, MIN(row) AS first "  # noqa: S608
                "FROM (SELECT json, row_number() OVER () AS row "
                f"FROM (SELECT json FROM {reader} WHERE json_type(json) = 'OBJECT' "
                f"LIMIT {JSONL_SAMPLE_OBJECTS})) GROUP BY key) ORDER BY first"
            ).fetchall()
            return [str(row[0]) for row in keys]
        else:
            described = connection.execute(f"DESCRIBE SELECT * FROM {reader}").fetchall()  # noqa: S608
    except duckdb.Error as exc:
        raise InputError(where, None, f"cannot read: {_duckdb_message(exc)}") from None
    return [str(row[0]) for row in described]


def _duckdb_message(exc: Exception) -> str:
    """DuckDB's message condensed to one line, without the data it quotes."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:300]


def prediction_columns(spec: FairnessSpec) -> list[tuple[str, str, str]]:
    """(alias, role, column) of every column an analysis reads, in the shared SQL's names."""
    columns = [(f"a{i}", "attribute", name) for i, name in enumerate(spec.attributes)]
    columns.append(("y_pred", "prediction", spec.prediction))
    if spec.label:
        columns.append(("y_true", "label", spec.label))
    if spec.score:
        columns.append(("score", "score", spec.score))
    return columns


def compute_cells(
    backend: AggregationBackend, source: TableSource, spec: FairnessSpec
) -> CellTable:
    """Register the source on the backend, run the shared aggregation, fold the counts."""
    import duckdb

    where = source.where
    registered = backend.register_predictions(
        RELATION,
        source,
        prediction_columns(spec),
        numeric={"score"} if spec.score else set(),
    )
    sql = cell_counts_sql(
        len(spec.attributes),
        label=spec.label is not None,
        score=spec.score is not None,
        relation=registered.view,
    )
    try:
        rows = list(backend.rows(sql))
    except duckdb.Error as exc:  # the embedded backend: the file cannot be read as declared
        raise InputError(where, None, f"cannot read: {_duckdb_message(exc)}") from None
    rejected, lines = registered.rejected()
    if not rows and rejected:
        first = lines[0]
        raise InputError(
            where,
            None,
            f"no rows to analyse: all {rejected:,} rows were rejected (first: {first['path']} "
            f"line {first['line']}, {first['error']}); check the delimiter, decimal separator "
            "and column types",
        )
    table = cells_from_rows(rows, spec, where=where, decode_json=registered.decode_json)
    table.rejected_rows, table.rejected_lines = rejected, lines
    return table


def analyse_source(
    source: TableSource, spec: FairnessSpec, *, backend: AggregationBackend | None = None
) -> dict[str, Any]:
    """The `govgate/fairness/v1` document of a prediction source, computed by `backend`.

    Without a backend an in-process DuckDB is opened and closed (the default).
    """
    spec.validate(source.where)
    if backend is not None:
        return build_document(compute_cells(backend, source, spec), spec)
    from govgate.analysis.aggregate import DuckDBBackend

    with DuckDBBackend() as duckdb_backend:
        table = compute_cells(duckdb_backend, source, spec)
    return build_document(table, spec)


def analyse_files(
    paths: Sequence[Path],
    spec: FairnessSpec,
    *,
    fmt: str | None = None,
    display: Sequence[str] | None = None,
    backend: AggregationBackend | None = None,
) -> dict[str, Any]:
    """Read prediction files and return their `govgate/fairness/v1` document."""
    shown = list(display) if display is not None else [str(p) for p in paths]
    where = shown[0] if len(shown) == 1 else f"{shown[0]} (+{len(shown) - 1} more)"
    spec.validate(where)
    fmt = fmt or detect_format(str(paths[0]))
    if fmt not in TABULAR_FORMATS:
        raise InputError(
            where, None, "unknown input format: use .csv, .jsonl or .parquet (or --input-format)"
        )
    from govgate.analysis.aggregate import TableSource

    source = TableSource(tuple(str(p) for p in paths), fmt, tuple(shown))
    return analyse_source(source, spec, backend=backend)


# --------------------------------------------------------------------------------------------
# Text rendering (the CLI, and the text report / dossier later)
# --------------------------------------------------------------------------------------------


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
    out: list[str] = []
    columns = doc.get("columns", {})
    has_label = columns.get("label") is not None
    has_score = columns.get("score") is not None
    small = (
        f"groups under {100 * float(doc['min_share']):g}% of rows are excluded from the "
        "reference and the aggregates (marked *)"
        if doc["min_share"]
        else "every group is compared (no minimum share)"
    )
    out.append(f"rows analysed: {doc['rows']:,}; rejected rows: {doc['rejected_rows']:,}; {small}")
    if has_score and doc.get("score_median") is not None:
        out.append(f"median score of the full sample: {doc['score_median']:.6g}")
    for section in [*doc.get("attributes", []), *doc.get("intersections", [])]:
        out.append("")
        reference = section.get("reference")
        out.append(
            f"{section['name']}: {section['rows']:,} rows in {len(section['groups'])} groups; "
            f"unknown or missing: {section['unknown']:,}; reference (most selected): "
            f"{reference if reference is not None else '-'}"
        )
        headers = ["group", "n", "share", "selected", "rate", "95% CI", "impact", "p"]
        if has_label:
            headers += ["TPR", "FPR", "FNR", "PPV"]
        if has_score:
            headers += ["score>med", "score IR"]
        rows = []
        for group in section["groups"]:
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
            rows.append(row)
        right = set(range(1, len(headers)))
        out.extend("  " + line for line in _table(headers, rows, right))
        labels = [
            ("DP diff", "demographic_parity_difference"),
            ("DP ratio", "demographic_parity_ratio"),
        ]
        if has_label:
            labels += [
                ("EO diff", "equalized_odds_difference"),
                ("EO ratio", "equalized_odds_ratio"),
                ("EOpp diff", "equal_opportunity_difference"),
                ("FPR diff", "false_positive_rate_difference"),
                ("PPV diff", "predictive_parity_difference"),
            ]
        if has_score:
            labels += [("score-rate ratio", "scoring_rate_ratio")]
        for title, key in (("between groups", "between_groups"), ("to overall", "to_overall")):
            parts = [f"{label} {_num(section[key].get(name))}" for label, name in labels]
            out.append(f"  {title}: " + "; ".join(parts))
    return "\n".join(out) + "\n"
