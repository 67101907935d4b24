"""HTML to PDF/A-3b with WeasyPrint: the guarded URL fetcher, the embedded attachments, their
digests in the XMP metadata, and WeasyPrint's warnings and progress."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, NamedTuple
from xml.sax.saxutils import escape as xml_escape

from govgate import __version__
from govgate.outputs.dossier.attachments import DossierAttachment
from govgate.outputs.dossier.formats import (
    DOSSIER_SCHEMA,
    MANIFEST_ATTACHMENT,
    PDF_VARIANT,
    RESULT_ATTACHMENT,
    XMP_DIGEST_PROPERTIES,
    XMP_NAMESPACE,
    XMP_PREFIX,
)
from govgate.outputs.dossier.guard import TemplateUrlGuard
from govgate.outputs.dossier.inputs import DossierInput
from govgate.support.errors import UsageError

#: (done, total or None while unknown, what is happening) as rendering goes on.
ProgressCallback = Callable[[int, int | None, str], None]


class PdfDocument(NamedTuple):
    """The PDF bytes, its page count and what WeasyPrint warned about on the way."""

    payload: bytes
    pages: int
    warnings: list[str]


def _xmp_schema() -> str:
    """The PDF/A extension schema describing govgate's XMP properties."""
    descriptions = {
        "resultDigest": f"sha256 of the embedded {RESULT_ATTACHMENT}",
        "manifestDigest": f"sha256 of the embedded {MANIFEST_ATTACHMENT}",
        "generatedAt": "when the dossier was written (RFC 3339 UTC)",
        "toolVersion": "govgate version that wrote the dossier",
        "schema": "dossier format identifier",
    }
    properties = "".join(
        "<rdf:li rdf:parseType='Resource'>"
        f"<pdfaProperty:name>{name}</pdfaProperty:name>"
        "<pdfaProperty:valueType>Text</pdfaProperty:valueType>"
        "<pdfaProperty:category>internal</pdfaProperty:category>"
        f"<pdfaProperty:description>{xml_escape(text)}</pdfaProperty:description>"
        "</rdf:li>"
        for name, text in descriptions.items()
    )
    return (
        "<rdf:Description rdf:about=''"
        " xmlns:pdfaExtension='http://www.aiim.org/pdfa/ns/extension/'"
        " xmlns:pdfaSchema='http://www.aiim.org/pdfa/ns/schema#'"
        " xmlns:pdfaProperty='http://www.aiim.org/pdfa/ns/property#'>"
        "<pdfaExtension:schemas><rdf:Bag><rdf:li rdf:parseType='Resource'>"
        "<pdfaSchema:schema>govgate audit dossier</pdfaSchema:schema>"
        f"<pdfaSchema:namespaceURI>{XMP_NAMESPACE}</pdfaSchema:namespaceURI>"
        f"<pdfaSchema:prefix>{XMP_PREFIX}</pdfaSchema:prefix>"
        f"<pdfaSchema:property><rdf:Seq>{properties}</rdf:Seq></pdfaSchema:property>"
        "</rdf:li></rdf:Bag></pdfaExtension:schemas></rdf:Description>"
    )


def xmp_descriptions(attachments: Sequence[DossierAttachment], inp: DossierInput) -> bytes:
    """XMP `rdf:Description`s recording the attachment digests, with the PDF/A extension
    schema that PDF/A requires for a custom namespace (ISO 19005-3, 6.6.2.3)."""
    values = {XMP_DIGEST_PROPERTIES[a.name]: a.digest for a in attachments}
    values["generatedAt"] = inp.generated_at
    values["toolVersion"] = __version__
    values["schema"] = DOSSIER_SCHEMA
    fields = "".join(
        f"<{XMP_PREFIX}:{name}>{xml_escape(value)}</{XMP_PREFIX}:{name}>"
        for name, value in values.items()
    )
    record = (
        f"<rdf:Description rdf:about='' xmlns:{XMP_PREFIX}='{XMP_NAMESPACE}'>{fields}"
        "</rdf:Description>"
    )
    return (_xmp_schema() + record).encode("utf-8")


def _weasyprint_fetcher(guard: TemplateUrlGuard) -> Any:
    """A WeasyPrint URL fetcher that asks `guard` and never touches urllib's openers."""
    import weasyprint

    if not hasattr(weasyprint, "URLFetcher"):
        raise UsageError(
            f"the dossier needs WeasyPrint 70 or later (installed: {weasyprint.__version__}); "
            "upgrade it with pip"
        )

    class GuardedFetcher(weasyprint.URLFetcher):  # type: ignore[misc]
        def fetch(self, url: str, headers: Any = None) -> Any:
            payload, media_type = guard.resolve(url)
            return weasyprint.urls.URLFetcherResponse(url, payload, {"Content-Type": media_type})

    return GuardedFetcher(fail_on_errors=False)


class _ProgressHandler(logging.Handler):
    """Turns WeasyPrint's progress log lines into (done, total, label) callbacks."""

    _PAGE = re.compile(r"Step 5 - Creating layout - Page (\d+)")

    def __init__(self, progress: ProgressCallback) -> None:
        super().__init__(logging.INFO)
        self.progress = progress

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        page = self._PAGE.match(message)
        if page:
            self.progress(int(page.group(1)), None, "laying out pages")
        elif message.startswith("Step 6"):
            self.progress(0, None, "writing PDF")
        elif message.startswith("Step 3"):
            self.progress(0, None, "applying styles")


class _WarningCollector(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage()[:500])


@contextmanager
def _weasyprint_logs(progress: ProgressCallback | None) -> Iterator[_WarningCollector]:
    """Collect WeasyPrint's warnings (refused URLs, CSS it ignored) and relay its progress."""
    main = logging.getLogger("weasyprint")
    steps = logging.getLogger("weasyprint.progress")
    collector = _WarningCollector()
    handler = _ProgressHandler(progress) if progress is not None else None
    old_main, old_steps = main.level, steps.level
    main.addHandler(collector)
    main.setLevel(logging.WARNING if handler is None else logging.INFO)
    if handler is not None:
        steps.addHandler(handler)
        steps.setLevel(logging.INFO)
    try:
        yield collector
    finally:
        main.removeHandler(collector)
        main.setLevel(old_main)
        if handler is not None:
            steps.removeHandler(handler)
        steps.setLevel(old_steps)


def _xmp_finisher(extra: bytes) -> Callable[[Any, Any], None]:
    """Insert our descriptions into the XMP packet WeasyPrint wrote (one rdf:RDF, as XMP and
    PDF/A want; WeasyPrint's `xmp_metadata` option would add a second one), and tidy /AF."""

    def finish(document: Any, pdf: Any) -> None:
        reference = pdf.catalog.get("Metadata")
        if reference is None:
            raise RuntimeError("WeasyPrint wrote no XMP metadata stream for a PDF/A document")
        if isinstance(reference, bytes):
            reference = reference.decode("ascii")
        stream = pdf.objects[int(str(reference).split()[0])]
        packet = b"".join(
            chunk if isinstance(chunk, bytes) else str(chunk).encode() for chunk in stream.stream
        )
        if packet.count(b"</rdf:RDF>") != 1:
            raise RuntimeError("unexpected XMP packet layout from WeasyPrint")
        stream.stream = [packet.replace(b"</rdf:RDF>", extra + b"</rdf:RDF>")]
        # WeasyPrint 70 lists each attachment twice in the catalog's /AF (once from the name
        # tree, once from the file specifications); one entry per file is what PDF/A-3 means.
        associated = pdf.catalog.get("AF")
        if associated is not None:
            unique = list(dict.fromkeys(associated))
            del associated[:]
            associated.extend(unique)

    return finish


def _file_url(path: Path) -> str:
    return path.resolve().as_uri() + "/"


def _pdf_attachments(
    attachments: Sequence[DossierAttachment], created: datetime, fetcher: Any
) -> list[Any]:
    """The attachments as WeasyPrint embeds them (dated as the dossier, digest in the text)."""
    import weasyprint

    return [
        weasyprint.Attachment(
            string=a.data,
            name=a.name,
            description=f"{a.description} ({a.digest})",
            created=created,
            modified=created,
            relationship=a.relationship,
            url_fetcher=fetcher,
        )
        # In name order: WeasyPrint writes the embedded files' name tree in the order given,
        # and a PDF name tree's keys must be sorted (ISO 32000-1, 7.9.6; qpdf warns otherwise).
        for a in sorted(attachments, key=lambda a: a.name.encode("utf-8"))
    ]


def write_pdf(
    source: str,
    inp: DossierInput,
    attachments: Sequence[DossierAttachment],
    *,
    base: Path,
    guard: TemplateUrlGuard,
    progress: ProgressCallback | None,
    timings: dict[str, float],
) -> PdfDocument:
    """Lay out `source` (relative URLs against `base`, fetched through `guard`) and write it
    as PDF/A-3b with the attachments and their digests; `timings` gets "layout" and "pdf"."""
    import weasyprint

    fetcher = _weasyprint_fetcher(guard)
    created = datetime.fromisoformat(inp.generated_at.replace("Z", "+00:00")).replace(tzinfo=None)
    with _weasyprint_logs(progress) as logs:
        started = time.perf_counter()
        document = weasyprint.HTML(
            string=source, base_url=_file_url(base), url_fetcher=fetcher
        ).render(pdf_variant=PDF_VARIANT)
        timings["layout"] = time.perf_counter() - started
        started = time.perf_counter()
        payload = document.write_pdf(
            pdf_variant=PDF_VARIANT,
            attachments=_pdf_attachments(attachments, created, fetcher),
            finisher=_xmp_finisher(xmp_descriptions(attachments, inp)),
        )
        timings["pdf"] = time.perf_counter() - started
    if progress is not None:
        progress(len(document.pages), len(document.pages), "done")
    return PdfDocument(payload, len(document.pages), logs.messages)
