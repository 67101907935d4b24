"""The git facts the run recorded as evidence (`git.governance_history`, `git.signoffs`): the
governance files' history and each file's last change. Nothing here runs git."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from govgate.core.evidence import Evidence
from govgate.outputs.dossier.inputs import DossierInput

GIT_HISTORY_KIND = "git.governance_history"
SIGNOFFS_KIND = "git.signoffs"


def history_entries(data: Any) -> list[Mapping[str, Any]]:
    """The per-file entries of `git.governance_history` data (none when it is unusable)."""
    if not isinstance(data, Mapping):
        return []
    return [e for e in data.get("files") or [] if isinstance(e, Mapping) and e.get("path")]


def governance_history(inp: DossierInput) -> tuple[list[Evidence], str]:
    """The history of the governance files to show and which evidence holds it: "run" (a
    rule's `git.governance_history`), "signoffs" (the run's sign-off record, `git.signoffs`,
    when no rule reads the history) or "none"."""
    for kind, origin in ((GIT_HISTORY_KIND, "run"), (SIGNOFFS_KIND, "signoffs")):
        items = sorted((e for e in inp.evidence if e.kind == kind), key=lambda e: e.subject)
        if items:
            return items, origin
    return [], "none"


def file_changes(inp: DossierInput) -> dict[str, Mapping[str, Any]]:
    """The last change of each file the run's git evidence covers (a history entry), from the
    governance history and from the waiver files of the sign-off record."""
    found: dict[str, Mapping[str, Any]] = {}
    signoffs = [e for e in inp.evidence if e.kind == SIGNOFFS_KIND]
    for item in [*governance_history(inp)[0], *signoffs]:
        entries = history_entries(item.data)
        if isinstance(item.data, Mapping):
            entries += history_entries({"files": item.data.get("waiver_files")})
        for entry in entries:
            found.setdefault(str(entry["path"]), entry)
    return found
