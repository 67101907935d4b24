"""The GenAI packs on real repositories: the real CLI, the real collectors, real files.

The packs' own cases (policies/<pack>/tests) pin every rule's verdicts on inline evidence; these
tests show that what a team commits (config/llm.yaml, govgate.yaml's facts, a Statement of
Applicability) reaches the rules as written and what the user reads about it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import yaml

from conftest import REPO_ROOT, CliResult, RepoBuilder

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


def check(run_cli: Callable[..., CliResult], repo: RepoBuilder) -> dict[str, Any]:
    done = run_cli("check", repo.path, "--no-locker", "--format", "json")
    result: dict[str, Any] = json.loads(done.stdout)
    result["exit_code"] = done.exit_code
    return result


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
    result = check(run_cli, repo)
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


ANNEX_A = [
    "A.2.2",
    "A.2.3",
    "A.2.4",
    "A.3.2",
    "A.3.3",
    "A.4.2",
    "A.4.3",
    "A.4.4",
    "A.4.5",
    "A.4.6",
    "A.5.2",
    "A.5.3",
    "A.5.4",
    "A.5.5",
    "A.6.1.2",
    "A.6.1.3",
    "A.6.2.2",
    "A.6.2.3",
    "A.6.2.4",
    "A.6.2.5",
    "A.6.2.6",
    "A.6.2.7",
    "A.6.2.8",
    "A.7.2",
    "A.7.3",
    "A.7.4",
    "A.7.5",
    "A.7.6",
    "A.8.2",
    "A.8.3",
    "A.8.4",
    "A.8.5",
    "A.9.2",
    "A.9.3",
    "A.9.4",
    "A.10.2",
    "A.10.3",
    "A.10.4",
]
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
    entries = "".join(
        f"  - id: {a}\n    applicable: true\n    reason: the credit model is built in house\n"
        for a in ANNEX_A
        if a != "A.8.5"
    )
    repo = make_repo(
        {
            "govgate.yaml": "version: 1\nsystem: {name: scorer, risk: high}\npacks: [iso-42001]\n",
            "governance/statement_of_applicability.yaml": (
                "approved_by: Management Board\napproval_date: '2026-11-02'\ncontrols:\n"
                + entries
                + "  - id: A.10.4\n    applicable: false\n    reason: ''\n"
            ),
        }
    )
    findings = [f for f in check(run_cli, repo)["findings"] if f["control"] == "AIMS-9"]
    failed = {(f["rule"], f["item"]): f for f in findings if f["status"] == "fail"}
    assert set(failed) == {
        ("AIMS-9.soa-lists-control", "A.8.5"),
        ("AIMS-9.soa-decided", "A.10.4"),
        ("AIMS-9.soa-approved", "governance/statement_of_applicability.yaml"),
    }
    undecided = failed[("AIMS-9.soa-decided", "A.10.4")]
    # Located at the empty reason: three header lines, 37 entries of three lines, then A.10.4.
    assert undecided["location"] == {
        "path": "governance/statement_of_applicability.yaml",
        "line": 3 + 3 * 37 + 3,
    }
    assert "reason (empty)" in undecided["message"]
    # A.10.4 is listed (twice) and decided once without a reason: listed, not decided.
    assert (
        "lists a control twice"
        in failed[("AIMS-9.soa-approved", "governance/statement_of_applicability.yaml")]["message"]
    )


def test_art_53_is_unverified_until_gpai_provider_is_declared(
    make_repo: Callable[..., RepoBuilder], run_cli: Callable[..., CliResult]
) -> None:
    system = "{name: assistant, risk: minimal, role: provider, llm: false%s}"
    for declared, status in (("", "unverified"), (", gpai_provider: false", "not_applicable")):
        repo = make_repo(
            {"govgate.yaml": f"version: 1\nsystem: {system % declared}\npacks: [eu-ai-act]\n"}
        )
        result = check(run_cli, repo)
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
        result = check(run_cli, repo)
        [art15] = [r for r in result["requirements"] if r["id"] == "AIA-15"]
        assert art15["controls"] == controls
        assert art15["status"] == "not_met"


def test_owasp_llm_on_the_support_assistant_reads_the_real_scans(
    example_repo: Callable[[str], Any], run_cli: Callable[..., CliResult]
) -> None:
    """The example's garak, promptfoo and Inspect outputs, its ML-BOM and config/llm.yaml,
    judged by the OWASP LLM pack: settings and BOM pass, the scans of the test generators fail
    on what got through or on too few attempts."""
    path = example_repo("support-assistant")
    config = (path / "govgate.yaml").read_text(encoding="utf-8")
    config = config.replace("  - readiness\n", "  - readiness\n  - owasp-llm\n", 1)
    # The scans are committed once; the example must not go stale while the tests age.
    config = config.replace("params:\n", "params:\n  owasp-llm: {redteam_max_age: 3650d}\n", 1)
    (path / "govgate.yaml").write_text(config, encoding="utf-8")
    RepoBuilder(path).commit("enable owasp-llm")
    done = run_cli("check", path, "--no-locker", "--format", "json")
    result = json.loads(done.stdout)
    statuses = {r["id"]: r["status"] for r in result["requirements"] if r["id"].startswith("OWASP")}
    met = ["OWASP-LLM03", "OWASP-LLM04", "OWASP-LLM06", "OWASP-LLM08", "OWASP-LLM10"]
    met.append("OWASP-LLM-SCOPE")  # the assistant declares system.llm: true
    assert statuses == {rid: "met" if rid in met else "not_met" for rid in statuses}
    assert len(statuses) == 11
    garak = [
        f
        for f in result["findings"]
        if f["rule"] == "OL-01.scan" and "garak" in f["item"] and f["status"] == "fail"
    ]
    assert garak and "attack_success_rate (0.5)" in garak[0]["message"]
