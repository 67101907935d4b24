"""File history from plain `git log` output: the last change of each file (one streamed pass),
what differs from HEAD or between two commits, and when a file was last committed."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

from govgate.support.git.command import GitError, Repository

#: Options every `git log`/`git diff` here carries: no colour, no external diff or textconv
#: (programs the repository's config could name), no signature check (gpg would run).
QUIET_DIFF = ("--no-color", "--no-ext-diff", "--no-textconv")

_STATUS = {"A": "added", "C": "added", "M": "modified", "T": "modified", "D": "deleted"}


def pathspecs(patterns: Sequence[str]) -> list[str]:
    """git pathspecs that select at least the files the repository globs select.

    git's `:(glob)` magic reads `*`, `?`, `[...]`, `**/` and `/**` as govgate globs do; a `**`
    anywhere else means something narrower to git, so such a pattern falls back to its
    literal folder (a superset; results are filtered by the exact globs afterwards).
    """
    specs: list[str] = []
    for pattern in patterns:
        pattern = pattern[2:] if pattern.startswith("./") else pattern
        stripped = pattern.replace("**/", "").removesuffix("/**")
        if "**" in stripped:
            folder = pattern.split("**", 1)[0].rsplit("/", 1)[0]
            specs.append(f":(literal){folder}" if folder else ".")
        else:
            specs.append(f":(glob){pattern}")
    return specs


def _decode_path(raw: bytes) -> str:
    # Non-UTF-8 file names are shown with replacement characters: evidence is JSON text.
    return raw.decode("utf-8", errors="replace")


def _names(raw: bytes) -> set[str]:
    return {_decode_path(p) for p in raw.split(b"\0") if p}


# --------------------------------------------------------------------------- last changes


class LastChange(NamedTuple):
    """The most recent commit that touched one file (raw author name: redact before use)."""

    commit: str
    author: str
    date: datetime
    approved_by: tuple[str, ...]
    reviewed_by: tuple[str, ...]


_FIELD = "\x1f"
_VALUE = "\x1d"
# Trailers are parsed by git itself (`%(trailers)`), with its rules: only the last paragraph,
# keys case-insensitive, continuation lines unfolded.
_LOG_FORMAT = (
    "%x1e%H%x1f%an%x1f%cI"
    "%x1f%(trailers:key=Approved-by,valueonly,unfold,separator=%x1d)"
    "%x1f%(trailers:key=Reviewed-by,valueonly,unfold,separator=%x1d)"
)
_HEADER = re.compile(r"\A\n?\x1e([0-9a-f]{40,64})\x1f")


def _split_values(raw: str) -> tuple[str, ...]:
    return tuple(v.strip() for v in raw.split(_VALUE) if v.strip())


def last_changes(
    repo: Repository, patterns: Sequence[str], wanted: Iterable[str]
) -> dict[str, LastChange]:
    """The last commit touching each wanted path, from one streamed `git log` pass.

    Reading stops (and git is terminated) once every wanted path has been seen, so the cost
    follows how far back the oldest governance change is, not the size of the history.
    """
    remaining = set(wanted)
    found: dict[str, LastChange] = {}
    if not remaining:
        return found
    args = ["log", "-z", "--name-only", "--relative", "--no-renames", *QUIET_DIFF]
    args += ["--no-show-signature", f"--format={_LOG_FORMAT}", "HEAD", "--"]
    with repo.git.stream(*args, *pathspecs(patterns)) as stream:
        current: LastChange | None = None
        pending = b""
        while remaining:
            chunk = stream.read()
            if not chunk:
                if pending:
                    _consume(pending, current, remaining, found)
                break
            tokens = (pending + chunk).split(b"\0")
            pending = tokens.pop()
            for token in tokens:
                current = _consume(token, current, remaining, found)
        if not remaining:
            stream.stop()
    return found


def _consume(
    token: bytes,
    current: LastChange | None,
    remaining: set[str],
    found: dict[str, LastChange],
) -> LastChange | None:
    text = token.decode("utf-8", errors="replace")
    header = _HEADER.match(text)
    if header:
        fields = text.lstrip("\n")[1:].split(_FIELD)
        fields += [""] * (5 - len(fields))
        return LastChange(
            commit=fields[0],
            author=fields[1],
            date=datetime.fromisoformat(fields[2]),
            approved_by=_split_values(fields[3]),
            reviewed_by=_split_values(fields[4]),
        )
    path = _decode_path(token.lstrip(b"\n"))
    if current is not None and path in remaining:
        remaining.discard(path)
        found[path] = current
    return current


# --------------------------------------------------------------------------- the working tree


def uncommitted_paths(
    repo: Repository, patterns: Sequence[str], paths: Iterable[str], *, has_head: bool
) -> set[str]:
    """Those of `paths` that are untracked or differ from HEAD (staged or not).

    Two commands limited by the globs' pathspecs, whatever the number of paths: listing
    thousands of literal pathspecs makes git match each path against each spec.
    """
    wanted = set(paths)
    if not wanted:
        return set()
    if not has_head:
        return wanted
    specs = pathspecs(patterns)
    untracked = repo.git.output("ls-files", "-z", "--others", "--", *specs)
    changed = repo.git.output(
        "diff", "-z", "--name-only", "--relative", "--no-renames", *QUIET_DIFF, "HEAD", "--", *specs
    )
    return wanted & (_names(untracked) | _names(changed))


def ignored_paths(repo: Repository, patterns: Sequence[str]) -> set[str]:
    """Untracked files under the globs that git ignores (build output, say)."""
    listed = repo.git.output(
        "ls-files", "-z", "--others", "--ignored", "--exclude-standard", "--", *pathspecs(patterns)
    )
    return _names(listed)


def changed_since(repo: Repository, since: str) -> set[str]:
    """Files that differ between `since` and the working tree, untracked ones included,
    relative to the target; a rename counts as a deletion plus an addition."""
    tracked = repo.git.output(
        "diff", "--name-only", "-z", "--no-renames", "--relative", *QUIET_DIFF, since
    )
    untracked = repo.git.output("ls-files", "-z", "--others", "--exclude-standard")
    return _names(tracked) | _names(untracked)


def changes_between(repo: Repository, old: str, new: str = "HEAD") -> list[dict[str, Any]]:
    """Committed changes from `old` to `new` as [{path, status, old_path}] (renames found)."""
    raw = repo.git.output(
        "diff", "-z", "--name-status", "--relative", "-M", *QUIET_DIFF, old, new, "--"
    )
    return parse_name_status(raw.decode("utf-8", "replace"))


def parse_name_status(raw: str) -> list[dict[str, Any]]:
    """`git diff --name-status -z` output as [{path, status, old_path}]."""
    tokens = raw.split("\0")
    files: list[dict[str, Any]] = []
    index = 0
    while index < len(tokens):
        code = tokens[index].strip()
        if not code:
            index += 1
            continue
        letter = code[0]
        if letter in "RC":
            old, new = tokens[index + 1], tokens[index + 2]
            index += 3
            status = "renamed" if letter == "R" else "added"
            files.append({"path": new, "status": status, "old_path": old})
            continue
        path = tokens[index + 1]
        index += 2
        files.append({"path": path, "status": _STATUS.get(letter, "modified"), "old_path": None})
    return files


# --------------------------------------------------------------------------- dates


def last_commit_date(repo: Repository, paths: Sequence[Path | str]) -> datetime | None:
    """Committer date (UTC) of the last commit touching any of `paths`; None when there is
    none (never committed, no commits yet) or git cannot say."""
    try:
        done = repo.git.run("log", "-1", "--format=%cI", *QUIET_DIFF, "--", *map(str, paths))
    except GitError:
        return None
    text = done.text() if done.ok else ""
    return datetime.fromisoformat(text).astimezone(UTC) if text else None


def is_unchanged(repo: Repository, path: Path | str) -> bool:
    """Whether `path` is tracked and identical to HEAD (`git status` lists nothing for it)."""
    return not repo.git.run("status", "--porcelain", "--", str(path)).text()
