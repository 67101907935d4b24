"""The sign-off section: the attestations in the run's evidence and the approvals its recorded
git history shows for each governance file."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from govgate.core.evidence import Evidence
from govgate.outputs.dossier.context.git_record import governance_history, history_entries
from govgate.outputs.dossier.context.values import data_tree, where
from govgate.outputs.dossier.inputs import DossierInput

ATTESTATION_KIND = "attestation"

#: Attestation fields shown in their own columns; any others follow as data.
ATTESTATION_FIELDS = (
    "id",
    "topic",
    "who",
    "role",
    "statement",
    "date",
    "expires",
    "date_iso",
    "expires_iso",
    "git",
    "expired",
    "valid",
    "problems",
)


def _approvals(data: Any) -> list[dict[str, Any]]:
    """Each governance file of git history evidence: its Approved-by / Reviewed-by trailers
    and the last commit that changed it (author, date, signature)."""
    out: list[dict[str, Any]] = []
    for entry in history_entries(data):
        trailers = entry.get("trailers") or {}
        approved = [str(v) for v in trailers.get("approved_by") or []]
        reviewed = [str(v) for v in trailers.get("reviewed_by") or []]
        out.append(
            {
                "path": entry.get("path"),
                "approved_by": ", ".join(approved) or "—",
                "reviewed_by": ", ".join(reviewed) or "—",
                "trailers": bool(approved or reviewed),
                "author": entry.get("last_author"),
                "commit": (entry.get("last_commit") or "")[:12] or None,
                "date": entry.get("last_date"),
                "signed": entry.get("signed"),
                "committed": entry.get("committed"),
                "truncated": bool(entry.get("history_truncated")),
            }
        )
    return out


def _committed(git: Mapping[str, Any]) -> str:
    """Who committed an attestation file, and whether that is the attester, in words."""
    author = git.get("author")
    if not author:
        return "not committed to git" if git else "not available: no git information"
    matches = git.get("matches_who")
    committed = f"{author}" + (
        " (the attester)" if matches else " (not the attester)" if matches is False else ""
    )
    if git.get("commit"):
        committed += f", {str(git['commit'])[:12]}"
    if git.get("uncommitted_changes"):
        committed += ", with uncommitted changes"
    return committed


def _attestation(item: Evidence) -> dict[str, Any]:
    data: Mapping[str, Any] = item.data if isinstance(item.data, Mapping) else {}
    raw_git = data.get("git")
    git: Mapping[str, Any] = raw_git if isinstance(raw_git, Mapping) else {}
    other = {k: v for k, v in data.items() if k not in ATTESTATION_FIELDS}
    return {
        "who": data.get("who"),
        "role": data.get("role"),
        "topic": data.get("topic"),
        "statement": data.get("statement"),
        "date": data.get("date"),
        "expires": data.get("expires"),
        "expired": bool(data.get("expired")),
        "problems": [str(p) for p in data.get("problems") or []],
        "committed_by": _committed(git),
        "other": data_tree(other) if other else None,
        "source": where(item.source.to_json()),
        "digest": item.digest,
        "problem": item.problem,
    }


def _history_problems(origin: str, failed: list[str], run_label: str) -> list[str]:
    """Why the history shown is incomplete, worded after the evidence it came from."""
    if origin == "run":
        return [f"the git history evidence of {run_label} is unusable: {p}" for p in failed]
    return [
        f"the evidence of {run_label} holds no git history of the governance files, and "
        f"collecting its sign-off record from git during the run failed: {p}"
        for p in failed
    ]


def signoff_context(inp: DossierInput) -> dict[str, Any]:
    attestations = [
        _attestation(item)
        for item in sorted(inp.evidence, key=lambda e: (e.kind, e.subject))
        if item.kind == ATTESTATION_KIND
    ]
    items, origin = governance_history(inp)
    run_id = (inp.result.get("run") or {}).get("id")
    run_label = f"run #{run_id}" if run_id is not None else "the run"
    history = []
    failed = [item.problem for item in items if item.problem]
    for item in items:
        history.extend(_approvals(item.data))
    head = None
    if origin == "signoffs" and items and isinstance(items[0].data, Mapping):
        head = items[0].data.get("head")
    return {
        "attestations": attestations,
        "approvals": history,
        "with_trailers": sum(1 for a in history if a["trailers"]),
        "history_ran": bool(items),
        "history_origin": origin,
        "history_digests": [item.digest for item in items] if origin == "signoffs" else [],
        "history_head": head,
        "history_problems": _history_problems(origin, failed, run_label),
        "run_label": run_label,
        "prepared_by": inp.prepared_by,
        "generated_at": inp.generated_at,
    }
