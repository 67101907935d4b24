"""Evidence: the plain-data record a collector produces and a rule reads (docs/plugins.md).

An evidence item is addressed by its digest, the sha256 of the canonical JSON of
(kind, subject, data), so the same facts collected twice are stored once and any edit is
detectable. Everything in it is JSON-compatible; nothing personal is allowed in (collectors
redact before they build evidence, see `govgate.support.pii`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from govgate.support.pii import redact_text

#: At most this many input files are listed in `Source.files`; the rest are counted in
#: `Source.more_files` (a summary over a data lake's worth of files stays a small record).
MAX_SOURCE_FILES = 1000


def canonical_json(value: Any) -> bytes:
    """The one serialisation every digest in govgate is computed over.

    Sorted keys, no whitespace, UTF-8, and NaN/Infinity refused (they are not JSON and would
    make two equal-looking documents hash differently across tools).
    """
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def sha256_digest(payload: bytes) -> str:
    """`sha256:<hex>` of raw bytes."""
    return "sha256:" + hashlib.sha256(payload).hexdigest()


def evidence_digest(kind: str, subject: str, data: Any) -> str:
    """Digest of an evidence item's content: sha256 of the canonical JSON of kind, subject, data."""
    return sha256_digest(canonical_json({"kind": kind, "subject": subject, "data": data}))


def utc_now() -> datetime:
    """Current time, timezone-aware UTC, truncated to whole seconds for stable output."""
    return datetime.now(UTC).replace(microsecond=0)


def format_timestamp(moment: datetime) -> str:
    """RFC 3339 UTC with a `Z` suffix."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_timestamp(text: str) -> datetime:
    """Parse an RFC 3339 timestamp written by `format_timestamp` (or any ISO 8601 with zone)."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment


@dataclass(frozen=True)
class Source:
    """Where evidence came from, relative to the target repository (never outside it).

    `path` (and `line`) name the one file an item was read from. An item summarised from
    several files (every decision log matched by a glob) has no single `path`; `files` lists
    the repository files it was read from (sorted, relative POSIX paths, at most
    MAX_SOURCE_FILES) and `more_files` counts those left off the list. Files a collector
    refused (a symlink leaving the repository, a FIFO) are never listed: nothing was read
    from them. The file list is provenance, like `path`: it is not part of the digest (which
    covers kind, subject and data), but it is part of the run record that the locker's hash
    chain covers.
    """

    path: str | None = None
    line: int | None = None
    commit: str | None = None
    files: tuple[str, ...] = ()
    more_files: int = 0

    def to_json(self, *, files: bool = True) -> dict[str, Any]:
        """The JSON form; `files=False` leaves the file list out (a finding's short citation)."""
        out: dict[str, Any] = {"path": self.path}
        if self.line is not None:
            out["line"] = self.line
        if self.commit is not None:
            out["commit"] = self.commit
        if files and self.files:
            out["files"] = list(self.files)
        if files and self.more_files:
            out["more_files"] = self.more_files
        return out

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Source:
        return cls(
            path=raw.get("path"),
            line=raw.get("line"),
            commit=raw.get("commit"),
            files=tuple(str(f) for f in raw.get("files") or ()),
            more_files=int(raw.get("more_files") or 0),
        )

    def with_files(self, files: Iterable[str]) -> Source:
        """This source listing FILES (repository-relative; de-duplicated, sorted, capped), each
        name masked (a file can be named after a person's e-mail address)."""
        listed, more = source_files(redact_text(str(f)) for f in files)
        return replace(self, files=listed, more_files=more)

    def all_files(self) -> list[str]:
        """Every repository file named: `path` first, then `files` (without repeats)."""
        return list(dict.fromkeys([*([self.path] if self.path else []), *self.files]))


def source_files(files: Iterable[str]) -> tuple[tuple[str, ...], int]:
    """(the first MAX_SOURCE_FILES of FILES, how many more) as a Source lists them.

    FILES are relative POSIX paths as `CollectContext.iter_files` yields them; a leading `./`
    is dropped, and anything that is not a relative path inside the repository (absolute,
    `..`, a drive, a URI) is left out, since a source never points outside the repository.
    """
    kept: set[str] = set()
    for raw in files:
        path = str(raw)
        while path.startswith("./"):
            path = path[2:]
        drive = path[1:2] == ":" and path[:1].isalpha() and path[2:3] in ("", "/", "\\")
        if (
            not path
            or path.startswith(("/", "\\"))
            or ".." in path.split("/")
            or "://" in path
            or drive
        ):
            continue
        kept.add(path)
    ordered = sorted(kept)
    return tuple(ordered[:MAX_SOURCE_FILES]), max(0, len(ordered) - MAX_SOURCE_FILES)


@dataclass(frozen=True)
class Evidence:
    """One piece of evidence. Build it with `CollectContext.evidence`, not by hand.

    `dated` is when the fact itself is from (an attestation's date, a load test's run date),
    as opposed to `collected_at`; freshness (`max_age`) uses `dated` when it is set.
    `locations` maps JSON pointers inside `data` to source lines, so a finding about one item
    of a list can point at that item's line.
    """

    kind: str
    subject: str
    data: Any
    source: Source
    collector: str
    collector_version: str
    collected_at: str
    digest: str
    dated: str | None = None
    locations: dict[str, int] = field(default_factory=dict, compare=False, hash=False)
    #: Set when the source exists but its content could not be used (parse error, schema
    #: violation); rules reading this item fail with this text instead of evaluating it.
    problem: str | None = None

    @classmethod
    def create(
        cls,
        *,
        kind: str,
        subject: str,
        data: Any,
        source: Source,
        collector: str,
        collector_version: str,
        collected_at: datetime | None = None,
        dated: datetime | str | None = None,
        locations: dict[str, int] | None = None,
        problem: str | None = None,
    ) -> Evidence:
        if isinstance(dated, datetime):
            dated = format_timestamp(dated)
        return cls(
            kind=kind,
            subject=subject,
            data=data,
            source=source,
            collector=collector,
            collector_version=collector_version,
            collected_at=format_timestamp(collected_at or utc_now()),
            digest=evidence_digest(kind, subject, data),
            dated=dated,
            locations=dict(locations or {}),
            problem=problem,
        )

    def verify_digest(self) -> bool:
        """True when `digest` still matches the content (used by `govgate verify`)."""
        return self.digest == evidence_digest(self.kind, self.subject, self.data)

    def reference(self) -> dict[str, Any]:
        """The short citation a finding carries (the result document's `findings[].evidence[]`).

        Without the source's file list: the run's evidence manifest carries it once, rather
        than every finding citing a summary of a thousand files repeating it.
        """
        return {
            "digest": self.digest,
            "kind": self.kind,
            "source": self.source.to_json(files=False),
        }

    def with_files(self, files: Iterable[str]) -> Evidence:
        """This item with `source.files` listing the repository files it was read from.

        For an item summarised from several files; pass only files actually read (never one
        that was refused). The digest is unchanged: it covers kind, subject and data.
        """
        return replace(self, source=self.source.with_files(files))

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "kind": self.kind,
            "subject": self.subject,
            "data": self.data,
            "source": self.source.to_json(),
            "collector": {"name": self.collector, "version": self.collector_version},
            "collected_at": self.collected_at,
            "digest": self.digest,
        }
        if self.dated is not None:
            out["dated"] = self.dated
        if self.locations:
            out["locations"] = self.locations
        if self.problem is not None:
            out["problem"] = self.problem
        return out

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Evidence:
        return cls(
            kind=raw["kind"],
            subject=raw["subject"],
            data=raw["data"],
            source=Source.from_json(raw.get("source") or {}),
            collector=raw["collector"]["name"],
            collector_version=raw["collector"]["version"],
            collected_at=raw["collected_at"],
            digest=raw["digest"],
            dated=raw.get("dated"),
            locations=dict(raw.get("locations") or {}),
            problem=raw.get("problem"),
        )
