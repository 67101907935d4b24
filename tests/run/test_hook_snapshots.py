"""The hooks judge what git records, not the working tree: the staged files on commit, each
pushed ref's new tip on push, with real git commits and pushes to a bare remote."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from conftest import RepoBuilder, git

CONFIG = "system: {name: hooked, risk: high}\npacks: [./packs/p]\n"
PACK = """\
pack: p
version: 1.0.0
title: Stop control
evidence_kinds:
  oversight:
    collector: config
    paths: [governance/oversight.yaml]
requirements:
  - id: AI-14
    title: A human can stop the system
    source: {framework: EU AI Act, ref: "Art. 14"}
controls:
  - {id: KS-1, title: The kill switch is on, satisfies: [AI-14]}
rules:
  - id: KS-1.enabled
    control: KS-1
    severity: high
    evidence: oversight
    assert: {path: kill_switch.enabled, op: eq, value: true}
    message: "the kill switch is disabled in {source.path}"
    remediation: "set kill_switch.enabled: true in {source.path}"
"""
ON = "kill_switch: {enabled: true}\n"
OFF = "kill_switch: {enabled: false}\n"
FILES = {
    "govgate.yaml": CONFIG,
    "packs/p/pack.yaml": PACK,
    "governance/oversight.yaml": ON,
    "README.md": "# hooked\n",
    ".gitignore": ".govgate/\n",
}
ENV = {
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_AUTHOR_NAME": "Dev",
    "GIT_AUTHOR_EMAIL": "dev@example.invalid",
    "GIT_COMMITTER_NAME": "Dev",
    "GIT_COMMITTER_EMAIL": "dev@example.invalid",
}


def run_git(repo: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """Real git, hooks and all; the completed process, never raising."""
    return subprocess.run(
        ["git", "-C", str(repo), *args],
        capture_output=True,
        text=True,
        input=stdin,
        env={**os.environ, **ENV},
    )


@pytest.mark.slow
def test_commit_judges_the_staged_files_not_the_working_tree(make_repo, run_cli) -> None:
    repo: RepoBuilder = make_repo(FILES)
    assert run_cli("hook", "install", repo.path).exit_code == 0
    oversight = repo.path / "governance/oversight.yaml"
    # Stage the disabled kill switch, then put `true` back in the working tree only.
    oversight.write_text(OFF)
    run_git(repo.path, "add", "governance/oversight.yaml")
    oversight.write_text(ON)
    refused = run_git(repo.path, "commit", "-m", "disable the kill switch")
    assert refused.returncode == 1, refused.stderr
    assert "judging the staged files" in refused.stderr
    assert "KS-1.enabled" in refused.stderr
    assert "the kill switch is disabled in governance/oversight.yaml" in refused.stderr
    assert run_git(repo.path, "show", "HEAD:governance/oversight.yaml").stdout == ON
    # The reverse: the bad edit unstaged, an unrelated README change staged, passes.
    run_git(repo.path, "reset", "-q")
    oversight.write_text(OFF)
    (repo.path / "README.md").write_text("# hooked\n\nMore.\n")
    run_git(repo.path, "add", "README.md")
    accepted = run_git(repo.path, "commit", "-m", "readme only")
    assert accepted.returncode == 0, accepted.stderr
    assert "gate: PASS" in accepted.stderr
    assert run_git(repo.path, "show", "HEAD:governance/oversight.yaml").stdout == ON
    assert oversight.read_text() == OFF  # the working tree is left as it was
    # `git commit -a` stages the bad edit into a temporary index: that is what is judged.
    refused_all = run_git(repo.path, "commit", "-a", "-m", "commit everything")
    assert refused_all.returncode == 1 and "KS-1.enabled" in refused_all.stderr


@pytest.mark.slow
def test_push_judges_each_pushed_tip(make_repo, run_cli, tmp_path: Path) -> None:
    repo: RepoBuilder = make_repo(FILES)
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(remote))
    run_git(repo.path, "remote", "add", "origin", str(remote))
    assert run_git(repo.path, "push", "-q", "origin", "main").returncode == 0
    assert run_cli("hook", "install", repo.path, "--pre-push").exit_code == 0
    oversight = repo.path / "governance/oversight.yaml"
    oversight.write_text(OFF)
    run_git(repo.path, "commit", "-q", "--no-verify", "-am", "disable it (hook skipped)")
    oversight.write_text(ON)  # fixed in the working tree, not in the pushed commit
    refused = run_git(repo.path, "push", "origin", "main")
    assert refused.returncode != 0
    assert "judging refs/heads/main at" in refused.stderr
    assert "KS-1.enabled" in refused.stderr
    assert run_git(remote, "show", "main:governance/oversight.yaml").stdout == ON
    run_git(repo.path, "commit", "-q", "--no-verify", "-am", "enable it again")
    oversight.write_text(OFF)  # a bad edit not committed does not block the push
    accepted = run_git(repo.path, "push", "origin", "main")
    assert accepted.returncode == 0, accepted.stderr
    assert "gate: PASS" in accepted.stderr
    # A branch whose tip is bad is refused even while the current branch is fine.
    run_git(repo.path, "checkout", "-q", "-b", "bad")
    run_git(repo.path, "commit", "-q", "--no-verify", "-am", "disable on a branch")
    run_git(repo.path, "checkout", "-q", "main")
    refused_branch = run_git(repo.path, "push", "origin", "main", "bad")
    assert refused_branch.returncode != 0
    assert "refs/heads/bad at" in refused_branch.stderr and "KS-1.enabled" in refused_branch.stderr


def test_hook_run_pre_push_reads_refs_from_stdin(make_repo, run_cli) -> None:
    repo: RepoBuilder = make_repo(FILES)
    good = repo.git("rev-parse", "HEAD").strip()
    repo.write({"governance/oversight.yaml": OFF}).commit("disable")
    bad = repo.git("rev-parse", "HEAD").strip()
    repo.write({"governance/oversight.yaml": ON})  # working tree fine: not what is pushed
    zero = "0" * 40
    refused = run_cli(
        "hook",
        "run",
        "--stage",
        "pre-push",
        repo.path,
        input=f"refs/heads/main {bad} refs/heads/main {good}\n",
    )
    assert refused.exit_code == 1
    assert f"judging refs/heads/main at {bad[:12]}" in refused.stderr
    assert "KS-1.enabled" in refused.stderr
    passed = run_cli(
        "hook",
        "run",
        "--stage",
        "pre-push",
        repo.path,
        input=f"refs/heads/old {good} refs/heads/old {zero}\n(delete) {zero} refs/heads/x {good}\n",
    )
    assert passed.exit_code == 0, passed.stderr
    assert passed.stderr.count("judging") == 1 and "gate: PASS" in passed.stderr
    nothing = run_cli("hook", "run", "--stage", "pre-push", repo.path, input="")
    assert nothing.exit_code == 0 and "no pushed commit to judge" in nothing.stderr


def test_pre_commit_framework_refs_are_honoured(make_repo, run_cli, monkeypatch) -> None:
    repo: RepoBuilder = make_repo(FILES)
    good = repo.git("rev-parse", "HEAD").strip()
    repo.write({"governance/oversight.yaml": OFF}).commit("disable")
    bad = repo.git("rev-parse", "HEAD").strip()
    repo.write({"governance/oversight.yaml": ON})
    monkeypatch.setenv("PRE_COMMIT_FROM_REF", good)
    monkeypatch.setenv("PRE_COMMIT_TO_REF", bad)
    # No --stage: PRE_COMMIT_TO_REF makes it the pushed commit, stdin is not read.
    refused = run_cli("hook", "run", repo.path, input="garbage that is never read\n")
    assert refused.exit_code == 1
    assert f"judging {bad} at {bad[:12]}" in refused.stderr and "KS-1.enabled" in refused.stderr
    monkeypatch.setenv("PRE_COMMIT_TO_REF", good)
    assert run_cli("hook", "run", repo.path).exit_code == 0


def test_a_malformed_pre_push_line_is_a_usage_error(make_repo, run_cli) -> None:
    repo: RepoBuilder = make_repo(FILES)
    result = run_cli(
        "hook", "run", "--stage", "pre-push", repo.path, input="refs/heads/main deadbeef\n"
    )
    assert result.exit_code == 2
    assert "line 1 of standard input is 'refs/heads/main deadbeef'" in result.stderr


def test_hook_run_in_process_judges_the_index(make_repo, run_cli) -> None:
    repo: RepoBuilder = make_repo(FILES)
    repo.write({"governance/oversight.yaml": OFF})
    repo.git("add", "governance/oversight.yaml")
    repo.write({"governance/oversight.yaml": ON, "untracked.md": "x\n"})
    refused = run_cli("hook", "run", "--stage", "pre-commit", repo.path)
    assert refused.exit_code == 1 and "KS-1.enabled" in refused.stderr
    # The check of the working tree itself passes: only the snapshot sees the staged edit.
    assert run_cli("check", repo.path, "-q").exit_code == 0
    repo.git("add", "governance/oversight.yaml")
    assert run_cli("hook", "run", "--stage", "pre-commit", repo.path).exit_code == 0


def test_the_snapshot_uses_the_repository_locker_and_cache(make_repo) -> None:
    from govgate.run.check import CheckOptions
    from govgate.run.githooks import run_hook

    repo: RepoBuilder = make_repo(FILES)

    def statuses() -> set[str]:
        verdicts = run_hook("pre-commit", repo.path, CheckOptions(root=repo.path), str)
        assert [v.label for v in verdicts] == ["the staged files"]
        return {c["status"] for c in verdicts[0].result["collectors"]}

    assert statuses() == {"ok"}
    assert (repo.path / ".govgate/locker.db").is_file()
    verdict = run_hook("pre-commit", repo.path, CheckOptions(root=repo.path), str)[0]
    assert verdict.result["target"]["path"] == str(repo.path.resolve())  # not the temporary copy
    assert verdict.result["target"]["commit"] == repo.git("rev-parse", "HEAD").strip()
    # Written again from the same index (same bytes, same recorded mtimes): a cache hit.
    assert statuses() == {"cached"}


def test_a_staged_object_the_repository_lacks_stops_the_hook(make_repo, run_cli) -> None:
    repo: RepoBuilder = make_repo(FILES)
    ghost = "1234567890abcdef1234567890abcdef12345678"
    repo.git("update-index", "--add", "--info-only", "--cacheinfo", f"100644,{ghost},ghost.md")
    result = run_cli("hook", "run", "--stage", "pre-commit", repo.path)
    assert result.exit_code == 2
    assert "the staged files: 1 path(s) could not be written for the check" in result.stderr
    assert "ghost.md" in result.stderr


@pytest.mark.slow
def test_a_sub_folder_target_in_a_linked_worktree(make_repo, run_cli, tmp_path: Path) -> None:
    # git sets GIT_DIR for hooks in a linked worktree; the target is a folder of the repository.
    repo: RepoBuilder = make_repo({f"svc/{name}": text for name, text in FILES.items()})
    assert run_cli("hook", "install", repo.path / "svc").exit_code == 0
    linked = tmp_path / "linked"
    run_git(repo.path, "worktree", "add", "-q", "-b", "feature", str(linked))
    (linked / "svc/governance/oversight.yaml").write_text(OFF)
    run_git(linked, "add", "-A")
    refused = run_git(linked, "commit", "-m", "disable in the linked worktree")
    assert refused.returncode == 1, refused.stderr
    assert "KS-1.enabled" in refused.stderr
    (linked / "svc/governance/oversight.yaml").write_text(ON)
    (linked / "svc/README.md").write_text("# linked\n")
    run_git(linked, "add", "-A")
    accepted = run_git(linked, "commit", "-m", "readme in the linked worktree")
    assert accepted.returncode == 0, accepted.stderr
    assert "gate: PASS" in accepted.stderr


@pytest.mark.slow
def test_editing_a_symlinks_target_is_seen_on_a_warm_cache(make_repo, run_cli) -> None:
    """The link's own size and mtime stay the same when its target changes: the cached PASS
    must not outlive the edit, neither in a check nor in the commit hook's snapshot."""
    files = {**FILES, "real.yaml": ON}
    del files["governance/oversight.yaml"]
    repo: RepoBuilder = make_repo(files, commit=False)
    (repo.path / "governance").mkdir()
    (repo.path / "governance/oversight.yaml").symlink_to("../real.yaml")
    repo.commit("oversight through a link")
    assert run_cli("check", repo.path, "-q").exit_code == 0  # warms the cache

    repo.write({"real.yaml": OFF})
    refused = run_cli("check", repo.path, "-q")
    assert refused.exit_code == 1 and "KS-1.enabled" in refused.output

    repo.write({"real.yaml": ON})
    assert run_cli("hook", "run", "--stage", "pre-commit", repo.path).exit_code == 0
    repo.write({"real.yaml": OFF})
    repo.git("add", "real.yaml")
    hooked = run_cli("hook", "run", "--stage", "pre-commit", repo.path)
    assert hooked.exit_code == 1 and "KS-1.enabled" in hooked.stderr
