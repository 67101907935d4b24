"""Waivers: accepted exceptions with a justification, an approver and an expiry.

A waived finding keeps its underlying status next to the waiver (shown, never hidden). An
expired waiver no longer applies and its finding fails with a message naming it; a waiver
that runs longer than the allowed maximum is refused; a waiver nothing matched is reported.
Only `fail` can be waived: an `error` means nobody knows the answer, and that is not an
exception anyone can approve.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from govgate.core.collector import glob_to_regex
from govgate.core.config import ValidationMarks, read_yaml_bytes
from govgate.core.findings import Finding
from govgate.core.policy import severity_rank
from govgate.support.cachekey import load_key
from govgate.support.errors import InputError, InputErrors
from govgate.support.yamlload import load_yaml_file

DEFAULT_MAX_DAYS = 365


@dataclass
class Waiver:
    id: str
    rule: str | None
    control: str | None
    paths: list[str]
    items: list[str]
    justification: str
    approver: str
    approved: date
    expires: date
    line: int | None
    file: str
    ticket: str | None = None
    risk: str | None = None
    #: Why the waiver does not apply at all (too long, approved in the future...), or None.
    refused: str | None = None
    used: int = 0
    #: How far the approval is proven: {"level": "verified" | "self-reported", ...}
    #: (govgate.run.approvals); None when nobody asked.
    approval: dict[str, Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    #: The entry as written in the file (to tell a waiver a change added or edited).
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    def status(self, today: date) -> str:
        if self.refused:
            return "refused"
        if today > self.expires:
            return "expired"
        return "active"

    def to_json(self, today: date) -> dict[str, Any]:
        return {
            "id": self.id,
            "rule": self.rule,
            "control": self.control,
            "scope": {"paths": self.paths, "items": self.items},
            "justification": self.justification,
            "approver": self.approver,
            "approved": self.approved.isoformat(),
            "expires": self.expires.isoformat(),
            "ticket": self.ticket,
            "risk": self.risk,
            "status": self.status(today),
            "refused": self.refused,
            "used": self.used,
            "source": {"path": self.file, "line": self.line},
            **({"approval": self.approval} if self.approval is not None else {}),
            **self.extra,
        }

    def matches(self, finding: Finding) -> bool:
        if self.rule is not None and self.rule != finding.rule:
            return False
        if self.control is not None and self.control != finding.control:
            return False
        if self.paths:
            path = (finding.location or {}).get("path")
            if path is None or not any(glob_to_regex(p).match(path) for p in self.paths):
                return False
        return not (self.items and finding.item not in self.items)


def _date(raw: Any, file: str, line: int | None, key: str) -> date:
    try:
        return date.fromisoformat(str(raw))
    except ValueError:
        raise InputError(file, line, f"{key}: {raw!r} is not a date; write YYYY-MM-DD") from None


def load_waivers(
    root: Path,
    relpath: str,
    *,
    today: date,
    max_days: int = DEFAULT_MAX_DAYS,
    cache_dir: Path | None = None,
) -> list[Waiver]:
    """Read the waiver file if present (absent means no waivers).

    With `cache_dir` (the locker's cache folder), a file whose exact bytes passed the schema
    before is not validated again (`ValidationMarks`); every other check runs every time.
    """
    file = root / relpath
    if not file.exists():
        return []
    resolved = file.resolve()
    if root.resolve() not in resolved.parents:
        raise InputError(relpath, None, "waiver file points outside the repository")
    marks = None
    if cache_dir is None:
        loaded, content = load_yaml_file(file, display=relpath), None
    else:
        # A cache folder is only handed out once the key was checked against the repository.
        loaded, content = read_yaml_bytes(file, relpath, load_key())
        marks = ValidationMarks(cache_dir / "waivers", "waivers")
    if loaded.data is None:
        return []
    if marks is None or content is None or not marks.seen(content):
        from govgate.support.schemas import load_schema, schema_errors

        problems = schema_errors(loaded, load_schema("waivers"))
        if problems:
            raise InputErrors([InputError(relpath, line, text) for line, text in problems])
        if marks is not None and content is not None:
            marks.remember(content)
    waivers = []
    seen: set[str] = set()
    for index, raw in enumerate(loaded.data["waivers"]):
        line = loaded.line_of(f"/waivers/{index}")
        waiver_id = raw.get("id") or f"W{index + 1}"
        if waiver_id in seen:
            raise InputError(relpath, line, f"duplicate waiver id '{waiver_id}'")
        seen.add(waiver_id)
        scope = raw.get("scope") or {}
        waiver = Waiver(
            id=waiver_id,
            rule=raw.get("rule"),
            control=raw.get("control"),
            paths=list(scope.get("paths", [])),
            items=list(scope.get("items", [])),
            justification=raw["justification"].strip(),
            approver=raw["approver"],
            approved=_date(raw["approved"], relpath, line, "approved"),
            expires=_date(raw["expires"], relpath, line, "expires"),
            line=line,
            file=relpath,
            ticket=raw.get("ticket"),
            risk=raw.get("risk"),
            raw=dict(raw),
        )
        if waiver.expires < waiver.approved:
            waiver.refused = "expires before it was approved"
        elif waiver.expires - waiver.approved > timedelta(days=max_days):
            waiver.refused = (
                f"runs {(waiver.expires - waiver.approved).days} days, longer than "
                f"the allowed {max_days}; shorten it and re-approve"
            )
        elif waiver.approved > today:
            waiver.refused = "approval date is in the future"
        waivers.append(waiver)
    return waivers


def apply_waivers(
    findings: list[Finding],
    waivers: list[Waiver],
    now: datetime,
    verified_from: int | None = None,
) -> None:
    """Mark matching failed findings as waived, or say why a matching waiver did not apply.

    `verified_from` (a severity rank): a finding at or above it is waived only by a waiver
    whose approval is verified; a self-reported one stays failing and says why."""
    today = now.date()
    for finding in findings:
        if finding.status != "fail":
            continue
        for waiver in waivers:
            if not waiver.matches(finding):
                continue
            waiver.used += 1
            state = waiver.status(today)
            record = {**waiver.to_json(today), "underlying_status": finding.status}
            if state == "active" and _unproven(waiver, finding, verified_from):
                finding.waiver = record
                reason = (waiver.approval or {}).get("reason", "its approval is not verified")
                finding.message += (
                    f" (waiver {waiver.id} is self-reported: {reason}; a {finding.severity} "
                    "finding is waived only by an approval in a commit signed by its approver)"
                )
                break
            if state == "active":
                finding.status = "waived"
                finding.waiver = record
                break
            finding.waiver = record
            if state == "expired":
                finding.message += (
                    f" (waiver {waiver.id} expired on {waiver.expires.isoformat()}; renew or fix)"
                )
            else:
                finding.message += f" (waiver {waiver.id} refused: {waiver.refused})"
            break


def _unproven(waiver: Waiver, finding: Finding, verified_from: int | None) -> bool:
    """Whether `finding` is too severe for `waiver`'s approval, which is not verified."""
    if verified_from is None or severity_rank(finding.severity) < verified_from:
        return False
    return (waiver.approval or {}).get("level") != "verified"
