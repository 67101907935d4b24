"""Findings: the six statuses, the identity a finding keeps across runs, and its JSON form (the
`findings` of the result document, read back by the dossier and `--base` comparisons)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import jsonschema
import pytest

from govgate.core.findings import STATUSES, Finding
from govgate.support.schemas import load_schema

from conftest import CliResult, RepoBuilder


def full_finding(**changes: Any) -> Finding:
    values: dict[str, Any] = {
        "rule": "HO-1.gate",
        "status": "waived",
        "severity": "high",
        "control": "HO-1",
        "requirements": ["GDPR-22", "READY-04"],
        "message": "type credit has no gate",
        "remediation": "set gate: true for credit in governance/oversight.yaml",
        "pack": "human-oversight",
        "location": {"path": "governance/oversight.yaml", "line": 7},
        "evidence": [
            {
                "digest": "sha256:" + "ab" * 32,
                "kind": "oversight_config",
                "source": {"path": "governance/oversight.yaml", "line": 1},
            }
        ],
        "item": "credit",
        "waiver": {"id": "W-1", "approver": "Head of Risk", "expires": "2099-01-01"},
        "new": True,
    }
    values.update(changes)
    return Finding(**values)


def finding_schema() -> dict[str, Any]:
    schema: dict[str, Any] = load_schema("result")["properties"]["findings"]["items"]
    return schema


def test_the_statuses_are_the_six_the_result_schema_and_docs_name() -> None:
    assert STATUSES == ("pass", "fail", "error", "waived", "not_applicable", "skipped")
    assert finding_schema()["properties"]["status"]["enum"] == list(STATUSES)


@pytest.mark.parametrize(
    "finding",
    [
        full_finding(),
        # The minimal finding: no item, location, evidence, waiver or remediation.
        Finding("C-1.a", "error", "low", "C-1", [], "cannot read k.yaml", None, "p"),
    ],
)
def test_a_finding_as_json_is_valid_in_the_result_document(finding: Finding) -> None:
    document = finding.to_json()
    jsonschema.validate(document, finding_schema())
    # Every field the schema requires is present, even when empty (null, not missing); the
    # reason too, though the schema leaves it optional so that results written before it
    # existed (embedded in a dossier) still verify.
    assert set(document) == {*finding_schema()["required"], "reason"}
    assert "reason" not in finding_schema()["required"]


def test_json_round_trip_keeps_every_field() -> None:
    finding = full_finding()
    # Through text, as a stored result is read back.
    again = Finding.from_json(json.loads(json.dumps(finding.to_json())))
    assert again == finding
    assert again.to_json() == finding.to_json()


def test_reading_a_finding_written_without_the_optional_fields() -> None:
    raw = {
        "rule": "C-1.a",
        "status": "fail",
        "severity": "medium",
        "control": "C-1",
        "requirements": ["R-1"],
        "message": "m",
        "pack": "p",
    }
    finding = Finding.from_json(raw)
    assert finding.remediation is None
    assert finding.location is None
    assert finding.evidence == []
    assert finding.item is None and finding.waiver is None and finding.new is None
    assert finding.key == "C-1.a|"


def test_from_json_copies_lists_rather_than_sharing_them() -> None:
    raw = full_finding().to_json()
    finding = Finding.from_json(raw)
    finding.requirements.append("X")
    finding.evidence.clear()
    assert raw["requirements"] == ["GDPR-22", "READY-04"]
    assert len(raw["evidence"]) == 1


def test_the_key_names_rule_and_item_and_nothing_that_changes_between_runs() -> None:
    base = full_finding()
    assert base.key == "HO-1.gate|credit"
    # Another item of the same rule is another finding...
    assert full_finding(item="fraud").key != base.key
    # ...while the status, message, location, severity and evidence may change from run to
    # run without making it a different finding (how --base tells new findings apart).
    moved = full_finding(
        status="fail",
        message="still no gate",
        location={"path": "governance/oversight.yaml", "line": 30},
        severity="critical",
        evidence=[],
        waiver=None,
        new=False,
    )
    assert moved.key == base.key
    assert full_finding(item=None).key == "HO-1.gate|"
    assert full_finding(rule="HO-1.other").key != base.key


@pytest.mark.slow
def test_base_comparison_matches_findings_by_rule_and_item(
    make_repo: Callable[..., RepoBuilder], run_cli: Callable[..., CliResult]
) -> None:
    """`--base`: findings are matched by rule and item; a matched failure whose message
    changed counts as new too (the change altered an old problem), one left as it was not."""
    pack = """\
pack: p
version: 1.0.0
title: Keys
evidence_kinds:
  k: {collector: config, paths: [k.yaml]}
requirements:
  - {id: R-1, title: r, source: {framework: T, ref: "1"}}
controls:
  - {id: C-1, title: c, satisfies: [R-1]}
rules:
  - id: C-1.enabled
    control: C-1
    severity: high
    evidence: k
    for_each: gates
    assert: {path: enabled, op: eq, value: true}
    message: "gate {item.name} is off (note {item.note})"
    remediation: turn it on
"""
    repo = make_repo(
        {
            "govgate.yaml": "system: {name: k, risk: high}\npacks: [./p]\n",
            "p/pack.yaml": pack,
            "k.yaml": "gates:\n  - {name: a, enabled: false, note: one}\n",
        }
    )
    repo.git("checkout", "-q", "-b", "pr")
    repo.write(
        {
            "k.yaml": (
                "gates:\n"
                "  - {name: a, enabled: false, note: one}\n"
                "  - {name: b, enabled: false, note: x}\n"
                "  - {name: c, enabled: false, note: y}\n"
            )
        }
    ).commit("add b and c")
    done = run_cli("check", repo.path, "--base", "main", "--no-locker", "--format", "json")
    assert done.exit_code == 1, done.output
    new = {f["item"]: f["new"] for f in json.loads(done.stdout)["findings"]}
    assert new == {"a": False, "b": True, "c": True}
    repo.write({"k.yaml": (repo.path / "k.yaml").read_text().replace("one", "two")})
    repo.commit("edit a's note")
    done = run_cli("check", repo.path, "--base", "main", "--no-locker", "--format", "json")
    new = {f["item"]: f["new"] for f in json.loads(done.stdout)["findings"]}
    assert new == {"a": True, "b": True, "c": True}
