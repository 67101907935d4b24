"""git's state as the collector cache sees it, read from files without running git: which files
under `.git` change with HEAD, and the commit HEAD names (for a fingerprint)."""

from __future__ import annotations

from pathlib import Path

#: A ref file or HEAD larger than this is not git's: it is not read.
_MAX_REF_BYTES = 4096


def state_patterns(root: Path) -> list[str]:
    """Files under `.git` whose content changes whenever HEAD, the branch or the clone depth do.

    The collector cache fingerprints files, so this is how a new commit invalidates cached git
    evidence. When `.git` is not a folder inside the target (a worktree, a submodule, or a
    target that is a sub-folder of the repository) git state cannot be fingerprinted from
    inside the target, so the whole tree is (and `head_state` keys the commit).
    """
    dot_git = root / ".git"
    if not dot_git.is_dir() or dot_git.is_symlink():
        return ["**"]
    patterns = [".git/HEAD", ".git/packed-refs", ".git/shallow", ".git/logs/HEAD"]
    head = _read_small(dot_git / "HEAD")
    if head is not None and head.startswith("ref: refs/") and ".." not in head:
        patterns.append(".git/" + head[5:])
    return patterns


def head_state(root: Path) -> str | None:
    """`HEAD=<commit>` (or `HEAD=unborn:<ref>`) read from the files git keeps, without running
    git: cheap enough for every hook run. None when it cannot be told that way (no repository
    found, or refs kept in a format other than files), so the caller falls back to files."""
    git_dir = find_git_dir(root)
    if git_dir is None:
        return None
    head = _read_small(git_dir / "HEAD")
    if head is None:
        return None
    if not head.startswith("ref: "):
        return f"HEAD={head}" if _is_object_id(head) else None
    ref = head[5:].strip()
    if not ref.startswith("refs/") or ".." in ref.split("/"):
        return None
    common = common_dir(git_dir)
    commit = _loose_ref(common, ref) or _packed_ref(common, ref)
    if commit is None:
        # No such ref in files: an unborn branch, unless refs live elsewhere (reftable).
        return None if (common / "reftable").exists() else f"HEAD=unborn:{ref}"
    return f"HEAD={commit}"


def _read_small(path: Path) -> str | None:
    try:
        with path.open("rb") as handle:
            raw = handle.read(_MAX_REF_BYTES + 1)
    except OSError:
        return None
    if len(raw) > _MAX_REF_BYTES:
        return None
    return raw.decode("utf-8", "replace").strip()


def _is_object_id(text: str) -> bool:
    return len(text) in (40, 64) and all(c in "0123456789abcdef" for c in text)


def find_git_dir(root: Path) -> Path | None:
    """The git dir of the nearest repository above `root`: a `.git` folder, or where a `.git`
    file (worktree, submodule) points."""
    for folder in (root, *root.parents):
        dot_git = folder / ".git"
        if dot_git.is_dir():
            return dot_git
        if dot_git.is_file():
            text = _read_small(dot_git)
            if text is None or not text.startswith("gitdir: "):
                return None
            target = Path(text[len("gitdir: ") :].strip())
            return target if target.is_absolute() else folder / target
    return None


def common_dir(git_dir: Path) -> Path:
    """Where branches live: a worktree's git dir names the main one in `commondir`."""
    text = _read_small(git_dir / "commondir")
    if not text:
        return git_dir
    target = Path(text)
    return target if target.is_absolute() else git_dir / target


def _loose_ref(common: Path, ref: str) -> str | None:
    text = _read_small(common / ref)
    return text if text is not None and _is_object_id(text) else None


def _packed_ref(common: Path, ref: str) -> str | None:
    try:
        with (common / "packed-refs").open("rb") as handle:
            wanted = ref.encode("utf-8")
            for line in handle:
                sha, _, name = line.rstrip(b"\n").partition(b" ")
                if name == wanted:
                    text = sha.decode("ascii", "replace")
                    return text if _is_object_id(text) else None
    except OSError:
        return None
    return None
