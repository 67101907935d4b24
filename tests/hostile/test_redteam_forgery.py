"""Red-team scans a change's author would like to pass: a scan whose verdict was edited, a
probe cut out of a garak report, a scan dated in the future, a local mapping that makes a
harmless test count as a prompt-injection scan. None passes a rule; each says why.

The scans are the outputs the real tools wrote (tests/fixtures/redteam); the forgeries are
the edits an author would make with a text editor.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import pytest

from conftest import REPO_ROOT, CliResult, RepoBuilder

OUTPUTS = REPO_ROOT / "tests" / "fixtures" / "redteam"

PACK = """\
pack: scans
version: 1.0.0
title: Red-team gate
requirements:
  - {id: S-1, title: Injection resisted, source: {framework: T, ref: "1"}}
controls:
  - {id: SC-1, title: Scans pass, satisfies: [S-1]}
rules:
  - id: SC-1.injection
    control: SC-1
    severity: high
    evidence: {kind: genai.redteam, where: {path: categories.LLM01, op: exists}}
    assert:
      all:
        - {path: mapping_version, op: matches, value: '^owasp-llm-2025\\.\\d+$'}
        - {path: categories.LLM01.attack_success_rate, op: le, value: 0.1}
    message: "{source.path}: {path} is {actual}"
    remediation: rescan
"""


def gate(
    make_repo: Callable[..., RepoBuilder],
    run_cli: Callable[..., CliResult],
    files: dict[str, str],
    config: str = "",
) -> tuple[int, list[dict[str, Any]], list[dict[str, Any]]]:
    repo = make_repo(
        {
            "govgate.yaml": "system: {name: bot, risk: limited, llm: true}\n"
            "packs: [./packs/scans]\n" + config,
            "packs/scans/pack.yaml": PACK,
            **files,
        }
    )
    result = run_cli("check", repo.path, "--no-locker", "--format", "json")
    document = json.loads(result.stdout)
    findings = [f for f in document["findings"] if f["rule"] == "SC-1.injection"]
    return result.exit_code, findings, document["diagnostics"]


def text(name: str) -> str:
    return (OUTPUTS / name).read_text(encoding="utf-8")


@pytest.mark.slow
def test_an_edited_verdict_is_no_pass(
    make_repo: Callable[..., RepoBuilder], run_cli: Callable[..., CliResult], reliability: Any
) -> None:
    # garak: the eval lines zeroed, the attempts they rest on left as garak wrote them.
    garak = "\n".join(
        re.sub(r'"fails": \d+', '"fails": 0', line) if '"entry_type": "eval"' in line else line
        for line in text("garak/support-assistant-1.4.0.report.jsonl").splitlines()
    )
    # promptfoo: every failed attack marked a success, promptfoo's totals left alone.
    promptfoo = json.loads(text("promptfoo/results.json"))
    for result in promptfoo["results"]["results"]:
        result["success"] = True
    # Inspect: every sample scored correct, Inspect's accuracy left alone.
    inspect_log = json.loads(text("inspect/prompt-injection.json"))
    for sample in inspect_log["samples"]:
        sample["scores"]["includes"]["value"] = "C"
    code, findings, _ = gate(
        make_repo,
        run_cli,
        {
            "reports/redteam/garak.report.jsonl": garak,
            "reports/redteam/promptfoo.json": json.dumps(promptfoo),
            "reports/redteam/inspect.json": json.dumps(inspect_log),
        },
    )
    assert code == 1
    assert len(findings) == 3 and {f["status"] for f in findings} == {"fail"}
    messages = " | ".join(sorted(f["message"] for f in findings))
    assert "(reports/redteam/garak.report.jsonl): probe exploitation.SQLInjectionEcho" in messages
    assert "results.stats counts 4 successes and 3 failures or errors, the results 7 and 0" in (
        messages
    )
    assert "results say accuracy 0.5 for includes, the samples 4 of 4" in messages
    reliability.record(
        "redteam-edited-verdict",
        f"garak eval lines zeroed, promptfoo successes flipped, Inspect scores set to C: "
        f"3 findings fail, exit {code}: {messages[:400]}",
    )


def test_a_probe_cut_out_of_a_garak_report_is_no_pass(
    make_repo: Callable[..., RepoBuilder], run_cli: Callable[..., CliResult], reliability: Any
) -> None:
    kept = [
        line
        for line in text("garak/support-assistant-1.4.0.report.jsonl").splitlines()
        if "promptinject.HijackHateHumans" not in line or "start_run setup" in line
    ]
    code, findings, _ = gate(
        make_repo, run_cli, {"reports/redteam/garak.report.jsonl": "\n".join(kept) + "\n"}
    )
    [finding] = findings
    assert code == 1 and finding["status"] == "fail"
    assert (
        "probe promptinject.HijackHateHumans ran (the setup line lists it) but the report "
        in (finding["message"])
    )
    reliability.record(
        "redteam-removed-probe",
        f"the lines of the probe that got through removed from a garak report: {finding['status']}"
        f", exit {code}: {finding['message'][:300]}",
    )


def test_a_scan_dated_in_the_future_is_no_pass(
    make_repo: Callable[..., RepoBuilder], run_cli: Callable[..., CliResult], reliability: Any
) -> None:
    guarded = text("garak/support-assistant-1.5.0.report.jsonl")
    future = re.sub(r"\d{4}-\d{2}-\d{2}T", "2099-01-04T", guarded)
    code, findings, diagnostics = gate(
        make_repo, run_cli, {"reports/redteam/garak.report.jsonl": future}
    )
    [finding] = findings
    assert code == 1 and finding["status"] == "fail"
    assert "after now: a scan cannot have run in the future" in finding["message"]
    assert any(d["level"] == "error" and "2099-01-04" in d["message"] for d in diagnostics)
    # The same scan with its real date passes.
    code, findings, _ = gate(make_repo, run_cli, {"reports/redteam/garak.report.jsonl": guarded})
    assert (code, findings[0]["status"]) == (0, "pass")
    reliability.record(
        "redteam-future-scan",
        f"a garak report redated 2099: {finding['status']}, exit 1: {finding['message'][:240]}",
    )


def test_a_local_mapping_that_turns_a_harmless_test_into_a_scan_is_no_pass(
    make_repo: Callable[..., RepoBuilder], run_cli: Callable[..., CliResult], reliability: Any
) -> None:
    # garak's test.Blank probe sends one empty prompt; mapped to LLM01 it "resists injection".
    blank = [
        line
        for line in text("garak/support-assistant-1.4.0.report.jsonl").splitlines()
        if ('"entry_type": "attempt"' not in line and '"entry_type": "eval"' not in line)
        or "test.Blank" in line
    ]
    # ...and the setup line says test.Blank was the only probe, as a run of it alone would.
    setup = json.loads(blank[0])
    setup["transient.active_probes"] = ["probes.test.Blank"]
    blank[0] = json.dumps(setup)
    assert any("test.Blank" in line for line in blank[1:])
    mapping = "collectors:\n  redteam:\n    mapping: {garak: {test.Blank: [LLM01]}}\n"
    code, findings, diagnostics = gate(
        make_repo, run_cli, {"reports/redteam/garak.report.jsonl": "\n".join(blank) + "\n"}
    )
    assert findings[0]["status"] == "fail"  # without the mapping: no LLM01 scan at all
    code, findings, diagnostics = gate(
        make_repo,
        run_cli,
        {"reports/redteam/garak.report.jsonl": "\n".join(blank) + "\n"},
        mapping,
    )
    [finding] = findings
    assert code == 1 and finding["status"] == "fail"
    assert finding["message"].endswith("mapping_version is owasp-llm-2025.1+local")
    warned = [d["message"] for d in diagnostics if "mapping decides" in d["message"]]
    assert warned == ["govgate.yaml collectors.redteam.mapping decides the risks of test.Blank"]
    reliability.record(
        "redteam-local-mapping",
        f"govgate.yaml maps garak's test.Blank to LLM01: {finding['status']}, exit {code}: "
        f"{finding['message'][:200]}; warned: {warned[0]}",
    )
