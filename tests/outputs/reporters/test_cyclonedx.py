"""`--format cyclonedx`: CycloneDX 1.6 attestations, validated with cyclonedx-python-lib's strict
JSON validator (the 1.6 schema), one claim per requirement in scope, every reference resolving."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator

from conftest import CliResult, RepoBuilder

PACK = """\
pack: gates
version: 1.0.0
title: Release gates
evidence_kinds:
  gate_list:
    collector: config
    paths: [gates.yaml]
requirements:
  - {id: T-1, title: Gates are enabled, source: {framework: Test Framework, ref: "1"}}
  - {id: T-2, title: Gates have owners, source: {framework: Other Framework, ref: "2"}}
controls:
  - {id: G-1, title: Every gate is enabled, satisfies: [T-1]}
  - {id: G-2, title: Every gate has an owner, satisfies: [T-2]}
rules:
  - id: G-1.enabled
    control: G-1
    severity: high
    evidence: gate_list
    for_each: gates
    assert: {path: enabled, op: eq, value: true}
    message: "gate {item.name} is disabled"
    remediation: "set enabled: true for {item.name} in {source.path}"
  - id: G-2.owner
    control: G-2
    severity: medium
    evidence: gate_list
    for_each: gates
    assert: {path: owner, op: exists}
    message: "gate {item.name} has no owner"
    remediation: "name an owner for {item.name}"
"""


def validate(text: str) -> dict[str, Any]:
    error = JsonStrictValidator(SchemaVersion.V1_6).validate_str(text)
    assert error is None, str(error)[:500]
    document: dict[str, Any] = json.loads(text)
    return document


def refs(document: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(document, dict):
        if isinstance(document.get("bom-ref"), str):
            found.add(document["bom-ref"])
        for value in document.values():
            found |= refs(value)
    elif isinstance(document, list):
        for value in document:
            found |= refs(value)
    return found


def test_one_claim_per_requirement_with_its_conformance(
    make_repo: Callable[..., RepoBuilder], run_cli: Callable[..., CliResult], tmp_path
) -> None:
    repo = make_repo(
        {
            "govgate.yaml": "system: {name: gated, risk: high}\npacks: [./packs/gates]\n",
            "packs/gates/pack.yaml": PACK,
            "gates.yaml": "gates:\n  - {name: alpha, enabled: false, owner: ann}\n",
        }
    )
    out = tmp_path / "out"
    result = run_cli(
        "check", repo.path, "--no-locker", "--format", "json,cyclonedx", "--output-dir", out
    )
    assert result.exit_code == 1
    document = validate((out / "govgate.cdx.json").read_text())
    run = json.loads((out / "govgate.json").read_text())
    assert document["specVersion"] == "1.6"
    standards = {s["name"]: s for s in document["definitions"]["standards"]}
    assert sorted(standards) == ["Other Framework", "Test Framework"]
    assert [r["identifier"] for r in standards["Test Framework"]["requirements"]] == ["T-1"]
    declarations = document["declarations"]
    claims = {c["bom-ref"]: c for c in declarations["claims"]}
    assert len(claims) == len(run["requirements"]) == 2
    (attestation,) = declarations["attestations"]
    by_requirement = {m["requirement"]: m for m in attestation["map"]}
    assert by_requirement["requirement-T-1"]["conformance"]["score"] == 0.0  # not met
    assert by_requirement["requirement-T-2"]["conformance"]["score"] == 1.0  # met
    assert "gate FAIL" in attestation["summary"]
    # every claim cites the evidence its findings read, by digest, and every reference resolves
    (evidence,) = declarations["evidence"]
    assert evidence["propertyName"] == "gate_list"
    assert evidence["data"][0]["contents"]["url"] == f"urn:{run['evidence'][0]['digest']}"
    assert claims["claim-T-1"]["evidence"] == [evidence["bom-ref"]]
    known = refs(document)
    for claim in claims.values():
        assert claim["target"] in known and set(claim["evidence"]) <= known
    for entry in attestation["map"]:
        assert entry["requirement"] in known and set(entry["claims"]) <= known
    # the same result renders the same document
    again = run_cli("check", repo.path, "--no-locker", "--format", "cyclonedx")
    assert json.loads(again.stdout)["declarations"]["claims"] == declarations["claims"]


@pytest.mark.slow
def test_the_examples_document_is_valid_and_covers_every_requirement(
    example_repo: Callable[[str], Any], run_cli: Callable[..., CliResult], tmp_path
) -> None:
    repo = example_repo("loan-approval")
    out = tmp_path / "out"
    result = run_cli(
        "check", repo, "--no-locker", "--format", "json,cyclonedx", "--output-dir", out
    )
    assert result.exit_code == 1
    document = validate((out / "govgate.cdx.json").read_text())
    run = json.loads((out / "govgate.json").read_text())
    claimed = {c["bom-ref"].removeprefix("claim-") for c in document["declarations"]["claims"]}
    assert claimed == {r["id"] for r in run["requirements"]}
    statuses = {r["id"]: r["status"] for r in run["requirements"]}
    (attestation,) = document["declarations"]["attestations"]
    for entry in attestation["map"]:
        status = statuses[entry["requirement"].removeprefix("requirement-")]
        assert entry["conformance"]["rationale"].startswith(status.replace("_", " "))
        assert ("score" in entry["conformance"]) is (status != "not_applicable")
    scores = {m["conformance"].get("score") for m in attestation["map"]}
    assert scores == {None, 0.0, 0.5, 1.0}  # not applicable, not met, partial, met
