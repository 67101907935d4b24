"""Group fairness metrics for bias audits: counts aggregated in SQL, metrics computed in Python.

One scan of the prediction file produces a small table of counts per combination of protected
attributes, prediction and label (`CELL_COUNTS_SQL`, plain SQL that DuckDB and Spark SQL both
accept, over a relation whose columns the loader has renamed to `a0..aN, y_pred, y_true,
score`). Everything else (selection rates, TPR/FPR/FNR/PPV, impact ratios, Wilson intervals,
z-tests and fairlearn's `between_groups` / `to_overall` aggregates) is arithmetic on those
counts, so a group with an undefined rate is `null`, never 0, and the numbers do not depend on
which engine counted. The result is the `govgate/fairness/v1` document (docs/fairness.md).

The modules, in the order the data flows: `rowfilter` (the `--where` language), `spec` (what
to analyse), `mapping` (values as tokens and their 1/0 mapping), `groups` (values to groups:
unknowns, bands, the group limit), `counts` (the SQL and its rows as counts), `metrics`
(statistics and aggregates), `document` (the document) and `analyse` (the entry points).
"""

from govgate.analysis.aggregate import (
    JSONL_SAMPLE_OBJECTS,
    MAX_REJECTED_LISTED,
    register_duckdb_predictions,
)
from govgate.analysis.fairness.analyse import (
    RELATION,
    analyse_files,
    analyse_source,
    compute_cells,
    detect_format,
)
from govgate.analysis.fairness.counts import (
    CELL_COUNTS_SQL,
    CELL_COUNTS_WITH_SCORE_SQL,
    MAX_CELLS,
    CellTable,
    Counts,
    cell_counts_query,
    cell_counts_sql,
    cells_from_rows,
    numeric_aliases,
    prediction_columns,
)
from govgate.analysis.fairness.document import SCHEMA_ID, build_document
from govgate.analysis.fairness.groups import (
    INTERSECTION_SEPARATOR,
    attribute_subsets,
    band_labels,
)
from govgate.analysis.fairness.mapping import (
    BinaryMapping,
    Token,
    attribute_text,
    build_mapping,
    show_token,
    value_token,
)
from govgate.analysis.fairness.metrics import (
    AGGREGATE_KEYS,
    RATE_KEYS,
    Z_95,
    aggregate_metrics,
    two_proportion_p_value,
    wilson_interval,
)
from govgate.analysis.fairness.rowfilter import RowCondition, parse_condition
from govgate.analysis.fairness.spec import (
    DEFAULT_MAX_GROUPS,
    DEFAULT_MIN_SHARE,
    DEFAULT_UNKNOWN_VALUES,
    FairnessSpec,
)

__all__ = [
    "AGGREGATE_KEYS",
    "CELL_COUNTS_SQL",
    "CELL_COUNTS_WITH_SCORE_SQL",
    "DEFAULT_MAX_GROUPS",
    "DEFAULT_MIN_SHARE",
    "DEFAULT_UNKNOWN_VALUES",
    "INTERSECTION_SEPARATOR",
    "JSONL_SAMPLE_OBJECTS",
    "MAX_CELLS",
    "MAX_REJECTED_LISTED",
    "RATE_KEYS",
    "RELATION",
    "SCHEMA_ID",
    "Z_95",
    "BinaryMapping",
    "CellTable",
    "Counts",
    "FairnessSpec",
    "RowCondition",
    "Token",
    "aggregate_metrics",
    "analyse_files",
    "analyse_source",
    "attribute_subsets",
    "attribute_text",
    "band_labels",
    "build_document",
    "build_mapping",
    "cell_counts_query",
    "cell_counts_sql",
    "cells_from_rows",
    "compute_cells",
    "detect_format",
    "numeric_aliases",
    "parse_condition",
    "prediction_columns",
    "register_duckdb_predictions",
    "show_token",
    "two_proportion_p_value",
    "value_token",
    "wilson_interval",
]
