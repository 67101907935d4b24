"""Repository globs: wcmatch's dialect, and the spellings a file name may take.

Patterns in packs, govgate.yaml and waivers are matched as `wcmatch.glob` matches them with
GLOBSTAR, BRACE, DOTGLOB and FORCEUNIX: `**` spans folders only as a whole path segment
(`a**b` stays in one folder), `{qms,quality}` expands, `*` matches dotfiles, and paths are POSIX
on every OS. Patterns made only of plain characters, `*`, `?` and `**` segments (nearly every
pattern govgate ships) are translated here to the regex wcmatch would build, because importing
wcmatch costs more than a warm commit-hook run may spend; tests/core/test_globs.py holds the
two translations equal on a table and on generated pattern/path pairs.

`spelling_key` is what "the same file name, spelled another way" means when govgate looks for
a file: the letter case of the extension does not matter, and `.yml` is `.yaml`; `spelled_regex`
matches a pattern's files in all those spellings at once.
"""

from __future__ import annotations

import re
from functools import lru_cache

#: Characters that make a pattern a glob rather than one path: wildcards, a bracket class,
#: a brace expansion, an escape.
GLOB_CHARACTERS = frozenset("*?[{\\")
#: Characters the own translation leaves to wcmatch (classes, braces, escapes).
_WCMATCH_ONLY = frozenset("[]{}\\")
#: Brace expansions wcmatch may produce from one pattern before refusing it.
MAX_EXPANSIONS = 1000
#: Extensions that name the same format (key: how `spelling_key` writes it).
_SAME_EXTENSION = {"yml": "yaml"}


_GLOB_CHARACTER = re.compile("[" + re.escape("".join(sorted(GLOB_CHARACTERS))) + "]")


def is_glob(pattern: str) -> bool:
    """True when the pattern has wildcards, classes, braces or escapes (not one plain path)."""
    return _GLOB_CHARACTER.search(pattern) is not None


def strip_dot_slash(pattern: str) -> str:
    """The pattern without leading `./` (keeping the dot of `.github/...`)."""
    while pattern.startswith("./"):
        pattern = pattern[2:]
    return pattern


def spelling_key(path: str) -> str:
    """PATH with its extension in lower case and `.yml` written `.yaml`.

    Two file names with the same key are the same name as people spell it
    (`oversight.YML`, `oversight.yaml`); the extension is the text after the last dot of the
    last segment, when it is letters and digits and the name does not start with that dot.
    """
    folder, slash, name = path.rpartition("/")
    stem, dot, extension = name.rpartition(".")
    if not dot or not stem or not extension.isalnum():
        return path
    lowered = extension.lower()
    return f"{folder}{slash}{stem}.{_SAME_EXTENSION.get(lowered, lowered)}"


def _own_translation(pattern: str, *, open_end: bool = False) -> str | None:
    """The regex of a plain pattern (no classes, braces or escapes), or None for wcmatch.

    Left to wcmatch as well: empty patterns and patterns with an empty, `.` or `..` segment,
    which wcmatch treats specially and govgate never ships. `open_end`: PATTERN is the start
    of a longer last segment (its extension follows), so a final `**` is no whole segment.
    """
    if not pattern or any(ch in _WCMATCH_ONLY for ch in pattern):
        return None
    segments = pattern.split("/")
    if any(segment in ("", ".", "..") for segment in segments):
        return None
    pieces: list[str] = []
    for index, segment in enumerate(segments):
        last = index == len(segments) - 1
        if segment == "**" and not (last and open_end):
            # Zero or more folders; as the last segment, anything below.
            pieces.append(".*" if last else "(?:.*/)?")
            continue
        for run in re.split(r"(\*+|\?)", segment):
            if run.startswith("*"):
                pieces.append("[^/]*")  # `***` is `*`: only a whole `**` segment spans folders
            elif run == "?":
                pieces.append("[^/]")
            elif run:
                pieces.append(re.escape(run))
        if not last:
            pieces.append("/")
    return "".join(pieces)


@lru_cache(maxsize=512)
def glob_to_regex(pattern: str) -> re.Pattern[str]:
    """The regex (for `.match` on a relative POSIX path) of a repository glob.

    Raises ValueError when the braces expand to more than MAX_EXPANSIONS patterns.
    """
    own = _own_translation(pattern)
    if own is not None:
        return re.compile(own + r"\Z", re.DOTALL)
    from wcmatch import glob as wcglob  # imported only for patterns beyond the plain ones

    try:
        include, _exclude = wcglob.translate(pattern, flags=wcmatch_flags(), limit=MAX_EXPANSIONS)
    except Exception as exc:  # wcmatch's PatternLimitException, or a pattern it cannot read
        raise ValueError(f"glob {pattern!r} cannot be used: {exc}") from None
    return re.compile("|".join(f"(?:{regex})" for regex in include))


def _split_extension(pattern: str) -> tuple[str, str] | None:
    """(PATTERN without its extension, the extension) when its last segment ends in a plain
    one (`governance/oversight` and `yaml`), else None (`reports/**`, `*.{yaml,json}`)."""
    name = pattern.rpartition("/")[2]
    stem, dot, extension = name.rpartition(".")
    if not dot or not stem or not extension.isalnum():
        return None
    return pattern[: -len(extension) - 1], extension


@lru_cache(maxsize=512)
def spelled_regex(pattern: str) -> re.Pattern[str]:
    """The regex of PATTERN that also matches its file names spelled otherwise: the extension
    in any letter case, `.yml` for `.yaml` and back (what RepoFiles finds files with).

    Raises ValueError as `glob_to_regex` does.
    """
    split = _split_extension(pattern)
    if split is None:
        return glob_to_regex(pattern)
    start, extension = split
    key = _SAME_EXTENSION.get(extension.lower(), extension.lower())
    same = sorted({key} | {other for other, known in _SAME_EXTENSION.items() if known == key})
    own = _own_translation(start, open_end=True)
    if own is not None:
        alternatives = "|".join(re.escape(e) for e in same)
        return re.compile(own + rf"\.(?i:{alternatives})\Z", re.DOTALL)
    # Beyond the plain patterns: the same spellings in wcmatch's own syntax.
    cased = ["".join(f"[{c.lower()}{c.upper()}]" if c.isalpha() else c for c in e) for e in same]
    # (A brace with a single alternative is no brace to wcmatch: it would stay literal.)
    return glob_to_regex(
        start + "." + (cased[0] if len(cased) == 1 else "{" + ",".join(cased) + "}")
    )


def wcmatch_flags() -> int:
    """wcmatch's flags for repository globs (a function: wcmatch is imported only when used)."""
    from wcmatch import glob as wcglob

    return wcglob.GLOBSTAR | wcglob.BRACE | wcglob.DOTGLOB | wcglob.FORCEUNIX
