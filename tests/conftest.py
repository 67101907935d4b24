"""Shared fixtures: run the CLI in-process, build throwaway git repositories, copy examples.

Like pytest's `pytester`, repositories are built at test time (never a committed `.git`), with
the defects real repositories have when a test needs them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

REPO_ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = REPO_ROOT / "examples"


@dataclass
class CliResult:
    exit_code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


@pytest.fixture(autouse=True)
def _isolated_plugins(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests see only govgate's built-ins unless they install or load a plugin themselves."""
    monkeypatch.setenv("GOVGATE_DISABLE_PLUGIN_AUTOLOAD", "1")
    monkeypatch.setenv("NO_COLOR", "1")


@pytest.fixture
def run_cli() -> Callable[..., CliResult]:
    """Run `govgate ARGS...` in-process and capture exit code, stdout and stderr separately."""
    from govgate.cli.main import main

    def invoke(*args: str | os.PathLike[str], input: str | None = None) -> CliResult:
        runner = CliRunner()
        result = runner.invoke(main, [str(a) for a in args], input=input, catch_exceptions=False)
        return CliResult(result.exit_code, result.stdout, result.stderr)

    return invoke


def git(repo: Path, *args: str, env: dict[str, str] | None = None) -> str:
    """Run git in `repo` with a fixed identity and no user/system config."""
    full_env = {
        **os.environ,
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_AUTHOR_NAME": "Test Author",
        "GIT_AUTHOR_EMAIL": "author@example.invalid",
        "GIT_COMMITTER_NAME": "Test Author",
        "GIT_COMMITTER_EMAIL": "author@example.invalid",
        **(env or {}),
    }
    out = subprocess.run(
        ["git", "-C", str(repo), *args], check=True, capture_output=True, text=True, env=full_env
    )
    return out.stdout


@dataclass
class RepoBuilder:
    """A throwaway git repository: write files, commit them, branch."""

    path: Path

    def write(self, files: dict[str, str | bytes]) -> RepoBuilder:
        for rel, content in files.items():
            target = self.path / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                target.write_bytes(content)
            else:
                target.write_text(content, encoding="utf-8")
        return self

    def commit(self, message: str = "change", *, env: dict[str, str] | None = None) -> str:
        git(self.path, "add", "-A")
        git(self.path, "commit", "-q", "--allow-empty", "-m", message, env=env)
        return git(self.path, "rev-parse", "HEAD").strip()

    def git(self, *args: str) -> str:
        return git(self.path, *args)


@pytest.fixture
def make_repo(tmp_path: Path) -> Callable[..., RepoBuilder]:
    """Factory: make_repo({"govgate.yaml": "...", ...}, commit=True) -> RepoBuilder."""
    counter = iter(range(1000))

    def build(
        files: dict[str, str | bytes] | None = None, *, commit: bool = True, init: bool = True
    ) -> RepoBuilder:
        path = tmp_path / f"repo{next(counter)}"
        path.mkdir()
        builder = RepoBuilder(path)
        if init:
            git(path, "init", "-q", "-b", "main")
        if files:
            builder.write(files)
        if init and commit:
            builder.commit("initial")
        return builder

    return build


@pytest.fixture
def example_repo(tmp_path: Path) -> Callable[[str], Path]:
    """Copy examples/NAME into a fresh git repository and return its path."""

    def copy(name: str = "loan-approval") -> Path:
        target = tmp_path / name
        shutil.copytree(EXAMPLES / name, target, ignore=shutil.ignore_patterns(".govgate"))
        git(target, "init", "-q", "-b", "main")
        git(target, "add", "-A")
        git(target, "commit", "-q", "-m", "example")
        return target

    return copy


@pytest.fixture
def chdir(tmp_path: Path) -> Iterator[Path]:
    old = Path.cwd()
    os.chdir(tmp_path)
    try:
        yield tmp_path
    finally:
        os.chdir(old)
