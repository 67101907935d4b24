"""The public API for plugin authors: everything a plugin may import from govgate, and nothing else.

Third-party plugins and govgate's own built-in collectors are written against this module (and
the helpers in `govgate.support`); anything else in `govgate` is internal and may change
without notice. docs/plugins.md documents each name; a test keeps the two in step.

Importing this module stays cheap (every run and the commit hook load the plugins that import
it): engines (DuckDB) are imported when first used, and the fairness analysis, with
`FairnessSpec`, when first asked for.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from govgate import __version__, hookimpl
from govgate.analysis.aggregate import (
    AggregationBackend,
    AggregationError,
    DuckDBBackend,
    RegisteredSource,
    SqlDialect,
    TableSource,
    condense,
    used_parameters,
)
from govgate.core.collector import CollectContext, Collector, EvidenceKind
from govgate.core.evidence import Evidence, format_timestamp
from govgate.core.reporter import Reporter
from govgate.support.errors import CollectorError, InputError
from govgate.support.pii import redact_json, redact_text

if TYPE_CHECKING:
    from govgate.analysis.fairness import FairnessSpec

__all__ = [
    "AggregationBackend",
    "AggregationError",
    "CollectContext",
    "Collector",
    "CollectorError",
    "DuckDBBackend",
    "Evidence",
    "EvidenceKind",
    "FairnessSpec",
    "InputError",
    "RegisteredSource",
    "Reporter",
    "SqlDialect",
    "TableSource",
    "__version__",
    "analyse_fairness",
    "condense",
    "format_timestamp",
    "hookimpl",
    "redact_json",
    "redact_text",
    "used_parameters",
]


def analyse_fairness(
    source: TableSource, spec: FairnessSpec, *, backend: AggregationBackend | None = None
) -> dict[str, Any]:
    """The `govgate/fairness/v1` document (docs/fairness.md) of one source of predictions.

    `spec` names the prediction, label and score columns, the protected attributes and how
    values map to 1/0. The cell counts are computed by `backend` where the data is (an
    in-process DuckDB opened and closed for the call when None); the metrics are computed
    from those counts. Raises `InputError` for data that cannot be read,
    `govgate.support.errors.UsageError` for a spec that does not fit the data (a missing
    column, an unmapped value) and `AggregationError` when the engine fails.
    """
    from govgate.analysis.fairness import analyse_source

    return analyse_source(source, spec, backend=backend)


def __getattr__(name: str) -> Any:
    # PEP 562: `FairnessSpec` comes with the fairness analysis, imported on first use only.
    if name == "FairnessSpec":
        from govgate.analysis.fairness import FairnessSpec

        return FairnessSpec
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
