"""Git hooks for real: plain hooks through `govgate hook`, and the pre-commit framework."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO_ROOT, RepoBuilder, git

CONFIG = "system: {name: hooked, risk: high}\npacks: [./packs/p]\n"
IDENTITY = {
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_AUTHOR_NAME": "Dev",
    "GIT_AUTHOR_EMAIL": "dev@example.invalid",
    "GIT_COMMITTER_NAME": "Dev",
    "GIT_COMMITTER_EMAIL": "dev@example.invalid",
}
PACK = """\
pack: p
version: 1.0.0
title: DPIA present
evidence_kinds:
  dpia_files:
    collector: files
    paths: [governance/dpia/*.md]
requirements:
  - id: GDPR-35
    title: DPIA before high-risk processing
    source: {framework: GDPR, ref: "Art. 35"}
controls:
  - {id: DP-1, title: A DPIA exists, satisfies: [GDPR-35]}
rules:
  - id: DP-1.present
    control: DP-1
    severity: high
    evidence: dpia_files
    assert: {path: count, op: ge, value: 1}
    message: "no DPIA found at {data.patterns}"
    remediation: "write the DPIA at governance/dpia/<system>.md"
"""
FILES = {
    "govgate.yaml": CONFIG,
    "packs/p/pack.yaml": PACK,
    "governance/dpia/hooked.md": "# DPIA\n",
}


def commit(
    repo: Path, message: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """A real `git commit` (hooks run); returns the completed process instead of raising."""
    full_env = {
        **os.environ,
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_AUTHOR_NAME": "Dev",
        "GIT_AUTHOR_EMAIL": "dev@example.invalid",
        "GIT_COMMITTER_NAME": "Dev",
        "GIT_COMMITTER_EMAIL": "dev@example.invalid",
        **(env or {}),
    }
    subprocess.run(["git", "-C", str(repo), "add", "-A"], check=True, env=full_env)
    return subprocess.run(
        ["git", "-C", str(repo), "commit", "-m", message],
        capture_output=True,
        text=True,
        env=full_env,
    )


@pytest.mark.slow
def test_plain_hook_refuses_a_commit_that_removes_the_dpia(make_repo, run_cli) -> None:
    repo: RepoBuilder = make_repo(FILES)
    result = run_cli("hook", "install", repo.path)
    assert result.exit_code == 0
    assert "pre-commit: installed" in result.stderr
    (repo.path / "governance/dpia/hooked.md").unlink()
    refused = commit(repo.path, "drop the DPIA")
    assert refused.returncode != 0
    assert "DP-1.present" in refused.stderr
    assert "no DPIA found at [governance/dpia/*.md]" in refused.stderr
    (repo.path / "governance/dpia/hooked.md").write_text("# DPIA\n\nReviewed.\n")
    accepted = commit(repo.path, "keep the DPIA")
    assert accepted.returncode == 0, accepted.stderr
    assert "gate: PASS" in accepted.stderr


def test_install_is_idempotent_and_chains_an_existing_hook(make_repo, run_cli) -> None:
    repo: RepoBuilder = make_repo(FILES)
    hooks = repo.path / ".git" / "hooks"
    existing = hooks / "pre-commit"
    existing.write_text("#!/bin/sh\necho team-hook-ran >&2\n")
    existing.chmod(0o755)
    assert "pre-commit: chained" in run_cli("hook", "install", repo.path).stderr
    assert "pre-commit: updated" in run_cli("hook", "install", repo.path).stderr
    assert (hooks / "pre-commit.govgate-chained").read_text().endswith("echo team-hook-ran >&2\n")
    (repo.path / "notes.md").write_text("a change\n")
    ran = commit(repo.path, "with both hooks")
    assert ran.returncode == 0, ran.stderr
    assert "team-hook-ran" in ran.stderr and "gate: PASS" in ran.stderr
    # the chained hook can still veto the commit on its own
    (hooks / "pre-commit.govgate-chained").write_text("#!/bin/sh\necho vetoed >&2\nexit 7\n")
    (repo.path / "notes.md").write_text("another change\n")
    vetoed = commit(repo.path, "vetoed")
    assert vetoed.returncode != 0 and "vetoed" in vetoed.stderr
    assert "pre-commit: restored" in run_cli("hook", "uninstall", repo.path).stderr
    assert "exit 7" in existing.read_text()
    assert not (hooks / "pre-commit.govgate-chained").exists()


def test_pre_push_and_hooks_path(make_repo, run_cli) -> None:
    repo: RepoBuilder = make_repo(FILES)
    repo.git("config", "core.hooksPath", "ci/hooks")
    result = run_cli("hook", "install", repo.path, "--pre-push")
    assert result.exit_code == 0
    assert (repo.path / "ci/hooks/pre-commit").is_file()
    assert (repo.path / "ci/hooks/pre-push").is_file()
    assert "removed" in run_cli("hook", "uninstall", repo.path).stderr
    assert not (repo.path / "ci/hooks/pre-commit").exists()


def test_hook_install_outside_git_is_a_usage_error(run_cli, tmp_path: Path) -> None:
    result = run_cli("hook", "install", tmp_path)
    assert result.exit_code == 2
    assert "not a git repository" in result.stderr


def _hook_repository(tmp_path: Path) -> tuple[Path, str]:
    """This working tree as a git repository pre-commit can install hooks from."""
    source = tmp_path / "govgate-src"
    ignore = shutil.ignore_patterns(
        ".git",
        ".venv",
        ".venv-*",  # the demo's and the red-team tools' environments (make demo, make unit)
        ".tools",  # promptfoo and its node_modules (make redteam-tools)
        "build",
        "*.egg-info",
        "__pycache__",
        ".govgate",
        ".mypy_cache",
        ".ruff_cache",
        ".pytest_cache",
    )
    shutil.copytree(REPO_ROOT, source, ignore=ignore)
    git(source, "init", "-q", "-b", "main")
    git(source, "add", "-A")
    git(source, "commit", "-q", "-m", "snapshot")
    return source, git(source, "rev-parse", "HEAD").strip()


@pytest.mark.slow
def test_pre_commit_framework_runs_the_published_hook(make_repo, tmp_path: Path) -> None:
    pre_commit = Path(sys.executable).parent / "pre-commit"
    source, rev = _hook_repository(tmp_path)
    repo: RepoBuilder = make_repo(
        {
            **FILES,
            ".pre-commit-config.yaml": (
                f"repos:\n  - repo: {source}\n    rev: {rev}\n"
                "    hooks:\n      - id: govgate-check\n"
                "      - id: govgate-policy-test\n        args: [packs/]\n"
            ),
        }
    )
    env = {
        **os.environ,
        "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"),
        "GOVGATE_DISABLE_PLUGIN_AUTOLOAD": "1",
    }
    subprocess.run(
        [str(pre_commit), "install", "--hook-type", "pre-commit", "--hook-type", "pre-push"],
        cwd=repo.path,
        check=True,
        env=env,
        capture_output=True,
    )
    # Build the hook's environment once (pre-commit installs govgate from the snapshot).
    setup = subprocess.run(
        [str(pre_commit), "install-hooks"], cwd=repo.path, env=env, capture_output=True, text=True
    )
    assert setup.returncode == 0, setup.stdout + setup.stderr
    (repo.path / "governance/dpia/hooked.md").unlink()
    refused = commit(repo.path, "drop the DPIA", env={"PRE_COMMIT_HOME": env["PRE_COMMIT_HOME"]})
    assert refused.returncode != 0
    output = refused.stdout + refused.stderr
    assert "govgate check" in output and "Failed" in output
    assert "DP-1.present" in output
    assert "governance/dpia/*.md" in output
    (repo.path / "governance/dpia/hooked.md").write_text("# DPIA\n\nReviewed.\n")
    accepted = commit(
        repo.path, "restore the DPIA", env={"PRE_COMMIT_HOME": env["PRE_COMMIT_HOME"]}
    )
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr
    assert "Passed" in accepted.stdout + accepted.stderr
    # An edited pack must bring test cases for every rule: with none, the commit is refused.
    (repo.path / "packs/p/pack.yaml").write_text(PACK.replace("DPIA present", "DPIA exists"))
    untested = commit(
        repo.path, "retitle the pack", env={"PRE_COMMIT_HOME": env["PRE_COMMIT_HOME"]}
    )
    assert untested.returncode != 0
    output = untested.stdout + untested.stderr
    assert "govgate policy test" in output and "Failed" in output
    assert "coverage" in output
    case = (
        "case: {name}\nnow: 2026-06-01T00:00:00Z\nsystem: {{name: hooked, risk: high}}\n"
        "evidence:\n  dpia_files:\n    - data: {{count: {count}, patterns: [x]}}\n"
        "expect:\n  DP-1.present: {status}\n"
    )
    (repo.path / "packs/p/tests").mkdir()
    (repo.path / "packs/p/tests/good.yaml").write_text(
        case.format(name="a DPIA passes", count=1, status="pass")
    )
    (repo.path / "packs/p/tests/none.yaml").write_text(
        case.format(name="no DPIA fails", count=0, status="fail")
    )
    tested = commit(repo.path, "test the pack", env={"PRE_COMMIT_HOME": env["PRE_COMMIT_HOME"]})
    assert tested.returncode == 0, tested.stdout + tested.stderr
    _framework_judges_the_staged_files(repo.path, env, tmp_path)


def _framework_judges_the_staged_files(repo: Path, env: dict[str, str], tmp_path: Path) -> None:
    """Through the framework too: the staged files on commit, the pushed commit on push."""
    dpia = repo / "governance/dpia/hooked.md"

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["git", "-C", str(repo), *args], capture_output=True, text=True, env={**env, **IDENTITY}
        )

    # A fixture file of a pack test case (any extension) triggers the policy-test hook.
    (repo / "packs/p/tests/fixtures").mkdir()
    (repo / "packs/p/tests/fixtures/sample.csv").write_text("a,b\n1,2\n")
    run("add", "packs/p/tests/fixtures/sample.csv")
    fixture = run("commit", "-m", "a fixture")
    assert fixture.returncode == 0, fixture.stdout + fixture.stderr
    output = fixture.stdout + fixture.stderr
    assert re.search(r"govgate policy test\.+Passed", output), output
    # The DPIA's deletion staged while the file stays in the working tree (untracked, which
    # the framework does not stash away): the commit would not hold a DPIA, so it is refused.
    run("rm", "-q", "--cached", "governance/dpia/hooked.md")
    refused = run("commit", "-m", "untrack the DPIA")
    assert refused.returncode != 0 and "DP-1.present" in refused.stdout + refused.stderr
    assert dpia.exists()
    # The reverse: the DPIA deleted but not staged; an unrelated commit passes.
    run("add", "governance/dpia/hooked.md")
    dpia.unlink()
    (repo / "notes.md").write_text("unrelated\n")
    run("add", "notes.md")
    accepted = run("commit", "-m", "unrelated")
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr
    assert not dpia.exists()  # the framework put the unstaged deletion back
    # pre-push through the framework judges the pushed commit (PRE_COMMIT_TO_REF).
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(remote))
    run("remote", "add", "origin", str(remote))
    run("commit", "-q", "--no-verify", "-am", "drop the DPIA (hooks skipped)")
    dpia.parent.mkdir(parents=True, exist_ok=True)
    dpia.write_text("# DPIA\n")  # back in the working tree only (untracked)
    pushed = run("push", "origin", "main")
    assert pushed.returncode != 0, pushed.stdout + pushed.stderr
    assert "DP-1.present" in pushed.stdout + pushed.stderr


def test_the_pre_commit_manifest_covers_fixtures_and_pins_honestly() -> None:
    import yaml

    manifest = (REPO_ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8")
    hooks = {hook["id"]: hook for hook in yaml.safe_load(manifest)}
    # Stage names pre-commit/pre-push exist from pre-commit 3.2 on.
    assert all(h["minimum_pre_commit_version"] == "3.2.0" for h in hooks.values())
    files = re.compile(hooks["govgate-policy-test"]["files"])
    for path in (
        "packs/p/pack.yaml",
        "packs/p/tests/approves.yaml",
        "packs/p/tests/fixtures/predictions.csv",
        "sub/policies/bias/tests/case/logs/decisions.jsonl",
    ):
        assert files.search(path), path
    assert not files.search("governance/oversight.yaml")
    assert hooks["govgate-check"]["entry"] == "govgate hook run"
    assert "rev: v" not in manifest  # there are no tags to pin
    assert "commit sha" in manifest
