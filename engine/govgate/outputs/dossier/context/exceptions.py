"""The exceptions register: every waiver of the run, its scope and status, and who last
committed its file (from the run's recorded git evidence)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from govgate.outputs.dossier.context.git_record import SIGNOFFS_KIND, file_changes
from govgate.outputs.dossier.context.values import where
from govgate.outputs.dossier.inputs import DossierInput


def _scope(waiver: Mapping[str, Any]) -> str:
    """What a waiver covers, in words."""
    scope = waiver.get("scope") or {}
    parts = []
    if scope.get("paths"):
        parts.append("paths: " + ", ".join(scope["paths"]))
    if scope.get("items"):
        parts.append("items: " + ", ".join(scope["items"]))
    return "; ".join(parts) or "everything the rule reports"


def exceptions_context(inp: DossierInput) -> list[dict[str, Any]]:
    changes = file_changes(inp)
    # A sign-off record that could not be collected says why no waiver file has an author.
    failed = next((e.problem for e in inp.evidence if e.kind == SIGNOFFS_KIND and e.problem), None)
    out = []
    for waiver in inp.result.get("waivers") or []:
        path = (waiver.get("source") or {}).get("path")
        out.append(
            {
                "id": waiver.get("id"),
                "target": waiver.get("rule") or f"control {waiver.get('control')}",
                "scope": _scope(waiver),
                "justification": waiver.get("justification"),
                "approver": waiver.get("approver"),
                "approval": _approval(waiver.get("approval")),
                "approved": waiver.get("approved"),
                "expires": waiver.get("expires"),
                "status": waiver.get("status"),
                "refused": waiver.get("refused"),
                "used": waiver.get("used"),
                "ticket": waiver.get("ticket"),
                "risk": waiver.get("risk"),
                "source": where(waiver.get("source")),
                "committed_by": (
                    _committed_by(path, changes.get(str(path)), failed) if path else None
                ),
            }
        )
    return out


def _approval(approval: Any) -> str | None:
    """How far the approval is proven (docs/signing.md); None for results that did not say."""
    if not isinstance(approval, Mapping):
        return None
    if approval.get("level") == "verified":
        commit = str(approval.get("commit"))[:10]
        return f"verified: commit {commit} signed by {approval.get('key')}"
    return f"self-reported: {approval.get('reason') or 'no signed approval'}"


def _committed_by(path: str, entry: Mapping[str, Any] | None, failed: str | None = None) -> str:
    """Who committed the last change to a waiver file, in words, as of the run."""
    if entry is None:
        return f"git author of {path}: not available ({failed or 'no git information'})"
    if entry.get("problem"):
        return f"git author of {path}: not available ({entry['problem']})"
    if not entry.get("last_commit"):
        return f"{path} is not committed to git"
    text = (
        f"{path} last committed by {entry.get('last_author') or 'unknown'}, "
        f"{entry.get('last_date') or 'undated'}, {str(entry['last_commit'])[:12]}"
    )
    if entry.get("committed") is False:
        text += "; the file has uncommitted changes"
    return text
