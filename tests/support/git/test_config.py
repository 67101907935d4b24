"""Filter drivers read from the config files without git: always at least what `git config`
lists, or None (ask git) when a file cannot be judged."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from govgate.support.git import filter_drivers
from govgate.support.git.config import configured_filters

from conftest import RepoBuilder


@pytest.fixture
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No system config, and a global config file of the test's own."""
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(home / "gitconfig"))
    for variable in ("GIT_CONFIG_PARAMETERS", "GIT_CONFIG_COUNT", "GIT_DIR"):
        monkeypatch.delenv(variable, raising=False)
    return home / "gitconfig"


def listed_by_git(repo: Path) -> list[str]:
    done = subprocess.run(
        ["git", "-C", str(repo), "config", "-z", "--get-regexp", r"^filter\."],
        capture_output=True,
        check=False,
    )
    return filter_drivers(done.stdout)


@pytest.mark.parametrize(
    "text",
    [
        "",
        '[filter "lfs"]\n\tclean = git-lfs clean -- %f\n\tprocess = git-lfs filter-process\n',
        '[FILTER "Mixed Case"]\n\tclean = x\n',
        '[core]\n\tbare = false\n[filter "a=b"]\n\tsmudge = x\n',
        '[core] [filter "same-line"] clean = x\n',
        '[filter "quo\\"te and \\\\ slash"]\n\tclean = x\n',
        '[filter "bracket]inside"]\n\tclean = x\n',
        "[filter.legacy]\n\tclean = x\n",
        '[alias]\n\tx = [filter "in-a-value"]\n',  # taken for a header: one name too many
    ],
)
def test_at_least_every_driver_git_lists(
    text: str, isolated: Path, make_repo: Callable[..., RepoBuilder]
) -> None:
    repo = make_repo({"a.txt": "a\n"})
    config = repo.path / ".git" / "config"
    config.write_text(config.read_text(encoding="utf-8") + text, encoding="utf-8")
    found = configured_filters(repo.path)
    assert found is not None
    assert set(listed_by_git(repo.path)) <= set(found)


@pytest.mark.parametrize(
    "text",
    [
        "[include]\n\tpath = other.config\n",
        '[includeIf "gitdir:/x/"]\n\tpath = other.config\n',
        "[filter broken\n",
        '[alias]\n\tx = "!echo [filter \\"fake\\"]"\n',
    ],
)
def test_an_include_or_an_odd_header_is_left_to_git(
    text: str, isolated: Path, make_repo: Callable[..., RepoBuilder]
) -> None:
    repo = make_repo({"a.txt": "a\n"})
    config = repo.path / ".git" / "config"
    config.write_text(config.read_text(encoding="utf-8") + text, encoding="utf-8")
    assert configured_filters(repo.path) is None


def test_global_worktree_and_environment_config_count_too(
    isolated: Path,
    make_repo: Callable[..., RepoBuilder],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    repo = make_repo({"a.txt": "a\n"})
    isolated.write_text('[filter "from-home"]\n\tclean = x\n', encoding="utf-8")
    worktree = tmp_path / "wt"
    repo.git("worktree", "add", "-q", "--detach", str(worktree))
    (repo.path / ".git" / "config").write_text(
        (repo.path / ".git" / "config").read_text(encoding="utf-8")
        + '[filter "from-repo"]\n\tclean = x\n',
        encoding="utf-8",
    )
    assert configured_filters(worktree) == ["from-home", "from-repo"]
    assert configured_filters(repo.path / "sub" / "folder") == ["from-home", "from-repo"]
    monkeypatch.setenv("GIT_CONFIG_PARAMETERS", "'filter.x.clean'='y'")
    assert configured_filters(repo.path) is None
    monkeypatch.delenv("GIT_CONFIG_PARAMETERS")
    monkeypatch.setenv("GIT_CONFIG_COUNT", "1")
    monkeypatch.setenv("GIT_CONFIG_KEY_0", "filter.y.smudge")
    assert configured_filters(repo.path) is None


def test_an_unreadable_config_is_left_to_git(
    isolated: Path, make_repo: Callable[..., RepoBuilder]
) -> None:
    repo = make_repo({"a.txt": "a\n"})
    config = repo.path / ".git" / "config"
    config.write_bytes(config.read_bytes() + b"#" * (1 << 20))
    assert configured_filters(repo.path) is None
    if os.geteuid() != 0:  # root reads anything
        config.chmod(0)
        assert configured_filters(repo.path) is None
