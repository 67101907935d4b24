"""govgate-spark: an aggregation backend that runs govgate's shared SQL on Apache Spark.

`backend: spark` in govgate.yaml selects it; `backend_settings` carries the master URL, the
application name, Spark configuration and the lake URIs of decision logs and predictions
(docs/scale.md). pyspark is imported only when a collector first needs the backend.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from govgate.api import hookimpl

__version__ = "0.1.0"


def spark_backend(settings: Mapping[str, Any]) -> Any:
    """The factory registered under `spark`: starts (or joins) a SparkSession."""
    from govgate_spark.backend import SparkBackend

    return SparkBackend(settings)


@hookimpl
def govgate_aggregation_backends() -> dict[str, Callable[..., Any]]:
    return {"spark": spark_backend}
