"""The dossier's data: the run's input turned into plain data per section (one module per group
of sections, `document` for the whole), so the templates only lay it out.
"""

from govgate.outputs.dossier.context.charts import bar_chart
from govgate.outputs.dossier.context.controls import (
    MATRIX_COLUMNS,
    controls_context,
    requirements_context,
    traceability_context,
)
from govgate.outputs.dossier.context.document import SECTIONS, Section, build_context
from govgate.outputs.dossier.context.evidence import (
    DECISION_LOG_KIND,
    decision_logs_context,
    manifest_context,
)
from govgate.outputs.dossier.context.exceptions import exceptions_context
from govgate.outputs.dossier.context.fairness import FOUR_FIFTHS, fairness_context
from govgate.outputs.dossier.context.git_record import (
    GIT_HISTORY_KIND,
    SIGNOFFS_KIND,
    file_changes,
    governance_history,
)
from govgate.outputs.dossier.context.methodology import methodology_context
from govgate.outputs.dossier.context.overview import cover_context, scope_context, summary_context
from govgate.outputs.dossier.context.signoff import ATTESTATION_KIND, signoff_context
from govgate.outputs.dossier.context.values import (
    MAX_DEPTH,
    MAX_ITEMS,
    MAX_TEXT,
    STATUS_LABELS,
    data_tree,
    short_digest,
    where,
)

__all__ = [
    "ATTESTATION_KIND",
    "DECISION_LOG_KIND",
    "FOUR_FIFTHS",
    "GIT_HISTORY_KIND",
    "MATRIX_COLUMNS",
    "MAX_DEPTH",
    "MAX_ITEMS",
    "MAX_TEXT",
    "SECTIONS",
    "SIGNOFFS_KIND",
    "STATUS_LABELS",
    "Section",
    "bar_chart",
    "build_context",
    "controls_context",
    "cover_context",
    "data_tree",
    "decision_logs_context",
    "exceptions_context",
    "fairness_context",
    "file_changes",
    "governance_history",
    "manifest_context",
    "methodology_context",
    "requirements_context",
    "scope_context",
    "short_digest",
    "signoff_context",
    "summary_context",
    "traceability_context",
    "where",
]
