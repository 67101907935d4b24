"""JSON Schema of the evidence kind `mlflow.registered_models` (what lifecycle rules may read)."""

from __future__ import annotations

from typing import Any

KIND = "mlflow.registered_models"

_TIMESTAMP: dict[str, Any] = {
    "type": ["string", "null"],
    "description": "RFC 3339 UTC, from MLflow's epoch milliseconds.",
}

VERSION_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": [
        "version",
        "stage",
        "aliases",
        "run_id",
        "source",
        "status",
        "creation_time",
        "last_updated",
    ],
    "properties": {
        "version": {"type": "integer", "minimum": 1},
        "stage": {
            "type": "string",
            "description": "Legacy registry stage: None, Staging, Production or Archived.",
        },
        "aliases": {"type": "array", "items": {"type": "string"}},
        "run_id": {"type": ["string", "null"]},
        "source": {
            "type": ["string", "null"],
            "description": "Artifact source; local paths are relative to the repository, "
            "paths outside it start with <outside-repo>/.",
        },
        "status": {"type": ["string", "null"]},
        "creation_time": _TIMESTAMP,
        "last_updated": _TIMESTAMP,
    },
}

RUN_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": [
        "run_id",
        "experiment",
        "status",
        "metrics",
        "params",
        "start_time",
        "end_time",
        "lineage_ok",
        "lineage_problem",
    ],
    "properties": {
        "run_id": {"type": ["string", "null"]},
        "experiment": {"type": ["string", "null"]},
        "status": {"type": ["string", "null"], "description": "FINISHED, FAILED, RUNNING, ..."},
        "metrics": {
            "type": "object",
            "additionalProperties": {"type": ["number", "null"]},
            "description": "Latest value of each metric (highest step); NaN is null.",
        },
        "params": {"type": "object", "additionalProperties": {"type": "string"}},
        "start_time": _TIMESTAMP,
        "end_time": _TIMESTAMP,
        "lineage_ok": {
            "type": "boolean",
            "description": "The run exists, is not deleted, and the version's source is that "
            "run's artifact (runs:/RUN/..., a logged model of the run, or a path under the "
            "run's artifact location).",
        },
        "lineage_problem": {"type": ["string", "null"]},
    },
}

REGISTERED_MODELS_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": KIND,
    "type": "object",
    "additionalProperties": False,
    "required": ["tracking_uri", "store", "models"],
    "properties": {
        "tracking_uri": {
            "type": "string",
            "description": "The store read, relative to the repository (never an absolute path "
            "outside it; credentials are stripped from remote URIs).",
        },
        "store": {"enum": ["file", "sqlite", "client"]},
        "models": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": [
                    "name",
                    "versions",
                    "production_version",
                    "production_via",
                    "production_run",
                ],
                "properties": {
                    "name": {"type": "string"},
                    "versions": {"type": "array", "items": VERSION_SCHEMA},
                    "production_version": {"type": ["integer", "null"]},
                    "production_via": {
                        "type": ["string", "null"],
                        "description": "alias:NAME or stage:Production; null when no version "
                        "is in production.",
                    },
                    "production_run": {"oneOf": [{"type": "null"}, RUN_SCHEMA]},
                },
            },
        },
    },
}
