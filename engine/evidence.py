"""Evidence: the plain-data record a collector produces and a rule reads (DESIGN §5).

An evidence item is addressed by its digest, the sha256 of the canonical JSON of
(kind, subject, data), so the same facts collected twice are stored once and any edit is
detectable. Everything in it is JSON-compatible; nothing personal is allowed in (collectors
redact before they build evidence, see `govgate.pii`).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any


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
    """Digest of an evidence item's content (DESIGN §5)."""
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
    """Where evidence came from, relative to the target repository (never outside it)."""

    path: str | None = None
    line: int | None = None
    commit: str | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"path": self.path}
        if self.line is not None:
            out["line"] = self.line
        if self.commit is not None:
            out["commit"] = self.commit
        return out

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Source:
        return cls(path=raw.get("path"), line=raw.get("line"), commit=raw.get("commit"))


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
        """The short citation a finding carries (DESIGN §7 `findings[].evidence[]`)."""
        return {"digest": self.digest, "kind": self.kind, "source": self.source.to_json()}

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
