"""File history from plain `git log`: the last change of each file (stopping early), what
differs from HEAD or a commit, and when a file was last committed."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from govgate.support.git import Repository
from govgate.support.git.history import (
    changed_since,
    is_unchanged,
    last_changes,
    last_commit_date,
    parse_name_status,
    pathspecs,
)

from conftest import RepoBuilder


def found(repo: RepoBuilder) -> Repository:
    repository = Repository.find(repo.path)
    assert repository is not None
    return repository


def test_last_changes_reads_authors_dates_and_trailers(
    make_repo: Callable[..., RepoBuilder],
) -> None:
    repo = make_repo({"governance/a.md": "1\n", "governance/b.md": "1\n"}, commit=False)
    repo.commit(
        "first\n\nApproved-by: Ann\nReviewed-by: Rob\n",
        env={"GIT_COMMITTER_DATE": "2026-02-03T04:05:06+02:00"},
    )
    later = repo.write({"governance/a.md": "2\n"}).commit("second")
    changes = last_changes(found(repo), ["governance/**"], ["governance/a.md", "governance/b.md"])
    assert changes["governance/a.md"].commit == later
    b = changes["governance/b.md"]
    assert (b.author, b.approved_by, b.reviewed_by) == ("Test Author", ("Ann",), ("Rob",))
    assert b.date == datetime(2026, 2, 3, 2, 5, 6, tzinfo=UTC)
    assert last_changes(found(repo), ["governance/**"], []) == {}


def test_the_working_tree_against_a_commit(make_repo: Callable[..., RepoBuilder]) -> None:
    repo = make_repo({"a.md": "1\n", "b.md": "1\n"})
    first = repo.git("rev-parse", "HEAD").strip()
    repo.write({"b.md": "2\n"}).commit("b")
    repo.write({"a.md": "edited\n", "new.md": "n\n"})
    repository = found(repo)
    assert changed_since(repository, first) == {"a.md", "b.md", "new.md"}
    assert not is_unchanged(repository, "a.md") and is_unchanged(repository, "b.md")
    assert not is_unchanged(repository, "new.md")
    assert last_commit_date(repository, ["b.md"]) is not None
    assert last_commit_date(repository, ["new.md"]) is None


def test_name_status_and_pathspecs() -> None:
    raw = "M\0a.md\0R100\0old.md\0new.md\0C75\0src.md\0copy.md\0D\0gone.md\0T\0link\0"
    assert parse_name_status(raw) == [
        {"path": "a.md", "status": "modified", "old_path": None},
        {"path": "new.md", "status": "renamed", "old_path": "old.md"},
        {"path": "copy.md", "status": "added", "old_path": "src.md"},
        {"path": "gone.md", "status": "deleted", "old_path": None},
        {"path": "link", "status": "modified", "old_path": None},
    ]
    assert pathspecs(["./docs/**/*.md", "a/**b/c", "**x"]) == [
        ":(glob)docs/**/*.md",
        ":(literal)a",
        ".",
    ]
