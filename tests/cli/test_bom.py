"""`govgate bom`: a CycloneDX 1.6 ML-BOM from the model card, datasheets and MLflow registry,
valid against the 1.6 schema, with every gap named on stderr; the aibom collector reads it
back with the same completeness."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Callable
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import pytest
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator
from govgate_collectors.aibom import AiBomCollector

from govgate.core.collector import CollectContext, RepoFiles

from conftest import CliResult, RepoBuilder

SHA = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
GOVGATE_YAML = """\
version: 1
system:
  name: support-assistant
  version: 1.4.0
  owner: Customer Support Platform
  risk: limited
  llm: true
packs: [readiness]
"""
MODEL_CARD = f"""\
---
name: support-intent-classifier
version: 1.4.0
supplier: Acme Retail
license: Apache-2.0
task: text-classification
sha256: {SHA}
metrics: {{accuracy: 0.91, macro_f1: 0.87}}
---
# Model card: support intent classifier

## Model details
Routes each customer message to an intent.

## Model parameters and training data
Fine-tuned on the support tickets datasheet.

## Quantitative analysis
Accuracy 0.91 on held-out tickets.

## Considerations and limitations
English only; intents outside the list go to an agent.
"""
DATASHEET = """\
---
owner: Support Operations
classification: confidential
sensitive_data: [customer e-mail addresses, masked before training]
license: proprietary
---
# Datasheet: support tickets 2026

## Origin and collection
Resolved tickets from the helpdesk, January to June 2026.

## Purpose
Training the intent classifier.

## Preparation
E-mail addresses masked, duplicates removed.

## Known gaps and limitations
Few tickets in languages other than English.

## Bias and representativeness
Intents checked against the whole ticket population.
"""


def valid_16(text: str) -> None:
    error = JsonStrictValidator(SchemaVersion.V1_6).validate_str(text)
    assert error is None, error


def read_back(root: Path) -> dict[str, Any]:
    collector = AiBomCollector()
    ctx = CollectContext(
        root=root,
        collector=collector.name,
        collector_version=collector.version,
        kinds=list(collector.kinds),
        settings={"paths": ["bom.cdx.json"]},
        system={},
        files=RepoFiles(root),
    )
    [item] = list(collector.collect(ctx))
    assert item.problem is None
    return dict(item.data)


@pytest.mark.slow  # the first BOM validated pays for compiling the 1.6 schema
def test_bom_of_a_documented_system_is_valid_and_complete(
    make_repo: Callable[..., RepoBuilder], run_cli: Callable[..., CliResult]
) -> None:
    repo = make_repo(
        {
            "govgate.yaml": GOVGATE_YAML,
            "docs/model_card.md": MODEL_CARD,
            "datasheets/support-tickets.md": DATASHEET,
        }
    )
    result = run_cli("-p", "no:mlflow", "bom", repo.path, "-o", repo.path / "bom.cdx.json")
    assert result.exit_code == 0, result.stderr
    text = (repo.path / "bom.cdx.json").read_text(encoding="utf-8")
    valid_16(text)
    bom = json.loads(text)
    assert bom["metadata"]["component"]["name"] == "support-assistant"
    [model, data] = bom["components"]
    assert (model["type"], model["name"], model["version"]) == (
        "machine-learning-model",
        "support-intent-classifier",
        "1.4.0",
    )
    assert model["hashes"] == [{"alg": "SHA-256", "content": SHA}]
    assert model["modelCard"]["modelParameters"] == {
        "task": "text-classification",
        "datasets": [{"ref": "dataset:datasheets/support-tickets.md"}],
    }
    assert {
        m["type"] for m in model["modelCard"]["quantitativeAnalysis"]["performanceMetrics"]
    } == {
        "accuracy",
        "macro_f1",
    }
    assert data["data"][0]["sensitiveData"] == [
        "customer e-mail addresses",
        "masked before training",
    ]
    assert "mlflow.registered_models" in result.stderr  # the plugin was blocked: said, not hidden
    back = read_back(repo.path)
    assert (back["completeness"], back["missing"]) == (1.0, [])


def test_what_the_sources_do_not_say_is_named_and_scored(
    make_repo: Callable[..., RepoBuilder], run_cli: Callable[..., CliResult]
) -> None:
    card = MODEL_CARD.replace("license: Apache-2.0\n", "").replace(f"sha256: {SHA}", "sha256: abc")
    repo = make_repo({"govgate.yaml": GOVGATE_YAML, "docs/model_card.md": card})
    result = run_cli("-p", "no:mlflow", "bom", repo.path, "-o", repo.path / "bom.cdx.json")
    assert result.exit_code == 0, result.stderr
    valid_16((repo.path / "bom.cdx.json").read_text(encoding="utf-8"))
    assert "the model card (docs/model_card.md) states no license" in result.stderr
    assert "sha256 'abc' in docs/model_card.md is no SHA-256" in result.stderr
    back = read_back(repo.path)
    assert back["completeness"] == round(5 / 8, 4)  # no licence, hash nor training data
    assert back["missing"] == [
        "model support-intent-classifier: license",
        "model support-intent-classifier: hashes",
        "model support-intent-classifier: training_data",
    ]


def test_a_system_without_a_model_card_gets_a_bom_that_says_so(
    make_repo: Callable[..., RepoBuilder], run_cli: Callable[..., CliResult]
) -> None:
    repo = make_repo({"govgate.yaml": GOVGATE_YAML})
    result = run_cli("-p", "no:mlflow", "bom", repo.path)
    assert result.exit_code == 0, result.stderr
    valid_16(result.stdout)
    assert json.loads(result.stdout)["components"] == []
    assert "no model: no model card and no MLflow registered model was found" in result.stderr


MLFLOW_STORE = textwrap.dedent(
    """\
    import mlflow
    from mlflow import MlflowClient
    mlflow.set_tracking_uri("sqlite:///mlflow.db")
    mlflow.set_experiment("intent")
    with mlflow.start_run() as run:
        mlflow.log_metric("accuracy", 0.91)
    client = MlflowClient()
    client.create_registered_model("intent-classifier")
    v = client.create_model_version(
        "intent-classifier", f"runs:/{run.info.run_id}/model", run_id=run.info.run_id
    )
    client.set_registered_model_alias("intent-classifier", "production", v.version)
    """
)


@pytest.mark.slow
@pytest.mark.skipif(
    find_spec("govgate_mlflow") is None or find_spec("mlflow") is None,
    reason="needs the govgate-mlflow plugin and MLflow",
)
def test_the_mlflow_registry_through_the_plugin(make_repo: Callable[..., RepoBuilder]) -> None:
    repo = make_repo({"govgate.yaml": GOVGATE_YAML, "make_store.py": MLFLOW_STORE})
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}
    subprocess.run([sys.executable, "make_store.py"], cwd=repo.path, env=env, check=True)
    done = subprocess.run(
        [sys.executable, "-m", "govgate.cli.main", "-p", "mlflow", "bom", str(repo.path)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    valid_16(done.stdout)
    [model] = json.loads(done.stdout)["components"]
    assert (model["name"], model["version"]) == ("intent-classifier", "1")
    assert model["modelCard"]["quantitativeAnalysis"]["performanceMetrics"] == [
        {"type": "accuracy", "value": "0.91"}
    ]
    assert {p["name"] for p in model["properties"]} == {"mlflow:production_via", "mlflow:run_id"}


@pytest.mark.skipif(find_spec("govgate_mlflow") is None, reason="needs the govgate-mlflow plugin")
def test_a_collector_that_fails_stops_the_bom(
    make_repo: Callable[..., RepoBuilder], run_cli: Callable[..., CliResult]
) -> None:
    remote = "collectors:\n  mlflow: {tracking_uri: 'https://mlflow.example.com'}\n"
    repo = make_repo({"govgate.yaml": GOVGATE_YAML + remote, "docs/model_card.md": MODEL_CARD})
    result = run_cli("-p", "mlflow", "bom", repo.path)
    assert result.exit_code == 2
    assert "collector 'mlflow' failed, so the BOM would miss what it knows" in result.stderr
    assert result.stdout == ""


def test_the_bom_is_dated_by_its_commit_so_two_runs_write_the_same_bytes(
    make_repo: Callable[..., RepoBuilder],
    run_cli: Callable[..., CliResult],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    repo = make_repo({"govgate.yaml": GOVGATE_YAML, "docs/model_card.md": MODEL_CARD}, commit=False)
    undated = run_cli("-p", "no:mlflow", "bom", repo.path)  # no commit yet: no date to give
    assert undated.exit_code == 0, undated.stderr  # valid CycloneDX 1.6 all the same
    assert "timestamp" not in json.loads(undated.stdout)["metadata"]
    assert (
        "govgate bom: no commit dates the BOM and SOURCE_DATE_EPOCH is not set; "
        "it carries no timestamp"
    ) in undated.stderr
    when = "2026-03-04T05:06:07+02:00"
    repo.commit("model card", env={"GIT_COMMITTER_DATE": when, "GIT_AUTHOR_DATE": when})
    first = run_cli("-p", "no:mlflow", "bom", repo.path, "-o", repo.path / "one.cdx.json")
    second = run_cli("-p", "no:mlflow", "bom", repo.path, "-o", repo.path / "two.cdx.json")
    assert (first.exit_code, second.exit_code) == (0, 0), first.stderr
    one = (repo.path / "one.cdx.json").read_bytes()
    assert one == (repo.path / "two.cdx.json").read_bytes()
    assert json.loads(one)["metadata"]["timestamp"] == "2026-03-04T03:06:07Z"
    assert "no timestamp" not in first.stderr
    repo.write({"docs/model_card.md": MODEL_CARD.replace("1.4.0", "1.5.0")})  # not committed
    edited = json.loads(run_cli("-p", "no:mlflow", "bom", repo.path).stdout)
    assert edited["metadata"]["timestamp"] == "2026-03-04T03:06:07Z"
    assert edited["components"][0]["version"] == "1.5.0"

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")  # a reproducible build's own date
    pinned = json.loads(run_cli("-p", "no:mlflow", "bom", repo.path).stdout)
    assert pinned["metadata"]["timestamp"] == "2023-11-14T22:13:20Z"
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "2026-03-04")
    refused = run_cli("-p", "no:mlflow", "bom", repo.path)
    assert refused.exit_code == 2
    assert refused.stdout == ""
    assert (
        "SOURCE_DATE_EPOCH='2026-03-04': not a whole number of seconds since 1970-01-01 UTC"
        in refused.stderr
    )
