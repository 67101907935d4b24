"""`system.llm: false` switches the GenAI packs' controls off. An author who wants a PASS
keeps the LLM calls out of the code (a hosted model behind an HTTP call nobody greps for) and
declares `llm: false`, while the repository still holds the LLM settings, an ML-BOM of the
language model or red-team scans of it. Each of those contradicts the declaration and fails
the pack's scope rule, naming the file."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from conftest import CliResult, RepoBuilder

CONFIG = "system: {name: helpdesk, risk: limited, llm: false}\npacks: [owasp-llm]\n"
BOM = {
    "bomFormat": "CycloneDX",
    "specVersion": "1.6",
    "version": 1,
    "components": [
        {
            "type": "machine-learning-model",
            "name": "helpdesk-llm",
            "modelCard": {"modelParameters": {"task": "text-generation"}},
        }
    ],
}
EVIDENCE = {
    "llm-config": (
        {"config/llm.yaml": "model:\n  provider: hosted\n  name: helpdesk-llm\n"},
        "config/llm.yaml:3 (declares the model helpdesk-llm)",
    ),
    "ml-bom": (
        {"bom/helpdesk.cdx.json": json.dumps(BOM, indent=2)},
        "bom/helpdesk.cdx.json:8 (lists the language model helpdesk-llm)",
    ),
    "redteam": (
        {"reports/redteam/promptfoo/results.json": '{"results": {}}\n'},
        "reports/redteam/promptfoo/results.json (is LLM red-team output (promptfoo))",
    ),
}


@pytest.mark.parametrize("evidence", sorted(EVIDENCE))
def test_llm_false_against_the_llm_evidence_fails(
    evidence: str,
    make_repo: Callable[..., RepoBuilder],
    run_cli: Callable[..., CliResult],
    reliability,
) -> None:
    files, where = EVIDENCE[evidence]
    repo = make_repo({"govgate.yaml": CONFIG, "app/helpdesk.py": "import requests\n", **files})
    done = run_cli("check", repo.path, "--no-locker", "--format", "json")
    result = json.loads(done.stdout)
    [scope] = [f for f in result["findings"] if f["rule"] == "OL-00.llm-consistent"]
    assert scope["status"] == "fail"
    assert scope["message"].startswith(f"LLM use detected in {where} but govgate.yaml declares")
    assert (done.exit_code, result["gate"]) == (1, "fail")
    reliability.record(
        "llm-false-with-llm-evidence",
        f"system.llm: false, no LLM import, {evidence} committed: exit {done.exit_code}, "
        f"OL-00.llm-consistent fails at {where}",
    )


def test_an_llm_configuration_moved_by_govgate_yaml_is_read_where_it_is(
    make_repo: Callable[..., RepoBuilder], run_cli: Callable[..., CliResult]
) -> None:
    repo = make_repo(
        {
            "govgate.yaml": CONFIG + "evidence: {llm_config: settings/model.yaml}\n",
            "settings/model.yaml": "model: {provider: hosted, name: helpdesk-llm}\n",
        }
    )
    done = run_cli("check", repo.path, "--no-locker", "--format", "json")
    [scope] = [
        f for f in json.loads(done.stdout)["findings"] if f["rule"] == "OL-00.llm-consistent"
    ]
    assert scope["status"] == "fail"
    assert scope["message"].startswith(
        "LLM use detected in settings/model.yaml:1 (declares the model helpdesk-llm)"
    )
