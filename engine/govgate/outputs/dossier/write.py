"""Writing the dossier file: one self-contained HTML file or PDF/A-3b, replaced atomically, and
the report of what was written."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from govgate.outputs.dossier.attachments import DossierAttachment
from govgate.outputs.dossier.guard import FetchRecord
from govgate.outputs.dossier.inputs import DossierInput
from govgate.outputs.dossier.pdf import ProgressCallback, write_pdf
from govgate.outputs.dossier.render import render_html, template_root
from govgate.outputs.embedded import embed_tag, kind_tag
from govgate.support.destinations import write_payload


@dataclass
class DossierReport:
    """What `render_dossier` wrote and what happened on the way."""

    path: Path
    format: str
    size: int
    pages: int | None
    attachments: list[DossierAttachment]
    fetches: list[FetchRecord]
    warnings: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def refused(self) -> list[FetchRecord]:
        return [r for r in self.fetches if not r.served]


def write_atomically(path: Path, payload: bytes) -> None:
    """Write next to the target and rename: a reader never sees half a dossier. A FIFO or a
    device (`--out /dev/stdout`) is written straight to instead of being replaced.

    A write that fails (a full disk, a read-only folder) is a UsageError naming the file;
    whatever was at `path` before stays as it was.
    """
    write_payload(payload, path, "the dossier", "--out")


def with_embedded_files(html: str, attachments: tuple[DossierAttachment, ...], kind: str) -> str:
    """The HTML with govgate's document marker in its head and the attachments embedded
    before `</body>`, so `govgate verify` recognises and checks it. Added here, not by a
    template: a custom `dossier.html` cannot leave them out."""
    head = html.find("<head>")
    marker = kind_tag(kind)
    if head >= 0:
        html = html[: head + 6] + "\n" + marker + html[head + 6 :]
    files = ("" if head >= 0 else marker) + "".join(embed_tag(a.name, a.data) for a in attachments)
    end = html.rfind("</body>")
    return html[:end] + files + html[end:] if end >= 0 else html + files


def render_dossier(
    inp: DossierInput,
    out: Path,
    *,
    html: bool = False,
    templates: Path | None = None,
    progress: ProgressCallback | None = None,
) -> DossierReport:
    """Write the dossier to `out`: PDF/A-3b with attachments, or one self-contained HTML file."""
    timings: dict[str, float] = {}
    started = time.perf_counter()
    source, attachments, guard = render_html(
        inp, mode="html" if html else "pdf", templates=templates
    )
    timings["html"] = time.perf_counter() - started
    if html:
        payload = with_embedded_files(source, attachments, "dossier").encode("utf-8")
        write_atomically(out, payload)
        return DossierReport(
            out, "html", len(payload), None, list(attachments), guard.records, seconds=timings
        )
    pdf = write_pdf(
        source,
        inp,
        attachments,
        base=templates if templates is not None else template_root() / "dossier",
        guard=guard,
        progress=progress,
        timings=timings,
    )
    write_atomically(out, pdf.payload)
    return DossierReport(
        out,
        "pdf",
        len(pdf.payload),
        pdf.pages,
        list(attachments),
        guard.records,
        warnings=pdf.warnings,
        seconds=timings,
    )
