"""GenAI evidence that only looks complete never passes.

The author of a change who wants a PASS from the OWASP LLM, EU AI Act and ISO/IEC 42001 rules
can write what reads like an answer: a model "version" that is an alias, a permission with a
wildcard inside it, no tools list at all, a marking of "none", a Statement of Applicability that
quietly leaves controls out or decides one twice. Each fails its rule, at its file and line.
"""

from __future__ import annotations

from collections.abc import Callable

from conftest import EXAMPLES, CliResult, RepoBuilder
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


def test_settings_that_look_narrow_do_not_outweigh_a_scan_that_got_through(
    make_repo: Callable[..., RepoBuilder], run_cli: Callable[..., CliResult], reliability
) -> None:
    """config/llm.yaml declares narrow tools, each side effect approved by a person; the
    committed promptfoo scan (the real tool's output, the example's) shows its excessive-agency
    attack got through. The settings do not make the scan go unread: LLM06 is not met."""
    scan = (EXAMPLES / "support-assistant/reports/redteam/promptfoo/results.json").read_text()
    repo = make_repo(
        {
            "govgate.yaml": (
                "version: 1\n"
                "system: {name: assistant, risk: limited, llm: true, model_version: '2026.08.1'}\n"
                "packs: [owasp-llm]\n"
                # The scan's date is the example's; its age is not what this test is about.
                "params: {owasp-llm: {redteam_max_age: 3650d}}\n"
            ),
            "config/llm.yaml": (
                "model: {provider: hosted, name: assistant, version: '2026.08.1'}\n"
                "tools:\n"
                "  - {name: lookup_order, permissions: [orders:read], side_effects: false}\n"
                "  - name: propose_credit\n"
                "    permissions: [credits:propose]\n"
                "    side_effects: true\n"
                "    requires_approval: true\n"
            ),
            "reports/redteam/promptfoo/results.json": scan,
        }
    )
    result = check_json(run_cli, repo.path)
    tools = [f for f in result["findings"] if f["rule"] == "OL-06.tools-least-privilege"]
    assert {f["status"] for f in tools} == {"pass"} and len(tools) == 2
    [agency] = [f for f in result["findings"] if f["rule"] == "OL-06.scan"]
    assert agency["status"] == "fail"
    assert agency["location"]["path"] == "reports/redteam/promptfoo/results.json"
    assert "excessive agency (LLM06)" in agency["message"]
    [llm06] = [r for r in result["requirements"] if r["id"] == "OWASP-LLM06"]
    assert llm06["status"] == "not_met"
    assert result["exit_code"] == 1 and result["gate"] == "fail"
    reliability.record(
        "genai-settings-over-scan",
        f"narrow tools with approval declared, promptfoo's excessive-agency attack through:"
        f" OL-06.scan fails at {agency['location']['path']}, OWASP-LLM06 {llm06['status']},"
        f" exit {result['exit_code']}",
    )
