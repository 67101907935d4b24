"""Findings: the outcome of one rule on one piece of evidence (or one item of it).

Statuses (docs/policies.md): `pass`, `fail`, `error` (could not be evaluated), `waived`,
`not_applicable`, `skipped` (a prerequisite did not pass).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

STATUSES = ("pass", "fail", "error", "waived", "not_applicable", "skipped")


@dataclass
class Finding:
    rule: str
    status: str
    severity: str
    control: str
    requirements: list[str]
    message: str
    remediation: str | None
    pack: str
    location: dict[str, Any] | None = None
    evidence: list[dict[str, Any]] = field(default_factory=list)
    #: Names the for_each item (or evidence subject) so findings of one rule stay apart.
    item: str | None = None
    waiver: dict[str, Any] | None = None
    new: bool | None = None
    #: Why the rule does not apply (set on every `not_applicable` finding), in the user's terms.
    reason: str | None = None

    @property
    def key(self) -> str:
        """Stable identity across runs (for `--base` comparison and SARIF fingerprints)."""
        return f"{self.rule}|{self.item or ''}"

    def to_json(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "status": self.status,
            "severity": self.severity,
            "control": self.control,
            "requirements": self.requirements,
            "pack": self.pack,
            "item": self.item,
            "message": self.message,
            "reason": self.reason,
            "remediation": self.remediation,
            "location": self.location,
            "evidence": self.evidence,
            "waiver": self.waiver,
            "new": self.new,
        }

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Finding:
        return cls(
            rule=raw["rule"],
            status=raw["status"],
            severity=raw["severity"],
            control=raw["control"],
            requirements=list(raw["requirements"]),
            message=raw["message"],
            remediation=raw.get("remediation"),
            pack=raw["pack"],
            location=raw.get("location"),
            evidence=list(raw.get("evidence") or []),
            item=raw.get("item"),
            waiver=raw.get("waiver"),
            new=raw.get("new"),
            reason=raw.get("reason"),
        )
