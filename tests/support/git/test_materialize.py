"""A commit's tree or the index written out as plain files: content as stored, symlinks as
symlinks, submodules as empty folders, and nothing written outside the folder."""

from __future__ import annotations

import binascii
import subprocess
from collections.abc import Callable
from pathlib import Path

from govgate.support.git import Git, Repository
from govgate.support.git.materialize import (
    add_worktree,
    materialize_index,
    materialize_tree,
    remove_worktree,
)

from conftest import RepoBuilder


def test_a_tree_is_written_as_stored(make_repo: Callable[..., RepoBuilder], tmp_path: Path) -> None:
    attributes = "*.md text eol=crlf\n"  # stored with LF; a checkout would write CRLF
    repo = make_repo({"docs/a.md": "a\n", "bin.dat": b"\x00\xff", ".gitattributes": attributes})
    (repo.path / "link").symlink_to("docs/a.md")
    submodule = repo.git("rev-parse", "HEAD").strip()
    repo.git("update-index", "--add", "--cacheinfo", f"160000,{submodule},vendor/lib")
    (repo.path / "vendor" / "lib").mkdir(parents=True)  # as a clone leaves it: uninitialised
    repo.commit("a link and a submodule")
    out = tmp_path / "out"
    written = materialize_tree(Git(repo.path), "HEAD", out)
    assert (written.written, written.refused) == (5, [])
    assert (out / "docs/a.md").read_bytes() == b"a\n"  # as stored: no end-of-line conversion
    assert (out / "bin.dat").read_bytes() == b"\x00\xff"
    assert (out / "link").is_symlink() and str((out / "link").readlink()) == "docs/a.md"
    assert (out / "vendor/lib").is_dir() and not any((out / "vendor/lib").iterdir())


def test_the_index_is_what_the_next_commit_holds(
    make_repo: Callable[..., RepoBuilder], tmp_path: Path
) -> None:
    repo = make_repo({"a.md": "committed\n"})
    repo.write({"a.md": "staged\n", "new.md": "added\n"})
    repo.git("add", "a.md", "new.md")
    repo.write({"a.md": "not staged\n", "untracked.md": "x\n"})
    out = tmp_path / "index"
    assert materialize_index(Git(repo.path / "."), out).written == 2
    assert (out / "a.md").read_text() == "staged\n"
    assert (out / "new.md").read_text() == "added\n"
    assert not (out / "untracked.md").exists()


def test_unsafe_names_in_a_crafted_tree_are_refused(
    make_repo: Callable[..., RepoBuilder], tmp_path: Path
) -> None:
    repo = make_repo({"ok.md": "ok\n"})
    blob = repo.git("rev-parse", "HEAD:ok.md").strip()

    def tree(*entries: tuple[str, bytes, str]) -> str:
        data = b"".join(
            mode.encode() + b" " + name + b"\0" + binascii.unhexlify(sha)
            for mode, name, sha in entries
        )
        return (
            subprocess.run(
                [
                    "git",
                    "-C",
                    str(repo.path),
                    "hash-object",
                    "-t",
                    "tree",
                    "-w",
                    "--literally",
                    "--stdin",
                ],
                input=data,
                capture_output=True,
                check=True,
            )
            .stdout.decode()
            .strip()
        )

    inner = tree(("100644", b"hooks", blob))
    crafted = tree(
        ("100644", b"..", blob),
        ("40000", b".GIT", inner),
        ("100644", b"ok.md", blob),
        ("120000", b"out", blob),  # a symlink whose target is "ok\n"
    )
    out = tmp_path / "out"
    written = materialize_tree(Git(repo.path), crafted, out)
    assert sorted(written.refused) == ["..", ".GIT/hooks"]
    assert sorted(p.name for p in out.iterdir()) == ["ok.md", "out"]
    assert not (tmp_path / "ok.md").exists()


def test_a_worktree_filled_from_blobs_is_clean_and_goes_away(
    make_repo: Callable[..., RepoBuilder], tmp_path: Path
) -> None:
    repo = make_repo({"a.md": "1\n", "sub/b.md": "2\n"})
    base = repo.git("rev-parse", "HEAD").strip()
    repo.write({"a.md": "changed\n"}).commit("later")
    found = Repository.find(repo.path)
    assert found is not None
    tree = tmp_path / "holder" / "tree"
    add_worktree(found, base, tree)
    assert (tree / "a.md").read_text() == "1\n"
    assert Git(tree).text("status", "--porcelain") == ""
    assert Git(tree).text("rev-parse", "HEAD") == base
    assert Git(tree).text("log", "-1", "--format=%H", "--", "sub/b.md") == base
    remove_worktree(found, tree)
    assert not tree.exists()
    assert repo.git("worktree", "list", "--porcelain").count("worktree ") == 1


def test_the_index_keeps_the_mtime_it_recorded(
    make_repo: Callable[..., RepoBuilder], tmp_path: Path
) -> None:
    import os

    repo = make_repo({"report.xml": "<testsuite/>\n"})
    stamp = 1_577_934_245_123_456_789  # 2020-01-02, when the report was written and staged
    os.utime(repo.path / "report.xml", ns=(stamp, stamp))
    repo.git("add", "report.xml")
    os.utime(repo.path / "report.xml", ns=(stamp + 10**12, stamp + 10**12))  # touched since
    out = tmp_path / "index"
    materialize_index(Git(repo.path), out)
    assert (out / "report.xml").stat().st_mtime_ns == stamp
