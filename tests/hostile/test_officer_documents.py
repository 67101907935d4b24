"""The compliance officer's documents as a pull-request author who wants a PASS would attack
them: a dossier of a run made on another branch, and a report edited to say PASS."""

from __future__ import annotations

import base64
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from conftest import CliResult, git

pytestmark = pytest.mark.slow


def test_a_run_on_another_branch_does_not_become_mains_dossier(
    example_repo: Callable[[str], Path],
    run_cli: Callable[..., CliResult],
    tmp_path: Path,
    reliability: Any,
) -> None:
    repo = example_repo("loan-approval")
    git(repo, "checkout", "-q", "-b", "feature/refunds")
    (repo / "docs" / "privacy_notice.md").unlink()
    git(repo, "commit", "-q", "-am", "refunds")
    assert run_cli("check", repo).exit_code == 1
    git(repo, "checkout", "-q", "-")
    out = tmp_path / "main.pdf"
    done = run_cli("dossier", repo, "--out", out)
    assert done.exit_code == 2 and not out.exists()
    reliability.record(
        "dossier-other-branch-run",
        f"exit {done.exit_code}, no file written: {done.stderr.strip()[:200]}",
    )


def test_a_report_edited_to_say_pass_does_not_verify(
    example_repo: Callable[[str], Path],
    run_cli: Callable[..., CliResult],
    tmp_path: Path,
    reliability: Any,
) -> None:
    repo = example_repo("loan-approval")
    assert run_cli("check", repo).exit_code == 1
    report = tmp_path / "report.html"
    assert run_cli("report", repo, "--out", report).exit_code == 0
    text = report.read_text(encoding="utf-8")
    found = re.search(r'data-name="govgate-result.json" data-sha256="[^"]*">([^<]*)<', text)
    assert found
    result = base64.b64decode(found.group(1)).replace(b'"gate": "fail"', b'"gate": "pass"')
    forged = text.replace(found.group(1), base64.b64encode(result).decode("ascii"))
    forged = forged.replace('id="gate">FAIL<', 'id="gate">PASS<')
    (tmp_path / "forged.html").write_text(forged, encoding="utf-8")
    done = run_cli("verify", tmp_path / "forged.html")
    assert done.exit_code == 1
    assert "FAIL  attachment govgate-result.json" in done.stderr
    reliability.record(
        "forged-report-html",
        f"verify exit {done.exit_code}: {done.stderr.splitlines()[-1][:160]}",
    )
