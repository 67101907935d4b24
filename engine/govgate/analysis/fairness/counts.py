"""The counts every metric is computed from: the portable aggregation SQL, and its rows folded
into confusion counts per combination of attribute groups (`cells_from_rows`)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from govgate.analysis.fairness.groups import Grouper, check_intersections
from govgate.analysis.fairness.mapping import (
    BinaryMapping,
    Token,
    build_mapping,
    numbers_if_all_numeric,
    value_token,
)
from govgate.analysis.fairness.rowfilter import filter_sql
from govgate.analysis.fairness.spec import FairnessSpec
from govgate.support.errors import InputError

#: More distinct (attributes, prediction, label) combinations than this means a column is not
#: what it was said to be (a probability passed as --prediction); refuse instead of fetching.
MAX_CELLS = 1_000_000

# --------------------------------------------------------------------------------------------
# Portable aggregation SQL. `{relation}` is a table or view with the columns a0..a{k-1}
# (protected attributes), y_pred, y_true (when a label is analysed) and score (DOUBLE, when a
# score is analysed); `{keys}` is the comma-separated list of those key columns and `{limit}`
# an integer. Only GROUP BY, COUNT, SUM, CASE, CROSS JOIN, LIMIT and percentile_cont WITHIN
# GROUP are used: DuckDB and Spark SQL (3.3+) both accept them unchanged. With a row filter,
# `{relation}` is a subquery adding `kept` (1 when the row passes the filter), which is one of
# the keys, and `{kept}` restricts the score median to the kept rows.
# --------------------------------------------------------------------------------------------

CELL_COUNTS_SQL = """
SELECT {keys}, COUNT(*) AS n
FROM {relation}
GROUP BY {keys}
LIMIT {limit}
"""

#: LL144 §5-301(c): the scoring rate is the share of a category scoring above the median of
#: the full sample, so the median is taken over every (kept) row before grouping.
CELL_COUNTS_WITH_SCORE_SQL = """
WITH cut AS (
  SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY score) AS median
  FROM {relation}
  WHERE score IS NOT NULL{kept}
)
SELECT {keys}, COUNT(*) AS n,
       SUM(CASE WHEN score > cut.median THEN 1 ELSE 0 END) AS above_median,
       SUM(CASE WHEN score IS NULL THEN 1 ELSE 0 END) AS score_missing,
       MAX(cut.median) AS median
FROM {relation} CROSS JOIN cut
GROUP BY {keys}
LIMIT {limit}
"""

#: The subquery a row filter wraps the relation in (the predicate is rowfilter.filter_sql's).
FILTERED_RELATION_SQL = (
    "(SELECT *, CASE WHEN {predicate} THEN 1 ELSE 0 END AS kept FROM {relation}) govgate_rows"
)


def cell_counts_sql(
    attributes: int,
    *,
    label: bool,
    score: bool,
    relation: str,
    where: str | None = None,
) -> str:
    """The aggregation query for `attributes` protected attributes (see CELL_COUNTS_SQL).

    `where` is a SQL predicate over the relation's columns (a row filter): rows are then
    counted apart by whether they pass it, in the `kept` column after the label.
    """
    keys = [f"a{i}" for i in range(attributes)] + ["y_pred"] + (["y_true"] if label else [])
    kept = ""
    if where is not None:
        relation = FILTERED_RELATION_SQL.format(predicate=where, relation=relation)
        keys.append("kept")
        kept = " AND kept = 1"
    template = CELL_COUNTS_WITH_SCORE_SQL if score else CELL_COUNTS_SQL
    return template.format(keys=", ".join(keys), relation=relation, limit=MAX_CELLS + 1, kept=kept)


def cell_counts_query(
    spec: FairnessSpec, relation: str, string_type: str = "VARCHAR"
) -> tuple[str, dict[str, Any]]:
    """(aggregation SQL, its named parameters) of an analysis over a registered relation."""
    conditions = spec.conditions()
    predicate: str | None = None
    params: dict[str, Any] = {}
    if conditions:
        aliases = [f"w{index}" for index in range(len(conditions))]
        predicate, params = filter_sql(conditions, aliases, string_type)
    sql = cell_counts_sql(
        len(spec.attributes),
        label=spec.label is not None,
        score=spec.score is not None,
        relation=relation,
        where=predicate,
    )
    return sql, params


def prediction_columns(spec: FairnessSpec) -> list[tuple[str, str, str]]:
    """(alias, role, column) of every column an analysis reads, in the shared SQL's names.

    A row filter's columns are `w0..`: the column of a numeric condition (`age >= 40`) is read
    as a number (see `numeric_aliases`), any other as the value written.
    """
    columns = [(f"a{i}", "attribute", name) for i, name in enumerate(spec.attributes)]
    columns.append(("y_pred", "prediction", spec.prediction))
    if spec.label:
        columns.append(("y_true", "label", spec.label))
    if spec.score:
        columns.append(("score", "score", spec.score))
    columns += [(f"w{i}", "filter", c.column) for i, c in enumerate(spec.conditions())]
    return columns


def numeric_aliases(spec: FairnessSpec) -> set[str]:
    """The aliases a backend must read as numbers (DOUBLE, NULL when not a number)."""
    aliases = {"score"} if spec.score else set()
    aliases |= {f"w{i}" for i, c in enumerate(spec.conditions()) if c.numeric}
    return aliases


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
    #: Rows the row filter left out (they are in no count).
    excluded_rows: int = 0
    #: Band labels in ascending order, per binned attribute.
    band_order: dict[str, list[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class _RawCell:
    """One row of the aggregation query, grouped, before prediction and label are mapped."""

    groups: tuple[str | None, ...]
    pred: Token
    label: Token | None
    n: int
    above: int


@dataclass
class _Scan:
    """The rows of the aggregation query, decoded, with how often each value occurs."""

    cells: list[_RawCell] = field(default_factory=list)
    predictions: dict[Token, int] = field(default_factory=dict)
    labels: dict[Token, int] = field(default_factory=dict)
    score_missing: int = 0
    median: float | None = None
    excluded: int = 0

    @property
    def total(self) -> int:
        return sum(cell.n for cell in self.cells)


def cells_from_rows(
    rows: Iterable[Sequence[Any]],
    spec: FairnessSpec,
    *,
    where: str,
    decode_json: bool = False,
    text_values: bool = False,
) -> CellTable:
    """Fold the rows of the aggregation query into a CellTable, mapping prediction and label.

    Each row is (a0..a{k-1}, y_pred, [y_true], [kept], n, [above_median, score_missing,
    median]). `decode_json` is set when the loader delivered cells as JSON text (JSONL input),
    so that a JSON `true` stays a boolean and `"1"` stays text. `text_values` is set for a
    format without types (CSV): a prediction or label column is then numeric only when every
    value in it is a number; otherwise every value is the text written.
    """
    grouper = Grouper(spec, where)
    scan = _scan_rows(rows, spec, where, _decode_json if decode_json else (lambda v: v), grouper)
    grouper.finish()
    if text_values:
        _numbers_where_all_numeric(scan)
    total = scan.total
    if total == 0:
        filtered = f" (the row filter left out all {scan.excluded:,})" if scan.excluded else ""
        raise InputError(where, None, f"no rows to analyse{filtered}")
    if spec.score is not None and scan.score_missing:
        raise InputError(
            where,
            None,
            f"score column {spec.score!r} is empty or not a number in {scan.score_missing:,} "
            "row(s)",
        )
    prediction_mapping, label_mapping = _mappings(scan, spec, where)
    cells = _fold(scan.cells, prediction_mapping, label_mapping)
    check_intersections(cells, spec, where)
    return CellTable(
        attributes=tuple(spec.attributes),
        cells=cells,
        has_label=spec.label is not None,
        has_score=spec.score is not None,
        rows=total,
        score_median=scan.median,
        prediction_mapping=prediction_mapping,
        label_mapping=label_mapping,
        excluded_rows=scan.excluded,
        band_order=grouper.order(),
    )


def _scan_rows(
    rows: Iterable[Sequence[Any]],
    spec: FairnessSpec,
    where: str,
    decode: Callable[[Any], Any],
    grouper: Grouper,
) -> _Scan:
    """Decode every row, refusing more than MAX_CELLS of them (a score given as prediction)."""
    scan = _Scan()
    for count, row in enumerate(rows):
        if count >= MAX_CELLS:
            raise InputError(
                where,
                None,
                f"more than {MAX_CELLS:,} distinct combinations of attributes, prediction and "
                "label: is a score or probability given as the prediction or label (use "
                f"{spec.option('score')} for scores), or a binned attribute recorded to the "
                "unit (round it first)?",
            )
        cell = _read_row(row, spec, decode, scan, grouper)
        if cell is None:
            continue
        scan.predictions[cell.pred] = scan.predictions.get(cell.pred, 0) + cell.n
        if cell.label is not None:
            scan.labels[cell.label] = scan.labels.get(cell.label, 0) + cell.n
        scan.cells.append(cell)
    return scan


def _read_row(
    row: Sequence[Any],
    spec: FairnessSpec,
    decode: Callable[[Any], Any],
    scan: _Scan,
    grouper: Grouper,
) -> _RawCell | None:
    """One row as a cell (None when the row filter left it out); the score columns (missing
    count, median) go to `scan`."""
    k = len(spec.attributes)
    pred = value_token(decode(row[k]))
    position = k + 1
    label: Token | None = None
    if spec.label is not None:
        label = value_token(decode(row[position]))
        position += 1
    if spec.where:
        kept = bool(row[position])
        position += 1
        if not kept:
            scan.excluded += int(row[position])
            return None
    above = 0
    if spec.score is not None:
        above = int(row[position + 1] or 0)
        scan.score_missing += int(row[position + 2] or 0)
        if row[position + 3] is not None:
            scan.median = float(row[position + 3])
    n = int(row[position])
    groups = grouper.key([decode(v) for v in row[:k]], n)
    return _RawCell(groups, pred, label, n, above)


def _numbers_where_all_numeric(scan: _Scan) -> None:
    """In a text file, a prediction or label column wholly of numbers holds numbers."""
    predictions = numbers_if_all_numeric(scan.predictions)
    labels = numbers_if_all_numeric(scan.labels)
    if predictions is None and labels is None:
        return

    def convert(counts: dict[Token, int], table: dict[Token, Token]) -> dict[Token, int]:
        out: dict[Token, int] = {}
        for token, n in counts.items():
            new = table.get(token, token)
            out[new] = out.get(new, 0) + n
        return out

    if predictions is not None:
        scan.predictions = convert(scan.predictions, predictions)
    if labels is not None:
        scan.labels = convert(scan.labels, labels)
    scan.cells = [
        _RawCell(
            cell.groups,
            (predictions or {}).get(cell.pred, cell.pred),
            (labels or {}).get(cell.label, cell.label) if cell.label is not None else None,
            cell.n,
            cell.above,
        )
        for cell in scan.cells
    ]


def _mappings(
    scan: _Scan, spec: FairnessSpec, where: str
) -> tuple[BinaryMapping, BinaryMapping | None]:
    """The 1/0 mapping of the prediction column, and of the label column when there is one."""
    prediction_mapping = build_mapping(
        scan.predictions,
        column=spec.prediction,
        role="prediction",
        positive=spec.positive,
        negative=spec.negative,
        positive_option=spec.option("positive"),
        negative_option=spec.option("negative"),
        where=where,
    )
    if spec.label is None:
        return prediction_mapping, None
    label_mapping = build_mapping(
        scan.labels,
        column=spec.label,
        role="label",
        positive=spec.label_positive,
        negative=spec.label_negative,
        positive_option=spec.option("label_positive"),
        negative_option=spec.option("label_negative"),
        where=where,
    )
    return prediction_mapping, label_mapping


def _fold(
    raw: list[_RawCell],
    prediction_mapping: BinaryMapping,
    label_mapping: BinaryMapping | None,
) -> dict[tuple[str | None, ...], Counts]:
    """Confusion counts per combination of attribute groups (None where a value is unknown)."""
    cells: dict[tuple[str | None, ...], Counts] = {}
    for cell in raw:
        selected = cell.n if cell.pred in prediction_mapping.positive else 0
        positives = 0
        if label_mapping is not None and cell.label in label_mapping.positive:
            positives = cell.n
        cells.setdefault(cell.groups, Counts()).add(
            Counts(
                n=cell.n,
                selected=selected,
                positives=positives,
                true_positives=cell.n if (selected and positives) else 0,
                above_median=cell.above,
            )
        )
    return cells


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
