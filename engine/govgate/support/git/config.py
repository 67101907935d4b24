"""Which filter drivers git's config files define, read without running git, so neutralising
them costs no extra git process on the commit-hook path.

The answer is a superset (every `[filter "NAME"]` header anywhere in a file, even inside a
value, counts) or None when a file cannot be judged that way (an include, a header this reader
does not understand, a very large file): the caller then asks `git config` itself.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from govgate.support.git.state import common_dir, find_git_dir

#: A config file larger than this is left to `git config` to read.
_MAX_CONFIG_BYTES = 1 << 20
#: A section header as git reads it: `[section]`, `[section "sub"]` (`\"` and `\\` escaped,
#: any other backslash dropped) or the old `[section.sub]`.
_HEADER = re.compile(r'\[\s*([A-Za-z0-9.-]+)\s*(?:\s"((?:[^"\\\n]|\\.)*)"\s*)?\]')
_UNESCAPE = re.compile(r"\\(.)")
_WORDS = ("filter", "include")


def configured_filters(cwd: Path) -> list[str] | None:
    """Names of the filter drivers defined in the config git reads for `cwd` (the repository's
    own, its worktree's, the user's and the system's), or None when unsure."""
    for variable in ("GIT_CONFIG_PARAMETERS", "GIT_CONFIG"):
        if any(word in os.environ.get(variable, "").casefold() for word in _WORDS):
            return None
    if any(
        key.startswith("GIT_CONFIG_KEY_") and "filter" in value.casefold()
        for key, value in os.environ.items()
    ):
        return None
    names: list[str] = []
    for path in _config_files(cwd):
        found = _filters_in(path)
        if found is None:
            return None
        names += [name for name in found if name not in names]
    return names


def _config_files(cwd: Path) -> list[Path]:
    """Every config file git may read here (system, global, repository, worktree)."""
    files: list[Path] = []
    if not os.environ.get("GIT_CONFIG_NOSYSTEM"):
        files.append(Path(os.environ.get("GIT_CONFIG_SYSTEM") or "/etc/gitconfig"))
    home = os.environ.get("HOME")  # as git: no HOME, no global config (but XDG_CONFIG_HOME)
    if os.environ.get("GIT_CONFIG_GLOBAL"):
        files.append(Path(os.environ["GIT_CONFIG_GLOBAL"]))
    else:
        xdg = os.environ.get("XDG_CONFIG_HOME") or (f"{home}/.config" if home else None)
        files += [Path(xdg) / "git" / "config"] if xdg else []
        files += [Path(home) / ".gitconfig"] if home else []
    git_dir = Path(os.environ["GIT_DIR"]) if os.environ.get("GIT_DIR") else find_git_dir(cwd)
    if git_dir is not None:
        if not git_dir.is_absolute():
            git_dir = cwd / git_dir
        files += [common_dir(git_dir) / "config", git_dir / "config.worktree"]
    return files


def _filters_in(path: Path) -> list[str] | None:
    """Filter names whose headers appear in one file ([] when it is absent), or None."""
    try:
        with path.open("rb") as handle:
            raw = handle.read(_MAX_CONFIG_BYTES + 1)
    except FileNotFoundError:
        return []
    except OSError:
        return None if path.exists() else []
    if len(raw) > _MAX_CONFIG_BYTES:
        return None
    text = raw.decode("utf-8", "surrogateescape")
    names: list[str] = []
    # Every "[" is a possible header: git reads one wherever a new entry may start, even after
    # another header on the same line. A "[" inside a value only adds a name (harmless).
    for start in (m.start() for m in re.finditer(r"\[", text)):
        header = _HEADER.match(text, start)
        if header is None:
            end = text.find("\n", start)
            rest = text[start : end if end != -1 else len(text)].casefold()
            if any(word in rest for word in _WORDS):
                return None  # looks like a header this reader does not understand
            continue
        section, sub = header.group(1).casefold(), header.group(2)
        if section.startswith("include"):
            return None  # another file joins in: let git list them all
        if section == "filter" and sub is not None:
            names.append(_UNESCAPE.sub(r"\1", sub))
        elif section.startswith("filter."):  # the old `[filter.name]`: lower-cased by git
            names += [header.group(1)[len("filter.") :], section[len("filter.") :]]
    return names
