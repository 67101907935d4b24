"""Fixtures of the report's tests: the loan-approval example in a git repository with three
recorded check runs (the third after a commit that deletes the privacy notice, so a
requirement changes status), and the report `govgate report` wrote of them. Built once per
session: three checks cost a few seconds."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from conftest import EXAMPLES, git


@dataclass(frozen=True)
class ThreeRuns:
    repo: Path
    report: Path
    commits: tuple[str, ...]
    latest: dict[str, Any]
    stderr: str


@pytest.fixture(scope="session")
def three_runs(tmp_path_factory: pytest.TempPathFactory) -> ThreeRuns:
    from govgate.cli.main import main

    base = tmp_path_factory.mktemp("report")
    repo = base / "loan-approval"
    shutil.copytree(EXAMPLES / "loan-approval", repo, ignore=shutil.ignore_patterns(".govgate"))
    commits = []
    runner = CliRunner()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GOVGATE_DISABLE_PLUGIN_AUTOLOAD", "1")
        mp.setenv("GOVGATE_CACHE_DIR", str(base / "user-cache"))
        git(repo, "init", "-q", "-b", "main")
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "-m", "example")
        for step in range(3):
            if step == 2:
                git(repo, "rm", "-q", "docs/privacy_notice.md")
                git(repo, "commit", "-q", "-m", "drop the privacy notice")
            commits.append(git(repo, "rev-parse", "HEAD").strip())
            done = runner.invoke(main, ["check", str(repo), "--format", "json"])
            assert done.exit_code == 1, done.output  # the example fails its gate
        latest = json.loads(done.stdout)
        out = base / "report.html"
        done = runner.invoke(main, ["report", str(repo), "--out", str(out)])
        assert done.exit_code == 0, done.output
    return ThreeRuns(repo, out, tuple(commits), latest, done.stderr)
