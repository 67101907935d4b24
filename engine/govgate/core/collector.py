"""The collector contract: what a collector declares, and the context it collects in.

A collector is a small class (see docs/plugins.md): a name, a version, the evidence kinds it
produces with their JSON Schemas, and `collect(ctx)`. It reads only through the context, which
keeps every read inside the target repository, refuses what is not a regular file, and records
malformed input as diagnostics with file and line, so nothing is silently skipped.
"""

from __future__ import annotations

import os
import stat
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

from govgate.core.evidence import Evidence, Source, utc_now
from govgate.core.globs import glob_to_regex as glob_to_regex  # its home before core.globs
from govgate.core.globs import is_glob, spelled_regex, strip_dot_slash
from govgate.support.masking import mask_document
from govgate.support.pii import redact_locations, redact_text

#: Folders never collected from: VCS internals, govgate's own state, virtual environments.
IGNORED_DIRS = frozenset(
    {".git", ".govgate", ".venv", "venv", "node_modules", "__pycache__", ".mypy_cache", ".tox"}
)


#: The settings schema of a collector that takes no settings.
NO_SETTINGS: Mapping[str, Any] = {"type": "object", "additionalProperties": False}


@dataclass(frozen=True)
class EvidenceKind:
    """A kind of evidence: its name, who produces it, and the JSON Schema of its `data`.

    Kinds are declared by collectors (fixed kinds such as `git.head`) or by policy packs
    (path-bound kinds such as `oversight_config`, which a generic collector like `config`
    produces from the files at `paths`; govgate.yaml may move them).
    """

    name: str
    collector: str
    schema: Mapping[str, Any] | None = None
    description: str = ""
    paths: tuple[str, ...] = ()
    options: Mapping[str, Any] = field(default_factory=dict)
    declared_in: str = ""
    #: What to install when no collector of this name is present, e.g. "pip install govgate-mlflow".
    install_hint: str | None = None
    #: The data is a summary (counts, shares, masked samples; never records or file contents)
    #: that the result document carries in full, so a reader needs no locker export.
    summary: bool = False


@dataclass(frozen=True)
class Diagnostic:
    """A problem with the input that a collector noticed and kept going past."""

    collector: str
    path: str | None
    line: int | None
    message: str
    level: str = "warning"  # "warning": counted and reported; "error": evidence unusable

    def to_json(self) -> dict[str, Any]:
        return {
            "collector": self.collector,
            "path": self.path,
            "line": self.line,
            "level": self.level,
            "message": self.message,
        }


class Collector(ABC):
    """Base class of every collector, built-in or third-party.

    Subclasses set the class attributes and implement `collect`. A collector never reads
    policies and never decides pass/fail: it reports facts.
    """

    #: Unique, short, lower-case name (the key under `collectors:` in govgate.yaml).
    name: ClassVar[str]
    #: Bump it when the evidence it produces changes; a new version invalidates the cache.
    version: ClassVar[str]
    description: ClassVar[str] = ""
    #: Fixed kinds this collector produces.
    kinds: ClassVar[Sequence[EvidenceKind]] = ()
    #: How long cached output stays fresh (None: until the inputs change).
    ttl: ClassVar[timedelta | None] = None
    #: For collectors that produce kinds packs declare with paths (config, files…): the JSON
    #: Schema every item of such a kind has (e.g. the `files` summary shape).
    declared_kind_schema: ClassVar[Mapping[str, Any] | None] = None
    #: JSON Schema of this collector's section of govgate.yaml (`collectors: {NAME: {...}}`),
    #: checked when govgate.yaml is loaded: an unknown key or a wrong value there is exit 2 with
    #: its line and a did-you-mean. The default takes no settings at all, so a collector that
    #: reads settings must declare them (`additionalProperties: false` keeps typos out).
    settings_schema: ClassVar[Mapping[str, Any]] = NO_SETTINGS

    def input_patterns(self, ctx: CollectContext) -> list[str]:
        """Globs of the files whose content determines this collector's output (for the cache).

        The default covers the declared kinds' paths and `paths:` from the collector's settings.
        Return `["*"]`-style patterns only if the output really depends on the whole repository.
        """
        patterns: list[str] = []
        for kind in ctx.kinds:
            patterns.extend(kind.paths)
        patterns.extend(ctx.settings.get("paths", []) or [])
        return patterns

    def impact_patterns(self, ctx: CollectContext) -> list[str]:
        """Globs of the files whose *content* feeds `ctx.kinds` (for `govgate impact`).

        Defaults to `input_patterns`. Override it when the cache fingerprint includes
        bookkeeping that is not evidence (VCS state, lock files), so that a change to an
        unrelated file is not reported as touching this collector's rules.
        """
        return self.input_patterns(ctx)

    def state_key(self, ctx: CollectContext) -> str | None:
        """State outside the target's files that the output depends on, as a short text that
        becomes part of the cache fingerprint (the git collector gives the commit HEAD names,
        read from git's files); None, the default, when the files say it all. Keep it cheap:
        it is computed on every run, cache hit or not.
        """
        return None

    @abstractmethod
    def collect(self, ctx: CollectContext) -> Iterable[Evidence]:
        """Produce evidence for the kinds in `ctx.kinds`. Raise `CollectorError` on failure."""


class PathOutsideRepository(Exception):
    """A path (or the target of a symlink) lies outside the target repository."""


def _literal_prefix(pattern: str) -> str:
    """The folder part of a glob before its first wildcard segment: where walking can start."""
    prefix: list[str] = []
    for part in pattern.split("/")[:-1]:
        if is_glob(part):
            break
        prefix.append(part)
    return "/".join(prefix)


def _is_folder(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir()
    except OSError:
        return False


def _close_names(wanted: str, names: Sequence[str]) -> list[str]:
    """Names that look like WANTED: equal or glob-matching when case is ignored, or close by
    difflib's ratio (a typo); WANTED itself is left out."""
    lowered = wanted.lower()
    if is_glob(wanted):
        try:
            regex = glob_to_regex(lowered)
        except ValueError:
            return []
        return [n for n in names if regex.match(n.lower())]
    import difflib  # only when evidence is missing

    close = [n for n in names if n.lower() == lowered and n != wanted]
    close += [n for n in difflib.get_close_matches(wanted, names, n=3, cutoff=0.8) if n != wanted]
    return list(dict.fromkeys(close))


class RepoFiles:
    """Safe, cached listing of the target repository's files.

    Walks without following directory symlinks, never enters IGNORED_DIRS, and classifies
    each entry once, so many collectors can glob without walking the tree many times.
    Patterns are repository globs (`govgate.core.globs`), and a file name matches in any of its
    spellings: the extension in any letter case, `.yml` for `.yaml` and back. A plain path
    finds the file itself when it exists, else the same name spelled another way.
    """

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self._walked: dict[str, list[str]] = {}
        self._listed: dict[str, list[str]] = {}
        self.refused: dict[str, str] = {}

    def _walk(self, start: str) -> list[str]:
        if start in self._walked:
            return self._walked[start]
        for done, files in self._walked.items():  # reuse a walk of a parent folder
            if done == "" or start == done or start.startswith(done + "/"):
                prefix = start + "/" if start else ""
                return [f for f in files if f.startswith(prefix)]
        found: list[str] = []
        base = self.root / start if start else self.root
        if not base.is_dir() or base.is_symlink():
            self._walked[start] = found
            return found
        for dirpath, dirnames, filenames in os.walk(base, followlinks=False):
            rel_dir = os.path.relpath(dirpath, self.root).replace(os.sep, "/")
            rel_dir = "" if rel_dir == "." else rel_dir + "/"
            kept = []
            for name in sorted(dirnames):
                if name in IGNORED_DIRS:
                    continue
                if (Path(dirpath) / name).is_symlink():
                    # Never followed (it may leave the repository or loop); said, not hidden.
                    self.refused[rel_dir + name] = "symlinked directory not followed"
                    continue
                kept.append(name)
            dirnames[:] = kept
            found.extend(rel_dir + name for name in sorted(filenames))
        self._walked[start] = found
        return found

    def _files_in(self, folder: str) -> list[str]:
        """The files directly in FOLDER, as `_walk` classifies them: one listing of one folder
        (cheaper than filtering a walk of a large tree)."""
        if folder in self._listed:
            return self._listed[folder]
        base = self.root / folder if folder else self.root
        prefix = folder + "/" if folder else ""
        listed: list[str] = []
        if base.is_dir() and not base.is_symlink():
            try:
                with os.scandir(base) as entries:
                    for entry in entries:
                        # A symlink to a folder counts as a folder, as os.walk counts it.
                        if not _is_folder(entry):
                            listed.append(prefix + entry.name)
                        elif entry.is_symlink() and entry.name not in IGNORED_DIRS:
                            self.refused[prefix + entry.name] = "symlinked directory not followed"
            except OSError:
                listed = []
        listed.sort()
        self._listed[folder] = listed
        return listed

    def _candidates(self, pattern: str) -> list[str]:
        """The files a glob can match: its folder's when only its last segment is a glob,
        else everything below its literal prefix."""
        prefix = _literal_prefix(pattern)
        rest = pattern[len(prefix) + 1 :] if prefix else pattern
        if "/" in rest or "**" in rest:
            return self._walk(prefix)
        return self._files_in(prefix)

    def glob(self, patterns: Iterable[str]) -> list[str]:
        """Relative POSIX paths matching any pattern, sorted and de-duplicated."""
        matched: set[str] = set()
        for raw in patterns:
            pattern = strip_dot_slash(raw)
            if pattern.startswith("/") or ".." in pattern.split("/"):
                self.refused[pattern] = "pattern points outside the repository"
                continue
            if not is_glob(pattern):
                matched.update(self._literal(pattern))
                continue
            try:
                regex = spelled_regex(pattern)
            except ValueError as exc:
                self.refused[pattern] = str(exc)
                continue
            matched.update(f for f in self._candidates(pattern) if regex.match(f))
        return sorted(matched)

    def _literal(self, path: str) -> list[str]:
        """A plain path: itself when it exists, else the files spelling its name otherwise."""
        if (self.root / path).is_symlink() or (self.root / path).exists():
            return [path]
        if "." not in path.rpartition("/")[2]:
            return []  # no extension to spell otherwise: nothing to list
        regex = spelled_regex(path)
        return [f for f in self._files_in(path.rpartition("/")[0]) if regex.match(f)]

    def near_names(self, patterns: Iterable[str], limit: int = 3) -> list[str]:
        """Files whose names come close to PATTERNS, for a message when they matched nothing.

        Close: the same name in another letter case, a small typo, or, for a glob on names,
        a name the glob matches when case is ignored. Looks only in each pattern's own folder
        (or that folder spelled in another case), never walking the tree: this runs on every
        check that misses evidence.
        """
        found: list[str] = []
        for raw in patterns:
            pattern = strip_dot_slash(raw)
            if pattern.startswith("/") or ".." in pattern.split("/"):
                continue
            prefix = _literal_prefix(pattern)
            rest = pattern[len(prefix) + 1 :] if prefix else pattern
            folder = self._folder_in_any_case(prefix)
            if folder is None or "/" in rest or "**" in rest:
                continue
            names = [f.rpartition("/")[2] for f in self._files_in(folder)]
            for name in _close_names(rest, names):
                rel = f"{folder}/{name}" if folder else name
                if rel not in found:
                    found.append(rel)
        return found[:limit]

    def _folder_in_any_case(self, folder: str) -> str | None:
        """FOLDER as it is spelled in the repository, when it exists in some letter case."""
        if not folder or (self.root / folder).is_dir():
            return folder
        current = ""
        for part in folder.split("/"):
            base = self.root / current if current else self.root
            try:
                with os.scandir(base) as entries:
                    names = [e.name for e in entries if e.is_dir(follow_symlinks=False)]
            except OSError:
                return None
            same = [n for n in names if n.lower() == part.lower() and n not in IGNORED_DIRS]
            if not same:
                return None
            current = f"{current}/{same[0]}" if current else same[0]
        return current

    def check(self, relpath: str) -> Path:
        """Absolute path of a repository file after checking it is safe to read.

        Raises PathOutsideRepository for anything resolving outside the root, and OSError with
        a clear strerror for FIFOs, sockets, devices and directories (reading a FIFO would hang).
        """
        candidate = self.root / relpath
        try:
            resolved = candidate.resolve(strict=True)
        except FileNotFoundError:
            raise FileNotFoundError(2, "no such file", relpath) from None
        except RuntimeError:  # symlink loop
            raise OSError(40, "symlink loop", relpath) from None
        if resolved != self.root and self.root not in resolved.parents:
            raise PathOutsideRepository(f"{relpath}: symlink points outside the repository")
        mode = resolved.stat().st_mode
        if stat.S_ISDIR(mode):
            raise IsADirectoryError(21, "is a directory", relpath)
        if not stat.S_ISREG(mode):
            raise OSError(22, "not a regular file (FIFO, socket or device); refused", relpath)
        return resolved


@dataclass
class CollectContext:
    """Everything a collector may use. Collectors get one per run; they must not keep it."""

    root: Path
    collector: str
    collector_version: str
    kinds: list[EvidenceKind]
    settings: dict[str, Any]
    system: dict[str, Any]
    files: RepoFiles
    base_ref: str | None = None
    now: datetime = field(default_factory=utc_now)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    #: Called with (done, total, label) during long work; a no-op unless a terminal is attached.
    progress: Any = None
    #: The aggregation backend govgate.yaml selected (`govgate.analysis.aggregate.BackendHandle`);
    #: None means the embedded default (DuckDB). Call `.open()` only when there is work.
    backend: Any = None
    #: Every evidence kind read from files at `paths` in this run, whoever collects it: for a
    #: collector that looks across the evidence (the scan for leftover template placeholders).
    run_kinds: list[EvidenceKind] = field(default_factory=list)

    def evidence(
        self,
        kind: str,
        subject: str,
        data: Any,
        *,
        path: str | None = None,
        line: int | None = None,
        commit: str | None = None,
        dated: datetime | str | None = None,
        locations: dict[str, int] | None = None,
        problem: str | None = None,
    ) -> Evidence:
        """Build an evidence item stamped with this collector's name, version and time.

        Pass `problem` when the source exists but cannot be used (it does not parse): the item
        still records that the file is there, and rules reading it fail with the problem.
        Everything is masked here, once for every collector: the subject and path (a file can
        be named `john.doe@example.com.md`), the data, the location pointers and the problem
        text (a YAML key can be an e-mail address), so no raw value reaches the locker or its
        cache. A collector still masks what it puts in `data` (a plugin may run without this
        step in older govgate versions); masking twice changes nothing.
        """
        jurisdictions = self.system.get("jurisdictions")
        return Evidence.create(
            kind=kind,
            subject=redact_text(subject),
            data=mask_document(data, jurisdictions),
            source=Source(path=redact_text(path) if path else path, line=line, commit=commit),
            collector=self.collector,
            collector_version=self.collector_version,
            collected_at=self.now,
            dated=dated,
            locations=redact_locations(locations or {}),
            problem=redact_text(problem) if problem is not None else None,
        )

    def kind(self, name: str) -> EvidenceKind | None:
        """The requested kind with this name (with paths already overridden by govgate.yaml)."""
        for kind in self.kinds:
            if kind.name == name:
                return kind
        return None

    def wants(self, name: str) -> bool:
        """True when some rule in this run reads evidence of kind `name`."""
        return self.kind(name) is not None

    def problem(
        self, path: str | None, line: int | None, message: str, *, level: str = "warning"
    ) -> None:
        """Record malformed input: counted and reported, never silently skipped.

        The message and path are redacted: parsers quote the offending key or value in their
        errors, and a file name can hold an e-mail address.
        """
        shown = redact_text(path) if path else path  # a file name can be personal data
        masked = redact_text(message)
        self.diagnostics.append(Diagnostic(self.collector, shown, line, masked, level))

    def glob(self, patterns: Iterable[str]) -> list[str]:
        """Repository files matching the patterns (relative POSIX paths)."""
        return self.files.glob(patterns)

    def safe_path(self, relpath: str) -> Path | None:
        """Absolute path of a readable regular file inside the repository, or None.

        A refusal (symlink leaving the repository, FIFO, device, missing file) is recorded as
        an error diagnostic naming the file, so the caller can simply move on.
        """
        try:
            return self.files.check(relpath)
        except PathOutsideRepository:
            self.problem(
                relpath, None, "symlink points outside the repository; refused", level="error"
            )
        except OSError as exc:
            self.problem(relpath, None, f"cannot read: {exc.strerror}", level="error")
        return None

    def iter_files(self, patterns: Iterable[str]) -> Iterator[tuple[str, Path]]:
        """(relative path, absolute path) of every safe file matching the patterns."""
        for rel in self.glob(patterns):
            absolute = self.safe_path(rel)
            if absolute is not None:
                yield rel, absolute
