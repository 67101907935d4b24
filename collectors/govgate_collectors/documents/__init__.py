"""The `documents` collector: governance documents (DPIA, FRIA, model card, ...) as evidence.

Packs declare kinds bound to this collector with `paths` and `options`; every matching file
becomes one item: its YAML front matter, heading outline, which required sections it has
(matched by synonyms, case-, accent- and punctuation-insensitively), dates read from the forms
people write, and word counts. JSON model cards in the model-card-toolkit layout are read too.
Markdown is read by a line scanner (ATX and setext headings, fenced and indented code, HTML
comments): the outline is all that is needed, and the scanner keeps every line number exact.
"""

from __future__ import annotations

from collections.abc import Sequence

from govgate.api import Collector, hookimpl
from govgate_collectors.documents.collector import DocumentsCollector

__all__ = ["DocumentsCollector", "govgate_collectors"]


@hookimpl
def govgate_collectors() -> Sequence[type[Collector]]:
    return [DocumentsCollector]
