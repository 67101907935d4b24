"""The dossier's input: from a check run, who prepares it, and the target's git facts."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from govgate.core.result import git_target
from govgate.outputs.dossier import DossierInput, git_user_name


def test_input_from_outcome_cites_the_run_and_its_evidence(example_input: DossierInput) -> None:
    assert example_input.prepared_by == "Audit Team"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", example_input.generated_at)
    digests = {e.digest for e in example_input.evidence}
    assert digests == {e["digest"] for e in example_input.result["evidence"]}


def test_prepared_by_defaults_to_the_repository_git_user(
    make_repo: Callable[..., object],
) -> None:
    repo = make_repo({"README.md": "x\n"})
    repo.git("config", "user.name", "Repo Owner")  # type: ignore[attr-defined]
    assert git_user_name(repo.path) == "Repo Owner"  # type: ignore[attr-defined]


def test_git_target_records_uncommitted_changes_in_one_read_only_git_process(
    make_repo: Callable[..., object], monkeypatch: pytest.MonkeyPatch
) -> None:
    import subprocess

    repo = make_repo({"governance/oversight.yaml": "gate: on\n", "svc/app.py": "x = 1\n"})
    path: Path = repo.path  # type: ignore[attr-defined]
    head = repo.git("rev-parse", "HEAD").strip()  # type: ignore[attr-defined]
    calls: list[list[str]] = []
    real_run = subprocess.run

    def counting(args: list[str], **kw: object) -> object:
        calls.append(args)
        return real_run(args, **kw)  # type: ignore[call-overload]

    monkeypatch.setattr(subprocess, "run", counting)
    assert git_target(path) == {"commit": head, "branch": "main", "dirty": False}
    assert len(calls) == 1
    (path / "notes.txt").write_text("untracked\n", encoding="utf-8")
    assert git_target(path)["dirty"] is False  # untracked files are not looked for
    (path / "governance" / "oversight.yaml").write_text("gate: off\n", encoding="utf-8")
    assert git_target(path)["dirty"] is True
    assert git_target(path / "svc")["dirty"] is False  # a target folder: only its own files
    repo.git("add", "governance")  # type: ignore[attr-defined]
    assert git_target(path)["dirty"] is True  # staged is still uncommitted
    repo.git("commit", "-q", "-m", "gate off")  # type: ignore[attr-defined]
    # A tracked file whose timestamp changed: `git status` would rewrite the index to record
    # it; the hook path must not write (git may hold the index lock while a hook runs).
    index = (path / ".git" / "index").read_bytes()
    touched = path / "svc" / "app.py"
    later = touched.stat().st_mtime + 10
    os.utime(touched, (later, later))
    assert git_target(path)["dirty"] is False
    assert (path / ".git" / "index").read_bytes() == index
    repo.git("checkout", "-q", "--detach")  # type: ignore[attr-defined]
    detached = git_target(path)
    assert detached["branch"] is None and detached["commit"] != head
    unborn = make_repo({"a.txt": "a\n"}, commit=False)
    assert git_target(unborn.path) == {"commit": None, "branch": "main", "dirty": False}  # type: ignore[attr-defined]
    unborn.git("add", "a.txt")  # type: ignore[attr-defined]
    assert git_target(unborn.path)["dirty"] is True  # type: ignore[attr-defined]
    plain = make_repo({"a.txt": "a\n"}, init=False)
    assert git_target(plain.path) == {"commit": None, "branch": None, "dirty": None}  # type: ignore[attr-defined]
