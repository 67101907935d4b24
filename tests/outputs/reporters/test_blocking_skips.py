"""A run whose gate fails only because a rule at or above fail-on was skipped (its
prerequisite failed below fail-on): the GitHub, SARIF, JUnit and Markdown outputs each show
that rule, why it was skipped and that it blocks the gate, so their reader sees the reason
for the FAIL."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from junitparser import Failure, JUnitXml

from tests.cli.test_check import DEPENDENT_PACK

from conftest import CliResult, RepoBuilder

PACK = DEPENDENT_PACK.replace("SEVERITY", "critical")
SKIPPED = "skipped: prerequisite C-1.owner did not pass (fail)"
BLOCKS = "This blocks the gate: a critical rule (fail-on high) that was never judged"


@pytest.fixture
def outputs(
    make_repo: Callable[..., RepoBuilder], run_cli: Callable[..., CliResult], tmp_path: Path
) -> Path:
    repo = make_repo(
        {
            "govgate.yaml": "system: {name: s, risk: high}\npacks: [./packs/p]\n",
            "packs/p/pack.yaml": PACK,
            "card.yaml": "name: m\n",
        }
    )
    out = tmp_path / "out"
    done = run_cli(
        "check",
        repo.path,
        "--no-locker",
        "--format",
        "github,sarif,junit,markdown,json",
        "--output-dir",
        out,
    )
    assert done.exit_code == 1
    result = json.loads((out / "govgate.json").read_text())
    # Only the medium prerequisite failed, below fail-on: the skip alone fails the gate.
    assert result["gate"] == "fail"
    assert [(f["rule"], f["status"]) for f in result["findings"] if f["severity"] != "medium"] == [
        ("C-1.intended-use", "skipped")
    ]
    return out


def test_github_annotates_the_blocking_skip_as_an_error(outputs: Path) -> None:
    lines = (outputs / "govgate.github.txt").read_text().splitlines()
    [skip] = [line for line in lines if "C-1.intended-use" in line]
    assert skip.startswith(
        "::error file=govgate.yaml,title=C-1.intended-use (critical) skipped%3A blocks the gate::"
    )
    assert SKIPPED in skip and BLOCKS in skip
    assert "Fix: make C-1.owner pass" in skip.replace("%0A", "\n")


def test_sarif_reports_the_blocking_skip_as_an_error_result(outputs: Path) -> None:
    run = json.loads((outputs / "govgate.sarif").read_text())["runs"][0]
    [skip] = [r for r in run["results"] if r["ruleId"] == "C-1.intended-use"]
    assert skip["level"] == "error"
    assert skip["properties"]["status"] == "skipped"
    text = skip["message"]["text"]
    assert text.startswith(SKIPPED) and BLOCKS in text


def test_junit_makes_the_blocking_skip_a_failure(outputs: Path) -> None:
    xml = JUnitXml.fromfile(str(outputs / "govgate.junit.xml"))
    cases = {case.name: case for suite in xml for case in suite}
    [result] = cases["C-1.intended-use"].result
    assert isinstance(result, Failure)
    assert result.message == f"{SKIPPED}; this blocks the gate"
    assert BLOCKS in (result.text or "")
    assert xml.failures == 2 and xml.skipped == 0


def test_markdown_lists_the_blocking_skip_with_the_failures(outputs: Path) -> None:
    text = (outputs / "govgate.md").read_text()
    assert "### Failing (2)" in text
    assert "- **CRITICAL** **SKIPPED** `C-1.intended-use` — blocks the gate" in text
    assert "skipped: prerequisite C-1.owner did not pass \\(fail\\)" in text
    assert "This blocks the gate: a critical rule \\(fail-on high\\) that was never judged" in text
    assert (
        "1 finding blocks the gate (errors, and failures and skipped rules at or above high)."
        in text
    )
