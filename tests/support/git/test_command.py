"""The git layer: every command runs with the repository's executable config neutralised, one
planted program per mechanism (each proven live first with plain git), plus errors, refs and
the working-tree summary of the hook path."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from govgate.support.git import (
    Git,
    GitError,
    GitNotFound,
    GitTimeout,
    Repository,
    branch_name,
    committer_date,
    fetch_hint,
    filter_drivers,
    git_target,
    hooks_dir,
    one_line,
    signed_commits,
)
from govgate.support.git.codeowners import CODEOWNERS_FILES
from govgate.support.git.history import (
    changed_since,
    changes_between,
    ignored_paths,
    is_unchanged,
    last_changes,
    last_commit_date,
    uncommitted_paths,
)
from govgate.support.git.materialize import (
    add_worktree,
    materialize_index,
    materialize_tree,
    remove_worktree,
)

from conftest import RepoBuilder, git

PROGRAM = '#!/bin/sh\necho "{name} $*" >> "{marker}"\n{tail}\n'
#: Every way a repository's config can name a program git runs, with what the program must do
#: so git keeps working (a filter passes its input through; a hook or fsmonitor says no).
PROGRAMS = {
    "fsmonitor": "exit 1",
    "clean": "exec cat",
    "smudge": "exec cat",
    "process": "exit 1",
    "odd-name": "exec cat",
    "textconv": "exec cat",
    "diff-command": "exit 0",
    "external-diff": "exit 0",
    "pager": "exec cat",
    "gpg": "exit 1",
    "hook": "exit 0",
}


def signed_commit(repo: RepoBuilder, message: str) -> str:
    """A commit carrying an OpenPGP signature header, written by hand (no gpg in tests)."""
    tree = repo.git("rev-parse", "HEAD^{tree}").strip()
    parent = repo.git("rev-parse", "HEAD").strip()
    body = (
        f"tree {tree}\nparent {parent}\n"
        "author Sig Ner <s@example.invalid> 1767225600 +0000\n"
        "committer Sig Ner <s@example.invalid> 1767225600 +0000\n"
        "gpgsig -----BEGIN PGP SIGNATURE-----\n \n iQEzBAABCAAdFiEE\n -----END PGP SIGNATURE-----\n"
        f"\n{message}\n"
    )
    sha = subprocess.run(
        ["git", "-C", str(repo.path), "hash-object", "-t", "commit", "-w", "--stdin"],
        input=body,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    repo.git("update-ref", "refs/heads/main", sha)
    return sha


class Planted:
    """A repository whose .git/config (and hooks) name a program for every mechanism."""

    def __init__(self, repo: RepoBuilder, marker: Path) -> None:
        self.repo = repo
        self.marker = marker

    @property
    def path(self) -> Path:
        return self.repo.path

    def ran(self) -> str:
        return self.marker.read_text(encoding="utf-8") if self.marker.exists() else ""

    def reset(self) -> None:
        self.marker.unlink(missing_ok=True)

    def touch_all(self) -> None:
        """New timestamps on every file: git must read them again (through filters)."""
        for path in self.path.rglob("*"):
            if ".git" not in path.relative_to(self.path).parts and path.is_file():
                os.utime(path, (path.stat().st_atime + 7, path.stat().st_mtime + 7))


@pytest.fixture
def planted(make_repo: Callable[..., RepoBuilder], tmp_path: Path) -> Planted:
    repo = make_repo(
        {
            ".gitattributes": "*.md filter=planted\nodd.txt filter=a=b\n*.log diff=planted\n",
            "governance/dpia.md": "# DPIA\n",
            "governance/raci.md": "# RACI\n",
            "odd.txt": "odd\n",
            "review.log": "draft\n",
            "plain.txt": "one\n",
            "CODEOWNERS": "governance/ @org/privacy\n",
        }
    )
    repo.write(
        {"governance/dpia.md": "# DPIA\n\nReviewed.\n", "review.log": "done\n", "plain.txt": "2\n"}
    )
    repo.commit("review the DPIA")
    signed_commit(repo, "signed change")
    marker = tmp_path / "outside" / "ran.log"
    scripts = marker.parent / "programs"
    scripts.mkdir(parents=True)
    for name, tail in PROGRAMS.items():
        script = scripts / name
        script.write_text(PROGRAM.format(name=name, marker=marker, tail=tail), encoding="utf-8")
        script.chmod(0o755)
    hooks = repo.path / ".git" / "hooks"
    for hook in ("post-checkout", "post-index-change", "reference-transaction", "pre-commit"):
        (hooks / hook).write_text(
            PROGRAM.format(name=f"hook {hook}", marker=marker, tail="exit 0"), encoding="utf-8"
        )
        (hooks / hook).chmod(0o755)
    settings = {
        "core.fsmonitor": scripts / "fsmonitor",
        "filter.planted.clean": scripts / "clean",
        "filter.planted.smudge": scripts / "smudge",
        "filter.planted.process": scripts / "process",
        "filter.planted.required": "true",
        "filter.a=b.clean": scripts / "odd-name",
        "filter.a=b.smudge": scripts / "odd-name",
        "diff.planted.textconv": scripts / "textconv",
        "diff.planted.command": scripts / "diff-command",
        "diff.external": scripts / "external-diff",
        "core.pager": scripts / "pager",
        "pager.log": scripts / "pager",
        "gpg.program": scripts / "gpg",
        "gpg.ssh.program": scripts / "gpg",
        "log.showSignature": "true",
    }
    for key, value in settings.items():
        repo.git("config", key, str(value))
    found = Planted(repo, marker)
    found.touch_all()
    found.reset()
    return found


def test_the_planted_programs_are_live_for_plain_git(planted: Planted) -> None:
    """The control: git itself, unguarded, runs what the config names."""
    plain = {**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull}
    for args in (
        ["status", "--porcelain"],
        ["status", "--porcelain", "--", "odd.txt"],  # the process filter stops the first
        ["log", "-1"],
        ["diff", "HEAD~2", "HEAD", "--", "review.log"],
        ["diff", "--no-ext-diff", "HEAD~2", "HEAD", "--", "review.log"],
        ["diff", "HEAD~2", "HEAD", "--", "plain.txt"],
        ["read-tree", "HEAD"],
    ):
        subprocess.run(["git", "-C", str(planted.path), *args], capture_output=True, env=plain)
    # (`planted` has a process filter, which git prefers to its clean and smudge; `a=b` has
    # only those two. No terminal here, so no pager: its setting is planted all the same.)
    for name in PROGRAMS.keys() - {"clean", "smudge", "pager", "hook"}:
        assert name in planted.ran(), (name, planted.ran())
    assert "hook post-index-change" in planted.ran()


def test_no_command_of_the_layer_runs_a_planted_program(planted: Planted, tmp_path: Path) -> None:
    repo = Repository.find(planted.path)
    assert repo is not None
    first = repo.git.text("rev-list", "--max-parents=0", "HEAD")
    head = repo.head()
    assert (head.branch, head.signed, head.detached) == ("main", True, False)
    assert repo.commit_of("HEAD~1") and repo.merge_base(first) == first
    assert repo.read("HEAD", "governance/dpia.md") == b"# DPIA\n\nReviewed.\n"
    assert git_target(planted.path) == {"commit": head.commit, "branch": "main", "dirty": False}
    assert hooks_dir(planted.path) == planted.path / ".git" / "hooks"
    patterns = ["governance/**", "odd.txt"]
    files = ["governance/dpia.md", "governance/raci.md", "odd.txt"]
    changes = last_changes(repo, patterns, files)
    assert changes["governance/raci.md"].commit == first
    assert signed_commits(repo.git, [head.commit or "", first]) == {
        head.commit: True,
        first: False,
    }
    planted.touch_all()
    assert uncommitted_paths(repo, patterns, files, has_head=True) == set()
    assert ignored_paths(repo, patterns) == set()
    assert changed_since(repo, first) == {"governance/dpia.md", "plain.txt", "review.log"}
    assert [c["path"] for c in changes_between(repo, first)] == [
        "governance/dpia.md",
        "plain.txt",
        "review.log",
    ]
    assert last_commit_date(repo, ["odd.txt"]) is not None
    assert is_unchanged(repo, "governance/dpia.md")
    written = materialize_tree(repo.git, "HEAD", (tmp_path / "tree").resolve())
    assert written.refused == [] and written.written == 7
    assert materialize_index(repo.git, tmp_path / "index").written == 7
    worktree = tmp_path / "holder" / "worktree"
    add_worktree(repo, first, worktree)
    assert git_target(worktree)["dirty"] is False
    remove_worktree(repo, worktree)
    assert planted.ran() == ""


def test_git_errors_are_one_line_with_gits_fix() -> None:
    stderr = (
        b"warning: something first\n"
        b"fatal: detected dubious ownership in repository at '/w'\n"
        b"To add an exception for this directory, call:\n\n"
        b"\tgit config --global --add safe.directory /w\n"
    )
    assert one_line(stderr, 128) == (
        "fatal: detected dubious ownership in repository at '/w' "
        "(fix: git config --global --add safe.directory /w)"
    )
    assert one_line(b"", 3) == "exit status 3"
    assert one_line(b"just text\n", 1) == "just text"


def test_a_failed_command_names_itself(tmp_path: Path) -> None:
    with pytest.raises(GitError) as caught:
        Git(tmp_path).run("rev-parse", "--verify", "HEAD")
    assert str(caught.value).startswith("git rev-parse failed: fatal: not a git repository")
    assert caught.value.command == "rev-parse" and caught.value.status == 128


def test_git_missing_and_git_hanging_are_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(GitTimeout, match=r"^git status did not finish in 1e-06 s$"):
        Git(tmp_path, timeout=1e-6).run("status", check=False)
    monkeypatch.setenv("PATH", str(tmp_path / "nowhere"))
    with pytest.raises(GitNotFound, match=r"^git is not installed or not on PATH$"):
        Git(tmp_path).run("status")
    assert git_target(tmp_path) == {"commit": None, "branch": None, "dirty": None}


def test_overrides_come_after_the_callers_own_config_count(
    planted: Planted, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GIT_CONFIG_COUNT", "1")
    monkeypatch.setenv("GIT_CONFIG_KEY_0", "user.name")
    monkeypatch.setenv("GIT_CONFIG_VALUE_0", "Caller")
    runner = Git(planted.path)
    env = runner.environment()
    assert env["GIT_CONFIG_KEY_0"] == "user.name"
    assert env["GIT_CONFIG_KEY_1"] == "core.fsmonitor"
    assert int(env["GIT_CONFIG_COUNT"]) == 1 + len(runner.overrides())
    assert runner.text("config", "user.name") == "Caller"
    assert runner.text("config", "filter.a=b.clean") == ""
    assert runner.text("config", "core.hooksPath") == os.devnull


def test_filter_drivers_are_read_from_git_config_output() -> None:
    raw = b"filter.lfs.clean\ngit-lfs clean\0filter.lfs.smudge\nx\0filter.a.b=c.process\ny\0"
    assert filter_drivers(raw) == ["lfs", "a.b=c"]


def test_the_repository_holding_a_folder(make_repo: Callable[..., RepoBuilder]) -> None:
    repo = make_repo({"svc/a.md": "a\n"})
    found = Repository.find(repo.path / "svc")
    assert found is not None
    assert (found.prefix, found.toplevel, found.shallow) == ("svc/", repo.path, False)
    assert found.read("HEAD", "a.md") == b"a\n"
    assert found.read("HEAD", "svc/a.md", from_top=True) == b"a\n"
    assert found.read("HEAD", "missing.md") is None
    assert found.commit_of("--output=/tmp/x") is None and found.commit_of("nope") is None
    folder = make_repo({"a.md": "a\n"}, init=False)
    assert Repository.find(folder.path) is None
    unborn = make_repo({"a.md": "a\n"}, commit=False)
    head = Repository.find(unborn.path).head()  # type: ignore[union-attr]
    assert (head.commit, head.branch, head.signed) == (None, "main", None)


@pytest.mark.parametrize(
    ("ref", "remotes", "hint"),
    [
        ("origin/main", [], "git fetch origin main"),
        ("upstream/release/2.0", [], "git fetch upstream release/2.0"),
        ("fork/main", ["fork"], "git fetch fork main"),
        ("refs/remotes/fork/main", [], "git fetch fork main"),
        ("feature/x", [], "git fetch origin feature/x"),
        ("main", ["origin"], "git fetch origin main"),
    ],
)
def test_the_one_fetch_hint(ref: str, remotes: list[str], hint: str) -> None:
    assert fetch_hint(ref, remotes) == hint


def test_branch_names_and_committer_dates() -> None:
    assert branch_name("refs/heads/feature/x") == "feature/x"
    assert branch_name("refs/HEAD") == "refs/HEAD"
    raw = b"tree x\ncommitter A <a@b> 1767225600 +0130\n\nmsg\ncommitter fake\n"
    moment = committer_date(raw)
    assert moment is not None and moment.isoformat() == "2026-01-01T01:30:00+01:30"
    assert committer_date(b"tree x\n\ncommitter A <a@b> 1 +0000\n") is None


def test_codeowners_locations_are_githubs_search_order() -> None:
    assert CODEOWNERS_FILES == (".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS")


def test_a_shallow_clone_names_its_cut_off_commits(
    make_repo: Callable[..., RepoBuilder], tmp_path: Path
) -> None:
    origin = make_repo({"a.md": "1\n"})
    origin.write({"a.md": "2\n"}).commit("second")
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", "--depth", "1", f"file://{origin.path}", str(clone))
    repo = Repository.find(clone)
    assert repo is not None and repo.shallow
    assert repo.shallow_boundaries() == {repo.commit_of("HEAD")}
