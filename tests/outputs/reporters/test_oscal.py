"""OSCAL 1.1.3 assessment results: schema-valid, readable by compliance-trestle, every internal
reference resolving, and the mapping an auditor reads (requirements, evidence, waivers)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path
from typing import Any

import regex
from jsonschema import Draft7Validator, validators
from jsonschema.exceptions import ValidationError
from trestle.oscal.assessment_results import AssessmentResults

from govgate.outputs.reporters.oscal import OscalReporter, token

from conftest import REPO_ROOT, RepoBuilder

# NIST's schema, vendored so a clean clone validates against it (tests/data/schemas/).
SCHEMA = REPO_ROOT / "tests/data/schemas/oscal_1.1.3_assessment-results_schema.json"


def _pattern(validator: Any, pattern: str, instance: Any, schema: Any) -> Iterator[ValidationError]:
    # OSCAL's token pattern uses \p{L}, which Python's `re` cannot compile
    if validator.is_type(instance, "string") and not regex.search(pattern, instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


@cache
def validator() -> Any:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    oscal_validator = validators.extend(Draft7Validator, {"pattern": _pattern})
    return oscal_validator(schema, format_checker=Draft7Validator.FORMAT_CHECKER)


def oscal(result: dict[str, Any]) -> dict[str, Any]:
    text = OscalReporter().render(result)
    document: dict[str, Any] = json.loads(text)
    errors = list(validator().iter_errors(document))
    assert not errors, [f"{list(e.path)}: {e.message[:200]}" for e in errors[:5]]
    AssessmentResults.parse_obj(document["assessment-results"])  # trestle reads it
    return document


def walk(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from walk(value)


def dangling_references(document: dict[str, Any]) -> list[str]:
    """Every UUID reference, `#uuid` href and role id that does not resolve in the document."""
    ar = document["assessment-results"]
    defined = [n["uuid"] for n in walk(ar) if "uuid" in n]
    assert len(defined) == len(set(defined)), "duplicate UUIDs"
    known = set(defined)
    roles = {r["id"] for r in ar["metadata"].get("roles", [])}
    missing = []
    for node in walk(ar):
        for key in ("observation-uuid", "risk-uuid", "party-uuid", "actor-uuid"):
            if key in node and node[key] not in known:
                missing.append(f"{key} {node[key]}")
        for party in node.get("party-uuids", []):
            if party not in known:
                missing.append(f"party-uuids {party}")
        href = node.get("href")
        if isinstance(href, str) and href.startswith("#") and href[1:] not in known:
            missing.append(f"href {href}")
        if "role-id" in node and node["role-id"] not in roles:
            missing.append(f"role-id {node['role-id']}")
    (result,) = ar["results"]
    selected = {
        c["control-id"]
        for s in result["reviewed-controls"]["control-selections"]
        for c in s.get("include-controls", [])
    }
    for finding in result.get("findings", []):
        target = finding["target"]["target-id"]
        if target.removesuffix("_obj") not in selected:
            missing.append(f"target-id {target}")
    return missing


def findings_by_requirement(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    result = document["assessment-results"]["results"][0]
    out = {}
    for finding in result.get("findings", []):
        props = {p["name"]: p["value"] for p in finding["props"]}
        out[props["requirement-id"]] = finding
    return out


def test_every_scenario_is_valid_readable_and_resolves(any_result: dict[str, Any]) -> None:
    document = oscal(any_result)
    assert dangling_references(document) == []
    result = document["assessment-results"]["results"][0]
    assert len(result.get("findings", [])) == len(any_result["requirements"])
    evidence = [o for o in result.get("observations", []) if o["methods"] == ["EXAMINE"]]
    assert len(evidence) == len(any_result["evidence"])
    rules = [o for o in result.get("observations", []) if o["methods"] == ["TEST"]]
    assert len(rules) == len(any_result["findings"])


def test_the_same_result_renders_the_same_document(
    rich_repo: Any, checked: Callable[[Path], dict[str, Any]]
) -> None:
    result = checked(rich_repo.path)
    assert OscalReporter().render(result) == OscalReporter().render(json.loads(json.dumps(result)))
    later = dict(
        result, run={"started_at": "2026-06-02T00:00:00Z", "finished_at": "2026-06-02T00:00:01Z"}
    )
    first = oscal(result)["assessment-results"]
    second = oscal(later)["assessment-results"]
    assert first["uuid"] != second["uuid"]  # another run is another document


#: Two requirements the loan example's oversight config fully meets.
MET_PACK = """\
pack: met
version: 1.0.0
title: All met
requirements:
  - {id: M-1, title: Gates, source: {framework: Test, ref: "1"}}
  - {id: M-2, title: Stop, source: {framework: Test, ref: "2"}}
controls:
  - {id: MC-1, title: Gates, satisfies: [M-1]}
  - {id: MC-2, title: Stop, satisfies: [M-2]}
rules:
  - id: MC-1.credit-gated
    control: MC-1
    severity: high
    evidence: oversight_config
    for_each: "decision_types[?name=='credit_decision']"
    assert: {path: approval_required, op: eq, value: true}
    message: "{item.name} is not gated"
    remediation: "gate {item.name}"
  - id: MC-2.stop
    control: MC-2
    severity: high
    evidence: oversight_config
    assert: {path: kill_switch.enabled, op: eq, value: true}
    message: no stop control
    remediation: add one
"""


def test_requirements_become_findings_with_mapped_state(
    scenario: Callable[[str], dict[str, Any]],
    example_repo: Callable[[str], Path],
    checked: Callable[[Path], dict[str, Any]],
) -> None:
    findings = findings_by_requirement(oscal(scenario("rich")))
    t1 = findings["T-1"]
    assert t1["target"] == {
        "type": "objective-id",
        "target-id": "T-1_obj",
        "status": {
            "state": "not-satisfied",
            "reason": "fail",
            "remarks": "govgate status: not_met",
        },
    }
    assert (
        "Failing or erroring rules: G-1.enabled[<script>alert('x')</script>] (fail)"
        in (t1["description"])
    )
    na = findings["T-4"]["target"]["status"]
    assert na == {
        "state": "not-satisfied",
        "reason": "other",
        "remarks": "govgate status: not_applicable",
    }
    # a system that meets everything: a gated, stoppable oversight config under a small pack
    path = example_repo("loan-approval")
    (path / "govgate.yaml").write_text(
        "system: {name: met, risk: high, decision_types: [{name: credit, risk_tier: high}]}\n"
        "packs: [./packs/met]\n",
        encoding="utf-8",
    )
    pack = path / "packs/met"
    pack.mkdir(parents=True)
    (pack / "pack.yaml").write_text(MET_PACK, encoding="utf-8")
    result = checked(path)
    assert {r["status"] for r in result["requirements"]} == {"met"}
    for finding in findings_by_requirement(oscal(result)).values():
        assert finding["target"]["status"]["state"] == "satisfied"
        assert finding["target"]["status"]["reason"] == "pass"


def test_evidence_observations_point_at_hashed_resources(
    scenario: Callable[[str], dict[str, Any]],
) -> None:
    result = scenario("loan")
    ar = oscal(result)["assessment-results"]
    resources = {r["uuid"]: r for r in ar["back-matter"]["resources"]}
    observations = ar["results"][0]["observations"]
    for item in result["evidence"]:
        (observation,) = [
            o
            for o in observations
            if {
                "name": "evidence-digest",
                "ns": "https://govgate.dev/ns/oscal",
                "value": item["digest"],
            }
            in o["props"]
        ]
        assert observation["collected"] == item["collected_at"]
        # no rule of the example's packs has a max_age: no evidence expires
        assert "expires" not in item and "expires" not in observation
        (link,) = observation["relevant-evidence"]
        resource = resources[link["href"][1:]]
        (rlink,) = resource["rlinks"]
        assert rlink["hashes"] == [{"algorithm": "SHA-256", "value": item["digest"][7:]}]
    # the rule observation cites the same resource as the evidence it read
    failing = next(
        o for o in observations if o["title"].startswith("Rule HO-1.gate-configured[limit")
    )
    assert failing["relevant-evidence"][0]["href"] in {
        o["relevant-evidence"][0]["href"] for o in observations if o["methods"] == ["EXAMINE"]
    }
    assert "Fix: set approval_required: true" in failing["description"]
    # the packs stand in for the assessment plan, with their digests
    plan = resources[ar["import-ap"]["href"][1:]]
    assert plan["rlinks"][0]["hashes"][0]["value"] == result["packs"][0]["digest"][7:]


FRESHNESS_PACK = """\
pack: fresh
version: 1.0.0
title: Attestations are current
requirements:
  - {id: FR-1, title: A sponsor is named, source: {framework: Test, ref: "1"}}
controls:
  - {id: FR-C1, title: A current sponsor attestation exists, satisfies: [FR-1]}
rules:
  - id: FR-C1.yearly
    control: FR-C1
    severity: high
    evidence: attestation
    max_age: 365d
    assert: {path: statement, op: not_empty}
    message: "{source.path} states nothing"
    remediation: "write the statement"
  - id: FR-C1.quarterly
    control: FR-C1
    severity: medium
    evidence: attestation
    max_age: 90d
    assert: {path: role, op: not_empty}
    message: "{source.path} names no role"
    remediation: "name the role"
  - id: FR-C1.other-files-daily
    control: FR-C1
    severity: low
    evidence: {kind: attestation, subject: "elsewhere/*.yaml"}
    max_age: 1d
    on_missing: not_applicable
    assert: {path: who, op: not_empty}
    message: x
    remediation: y
"""
SPONSOR = """\
id: ATT-SPONSOR
topic: executive_sponsor
statement: I sponsor the system and hold its budget.
who: Maria Garcia
role: Chief Financial Officer
date: 2026-04-01
budget_authority: true
"""


def test_evidence_with_a_max_age_expires_in_its_observation(
    make_repo: Callable[..., RepoBuilder], checked: Callable[[Path], dict[str, Any]]
) -> None:
    repo = make_repo(
        {
            "govgate.yaml": "system: {name: fresh, risk: high}\npacks: [./packs/fresh]\n",
            "packs/fresh/pack.yaml": FRESHNESS_PACK,
            "governance/attestations/sponsor.yaml": SPONSOR,
        }
    )
    result = checked(repo.path)
    assert {f["rule"]: f["status"] for f in result["findings"]} == {
        "FR-C1.yearly": "pass",
        "FR-C1.quarterly": "pass",
        "FR-C1.other-files-daily": "not_applicable",
    }
    (item,) = [e for e in result["evidence"] if e["kind"] == "attestation"]
    assert item["dated"] == "2026-04-01"
    # the strictest max_age of the rules that read it (90d), from its own date; the daily
    # rule reads other files only
    assert item["expires"] == "2026-06-30T00:00:00Z"
    ar = oscal(result)["assessment-results"]
    (observation,) = [
        o for o in ar["results"][0]["observations"] if o["title"].startswith("Evidence attestation")
    ]
    assert observation["expires"] == "2026-06-30T00:00:00Z"
    assert observation["collected"] == item["collected_at"]
    # evidence no max_age limits (here: none) or without a date of its own has no expiry
    assert all("expires" not in e for e in result["evidence"] if e["kind"] != "attestation")


def test_waivers_are_risks_linked_from_findings(scenario: Callable[[str], dict[str, Any]]) -> None:
    ar = oscal(scenario("rich"))["assessment-results"]
    result = ar["results"][0]
    risks = {r["title"]: r for r in result["risks"]}
    assert set(risks) == {
        "Waiver W-ACTIVE: G-1.reviewed",
        "Waiver W-EXPIRED: G-1.reviewed",
        "Waiver W-REFUSED: G-1.reviewed",
    }  # W-UNUSED covered nothing, so it is no risk
    active = risks["Waiver W-ACTIVE: G-1.reviewed"]
    assert active["status"] == "deviation-approved"
    assert active["deadline"] == "2026-08-01T23:59:59Z"
    assert active["description"] == "Reviewer <b>on leave</b> | back in June & then some"
    (approved,) = active["risk-log"]["entries"]
    parties = {p["uuid"]: p for p in ar["metadata"]["parties"]}
    assert parties[approved["logged-by"][0]["party-uuid"]]["name"] == "Jane Q. Officer"
    expired = risks["Waiver W-EXPIRED: G-1.reviewed"]
    assert expired["status"] == "open"
    assert "It expired on 2026-03-01, so those findings fail again" in expired["statement"]
    assert risks["Waiver W-REFUSED: G-1.reviewed"]["status"] == "open"
    t1 = findings_by_requirement({"assessment-results": ar})["T-1"]
    assert {r["risk-uuid"] for r in t1["related-risks"]} == {r["uuid"] for r in risks.values()}


def test_policy_edits_and_diagnostics_are_recorded(
    scenario: Callable[[str], dict[str, Any]],
) -> None:
    result = oscal(scenario("changes"))["assessment-results"]["results"][0]
    assert result["remarks"].startswith("This change edits policy packs (t) and waivers")
    props = {p["name"]: p["value"] for p in result["props"]}
    assert props["packs-edited"] == "true" and props["params-edited"] == "false"
    assert props["base"] == "main"
    log = [e["description"] for e in result["assessment-log"]["entries"]]
    assert "settings.env:2: not a KEY=VALUE line; ignored" in log


def test_tokens() -> None:
    assert token("GDPR-22") == "GDPR-22"
    assert token("22-b") == "_22-b"
    assert token("a b:c") == "a_b_c"
    assert token("Überblick") == "Überblick"


def test_the_reference_check_catches_what_it_looks_for(
    scenario: Callable[[str], dict[str, Any]],
) -> None:
    document = oscal(scenario("loan"))
    assert dangling_references(document) == []
    document["assessment-results"]["back-matter"]["resources"].pop()
    document["assessment-results"]["results"][0]["findings"][0]["target"]["target-id"] = "X_obj"
    missing = dangling_references(document)
    assert any(m.startswith("href #") for m in missing)
    assert "target-id X_obj" in missing


def test_uuid_namespace_is_derived_from_the_props_namespace() -> None:
    import uuid

    from govgate.outputs.reporters.oscal import NS, UUID_NAMESPACE

    assert uuid.uuid5(uuid.NAMESPACE_URL, NS) == uuid.UUID(UUID_NAMESPACE)


def test_the_schema_check_rejects_what_oscal_forbids(
    scenario: Callable[[str], dict[str, Any]],
) -> None:
    document = oscal(scenario("loan"))
    finding = document["assessment-results"]["results"][0]["findings"][0]
    finding["target"]["target-id"] = "1-starts-with-a-digit"
    finding["target"]["status"]["state"] = "mostly"
    finding["props"] = []
    messages = [e.message for e in validator().iter_errors(document)]
    assert any(m.startswith("'1-starts-with-a-digit' does not match") for m in messages)
    assert "'mostly' is not one of ['satisfied', 'not-satisfied']" in messages
    assert "[] should be non-empty" in messages
