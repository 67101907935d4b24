"""What a git hook judges, written out as a folder: the staged index (pre-commit) or a pushed
commit (pre-push), from git's objects, so no unstaged edit or untracked file takes part."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from tempfile import TemporaryDirectory

from govgate.support.errors import UsageError
from govgate.support.git import Repository
from govgate.support.git.materialize import (
    Materialized,
    add_worktree,
    materialize_index,
    remove_worktree,
)
from govgate.support.git.state import find_git_dir

#: git's name for "no commit" in a pre-push line (a deleted ref, or one the remote lacks).
ZERO = "0" * 40


@dataclass(frozen=True)
class Snapshot:
    """`root` is the target folder inside the snapshot; `home` the target in the work tree,
    whose locker and caches the check uses; `label` says what was judged."""

    root: Path
    home: Path
    label: str


@dataclass(frozen=True)
class PushedRef:
    local_ref: str
    local_commit: str
    remote_ref: str
    remote_commit: str

    @property
    def label(self) -> str:
        return f"{self.local_ref} at {self.local_commit[:12]}"


def repository_of(target: Path) -> Repository:
    repo = Repository.find(target)
    if repo is None:
        raise UsageError(f"{target}: not a git repository (a git hook judges a commit)")
    return repo


@contextmanager
def staged_snapshot(target: Path) -> Iterator[Snapshot]:
    """The staged files (the index: what the commit will hold) of the repository holding
    `target`, as a folder that git still sees as a work tree of that repository."""
    _pin_git_environment()
    repo = repository_of(target)
    with TemporaryDirectory(prefix="govgate-staged-") as tmp:
        dest = Path(tmp) / "tree"
        _complete(materialize_index(repo.git, dest), "the staged files")
        # A `.git` file naming the repository's git folder: git run in the snapshot (HEAD,
        # history, CODEOWNERS ownership, the index it compares with) answers for the real
        # repository. No entry may be named `.git`, so nothing staged can take this place.
        gitfile = dest / ".git"
        gitfile.write_text(f"gitdir: {repo.git_dir}\n", encoding="utf-8")
        # Collectors that fingerprint the whole tree list this file too; a fixed time keeps an
        # unchanged snapshot's fingerprint stable (HEAD itself is keyed by its commit).
        os.utime(gitfile, ns=(0, 0))
        yield Snapshot(dest / repo.prefix, target, "the staged files")


@contextmanager
def commit_snapshot(target: Path, pushed: PushedRef) -> Iterator[Snapshot]:
    """The tree of a pushed commit, as a detached worktree (its own HEAD, so git evidence is
    the commit's), removed again afterwards."""
    # git sets no index for pre-push, but a caller's GIT_INDEX_FILE would make the worktree's
    # `read-tree` overwrite that index: the worktree must use its own.
    os.environ.pop("GIT_INDEX_FILE", None)
    _pin_git_environment()
    repo = repository_of(target)
    with TemporaryDirectory(prefix="govgate-push-") as tmp:
        dest = Path(tmp) / "tree"
        try:
            _complete(add_worktree(repo, pushed.local_commit, dest), pushed.label)
            yield Snapshot(dest / repo.prefix, target, pushed.label)
        finally:
            remove_worktree(repo, dest)


def _pin_git_environment() -> None:
    """Make the variables git hands a hook safe to run git elsewhere with.

    GIT_INDEX_FILE may be relative (`.git/index`, from the top of the work tree, where hooks
    run): made absolute, or git run from the snapshot would look for it there. In a linked
    worktree git also sets GIT_DIR, which would make every folder git runs in a work tree of
    its own (the target's prefix lost, the snapshot's `.git` file ignored): dropped when the
    folder the hook runs in finds the same repository by itself, refused otherwise.
    """
    index_file = os.environ.get("GIT_INDEX_FILE")
    if index_file and not Path(index_file).is_absolute():
        os.environ["GIT_INDEX_FILE"] = str(Path.cwd() / index_file)
    given = os.environ.get("GIT_DIR")
    if not given:
        return
    found = find_git_dir(Path.cwd())
    if found is None or found.resolve() != (Path.cwd() / given).resolve():
        raise UsageError(
            f"GIT_DIR={given} is not the repository of {Path.cwd()}: the hook judges the "
            "repository of the folder it runs in; unset GIT_DIR (and GIT_WORK_TREE)"
        )
    os.environ.pop("GIT_DIR")
    os.environ.pop("GIT_WORK_TREE", None)


def _complete(written: Materialized, what: str) -> None:
    """A snapshot missing a file is not what will be committed: refuse to judge it."""
    if written.refused:
        shown = ", ".join(written.refused[:5]) + (" ..." if len(written.refused) > 5 else "")
        raise UsageError(
            f"{what}: {len(written.refused)} path(s) could not be written for the check "
            f"(an unsafe name, or an object the repository lacks): {shown}; rename or restore "
            "them and try again"
        )


def pushed_refs(lines: str) -> list[PushedRef]:
    """The refs a pre-push hook receives on stdin: `<local ref> <local sha> <remote ref>
    <remote sha>` per line. A deleted ref (local sha all zeros) pushes nothing to judge."""
    refs = []
    for number, line in enumerate(lines.splitlines(), start=1):
        if not line.strip():
            continue
        parts = line.split()
        if len(parts) != 4 or not all(_is_object_id(p) for p in (parts[1], parts[3])):
            raise UsageError(
                f"pre-push: line {number} of standard input is {line!r}, not "
                "`<local ref> <local sha> <remote ref> <remote sha>` as git passes it"
            )
        if parts[1] != ZERO:
            refs.append(PushedRef(*parts))
    return refs


def framework_pushed_ref(environ: dict[str, str] | os._Environ[str]) -> PushedRef | None:
    """The ref the pre-commit framework's pre-push stage is running for (PRE_COMMIT_TO_REF),
    or None outside it."""
    to_ref = environ.get("PRE_COMMIT_TO_REF")
    if not to_ref:
        return None
    return PushedRef(
        environ.get("PRE_COMMIT_LOCAL_BRANCH") or to_ref,
        to_ref,
        environ.get("PRE_COMMIT_REMOTE_BRANCH", ""),
        environ.get("PRE_COMMIT_FROM_REF", ""),
    )


def _is_object_id(text: str) -> bool:
    return len(text) in (40, 64) and all(c in "0123456789abcdef" for c in text)
