"""A commit's tree, or the staged index, written out as plain files in a folder: blobs as
stored (`git cat-file`), so no smudge filter, hook or checkout machinery runs."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path

from govgate.support.git.command import CatFile, Git, GitError, Repository

SYMLINK_MODE = "120000"
GITLINK_MODE = "160000"  # a submodule: an empty folder, as a checkout leaves it uninitialised
TREE_MODE = "040000"  # a sparse index's folder entry
#: Path parts never written: they would leave the folder or write into a repository.
_FORBIDDEN = {"", ".", "..", ".git"}


@dataclass(frozen=True)
class Entry:
    mode: str
    object_id: str
    path: bytes
    #: The file's modification time as the index recorded it when it was staged (ns since the
    #: epoch); None for a tree's entries, which have none.
    mtime_ns: int | None = None


@dataclass
class Materialized:
    """What was written: the number of files, symlinks and folders, and the paths refused
    (unsafe names, objects the repository lacks)."""

    written: int = 0
    refused: list[str] = field(default_factory=list)


def tree_entries(git: Git, treeish: str) -> Iterator[Entry]:
    """Every entry of `treeish`, recursively, with paths from the top of the repository."""
    raw = git.output("ls-tree", "-r", "-z", "--full-tree", treeish)
    for record in raw.split(b"\0"):
        if record:
            meta, _, path = record.partition(b"\t")
            mode, _kind, object_id = meta.decode("ascii").split(" ")
            yield Entry(mode, object_id, path)


def index_entries(git: Git) -> Iterator[Entry]:
    """Every stage-0 entry of the index (what the next commit holds), paths from the top, with
    the modification time the index recorded for it.

    Unmerged paths (stages 1-3) have no single content and are left out.
    """
    # `--debug` adds each entry's stat data (ctime, mtime, dev/ino, uid/gid, size/flags) as
    # lines indented by two spaces after its NUL: the record after a NUL is those lines, then
    # the next entry. The recorded mtime is the staged file's own, so a snapshot written twice
    # from the same index fingerprints the same (the collector cache hits) and a report dated
    # by its mtime keeps the date it had when it was staged.
    raw = git.output("ls-files", "-s", "-z", "--debug", "--full-name", "--", ":(top)")
    pending: bytes | None = None
    for chunk in raw.split(b"\0"):
        lines = chunk.split(b"\n")
        debug = 0
        while debug < len(lines) and lines[debug].startswith(b"  "):
            debug += 1
        if pending is not None:
            entry = _index_entry(pending, lines[:debug])
            if entry is not None:
                yield entry
        record = b"\n".join(lines[debug:])
        pending = record or None


def _index_entry(record: bytes, debug: list[bytes]) -> Entry | None:
    """One `ls-files -s --debug` entry; None for an unmerged one (stages 1-3)."""
    meta, _, path = record.partition(b"\t")
    mode, object_id, stage = meta.decode("ascii").split(" ")
    if stage != "0":
        return None
    mtimes = [
        line.strip()[len(b"mtime:") :] for line in debug if line.strip().startswith(b"mtime:")
    ]
    if len(mtimes) != 1:
        # Never a guessed time: a report dated by its mtime would be judged by it.
        raise GitError("ls-files", f"{os.fsdecode(path)}: no mtime in the index's stat data")
    seconds, _, nanos = mtimes[0].strip().decode("ascii").partition(":")
    return Entry(mode, object_id, path, int(seconds) * 1_000_000_000 + int(nanos or "0"))


def materialize_tree(git: Git, treeish: str, dest: Path) -> Materialized:
    """Write the tree of `treeish` (a commit, tag or tree) into `dest` (made if missing; any
    file already there is kept and the entry naming it refused)."""
    dest.mkdir(parents=True, exist_ok=True)
    return _write_all(git, tree_entries(git, treeish), dest)


def materialize_index(git: Git, dest: Path) -> Materialized:
    """Write the staged content (the index: what the next commit holds) into `dest`, as
    `materialize_tree` does: the pre-commit hook can check exactly what is committed."""
    dest.mkdir(parents=True, exist_ok=True)
    return _write_all(git, index_entries(git), dest)


def _write_all(
    git: Git, entries: Iterator[Entry], dest: Path, safe_dirs: set[Path] | None = None
) -> Materialized:
    done = Materialized()
    safe_dirs = {dest} if safe_dirs is None else safe_dirs
    with CatFile(git) as objects:
        for entry in entries:
            shown = os.fsdecode(entry.path)
            target = _target(dest, entry.path, safe_dirs)
            if target is None:
                done.refused.append(shown)
                continue
            if entry.mode == TREE_MODE:
                nested = _write_all(git, _subtree(git, entry), dest, safe_dirs)
                done.written += nested.written
                done.refused += nested.refused
            elif _write_one(objects, entry, target):
                done.written += 1
                if entry.mtime_ns is not None and entry.mode != GITLINK_MODE:
                    os.utime(target, ns=(entry.mtime_ns, entry.mtime_ns), follow_symlinks=False)
            else:
                done.refused.append(shown)
    return done


def _subtree(git: Git, entry: Entry) -> Iterator[Entry]:
    for inner in tree_entries(git, entry.object_id):
        yield Entry(inner.mode, inner.object_id, entry.path + b"/" + inner.path)


def _target(dest: Path, raw: bytes, safe_dirs: set[Path]) -> Path | None:
    """Where an entry goes, its parent folders made; None for a path that is not safe.

    Every part is checked (no `..`, no `.git`, nothing absolute) and every parent must be a
    folder this function made, never a symlink an earlier entry wrote.
    """
    parts = os.fsdecode(raw).split("/")
    if any(part.casefold() in _FORBIDDEN for part in parts):
        return None
    folder = dest
    for part in parts[:-1]:
        folder = folder / part
        if folder in safe_dirs:
            continue
        try:
            folder.mkdir()
        except FileExistsError:
            return None  # a file or symlink already took this name
        safe_dirs.add(folder)
    return folder / parts[-1]


def _write_one(objects: CatFile, entry: Entry, target: Path) -> bool:
    """Write one entry; False when the object is missing or the name is already taken."""
    if entry.mode == GITLINK_MODE:
        try:
            target.mkdir()
        except FileExistsError:
            return False
        return True
    if entry.mode == SYMLINK_MODE:
        read = objects.read(entry.object_id)
        if read is None or read[0] != "blob":
            return False
        try:
            target.symlink_to(os.fsdecode(read[1]))
        except FileExistsError:
            return False
        return True
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    try:
        handle = os.fdopen(os.open(target, flags, 0o644), "wb")
    except FileExistsError:
        return False
    with handle:
        kind = objects.copy(entry.object_id, handle)
    if kind != "blob":
        target.unlink()
        return False
    return True


def add_worktree(repo: Repository, commit: str, dest: Path) -> Materialized:
    """A detached worktree of `commit` at `dest` (which must not exist), its files written as
    stored: git registers it without checking anything out, the files come from
    `materialize_tree`, and the worktree's index is then read from the commit and refreshed,
    so git sees the worktree as clean and commands run in it (history, status) work as in a
    checkout. Remove it with `remove_worktree`."""
    repo.git.run("worktree", "add", "--no-checkout", "--detach", "--quiet", str(dest), commit)
    tree = Git(dest, timeout=repo.git.timeout)
    written = materialize_tree(tree, commit, dest)
    tree.run("read-tree", commit)
    tree.run("update-index", "-q", "--refresh", check=False)  # "needs update" is not fatal
    return written


def remove_worktree(repo: Repository, dest: Path) -> None:
    """Unregister a worktree made by `add_worktree` and delete its files (never raises)."""
    # The folder goes either way, and `prune` forgets a worktree whose folder is gone.
    with suppress(GitError):
        repo.git.run("worktree", "remove", "--force", str(dest), check=False)
    shutil.rmtree(dest, ignore_errors=True)
    with suppress(GitError):
        repo.git.run("worktree", "prune", check=False)
