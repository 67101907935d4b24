"""HEAD read from git's files for the collector cache: the same commit `git rev-parse` names,
in every layout git keeps it (branch, detached, packed, worktree, sub-folder, unborn)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from govgate.support.git.state import head_state, state_patterns

from conftest import RepoBuilder


def test_head_state_follows_every_way_git_keeps_head(
    make_repo: Callable[..., RepoBuilder], tmp_path: Path
) -> None:
    repo = make_repo({"svc/a.md": "1\n"})
    first = repo.git("rev-parse", "HEAD").strip()
    assert head_state(repo.path) == f"HEAD={first}"
    assert head_state(repo.path / "svc") == f"HEAD={first}"  # a sub-folder: the repository's
    second = repo.write({"svc/a.md": "2\n"}).commit("second")
    assert head_state(repo.path) == f"HEAD={second}"
    repo.git("pack-refs", "--all")  # the branch now lives in packed-refs only
    assert not (repo.path / ".git" / "refs" / "heads" / "main").exists()
    assert head_state(repo.path) == f"HEAD={second}"
    repo.git("checkout", "-q", "--detach", first)
    assert head_state(repo.path) == f"HEAD={first}"
    worktree = tmp_path / "wt"
    repo.git("worktree", "add", "-q", "-b", "side", str(worktree), second)
    assert head_state(worktree) == f"HEAD={second}"
    unborn = make_repo(commit=False)
    assert head_state(unborn.path) == "HEAD=unborn:refs/heads/main"
    outside = make_repo({"a.md": "a\n"}, init=False)
    assert head_state(outside.path) is None


def test_state_patterns_name_git_files_only_where_git_dir_is_inside(
    make_repo: Callable[..., RepoBuilder],
) -> None:
    repo = make_repo({"svc/a.md": "1\n"})
    assert state_patterns(repo.path) == [
        ".git/HEAD",
        ".git/packed-refs",
        ".git/shallow",
        ".git/logs/HEAD",
        ".git/refs/heads/main",
    ]
    assert state_patterns(repo.path / "svc") == ["**"]
