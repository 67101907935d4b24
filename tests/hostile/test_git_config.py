"""A repository whose own git config names programs (an fsmonitor hook, clean and smudge
filters applied to every file by .gitattributes): `govgate check`, `check --base` and
`govgate dossier` (a fresh run and the recorded one) run none of them, and decide exactly as
they do on the same repository without that config.

Each planted program appends to a marker file outside the repository, so "ran" is observed,
not inferred. The layer's own tests (tests/support/test_git.py) cover the other mechanisms
one by one: hooks, process filters, textconv, external diffs, signature programs.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from conftest import CliResult, RepoBuilder

FILES = {
    "govgate.yaml": (
        "system: {name: planted, risk: high}\npacks: [gdpr]\nwaivers: governance/waivers.yaml\n"
    ),
    "governance/dpia.md": "# DPIA\n\nReviewed.\n",
    "governance/waivers.yaml": (
        "waivers:\n  - id: W-1\n    rule: GD-1.controller-identified\n"
        "    justification: the records of processing move to the new register next quarter\n"
        "    approver: Head of Privacy\n    approved: '2026-01-01'\n    expires: '2099-01-01'\n"
    ),
    "CODEOWNERS": "* @org/privacy\n",
    ".gitattributes": "* filter=planted\n",
}
FSMONITOR = '#!/bin/sh\necho "fsmonitor $*" >> "{marker}"\nexit 1\n'
FILTER = '#!/bin/sh\necho "filter $1" >> "{marker}"\nexec cat\n'


def build(make_repo: Callable[..., RepoBuilder], marker: Path, *, plant: bool) -> RepoBuilder:
    """main with a waiver and CODEOWNERS, then branch `pr` dropping CODEOWNERS (a new
    finding); with `plant`, the repository's config then names the programs, and every file's
    timestamp moves so git must read the files (through the clean filter, were it let)."""
    repo = make_repo(FILES)
    repo.git("checkout", "-q", "-b", "pr")
    repo.git("rm", "-q", "CODEOWNERS")
    repo.commit("drop CODEOWNERS")
    if plant:
        scripts = marker.parent / "planted"
        scripts.mkdir(exist_ok=True)
        for name, body in (("fsmonitor", FSMONITOR), ("filter", FILTER)):
            script = scripts / name
            script.write_text(body.format(marker=marker), encoding="utf-8")
            script.chmod(0o755)
        repo.git("config", "core.fsmonitor", str(scripts / "fsmonitor"))
        repo.git("config", "filter.planted.clean", f"{scripts / 'filter'} clean")
        repo.git("config", "filter.planted.smudge", f"{scripts / 'filter'} smudge")
    later = time.time() + 5
    for path in repo.path.rglob("*"):
        if ".git" not in path.relative_to(repo.path).parts and path.is_file():
            os.utime(path, (later, later))
    return repo


def verdict(done: CliResult) -> tuple[int, list[tuple[Any, ...]], Any]:
    """What a check decided: exit code, each finding's status (and `new`), the changes."""
    result = json.loads(done.stdout)
    findings = sorted((f["rule"], f["item"], f["status"], f.get("new")) for f in result["findings"])
    changes = result.get("changes") or {}
    return done.exit_code, findings, {k: changes.get(k) for k in ("files", "new_findings")}


@pytest.fixture
def twins(
    make_repo: Callable[..., RepoBuilder], tmp_path: Path
) -> tuple[RepoBuilder, RepoBuilder, Path]:
    marker = tmp_path / "outside" / "marker.log"
    marker.parent.mkdir()
    plain = build(make_repo, marker, plant=False)
    planted = build(make_repo, marker, plant=True)
    marker.unlink(missing_ok=True)  # the setup's own git commands are not govgate's
    return plain, planted, marker


def test_no_program_the_repository_config_names_runs_and_the_verdict_is_the_same(
    twins: tuple[RepoBuilder, RepoBuilder, Path],
    run_cli: Callable[..., CliResult],
    tmp_path: Path,
) -> None:
    plain, planted, marker = twins

    def ran() -> str:
        return marker.read_text(encoding="utf-8") if marker.exists() else ""

    for args in (["--format", "json"], ["--base", "main", "--format", "json"]):
        expected = verdict(run_cli("check", plain.path, *args))
        assert expected[0] == 1  # mostly missing records; no owners since the change
        assert verdict(run_cli("check", planted.path, *args)) == expected
        assert ran() == "", f"check {' '.join(args)} ran: {ran()}"
    assert expected[2]["new_findings"], "the change's own finding is told apart"
    assert planted.git("worktree", "list", "--porcelain").count("worktree ") == 1

    for args in (["--fresh"], []):  # a check run now, then the run the locker recorded
        out = tmp_path / f"dossier{len(args)}.html"
        done = run_cli("dossier", planted.path, "--html", "--out", out, *args)
        assert done.exit_code == 0, done.stderr
        assert ran() == "", f"dossier {' '.join(args)} ran: {ran()}"
    page = out.read_text(encoding="utf-8")
    assert "governance/waivers.yaml last committed by Test Author" in page
