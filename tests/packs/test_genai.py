"""The GenAI packs on real repositories: the real CLI, the real collectors, real files.

The packs' own cases (policies/<pack>/tests) pin every rule's verdicts on inline evidence; these
tests show that what a team commits (config/llm.yaml, govgate.yaml's facts, a Statement of
Applicability) reaches the rules as written and what the user reads about it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from conftest import CliResult, RepoBuilder

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
    # No scan and no AI bill of materials: missing evidence is never a pass.
    assert status["OL-01.scan[None]"] == "fail"
    assert status["OL-03.bom-complete[None]"] == "fail"
    assert result["gate"] == "fail" and result["exit_code"] == 1
