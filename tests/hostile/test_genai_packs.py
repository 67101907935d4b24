"""GenAI evidence that only looks complete never passes.

The author of a change who wants a PASS from the OWASP LLM, EU AI Act and ISO/IEC 42001 rules
can write what reads like an answer: a model "version" that is an alias, a permission with a
wildcard inside it, no tools list at all, a marking of "none", a Statement of Applicability that
quietly leaves controls out or decides one twice. Each fails its rule, at its file and line.
"""

from __future__ import annotations

from collections.abc import Callable

from conftest import CliResult, RepoBuilder
from genai_files import ANNEX_A, SOA_PATH, check_json, statement_of_applicability, statuses

#: A.5.5 and A.8.5 left out, A.10.4 decided twice.
ANNEX_A_BUT_TWO = [a for a in ANNEX_A if a not in ("A.5.5", "A.8.5")] + ["A.10.4"]


def test_genai_evidence_that_only_looks_complete_fails(
    make_repo: Callable[..., RepoBuilder], run_cli: Callable[..., CliResult], reliability
) -> None:
    soa = statement_of_applicability(ANNEX_A_BUT_TWO)
    repo = make_repo(
        {
            "govgate.yaml": (
                "version: 1\n"
                "system: {name: assistant, risk: limited, role: provider, llm: true,"
                " model_version: LATEST, gpai_provider: false}\n"
                "packs: [owasp-llm, eu-ai-act, iso-42001]\n"
            ),
            "config/llm.yaml": (
                "model: {provider: hosted, name: assistant, version: LATEST}\n"
                "output: {pii_filter: true, validated: true, marking: none}\n"
                "retrieval: {enabled: false}\n"
                "system_prompt: {confidential: false}\n"
                "data_sources: []\n"
                "limits: {requests_per_minute: 20, max_input: 4000, max_output: 600}\n"
            ),
            SOA_PATH: soa,
        }
    )
    result = check_json(run_cli, repo.path)
    status = statuses(result)
    looks_complete = {
        ("OL-03.model-pinned", "config/llm.yaml"),
        ("OL-06.tools-least-privilege", "config/llm.yaml"),
        ("EU-13.machine-readable-marking", "config/llm.yaml"),
        ("AIMS-9.soa-lists-control", "A.5.5"),
        ("AIMS-9.soa-lists-control", "A.8.5"),
        ("AIMS-9.soa-approved", SOA_PATH),
    }
    assert {key: status.get(key) for key in looks_complete} == dict.fromkeys(looks_complete, "fail")
    assert result["exit_code"] == 1 and result["gate"] == "fail"
    # A wildcard inside a permission is refused too.
    repo.write(
        {
            "config/llm.yaml": (
                "model: {provider: hosted, name: assistant, version: '2026-05-01'}\n"
                "tools: [{name: export, permissions: ['orders:*'], side_effects: false}]\n"
            )
        }
    ).commit("a narrower-looking wildcard")
    again = check_json(run_cli, repo.path)
    [tool] = [f for f in again["findings"] if f["rule"] == "OL-06.tools-least-privilege"]
    assert tool["status"] == "fail" and tool["item"] == "export"
    reliability.record(
        "genai-looks-complete",
        "version LATEST, tools unsaid, marking 'none', SoA missing two controls and deciding one"
        f" twice, a permission 'orders:*': {len(looks_complete) + 1} rules fail, gate fail,"
        f" exit {result['exit_code']}",
    )
