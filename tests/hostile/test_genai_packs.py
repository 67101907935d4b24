"""GenAI evidence that only looks complete never passes.

The author of a change who wants a PASS from the OWASP LLM, EU AI Act and ISO/IEC 42001 rules
can write what reads like an answer: a model "version" that is an alias, a permission with a
wildcard inside it, no tools list at all, a marking of "none", a Statement of Applicability that
quietly leaves controls out or decides one twice. Each fails its rule, at its file and line.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from conftest import CliResult, RepoBuilder

ANNEX_A_BUT_TWO = [
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
    "A.9.2",
    "A.9.3",
    "A.9.4",
    "A.10.2",
    "A.10.3",
    "A.10.4",
    "A.10.4",
]  # A.5.5 and A.8.5 left out, A.10.4 decided twice


def test_genai_evidence_that_only_looks_complete_fails(
    make_repo: Callable[..., RepoBuilder], run_cli: Callable[..., CliResult], reliability
) -> None:
    soa = "approved_by: Board\napproval_date: '2026-11-02'\ncontrols:\n" + "".join(
        f"  - {{id: {a}, applicable: true, reason: in scope}}\n" for a in ANNEX_A_BUT_TWO
    )
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
            "governance/statement_of_applicability.yaml": soa,
        }
    )
    done = run_cli("check", repo.path, "--no-locker", "--format", "json")
    result = json.loads(done.stdout)
    status = {(f["rule"], f["item"]): f["status"] for f in result["findings"]}
    looks_complete = {
        ("OL-03.model-pinned", "config/llm.yaml"),
        ("OL-06.tools-least-privilege", "config/llm.yaml"),
        ("EU-13.machine-readable-marking", "config/llm.yaml"),
        ("AIMS-9.soa-lists-control", "A.5.5"),
        ("AIMS-9.soa-lists-control", "A.8.5"),
        ("AIMS-9.soa-approved", "governance/statement_of_applicability.yaml"),
    }
    assert {key: status.get(key) for key in looks_complete} == dict.fromkeys(looks_complete, "fail")
    assert done.exit_code == 1 and result["gate"] == "fail"
    # A wildcard inside a permission is refused too.
    repo.write(
        {
            "config/llm.yaml": (
                "model: {provider: hosted, name: assistant, version: '2026-05-01'}\n"
                "tools: [{name: export, permissions: ['orders:*'], side_effects: false}]\n"
            )
        }
    ).commit("a narrower-looking wildcard")
    again = json.loads(run_cli("check", repo.path, "--no-locker", "--format", "json").stdout)
    [tool] = [f for f in again["findings"] if f["rule"] == "OL-06.tools-least-privilege"]
    assert tool["status"] == "fail" and tool["item"] == "export"
    reliability.record(
        "genai-looks-complete",
        "version LATEST, tools unsaid, marking 'none', SoA missing two controls and deciding one"
        f" twice, a permission 'orders:*': {len(looks_complete) + 1} rules fail, gate fail,"
        f" exit {done.exit_code}",
    )
