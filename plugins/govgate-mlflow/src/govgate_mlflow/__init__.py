"""govgate-mlflow: model-lifecycle evidence from a local MLflow tracking store.

A govgate plugin (entry point `mlflow` in the group `govgate`). It contributes one collector,
`mlflow`, producing the evidence kind `mlflow.registered_models`; see README.md.
"""

from __future__ import annotations

from collections.abc import Sequence

from govgate.api import Collector, hookimpl

__version__ = "0.1.0"


@hookimpl
def govgate_collectors() -> Sequence[type[Collector]]:
    # Imported here so that merely loading the plugin (`govgate plugins`) stays cheap.
    from govgate_mlflow.collector import MlflowCollector

    return [MlflowCollector]
