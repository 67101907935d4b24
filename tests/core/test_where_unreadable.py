"""A rule's `where:` over evidence that could not be read (a red-team scan cut short): the finding
names the file and its problem and fails, never "missing evidence" (never a pass by an older
scan the filter still selects: tests/hostile/test_unreadable_evidence.py)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from conftest import REPO_ROOT, CliResult, RepoBuilder

GARAK = REPO_ROOT / "tests/fixtures/redteam/garak"

PACK = """\
pack: injection
version: 1.0.0
title: Prompt injection
requirements:
  - {id: INJ, title: Prompt injection is tested, source: {framework: Test, ref: '1'}}
controls:
  - {id: INJ-1, title: A prompt-injection scan, satisfies: [INJ]}
rules:
  - id: INJ-1.scanned
    control: INJ-1
    severity: high
    evidence: {kind: genai.redteam, where: {path: categories.LLM01.attempts, op: gt, value: 0}}
    assert: {path: categories.LLM01.attempts, op: gt, value: 0}
    message: "{source.path} made no prompt-injection attempt"
    remediation: "run the prompt-injection probes"
"""
CONFIG = "system: {name: bot, risk: limited, llm: true}\npacks: [./packs/injection]\n"
FILES = {"govgate.yaml": CONFIG, "packs/injection/pack.yaml": PACK}


def cut_report() -> str:
    """garak's report cut inside its sixth line, as a killed run or a bad copy leaves it."""
    lines = (GARAK / "support-assistant-1.5.0.report.jsonl").read_text().splitlines()
    return "\n".join(lines[:5]) + "\n" + lines[5][:40] + "\n"


def findings(run_cli: Callable[..., CliResult], repo: RepoBuilder) -> tuple[int, list[Any]]:
    result = run_cli("check", repo.path, "--no-locker", "--format", "json")
    document = json.loads(result.stdout)
    return result.exit_code, [f for f in document["findings"] if f["rule"] == "INJ-1.scanned"]


def test_an_unreadable_scan_is_named_not_missing(
    make_repo: Callable[..., RepoBuilder], run_cli: Callable[..., CliResult]
) -> None:
    repo = make_repo({**FILES, "reports/redteam/new.report.jsonl": cut_report()})
    code, (finding,) = findings(run_cli, repo)
    assert code == 1
    assert finding["status"] == "fail"
    assert not finding["message"].startswith("missing evidence")
    assert finding["message"].startswith(
        "reports/redteam/new.report.jsonl: could not be read, so `where` cannot tell whether "
        "this rule checks it: unusable red-team output: line 6 is not JSON"
    )
    assert finding["location"] == {"path": "reports/redteam/new.report.jsonl", "line": 6}
    assert finding["remediation"] == "fix the file so it matches the documented format"
