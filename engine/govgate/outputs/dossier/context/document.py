"""The whole document's data: the sections in order and `build_context`, which gathers every
section's plain data for the templates (which only lay it out)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from govgate.outputs.dossier.attachments import DossierAttachment
from govgate.outputs.dossier.context.controls import (
    controls_context,
    not_applicable_context,
    requirements_context,
    traceability_context,
)
from govgate.outputs.dossier.context.evidence import (
    decision_logs_context,
    decision_logs_ran,
    manifest_context,
)
from govgate.outputs.dossier.context.exceptions import exceptions_context
from govgate.outputs.dossier.context.fairness import fairness_context
from govgate.outputs.dossier.context.methodology import methodology_context
from govgate.outputs.dossier.context.overview import cover_context, scope_context, summary_context
from govgate.outputs.dossier.context.signoff import signoff_context
from govgate.outputs.dossier.context.values import STATUS_LABELS
from govgate.outputs.dossier.formats import PDF_VARIANT, XMP_DIGEST_PROPERTIES, XMP_NAMESPACE
from govgate.outputs.dossier.guard import TemplateUrlGuard
from govgate.outputs.dossier.inputs import DossierInput


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    template: str
    in_toc: bool = True


SECTIONS: tuple[Section, ...] = (
    Section("cover", "Cover", "cover.html", in_toc=False),
    Section("contents", "Contents", "toc.html", in_toc=False),
    Section("summary", "Executive summary", "summary.html"),
    Section("scope", "Scope and system description", "scope.html"),
    Section("requirements", "Requirements by framework", "requirements.html"),
    Section("controls", "Controls, findings and evidence", "controls.html"),
    Section("fairness", "Fairness", "fairness.html"),
    Section("decision-logs", "Decision-log statistics", "decision_logs.html"),
    Section("exceptions", "Exceptions register", "exceptions.html"),
    Section("traceability", "Traceability matrix", "traceability.html"),
    Section("manifest", "Evidence manifest", "manifest.html"),
    Section("methodology", "Methodology", "methodology.html"),
    Section("signoff", "Sign-off", "signoff.html"),
    Section("verify", "How to verify this document", "verify.html"),
)


def _embedded(
    attachments: Sequence[DossierAttachment], mode: str, guard: TemplateUrlGuard | None
) -> list[dict[str, Any]]:
    """The attachments as the verification page lists them; in HTML each is also a download
    link (a `data:` URL the guard serves), since an HTML file cannot embed files."""
    embedded = []
    for attachment in attachments:
        link = None
        if mode == "html" and guard is not None:
            link = guard.data_url(attachment.data, attachment.media_type)
        embedded.append(
            {
                "name": attachment.name,
                "digest": attachment.digest,
                "size": attachment.size,
                "description": attachment.description,
                "relationship": attachment.relationship,
                "download": link,
            }
        )
    return embedded


def build_context(
    inp: DossierInput,
    attachments: Sequence[DossierAttachment],
    *,
    mode: str,
    guard: TemplateUrlGuard | None = None,
) -> dict[str, Any]:
    """Plain data for every section; templates only lay it out."""
    system = inp.result.get("system") or {}
    embedded = _embedded(attachments, mode, guard)
    return {
        "mode": mode,
        "title": f"Audit dossier: {system.get('name') or 'unnamed system'}",
        "sections": list(SECTIONS),
        "labels": STATUS_LABELS,
        "cover": cover_context(inp),
        "summary": summary_context(inp),
        "scope": scope_context(inp),
        "frameworks": requirements_context(inp),
        "controls": controls_context(inp),
        "not_applicable_controls": not_applicable_context(inp),
        "fairness": fairness_context(inp),
        "decision_logs": decision_logs_context(inp),
        "decision_logs_ran": decision_logs_ran(inp),
        "exceptions": exceptions_context(inp),
        "traceability": traceability_context(inp),
        "manifest": manifest_context(inp),
        "methodology": methodology_context(inp),
        "signoff": signoff_context(inp),
        "attachments": embedded,
        "xmp": {"namespace": XMP_NAMESPACE, "properties": XMP_DIGEST_PROPERTIES},
        "generated_at": inp.generated_at,
        "pdf_variant": PDF_VARIANT.upper(),
    }
