"""The audit dossier: one run's result, policies and evidence as an auditor-ready document.

`DossierInput` is everything the dossier shows (`inputs`: built from a `govgate check` run or
from a run the evidence locker recorded). `context` turns it into plain data per section,
Jinja2 partials in `govgate.evidence_templates/dossier/` turn that into HTML (`render`;
autoescaped: everything from the repository is text, never markup), and WeasyPrint writes
PDF/A-3b (`pdf`) with the result JSON and an evidence manifest embedded as attachments
(`attachments`). Their sha256 digests are recorded in the XMP metadata and printed on the last
page; `verify` checks them later. `write` puts the file in place and reports what it wrote.

WeasyPrint fetches through `TemplateUrlGuard` (`guard`): files inside the template folders and
the `data:` URLs the dossier generated, nothing else (no network, nothing else on disk), and
every request is recorded so a test or a user can see what was asked for.
"""

from govgate.outputs.dossier.attachments import (
    DossierAttachment,
    build_attachments,
    evidence_manifest,
)
from govgate.outputs.dossier.context import (
    ATTESTATION_KIND,
    DECISION_LOG_KIND,
    FOUR_FIFTHS,
    GIT_HISTORY_KIND,
    SECTIONS,
    SIGNOFFS_KIND,
    STATUS_LABELS,
    Section,
    bar_chart,
    build_context,
    controls_context,
    cover_context,
    data_tree,
    decision_logs_context,
    exceptions_context,
    fairness_context,
    file_changes,
    governance_history,
    methodology_context,
    requirements_context,
    scope_context,
    short_digest,
    signoff_context,
    summary_context,
    traceability_context,
    where,
)
from govgate.outputs.dossier.formats import (
    DOSSIER_SCHEMA,
    MANIFEST_ATTACHMENT,
    MANIFEST_SCHEMA,
    PDF_VARIANT,
    RESULT_ATTACHMENT,
    XMP_DIGEST_PROPERTIES,
    XMP_NAMESPACE,
    XMP_PREFIX,
)
from govgate.outputs.dossier.guard import FetchRecord, TemplateUrlGuard
from govgate.outputs.dossier.inputs import (
    DossierInput,
    dossier_input_from_outcome,
    dossier_input_from_run,
    git_user_name,
)
from govgate.outputs.dossier.pdf import ProgressCallback, xmp_descriptions
from govgate.outputs.dossier.render import (
    render_html,
    stylesheet,
    template_environment,
    template_root,
)
from govgate.outputs.dossier.write import DossierReport, render_dossier, write_atomically

__all__ = [
    "ATTESTATION_KIND",
    "DECISION_LOG_KIND",
    "DOSSIER_SCHEMA",
    "FOUR_FIFTHS",
    "GIT_HISTORY_KIND",
    "MANIFEST_ATTACHMENT",
    "MANIFEST_SCHEMA",
    "PDF_VARIANT",
    "RESULT_ATTACHMENT",
    "SECTIONS",
    "SIGNOFFS_KIND",
    "STATUS_LABELS",
    "XMP_DIGEST_PROPERTIES",
    "XMP_NAMESPACE",
    "XMP_PREFIX",
    "DossierAttachment",
    "DossierInput",
    "DossierReport",
    "FetchRecord",
    "ProgressCallback",
    "Section",
    "TemplateUrlGuard",
    "bar_chart",
    "build_attachments",
    "build_context",
    "controls_context",
    "cover_context",
    "data_tree",
    "decision_logs_context",
    "dossier_input_from_outcome",
    "dossier_input_from_run",
    "evidence_manifest",
    "exceptions_context",
    "fairness_context",
    "file_changes",
    "git_user_name",
    "governance_history",
    "methodology_context",
    "render_dossier",
    "render_html",
    "requirements_context",
    "scope_context",
    "short_digest",
    "signoff_context",
    "stylesheet",
    "summary_context",
    "template_environment",
    "template_root",
    "traceability_context",
    "where",
    "write_atomically",
    "xmp_descriptions",
]
