"""The GenAI packs on real repositories: the real CLI, the real collectors, real files.

The packs' own cases (policies/<pack>/tests) pin every rule's verdicts on inline evidence; these
tests show that what a team commits (config/llm.yaml, govgate.yaml's facts, a Statement of
Applicability) reaches the rules as written and what the user reads about it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import yaml

from conftest import REPO_ROOT, CliResult, RepoBuilder
from genai_files import ANNEX_A, SOA_PATH, check_json, statement_of_applicability

LOOSE_LLM_CONFIG = """\
model: {provider: openai, name: gpt-4o, version: latest}
output: {pii_filter: false, validated: true, marking: "metadata ai-generated: true"}
tools:
  - {name: run_sql, permissions: ["*"], side_effects: true}
  - {name: lookup_order, permissions: [orders:read], side_effects: false}
retrieval: {enabled: true, access_control: false, source_validation: true}
system_prompt: {confidential: false}
data_sources: []
limits: {requests_per_minute: 60, max_input: 4000}
"""


def by_rule(result: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f"{f['rule']}[{f.get('item')}]": f for f in result["findings"]}


def test_owasp_llm_reads_config_llm_yaml_as_written(
    make_repo: Callable[..., RepoBuilder], run_cli: Callable[..., CliResult]
) -> None:
    repo = make_repo(
        {
            "govgate.yaml": (
                "version: 1\n"
                "system: {name: assistant, risk: limited, llm: true,"
                " model_version: gpt-4o-2024-08-06}\n"
                "packs: [owasp-llm]\n"
            ),
            "config/llm.yaml": LOOSE_LLM_CONFIG,
        }
    )
    result = check_json(run_cli, repo.path)
    findings = by_rule(result)
    status = {key: f["status"] for key, f in findings.items()}
    assert status["OL-02.output-filtered[config/llm.yaml]"] == "fail"
    assert status["OL-05.output-validated[config/llm.yaml]"] == "pass"
    assert status["OL-07.no-secrets-in-prompt[config/llm.yaml]"] == "pass"
    assert status["OL-06.tools-least-privilege[run_sql]"] == "fail"
    assert status["OL-06.tools-least-privilege[lookup_order]"] == "pass"
    assert status["OL-08.retrieval-controlled[config/llm.yaml]"] == "fail"
    assert status["OL-04.data-traced[config/llm.yaml]"] == "not_applicable"
    pinned = findings["OL-03.model-pinned[config/llm.yaml]"]
    assert pinned["status"] == "fail"
    assert "system.model_version is gpt-4o-2024-08-06" in pinned["message"]
    limits = findings["OL-10.limits[config/llm.yaml]"]
    assert limits["status"] == "fail" and "max_output (not set)" in limits["message"]
    # No scan and no AI bill of materials: missing evidence is never a pass, and the finding
    # names the collector that would produce it.
    assert status["OL-01.scan[None]"] == "fail"
    assert "collector 'redteam'" in findings["OL-01.scan[None]"]["message"]
    assert status["OL-03.bom-complete[None]"] == "fail"
    assert result["gate"] == "fail" and result["exit_code"] == 1


#: The NIST AI RMF core: subcategories per category of each function.
RMF_CORE = {
    "GOVERN": {1: 7, 2: 3, 3: 2, 4: 3, 5: 2, 6: 2},
    "MAP": {1: 6, 2: 3, 3: 5, 4: 2, 5: 2},
    "MEASURE": {1: 3, 2: 13, 3: 3, 4: 3},
    "MANAGE": {1: 4, 2: 4, 3: 2, 4: 3},
}


def requirement_ids(pack: str) -> list[str]:
    data = yaml.safe_load((REPO_ROOT / "policies" / pack / "pack.yaml").read_text())
    return [r["id"] for r in data["requirements"]]


def test_the_catalogues_are_complete() -> None:
    # The ten risks, and the scope requirement that a false `system.llm: false` fails.
    assert requirement_ids("owasp-llm") == [
        *(f"OWASP-LLM{n:02d}" for n in range(1, 11)),
        "OWASP-LLM-SCOPE",
    ]
    assert len(requirement_ids("nist-ai-600-1")) == 12 + 1
    assert requirement_ids("nist-ai-600-1")[-1] == "GAI-SCOPE"
    rmf = [
        f"NIST-{function}-{category}.{sub}"
        for function, categories in RMF_CORE.items()
        for category, count in categories.items()
        for sub in range(1, count + 1)
    ]
    assert len(rmf) == 72
    assert requirement_ids("nist-ai-rmf") == rmf
    assert requirement_ids("iso-42001") == ["ISO42001-6.1.3"] + [f"ISO42001-{a}" for a in ANNEX_A]


def test_the_statement_of_applicability_is_read_as_written(
    make_repo: Callable[..., RepoBuilder], run_cli: Callable[..., CliResult]
) -> None:
    soa = statement_of_applicability(
        [a for a in ANNEX_A if a != "A.8.5"],
        reason="the credit model is built in house",
        tail="  - id: A.10.4\n    applicable: false\n    reason: ''\n",
    )
    repo = make_repo(
        {
            "govgate.yaml": "version: 1\nsystem: {name: scorer, risk: high}\npacks: [iso-42001]\n",
            SOA_PATH: soa,
        }
    )
    findings = [f for f in check_json(run_cli, repo.path)["findings"] if f["control"] == "AIMS-9"]
    failed = {(f["rule"], f["item"]): f for f in findings if f["status"] == "fail"}
    assert set(failed) == {
        ("AIMS-9.soa-lists-control", "A.8.5"),
        ("AIMS-9.soa-decided", "A.10.4"),
        ("AIMS-9.soa-approved", SOA_PATH),
    }
    undecided = failed[("AIMS-9.soa-decided", "A.10.4")]
    # Located at the empty reason: three header lines, 37 entries of three lines, then A.10.4.
    assert undecided["location"] == {
        "path": SOA_PATH,
        "line": 3 + 3 * 37 + 3,
    }
    assert "reason (empty)" in undecided["message"]
    # A.10.4 is listed (twice) and decided once without a reason: listed, not decided.
    assert "lists a control twice" in failed[("AIMS-9.soa-approved", SOA_PATH)]["message"]


def test_art_53_is_unverified_until_gpai_provider_is_declared(
    make_repo: Callable[..., RepoBuilder], run_cli: Callable[..., CliResult]
) -> None:
    system = "{name: assistant, risk: minimal, role: provider, llm: false%s}"
    for declared, status in (("", "unverified"), (", gpai_provider: false", "not_applicable")):
        repo = make_repo(
            {"govgate.yaml": f"version: 1\nsystem: {system % declared}\npacks: [eu-ai-act]\n"}
        )
        result = check_json(run_cli, repo.path)
        [art53] = [r for r in result["requirements"] if r["id"] == "AIA-53"]
        assert art53["status"] == status
        messages = {f["message"] for f in result["findings"] if f["control"] in ("EU-16", "EU-17")}
        if not declared:
            assert result["gate"] == "fail"
            assert any("does not declare system.gpai_provider" in m for m in messages)


def test_owasp_scans_serve_art_15_only_when_both_packs_run(
    make_repo: Callable[..., RepoBuilder], run_cli: Callable[..., CliResult]
) -> None:
    system = (
        "system: {name: assistant, risk: high, role: provider, llm: true, gpai_provider: false,"
        " model_version: v1}\nparams: {eu-ai-act: {assess_ahead: true}}\n"
    )
    for packs, controls in (
        ("[owasp-llm, eu-ai-act]", ["OL-01", "OL-04", "EU-9"]),
        ("[eu-ai-act]", ["EU-9"]),
    ):
        repo = make_repo({"govgate.yaml": f"version: 1\n{system}packs: {packs}\n"})
        result = check_json(run_cli, repo.path)
        [art15] = [r for r in result["requirements"] if r["id"] == "AIA-15"]
        assert art15["controls"] == controls
        assert art15["status"] == "not_met"


@pytest.mark.slow  # three checks of three repositories
def test_art_50_3_50_4_and_55_apply_only_by_declared_facts(
    make_repo: Callable[..., RepoBuilder], run_cli: Callable[..., CliResult]
) -> None:
    """Undeclared, the deployer's Art. 50(3)/(4) duties and Art. 55 are unverified (the gate
    fails, naming the fact to declare); declared false, not applicable; declared true, judged
    on the notice and the systemic-risk document as written."""
    notice = (
        "# About our assistant\n\n## You are talking to an AI\n\nAn AI answers.\n\n"
        "## Emotion recognition\n\nThe assistant infers frustration from your messages.\n"
    )

    def requirements(labels: str, files: dict[str, str] | None = None) -> dict[str, Any]:
        system = (
            "system: {name: assistant, risk: limited, role: provider_and_deployer, llm: true,"
            f" gpai_provider: true, labels: {{{labels}}}}}\n"
        )
        repo = make_repo(
            {"govgate.yaml": f"version: 1\n{system}packs: [eu-ai-act]\n", **(files or {})}
        )
        result = check_json(run_cli, repo.path)
        wanted = ("AIA-50-3", "AIA-50-4", "AIA-53", "AIA-55")
        found = {r["id"]: r["status"] for r in result["requirements"] if r["id"] in wanted}
        return {"statuses": found, "result": result}

    undeclared = requirements("")
    assert undeclared["statuses"] == {
        "AIA-50-3": "unverified",
        "AIA-50-4": "unverified",
        "AIA-53": "not_met",  # the copyright policy and training summary are owed regardless
        "AIA-55": "unverified",
    }
    assert undeclared["result"]["gate"] == "fail"
    errors = " ".join(
        f["remediation"] for f in undeclared["result"]["findings"] if f["status"] == "error"
    )
    for fact in ("emotion_recognition", "deep_fakes", "gpai_open_source", "gpai_systemic_risk"):
        assert f"declare system.labels.{fact} in govgate.yaml (true or false)" in errors

    none = requirements(
        "emotion_recognition: false, biometric_categorisation: false, deep_fakes: false,"
        " public_interest_text: false, gpai_open_source: true, gpai_systemic_risk: false"
    )
    assert none["statuses"] == {
        "AIA-50-3": "not_applicable",
        "AIA-50-4": "not_applicable",
        "AIA-53": "not_met",
        "AIA-55": "not_applicable",
    }
    exempt = {
        f["rule"]: f["reason"]
        for f in none["result"]["findings"]
        if f["control"] == "EU-16" and f["status"] == "not_applicable"
    }
    assert len(exempt) == 3
    assert all(
        reason.startswith("Art. 53(2) exempts a model released") for reason in exempt.values()
    )

    declared = requirements(
        "emotion_recognition: true, biometric_categorisation: false, deep_fakes: true,"
        " public_interest_text: false, gpai_open_source: true, gpai_systemic_risk: true",
        {
            "docs/transparency_notice.md": notice,
            "docs/gpai/systemic_risk.md": (
                "---\nowner: Head of Model Risk\nlast_updated: '2020-01-01'\n---\n"
                "# Systemic risk\n\n## Model evaluation\n\nRed-teamed.\n\n"
                "## Cybersecurity\n\nWeights encrypted at rest.\n"
            ),
        },
    )
    assert declared["statuses"] == {
        "AIA-50-3": "met",  # the notice's Emotion recognition section
        "AIA-50-4": "not_met",  # it says nothing of deep fakes
        "AIA-53": "not_met",  # systemic risk: the open-source exemption does not hold
        "AIA-55": "not_met",
    }
    failed = {
        f["rule"]: f["message"]
        for f in declared["result"]["findings"]
        if f["status"] == "fail" and f["control"] in ("EU-19", "EU-20")
    }
    assert set(failed) == {
        "EU-19.deep-fakes-disclosed",
        "EU-20.systemic-risk-measures",
        "EU-20.systemic-risk-current",
    }
    assert "risks" in failed["EU-20.systemic-risk-measures"]
    assert "incidents" in failed["EU-20.systemic-risk-measures"]
