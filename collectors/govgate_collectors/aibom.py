"""The `aibom` collector: AI bills of materials (CycloneDX 1.5/1.6 ML-BOMs, SPDX 3.0 AI and
Dataset packages) as `ai.bom` items, with how complete their model and dataset records are.

A BOM that says a model exists but not who supplied it, under which licence, trained on what,
or how well it performs shows little; `completeness` is the share of the checks below that
the BOM's models and datasets meet, and `missing` names each gap, so a rule can gate on both.
A CycloneDX BOM is validated against its specVersion's JSON Schema (cyclonedx-python-lib,
imported only when a CycloneDX BOM is read); one that does not validate is unusable.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from govgate.api import CollectContext, Collector, Evidence, EvidenceKind, hookimpl

DEFAULT_PATHS = (
    "**/*.cdx.json",
    "**/bom.json",
    "**/*.bom.json",
    "**/*.spdx.json",
    "**/*.spdx3.json",
    "**/*.spdx.jsonld",
)
MAX_BOM_BYTES = 64 * 1024 * 1024
#: What each model and each dataset should record; completeness is the share met.
MODEL_CHECKS = (
    "version",
    "supplier",
    "license",
    "hashes",
    "task",
    "training_data",
    "performance_metrics",
    "limitations",
)
DATASET_CHECKS = ("description", "origin", "license", "classification", "sensitive_data")
MAX_LISTED = 100

_COUNT = {"type": "integer", "minimum": 0}
_ENTRY = {
    "type": "object",
    "required": ["name", "version", "missing"],
    "additionalProperties": False,
    "properties": {
        "name": {"type": "string"},
        "version": {"type": ["string", "null"]},
        "missing": {"type": "array", "items": {"type": "string"}},
    },
}
AI_BOM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": [
        "format",
        "spec_version",
        "path",
        "components",
        "models",
        "datasets",
        "completeness",
        "missing",
    ],
    "properties": {
        "format": {"enum": ["cyclonedx", "spdx"]},
        "spec_version": {"type": ["string", "null"]},
        "path": {"type": "string"},
        "components": _COUNT,
        "models": {"type": "array", "maxItems": MAX_LISTED, "items": _ENTRY},
        "datasets": {"type": "array", "maxItems": MAX_LISTED, "items": _ENTRY},
        "completeness": {"type": "number", "minimum": 0, "maximum": 1},
        "datasets_completeness": {"type": ["number", "null"], "minimum": 0, "maximum": 1},
        "missing": {"type": "array", "items": {"type": "string"}},
    },
}
SETTINGS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "paths": {"oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]}
    },
}


class BomProblem(Exception):
    """A BOM that cannot be used as evidence."""


def _obj(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


def _has(value: object) -> bool:
    """Whether a field says something: not missing, not empty, not blank."""
    if isinstance(value, str):
        return bool(value.strip())
    if isinstance(value, list | dict):
        return bool(value)
    return value is not None


def _entry(name: object, version: object, met: Mapping[str, bool]) -> dict[str, Any]:
    return {
        "name": str(name or "(unnamed)"),
        "version": str(version) if _has(version) else None,
        "missing": [check for check, ok in met.items() if not ok],
    }


# ---- CycloneDX ---------------------------------------------------------------------------------


def _cdx_components(components: object) -> Iterable[dict[str, Any]]:
    for component in _list(components):
        if isinstance(component, dict):
            yield component
            yield from _cdx_components(component.get("components"))


def _cdx_validate(document: Mapping[str, Any], text: str) -> None:
    from cyclonedx.schema import SchemaVersion  # lazily: only when a CycloneDX BOM is read
    from cyclonedx.validation.json import JsonStrictValidator

    spec = str(document.get("specVersion") or "")
    try:
        version = SchemaVersion.from_version(spec)
    except ValueError:
        raise BomProblem(f"specVersion {spec!r} is no CycloneDX version") from None
    if version < SchemaVersion.V1_5:
        raise BomProblem(f"CycloneDX {spec} has no machine-learning-model components (1.5+)")
    error = JsonStrictValidator(version).validate_str(text)
    if error is not None:
        data = error.data
        where = "/".join(str(p) for p in getattr(data, "absolute_path", ())) or "(root)"
        message = getattr(data, "message", str(data)).splitlines()[0]
        raise BomProblem(f"not valid CycloneDX {spec} at {where}: {message[:200]}")


def _cdx_dataset(component: Mapping[str, Any], data: Mapping[str, Any]) -> dict[str, Any]:
    met = {
        "description": _has(component.get("description")) or _has(data.get("description")),
        "origin": _has(data.get("contents")) or _has(data.get("governance")),
        "license": _has(component.get("licenses")),
        "classification": _has(data.get("classification")),
        "sensitive_data": "sensitiveData" in data,
    }
    return _entry(data.get("name") or component.get("name"), component.get("version"), met)


def _cdx_model(component: Mapping[str, Any], refs: set[str]) -> tuple[dict[str, Any], list[str]]:
    card = _obj(component.get("modelCard"))
    parameters = _obj(card.get("modelParameters"))
    datasets = _list(parameters.get("datasets"))
    dangling = [
        str(d["ref"])
        for d in datasets
        if isinstance(d, dict) and "ref" in d and d["ref"] not in refs
    ]
    considerations = _obj(card.get("considerations"))
    met = {
        "version": _has(component.get("version")),
        "supplier": any(
            _has(component.get(key))
            for key in ("supplier", "manufacturer", "authors", "author", "publisher")
        ),
        "license": _has(component.get("licenses")),
        "hashes": _has(component.get("hashes")),
        "task": _has(parameters.get("task")),
        "training_data": bool(datasets) and not dangling,
        "performance_metrics": _has(
            _obj(card.get("quantitativeAnalysis")).get("performanceMetrics")
        ),
        "limitations": any(
            _has(considerations.get(key))
            for key in ("technicalLimitations", "ethicalConsiderations", "fairnessAssessments")
        ),
    }
    return _entry(component.get("name"), component.get("version"), met), dangling


def read_cyclonedx(document: Mapping[str, Any], text: str) -> dict[str, Any]:
    """The parts of an `ai.bom` item a CycloneDX BOM gives."""
    _cdx_validate(document, text)
    components = list(_cdx_components(document.get("components")))
    if isinstance(document.get("metadata"), dict):
        root = document["metadata"].get("component")
        components.extend(_cdx_components([root]) if isinstance(root, dict) else [])
    refs = {str(c["bom-ref"]) for c in components if "bom-ref" in c}
    models: list[dict[str, Any]] = []
    datasets: list[dict[str, Any]] = []
    notes: list[str] = []
    for component in components:
        if component.get("type") == "machine-learning-model":
            entry, dangling = _cdx_model(component, refs)
            models.append(entry)
            notes.extend(
                f"model {entry['name']}: dataset ref {ref} is in no component" for ref in dangling
            )
            card = _obj(component.get("modelCard"))
            for data in _list(_obj(card.get("modelParameters")).get("datasets")):
                if isinstance(data, dict) and "ref" not in data:
                    datasets.append(_cdx_dataset({}, data))
        elif component.get("type") == "data":
            contents = _list(component.get("data"))
            for data in contents or [{}]:
                datasets.append(_cdx_dataset(component, _obj(data)))
    return {
        "format": "cyclonedx",
        "spec_version": str(document.get("specVersion")),
        "components": len(components),
        "models": models,
        "datasets": datasets,
        "notes": notes,
    }


# ---- SPDX 3.0 ----------------------------------------------------------------------------------


def _spdx_elements(document: Mapping[str, Any]) -> list[dict[str, Any]]:
    graph = document.get("@graph", document.get("elements"))
    if not isinstance(graph, list):
        raise BomProblem("an SPDX 3.0 document without an @graph list of elements")
    return [e for e in graph if isinstance(e, dict)]


def _kind(element: Mapping[str, Any]) -> str:
    value = element.get("type", element.get("@type", ""))
    return str(value).rsplit("/", 1)[-1].removeprefix("ai_").removeprefix("dataset_")


def read_spdx(document: Mapping[str, Any]) -> dict[str, Any]:
    """The parts of an `ai.bom` item an SPDX 3.0 document gives."""
    elements = _spdx_elements(document)
    related: dict[tuple[str, str], list[str]] = {}
    for element in elements:
        if _kind(element) == "Relationship":
            targets = _list(element.get("to"))
            key = (str(element.get("from")), str(element.get("relationshipType")))
            related.setdefault(key, []).extend(str(t) for t in targets)

    def has_relation(element: Mapping[str, Any], *types: str) -> bool:
        ident = str(element.get("spdxId", element.get("@id")))
        return any(related.get((ident, kind)) for kind in types)

    models: list[dict[str, Any]] = []
    datasets: list[dict[str, Any]] = []
    packages = 0
    for element in elements:
        kind = _kind(element)
        if kind in ("AIPackage", "DatasetPackage", "Package", "software_Package"):
            packages += 1
        name, version = element.get("name"), element.get("software_packageVersion")
        if kind == "AIPackage":
            met = {
                "version": _has(version),
                "supplier": _has(element.get("suppliedBy")) or _has(element.get("originatedBy")),
                "license": has_relation(element, "hasDeclaredLicense", "hasConcludedLicense"),
                "hashes": _has(element.get("verifiedUsing")),
                "task": _has(element.get("ai_typeOfModel"))
                or _has(element.get("software_primaryPurpose")),
                "training_data": has_relation(element, "trainedOn")
                or _has(element.get("ai_informationAboutTraining")),
                "performance_metrics": _has(element.get("ai_metric")),
                "limitations": _has(element.get("ai_limitation"))
                or _has(element.get("ai_safetyRiskAssessment")),
            }
            models.append(_entry(name, version, met))
        elif kind == "DatasetPackage":
            met = {
                "description": _has(element.get("description")) or _has(element.get("summary")),
                "origin": _has(element.get("dataset_dataCollectionProcess"))
                or _has(element.get("originatedBy"))
                or _has(element.get("software_downloadLocation")),
                "license": has_relation(element, "hasDeclaredLicense", "hasConcludedLicense"),
                "classification": _has(element.get("dataset_confidentialityLevel")),
                "sensitive_data": "dataset_hasSensitivePersonalInformation" in element,
            }
            datasets.append(_entry(name, version, met))
    context = document.get("@context")
    return {
        "format": "spdx",
        "spec_version": "3.0" if "3.0" in str(context) else None,
        "components": packages,
        "models": models,
        "datasets": datasets,
        "notes": [],
    }


def is_spdx3(document: object) -> bool:
    return isinstance(document, dict) and "spdx.org/rdf/3" in str(document.get("@context", ""))


def _least_complete(entries: list[dict[str, Any]], checks: tuple[str, ...]) -> float | None:
    """The share of `checks` met by the least complete entry; None without entries."""
    if not entries:
        return None
    return round(min((len(checks) - len(e["missing"])) / len(checks) for e in entries), 4)


def bom_data(parts: Mapping[str, Any], path: str) -> dict[str, Any]:
    """The `ai.bom` data: the format's parts, completeness and what is missing."""
    missing: list[str] = []
    for label, entries in (("model", parts["models"]), ("dataset", parts["datasets"])):
        for entry in entries:
            missing.extend(f"{label} {entry['name']}: {check}" for check in entry["missing"])
    if not parts["models"]:
        missing.insert(0, "no machine-learning model in the BOM")
    # The least complete entry decides: averaged, ten complete datasets would cover for a
    # model that records nothing. Models and datasets are scored apart, each by its minimum.
    completeness = _least_complete(parts["models"], MODEL_CHECKS)
    datasets_completeness = _least_complete(parts["datasets"], DATASET_CHECKS)
    return {
        "format": parts["format"],
        "spec_version": parts["spec_version"],
        "path": path,
        "components": parts["components"],
        "models": parts["models"][:MAX_LISTED],
        "datasets": parts["datasets"][:MAX_LISTED],
        "completeness": completeness if completeness is not None else 0.0,
        "datasets_completeness": datasets_completeness,
        "missing": [*missing, *parts["notes"]],
    }


def read_bom(text: str) -> dict[str, Any] | None:
    """The format's parts of one BOM, None for a JSON file that is no AI BOM format."""
    try:
        document = json.loads(text)
    except ValueError as exc:
        raise BomProblem(f"not JSON: {exc}") from None
    if isinstance(document, dict) and document.get("bomFormat") == "CycloneDX":
        return read_cyclonedx(document, text)
    if is_spdx3(document):
        assert isinstance(document, dict)
        return read_spdx(document)
    if isinstance(document, dict) and str(document.get("spdxVersion", "")).startswith("SPDX-2"):
        raise BomProblem(f"{document['spdxVersion']} has no AI or Dataset packages (SPDX 3.0+)")
    return None


def _paths(ctx: CollectContext) -> list[str]:
    value = ctx.settings.get("paths", list(DEFAULT_PATHS))
    return [value] if isinstance(value, str) else list(value)


class AiBomCollector(Collector):
    name = "aibom"
    # 1.1.0: completeness is the least complete model's, datasets_completeness the least
    # complete dataset's (an average let complete datasets hide an empty model).
    version = "1.1.0"
    description = "AI bills of materials (CycloneDX ML-BOM, SPDX 3.0 AI) and their completeness"
    kinds = (
        EvidenceKind(
            "ai.bom",
            "aibom",
            AI_BOM_SCHEMA,
            description="one AI bill of materials: its models, datasets and completeness",
        ),
    )
    settings_schema = SETTINGS_SCHEMA

    def input_patterns(self, ctx: CollectContext) -> list[str]:
        return _paths(ctx)

    def collect(self, ctx: CollectContext) -> Iterable[Evidence]:
        for rel, path in ctx.iter_files(_paths(ctx)):
            try:
                if path.stat().st_size > MAX_BOM_BYTES:
                    raise BomProblem(f"larger than {MAX_BOM_BYTES} bytes; not read")
                parts = read_bom(path.read_bytes().decode("utf-8-sig"))
            except (BomProblem, UnicodeDecodeError, OSError) as exc:
                message = f"unusable AI BOM: {exc}"
                ctx.problem(rel, None, message, level="error")
                kind = "spdx" if "spdx" in rel.lower() else "cyclonedx"
                empty = {"format": kind, "spec_version": None, "components": 0}
                data = bom_data({**empty, "models": [], "datasets": [], "notes": []}, rel)
                yield ctx.evidence("ai.bom", subject=rel, data=data, path=rel, problem=message)
                continue
            if parts is None:
                ctx.problem(rel, None, "not a CycloneDX or SPDX 3.0 document; ignored")
                continue
            yield ctx.evidence("ai.bom", subject=rel, data=bom_data(parts, rel), path=rel)


@hookimpl
def govgate_collectors() -> Sequence[type[Collector]]:
    return [AiBomCollector]
