"""The evidence manifest and decision-log statistics sections: every evidence item of the run
as a table row, and the decision-log summaries as collected."""

from __future__ import annotations

from typing import Any

from govgate.outputs.dossier.attachments import evidence_manifest
from govgate.outputs.dossier.context.decision_logs import decision_log_page
from govgate.outputs.dossier.context.values import data_tree, where
from govgate.outputs.dossier.inputs import DossierInput

DECISION_LOG_KIND = "decision_log.summary"


def decision_logs_context(inp: DossierInput) -> list[dict[str, Any]]:
    return [
        {
            "subject": item.subject,
            "source": where(item.source.to_json()),
            "digest": item.digest,
            "collected_at": item.collected_at,
            "collector": f"{item.collector} {item.collector_version}",
            "problem": item.problem,
            "data": data_tree(item.data) if item.data is not None else None,
            "page": decision_log_page(item.data) if item.data is not None else None,
        }
        for item in sorted(inp.evidence, key=lambda e: e.subject)
        if item.kind == DECISION_LOG_KIND
    ]


def decision_logs_ran(inp: DossierInput) -> bool:
    """Whether a collector of the run produces decision-log summaries (even if it found none)."""
    return any(
        DECISION_LOG_KIND in (r.get("kinds") or []) for r in inp.result.get("collectors") or []
    )


def manifest_context(inp: DossierInput) -> list[dict[str, Any]]:
    """The embedded evidence manifest as rows: where each item came from, and if it hashes."""
    return [
        {
            "digest": e.get("digest"),
            "kind": e.get("kind"),
            "subject": e.get("subject"),
            "where": where(e.get("source")),
            "collected_at": e.get("collected_at"),
            "dated": e.get("dated"),
            "collector": " ".join(
                str(v)
                for v in ((e.get("collector") or {}).get(k) for k in ("name", "version"))
                if v
            )
            or "—",
            "cited": bool(e.get("cited")),
            "content_verified": e.get("content_verified"),
            "problem": e.get("problem"),
        }
        for e in evidence_manifest(inp)
    ]
