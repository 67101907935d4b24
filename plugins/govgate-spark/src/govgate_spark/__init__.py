"""govgate-spark: an aggregation backend that runs govgate's shared SQL on Apache Spark.

`backend: spark` in govgate.yaml selects it; `backend_settings` carries the master URL, the
application name, Spark configuration and the lake URIs of decision logs and predictions
(docs/scale.md). pyspark is imported only when a collector first needs the backend.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, ClassVar

from govgate.api import hookimpl

__version__ = "0.1.0"


_LAKE_PATHS: dict[str, Any] = {
    "type": ["string", "array"],
    "minLength": 1,
    "items": {"type": "string", "minLength": 1},
}


def _lake_source(formats: list[str]) -> dict[str, Any]:
    """A lake location: URIs, or {paths (or path), format} (one schema rather than a choice
    of two, so that a misspelled key is named with a did-you-mean)."""
    return {
        **_LAKE_PATHS,
        "type": ["string", "array", "object"],
        "additionalProperties": False,
        "properties": {"paths": _LAKE_PATHS, "path": _LAKE_PATHS, "format": {"enum": formats}},
    }


class SparkFactory:
    """The factory registered under `spark`: starts (or joins) a SparkSession."""

    #: `backend_settings` with `backend: spark` (docs/scale.md), checked by govgate when
    #: govgate.yaml is loaded: a misspelled key is exit 2 naming its line. SparkBackend and the
    #: collectors check what a schema cannot (a master URL Spark understands, reachable).
    settings_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "master": {"type": "string", "minLength": 1},
            "app_name": {"type": "string", "minLength": 1},
            "conf": {
                "type": "object",
                "additionalProperties": {"type": ["string", "number", "boolean"]},
            },
            "connect_timeout": {"type": "number", "exclusiveMinimum": 0},
            "decision_logs": _lake_source(["jsonl", "parquet"]),
            "predictions": {
                "type": "object",
                "additionalProperties": _lake_source(["parquet", "jsonl", "csv"]),
            },
        },
    }

    def __call__(self, settings: Mapping[str, Any]) -> Any:
        from govgate_spark.backend import SparkBackend

        return SparkBackend(settings)


spark_backend = SparkFactory()


@hookimpl
def govgate_aggregation_backends() -> dict[str, Callable[..., Any]]:
    return {"spark": spark_backend}
