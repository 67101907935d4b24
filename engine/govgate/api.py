"""The public API for plugin authors: everything a plugin may import from govgate, and nothing else.

Third-party plugins and govgate's own built-in collectors are written against this module (and
the helpers in `govgate.support`); anything else in `govgate` is internal and may change
without notice. docs/plugins.md documents each name; a test keeps the two in step.
"""

from __future__ import annotations

from govgate import __version__, hookimpl
from govgate.analysis.aggregate import (
    AggregationBackend,
    AggregationError,
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

__all__ = [
    "AggregationBackend",
    "AggregationError",
    "CollectContext",
    "Collector",
    "CollectorError",
    "Evidence",
    "EvidenceKind",
    "InputError",
    "RegisteredSource",
    "Reporter",
    "SqlDialect",
    "TableSource",
    "__version__",
    "condense",
    "format_timestamp",
    "hookimpl",
    "redact_json",
    "redact_text",
    "used_parameters",
]
