"""The aibom collector: CycloneDX ML-BOMs validated against their schema and SPDX 3.0 AI and
Dataset packages, each with a completeness score and the gaps named; and a BOM written by
`govgate bom` reads back as evidence."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from govgate_collectors.aibom import DATASET_CHECKS, MODEL_CHECKS, AiBomCollector
from jsonschema import Draft202012Validator

from govgate.core.collector import CollectContext, Diagnostic, RepoFiles

SHA = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

#: A complete CycloneDX 1.6 ML-BOM: one model with its card, one dataset.
COMPLETE_CDX: dict[str, Any] = {
    "bomFormat": "CycloneDX",
    "specVersion": "1.6",
    "version": 1,
    "components": [
        {
            "type": "machine-learning-model",
            "bom-ref": "model-1",
            "name": "support-intent-classifier",
            "version": "1.4.0",
            "supplier": {"name": "Acme Retail"},
            "licenses": [{"license": {"id": "Apache-2.0"}}],
            "hashes": [{"alg": "SHA-256", "content": SHA}],
            "modelCard": {
                "modelParameters": {
                    "task": "text-classification",
                    "datasets": [{"ref": "data-1"}],
                },
                "quantitativeAnalysis": {
                    "performanceMetrics": [{"type": "accuracy", "value": "0.91"}]
                },
                "considerations": {"technicalLimitations": ["English only"]},
            },
        },
        {
            "type": "data",
            "bom-ref": "data-1",
            "name": "support-tickets-2026",
            "licenses": [{"license": {"name": "proprietary"}}],
            "data": [
                {
                    "type": "dataset",
                    "name": "support-tickets-2026",
                    "description": "Resolved tickets, Jan-Jun 2026",
                    "classification": "confidential",
                    "sensitiveData": ["customer e-mail addresses, masked"],
                    "governance": {"owners": [{"organization": {"name": "Support Ops"}}]},
                }
            ],
        },
    ],
}

SPDX3: dict[str, Any] = {
    "@context": "https://spdx.org/rdf/3.0.1/spdx-context.jsonld",
    "@graph": [
        {
            "type": "ai_AIPackage",
            "spdxId": "urn:acme:model",
            "name": "support-llm-adapter",
            "software_packageVersion": "2.0",
            "suppliedBy": ["urn:acme:org"],
            "verifiedUsing": [{"type": "Hash", "algorithm": "sha256", "hashValue": SHA}],
            "ai_typeOfModel": ["transformer"],
            "ai_metric": [{"type": "DictionaryEntry", "key": "accuracy", "value": "0.9"}],
        },
        {
            "type": "dataset_DatasetPackage",
            "spdxId": "urn:acme:data",
            "name": "faq-pairs",
            "description": "Question and answer pairs from the public FAQ",
            "dataset_dataCollectionProcess": "exported from the help centre",
            "dataset_confidentialityLevel": "clear",
            "dataset_hasSensitivePersonalInformation": "no",
        },
        {
            "type": "Relationship",
            "spdxId": "urn:acme:rel1",
            "from": "urn:acme:model",
            "relationshipType": "trainedOn",
            "to": ["urn:acme:data"],
        },
        {
            "type": "Relationship",
            "spdxId": "urn:acme:rel2",
            "from": "urn:acme:data",
            "relationshipType": "hasDeclaredLicense",
            "to": ["urn:acme:lic"],
        },
    ],
}


def collect(root: Path) -> tuple[dict[str, Any], list[Diagnostic]]:
    collector = AiBomCollector()
    ctx = CollectContext(
        root=root,
        collector=collector.name,
        collector_version=collector.version,
        kinds=list(collector.kinds),
        settings={},
        system={},
        files=RepoFiles(root),
        now=datetime.now(UTC),
    )
    items = {}
    for item in collector.collect(ctx):
        Draft202012Validator(collector.kinds[0].schema).validate(item.data)
        items[item.source.path] = {"data": item.data, "problem": item.problem}
    return items, ctx.diagnostics


def write(root: Path, rel: str, document: Any) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document), encoding="utf-8")


def test_a_complete_ml_bom_scores_one(tmp_path: Path) -> None:
    write(tmp_path, "bom/assistant.cdx.json", COMPLETE_CDX)
    items, diagnostics = collect(tmp_path)
    data = items["bom/assistant.cdx.json"]["data"]
    assert diagnostics == [] and items["bom/assistant.cdx.json"]["problem"] is None
    assert (data["format"], data["spec_version"], data["components"]) == ("cyclonedx", "1.6", 2)
    assert data["models"] == [
        {"name": "support-intent-classifier", "version": "1.4.0", "missing": []}
    ]
    assert data["datasets"][0]["name"] == "support-tickets-2026"
    assert (data["completeness"], data["missing"]) == (1.0, [])


def test_gaps_lower_the_score_and_are_named(tmp_path: Path) -> None:
    bom = copy.deepcopy(COMPLETE_CDX)
    model = bom["components"][0]
    del model["licenses"], model["hashes"]
    model["modelCard"]["modelParameters"]["datasets"] = [{"ref": "data-9"}]  # no such component
    del bom["components"][1]["data"][0]["sensitiveData"]
    write(tmp_path, "bom.json", bom)
    items, _ = collect(tmp_path)
    data = items["bom.json"]["data"]
    # Scored apart: the model meets 5 of its 8 checks, the dataset 4 of its 5.
    assert data["completeness"] == round((len(MODEL_CHECKS) - 3) / len(MODEL_CHECKS), 4)
    assert data["datasets_completeness"] == round(4 / len(DATASET_CHECKS), 4)
    assert data["missing"] == [
        "model support-intent-classifier: license",
        "model support-intent-classifier: hashes",
        "model support-intent-classifier: training_data",
        "dataset support-tickets-2026: sensitive_data",
        "model support-intent-classifier: dataset ref data-9 is in no component",
    ]


def test_invalid_or_old_cyclonedx_and_spdx_2_are_unusable(tmp_path: Path) -> None:
    invalid = copy.deepcopy(COMPLETE_CDX)
    invalid["components"][0]["type"] = "mlmodel"
    write(tmp_path, "invalid.cdx.json", invalid)
    write(tmp_path, "old.cdx.json", {**COMPLETE_CDX, "specVersion": "1.4", "components": []})
    write(tmp_path, "sbom.spdx.json", {"spdxVersion": "SPDX-2.3", "packages": []})
    (tmp_path / "broken.bom.json").write_text('{"bomFormat": "CycloneDX",', encoding="utf-8")
    items, diagnostics = collect(tmp_path)
    assert items["invalid.cdx.json"]["problem"].startswith(
        "unusable AI BOM: not valid CycloneDX 1.6 at components/0/type: 'mlmodel' is not one of"
    )
    assert items["old.cdx.json"]["problem"] == (
        "unusable AI BOM: CycloneDX 1.4 has no machine-learning-model components (1.5+)"
    )
    assert items["sbom.spdx.json"]["problem"] == (
        "unusable AI BOM: SPDX-2.3 has no AI or Dataset packages (SPDX 3.0+)"
    )
    assert items["broken.bom.json"]["problem"].startswith("unusable AI BOM: not JSON")
    for item in items.values():
        assert item["data"]["completeness"] == 0.0
    assert len([d for d in diagnostics if d.level == "error"]) == 4


def test_a_bom_without_a_model_scores_zero(tmp_path: Path) -> None:
    write(tmp_path, "bom.json", {**COMPLETE_CDX, "components": [COMPLETE_CDX["components"][1]]})
    items, _ = collect(tmp_path)
    data = items["bom.json"]["data"]
    assert data["completeness"] == 0.0
    assert data["missing"][0] == "no machine-learning model in the BOM"


def test_spdx_3_ai_and_dataset_packages(tmp_path: Path) -> None:
    write(tmp_path, "assistant.spdx3.json", SPDX3)
    items, diagnostics = collect(tmp_path)
    data = items["assistant.spdx3.json"]["data"]
    assert diagnostics == []
    assert (data["format"], data["spec_version"], data["components"]) == ("spdx", "3.0", 2)
    assert data["models"] == [
        {"name": "support-llm-adapter", "version": "2.0", "missing": ["license", "limitations"]}
    ]
    assert data["datasets"] == [{"name": "faq-pairs", "version": None, "missing": []}]
    assert data["completeness"] == round((len(MODEL_CHECKS) - 2) / len(MODEL_CHECKS), 4)
    assert data["datasets_completeness"] == 1.0


def test_complete_datasets_do_not_cover_for_an_empty_model(tmp_path: Path) -> None:
    """Averaged over entries, one model recording nothing and ten complete datasets scored
    0.86 and passed; the least complete model decides, and datasets are scored apart."""
    bom = copy.deepcopy(COMPLETE_CDX)
    model = bom["components"][0]
    empty = {"type": "machine-learning-model", "bom-ref": "bare", "name": "bare-model"}
    dataset = bom["components"][1]
    datasets = []
    for n in range(10):
        copy_ = copy.deepcopy(dataset)
        copy_["bom-ref"] = f"{dataset['bom-ref']}-{n}"
        copy_["name"] = f"{dataset['name']}-{n}"
        datasets.append(copy_)
    bom["components"] = [model, empty, *datasets]
    write(tmp_path, "bom.json", bom)
    items, _ = collect(tmp_path)
    data = items["bom.json"]["data"]
    assert data["completeness"] == 0.0
    assert data["datasets_completeness"] == 1.0
    assert "model bare-model: supplier" in data["missing"]


def test_other_json_under_the_paths_is_reported(tmp_path: Path) -> None:
    write(tmp_path, "bom.json", {"name": "not a bom"})
    items, diagnostics = collect(tmp_path)
    assert items == {}
    assert [(d.path, d.message) for d in diagnostics] == [
        ("bom.json", "not a CycloneDX or SPDX 3.0 document; ignored")
    ]


def test_models_nested_in_components_and_inline_datasets_count(tmp_path: Path) -> None:
    model = copy.deepcopy(COMPLETE_CDX["components"][0])
    inline = copy.deepcopy(COMPLETE_CDX["components"][1]["data"][0])
    model["modelCard"]["modelParameters"]["datasets"] = [inline]
    bom = {
        **COMPLETE_CDX,
        "metadata": {"component": {"type": "application", "name": "assistant"}},
        "components": [{"type": "application", "name": "api", "components": [model]}],
    }
    write(tmp_path, "nested.cdx.json", bom)
    items, diagnostics = collect(tmp_path)
    data = items["nested.cdx.json"]["data"]
    assert diagnostics == []
    assert data["components"] == 3  # api, the model inside it, and metadata.component
    assert [m["name"] for m in data["models"]] == ["support-intent-classifier"]
    # The inline dataset has no component of its own, so no licence of its own either.
    assert data["datasets"] == [
        {"name": "support-tickets-2026", "version": None, "missing": ["license"]}
    ]
