"""The CycloneDX 1.6 ML-BOM `govgate bom` writes, and its validation against the 1.6 schema.

Built from what govgate knows (govgate.run.bom): the system from govgate.yaml, a
`machine-learning-model` component per model card and per MLflow registered model, a `data`
component per datasheet. Only what those sources state is written; a field they leave out stays
out of the BOM (and `missing` says so), so the BOM's completeness is the sources'.
cyclonedx-python-lib has no model for model cards, so the document is built as JSON and
validated with the library's strict 1.6 JSON Schema validator.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from govgate import __version__
from govgate.core.evidence import Evidence, format_timestamp
from govgate.support.errors import UsageError

_SHA256 = re.compile(r"^[0-9a-fA-F]{64}$")
_TITLE_PREFIX = re.compile(r"^\s*(model card|datasheet)\s*[:\-–—]\s*", re.IGNORECASE)


class InvalidBom(UsageError):
    """The BOM does not validate against the CycloneDX 1.6 schema."""


@dataclass
class MlBom:
    """The document, and what the sources did not say (one line each)."""

    document: dict[str, Any]
    missing: list[str] = field(default_factory=list)

    def to_text(self) -> str:
        return json.dumps(self.document, indent=2, ensure_ascii=False) + "\n"


def _text(value: object) -> str | None:
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        text = str(value).strip()
        return text or None
    return None


def _name(data: Mapping[str, Any], fallback: str) -> str:
    front = data.get("front_matter") or {}
    for key in ("name", "model_name", "dataset"):
        if _text(front.get(key)):
            return str(_text(front.get(key)))
    title = _text(data.get("title"))
    return _TITLE_PREFIX.sub("", title) if title else fallback


def _section_pointer(item: Evidence, data: Mapping[str, Any], key: str) -> list[str]:
    section = (data.get("sections") or {}).get(key) or {}
    if not section.get("present"):
        return []
    return [f"see {item.source.path}, section '{section['heading']}' (line {section['line']})"]


def _model_from_card(item: Evidence, index: int, missing: list[str]) -> dict[str, Any]:
    data = item.data if isinstance(item.data, dict) else {}
    front = data.get("front_matter") or {}
    name = _name(data, f"model {index + 1}")
    component: dict[str, Any] = {
        "type": "machine-learning-model",
        "bom-ref": f"model:{item.source.path}",
        "name": name,
    }
    version = _text(front.get("version"))
    if version:
        component["version"] = version
    supplier = _text(front.get("supplier")) or _text(front.get("owner"))
    if supplier:
        component["supplier"] = {"name": supplier}
    license_name = _text(front.get("license"))
    if license_name:
        component["licenses"] = [{"license": {"name": license_name}}]
    digest = _text(front.get("sha256"))
    if digest and _SHA256.match(digest):
        component["hashes"] = [{"alg": "SHA-256", "content": digest.lower()}]
    elif digest:
        missing.append(f"model {name}: sha256 {digest!r} in {item.source.path} is no SHA-256")
    card: dict[str, Any] = {}
    task = _text(front.get("task"))
    if task:
        card["modelParameters"] = {"task": task}
    metrics = front.get("metrics")
    if isinstance(metrics, dict) and metrics:
        card["quantitativeAnalysis"] = {
            "performanceMetrics": [
                {"type": str(key), "value": str(value)} for key, value in metrics.items()
            ]
        }
    limitations = _section_pointer(item, data, "considerations")
    if limitations:
        card["considerations"] = {"technicalLimitations": limitations}
    if card:
        component["modelCard"] = card
    component["externalReferences"] = [
        {"type": "documentation", "url": str(item.source.path), "comment": "model card"}
    ]
    for label, present in (
        ("version", version),
        ("supplier", supplier),
        ("license", license_name),
        ("sha256", digest),
        ("task", task),
        ("metrics", card.get("quantitativeAnalysis")),
    ):
        if not present:
            missing.append(f"model {name}: the model card ({item.source.path}) states no {label}")
    return component


def _models_from_mlflow(item: Evidence) -> list[dict[str, Any]]:
    data = item.data if isinstance(item.data, dict) else {}
    components = []
    for model in data.get("models") or []:
        version = model.get("production_version")
        component: dict[str, Any] = {
            "type": "machine-learning-model",
            "bom-ref": f"mlflow:{model.get('name')}",
            "name": str(model.get("name")),
        }
        if version is not None:
            component["version"] = str(version)
        run = model.get("production_run") or {}
        properties = [{"name": "mlflow:production_via", "value": str(model.get("production_via"))}]
        if run.get("run_id"):
            properties.append({"name": "mlflow:run_id", "value": str(run["run_id"])})
        component["properties"] = properties
        metrics = {k: v for k, v in (run.get("metrics") or {}).items() if v is not None}
        if metrics:
            component["modelCard"] = {
                "quantitativeAnalysis": {
                    "performanceMetrics": [
                        {"type": str(k), "value": str(v)} for k, v in sorted(metrics.items())
                    ]
                }
            }
        components.append(component)
    return components


def _dataset(item: Evidence, missing: list[str]) -> dict[str, Any]:
    data = item.data if isinstance(item.data, dict) else {}
    front = data.get("front_matter") or {}
    name = _name(data, str(item.source.path))
    dataset: dict[str, Any] = {"type": "dataset", "name": name}
    owner = _text(front.get("owner"))
    if owner:
        dataset["governance"] = {"owners": [{"organization": {"name": owner}}]}
    classification = _text(front.get("classification"))
    if classification:
        dataset["classification"] = classification
    sensitive = front.get("sensitive_data")
    if isinstance(sensitive, list):
        dataset["sensitiveData"] = [str(s) for s in sensitive]
    origin = _section_pointer(item, data, "origin")
    if origin:
        dataset["description"] = origin[0]
    for label, present in (
        ("owner", owner),
        ("classification", classification),
        ("sensitive_data", isinstance(sensitive, list)),
    ):
        if not present:
            missing.append(f"dataset {name}: the datasheet ({item.source.path}) states no {label}")
    component: dict[str, Any] = {
        "type": "data",
        "bom-ref": f"dataset:{item.source.path}",
        "name": name,
        "data": [dataset],
        "externalReferences": [
            {"type": "documentation", "url": str(item.source.path), "comment": "datasheet"}
        ],
    }
    license_name = _text(front.get("license"))
    if license_name:
        component["licenses"] = [{"license": {"name": license_name}}]
    return component


def build_ml_bom(
    system: Mapping[str, Any], evidence: list[Evidence], timestamp: datetime | None
) -> MlBom:
    """The ML-BOM of one system from its model cards, datasheets and MLflow registry, dated
    `timestamp` (left out when None: the metadata field is optional)."""
    missing: list[str] = []
    models: list[dict[str, Any]] = []
    datasets: list[dict[str, Any]] = []
    for item in evidence:
        if item.problem:
            missing.append(f"{item.kind} {item.source.path or item.subject}: {item.problem}")
        elif item.kind == "model_card":
            models.append(_model_from_card(item, len(models), missing))
        elif item.kind == "mlflow.registered_models":
            models.extend(_models_from_mlflow(item))
        elif item.kind == "datasheet":
            datasets.append(_dataset(item, missing))
    if not models:
        missing.insert(0, "no model: no model card and no MLflow registered model was found")
    refs = [{"ref": d["bom-ref"]} for d in datasets]
    for model in models:
        if refs and model["bom-ref"].startswith("model:"):
            card = model.setdefault("modelCard", {})
            card.setdefault("modelParameters", {})["datasets"] = refs
    application: dict[str, Any] = {
        "type": "application",
        "bom-ref": "system",
        "name": str(system.get("name") or "system"),
    }
    if _text(system.get("version")):
        application["version"] = str(_text(system.get("version")))
    if _text(system.get("description")):
        application["description"] = str(_text(system.get("description")))
    if _text(system.get("owner")):
        application["supplier"] = {"name": str(_text(system.get("owner")))}
    document = {
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "version": 1,
        "metadata": {
            **({"timestamp": format_timestamp(timestamp)} if timestamp is not None else {}),
            "tools": {
                "components": [{"type": "application", "name": "govgate", "version": __version__}]
            },
            "component": application,
        },
        "components": [*models, *datasets],
        "dependencies": [
            {"ref": "system", "dependsOn": [c["bom-ref"] for c in models]},
            *(
                {"ref": m["bom-ref"], "dependsOn": [r["ref"] for r in refs]}
                for m in models
                if m["bom-ref"].startswith("model:")
            ),
        ],
    }
    return MlBom(document, missing)


def validate_cyclonedx_16(text: str) -> None:
    """Raise InvalidBom unless TEXT validates against the CycloneDX 1.6 JSON Schema."""
    from cyclonedx.schema import SchemaVersion  # lazily: only `govgate bom` needs it
    from cyclonedx.validation.json import JsonStrictValidator

    error = JsonStrictValidator(SchemaVersion.V1_6).validate_str(text)
    if error is not None:
        data = error.data
        where = "/".join(str(p) for p in getattr(data, "absolute_path", ())) or "(root)"
        message = str(getattr(data, "message", data)).splitlines()[0]
        raise InvalidBom(f"the BOM is not valid CycloneDX 1.6 at {where}: {message[:300]}")
