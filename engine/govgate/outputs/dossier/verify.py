"""Verify an audit dossier: are its embedded files the ones it was written with?

`verify_dossier` extracts the result JSON and the evidence manifest embedded in a dossier PDF,
recomputes their sha256 digests and compares them with the digests the dossier recorded in its
XMP metadata and printed on its verification page; checks that the manifest and the result
agree with each other; and, when the caller passes the run the evidence locker recorded
(`recorded_run`), that the embedded result is that run. Any edit of an attachment fails.

The PDF may come from anywhere, so it is read defensively: pypdf's limits apply, JSON is
parsed with a size cap, and every problem becomes a failed check rather than a crash.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from govgate.core.evidence import canonical_json, sha256_digest
from govgate.outputs.dossier.formats import (
    MANIFEST_ATTACHMENT,
    MANIFEST_SCHEMA,
    RESULT_ATTACHMENT,
    XMP_DIGEST_PROPERTIES,
    XMP_NAMESPACE,
)

#: Largest attachment parsed as JSON (a result of tens of thousands of findings fits easily).
MAX_JSON_BYTES = 256 * 1024 * 1024
#: How many trailing pages are searched for the printed digests (the verification section).
PRINTED_PAGES = 4
_DIGEST = re.compile(r"sha256:[0-9a-f]{64}")


@dataclass(frozen=True)
class RecordedRun:
    """The run the evidence locker recorded, to compare a dossier's embedded result with.

    `result` is the result document the locker stored for the run (compared by the digest of
    its canonical JSON); `evidence_digests` the digests of the evidence the run used. Either
    may be left empty when the locker does not keep it.
    """

    run_id: str
    result: Mapping[str, Any] | None = None
    evidence_digests: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Check:
    name: str
    status: str  # "ok", "fail" or "skipped"
    detail: str

    def to_json(self) -> dict[str, str]:
        return {"name": self.name, "status": self.status, "detail": self.detail}


@dataclass
class DossierVerification:
    """The outcome of verifying one dossier: every check, in the order they ran."""

    path: Path
    checks: list[Check] = field(default_factory=list)
    #: Digest of each embedded file as found (recomputed from its bytes).
    attachments: dict[str, str] = field(default_factory=dict)
    #: Digest of each embedded file as recorded in the XMP metadata.
    recorded: dict[str, str] = field(default_factory=dict)
    #: What the PDF reader complained about (repaired cross-references and the like).
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.checks) and all(c.status != "fail" for c in self.checks)

    @property
    def failures(self) -> list[Check]:
        return [c for c in self.checks if c.status == "fail"]

    def add(self, name: str, ok: bool, detail: str) -> bool:
        self.checks.append(Check(name, "ok" if ok else "fail", detail))
        return ok

    def skip(self, name: str, detail: str) -> None:
        self.checks.append(Check(name, "skipped", detail))

    def lines(self) -> list[str]:
        marks = {"ok": "ok  ", "fail": "FAIL", "skipped": "skip"}
        out = [f"{marks[c.status]}  {c.name}: {c.detail}" for c in self.checks]
        verdict = "verified" if self.ok else f"NOT verified ({len(self.failures)} check(s) failed)"
        out.append(f"{self.path}: {verdict}")
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "ok": self.ok,
            "checks": [c.to_json() for c in self.checks],
            "attachments": self.attachments,
            "recorded": self.recorded,
            "notes": self.notes,
        }


def _load_json(name: str, payload: bytes, report: DossierVerification) -> Any:
    if len(payload) > MAX_JSON_BYTES:
        report.add(f"{name} content", False, f"{len(payload)} bytes, over the {MAX_JSON_BYTES} cap")
        return None
    try:
        return json.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as error:
        report.add(f"{name} content", False, f"not valid UTF-8 JSON: {error}")
        return None


PDFAID_NAMESPACE = "http://www.aiim.org/pdfa/ns/id/"


def _xmp_text(xmp: Any, namespace: str, name: str) -> list[str]:
    """Every value of one XMP property, written as an attribute or as an element."""
    return [
        node.value
        if node.nodeType == node.ATTRIBUTE_NODE
        else "".join(c.data for c in node.childNodes if c.nodeType == c.TEXT_NODE)
        for node in xmp.get_element("", namespace, name)
    ]


def _xmp_values(reader: Any) -> tuple[dict[str, str], str | None, str | None]:
    """govgate's XMP properties plus pdfaid part and conformance (empty when unreadable)."""
    xmp = reader.xmp_metadata
    if xmp is None:
        return {}, None, None
    values: dict[str, str] = {}
    for prop in (*XMP_DIGEST_PROPERTIES.values(), "generatedAt", "toolVersion", "schema"):
        found = _xmp_text(xmp, XMP_NAMESPACE, prop)
        if len(found) == 1:
            values[prop] = found[0].strip()
        elif len(found) > 1:
            # Two values for one digest: whichever a reader shows, the other is unverified.
            values[prop] = "<ambiguous: recorded more than once>"
    part = _xmp_text(xmp, PDFAID_NAMESPACE, "part")
    conformance = _xmp_text(xmp, PDFAID_NAMESPACE, "conformance")
    return (
        values,
        part[0].strip() if len(part) == 1 else None,
        conformance[0].strip() if len(conformance) == 1 else None,
    )


def _printed_digests(reader: Any) -> set[str]:
    """sha256 digests printed on the last pages (whitespace from line wrapping removed)."""
    pages = reader.pages
    found: set[str] = set()
    for index in range(max(0, len(pages) - PRINTED_PAGES), len(pages)):
        text = re.sub(r"\s+", "", pages[index].extract_text() or "")
        found.update(_DIGEST.findall(text))
    return found


def _compare_result(
    report: DossierVerification, result: Any, manifest: Any, result_digest: str
) -> None:
    """The manifest and the result must describe the same run and the same evidence."""
    if not isinstance(manifest, Mapping) or not isinstance(result, Mapping):
        report.add("manifest and result agree", False, "one of them is not a JSON object")
        return
    if manifest.get("schema") != MANIFEST_SCHEMA:
        report.add(
            "manifest and result agree",
            False,
            f"manifest schema is {manifest.get('schema')!r}, expected {MANIFEST_SCHEMA!r}",
        )
        return
    named = (manifest.get("result") or {}).get("digest")
    if named != result_digest:
        report.add(
            "manifest and result agree",
            False,
            f"the manifest names result digest {named}, the embedded result hashes to "
            f"{result_digest}",
        )
        return
    listed = {e.get("digest") for e in manifest.get("evidence") or [] if isinstance(e, Mapping)}
    in_result = {e.get("digest") for e in result.get("evidence") or [] if isinstance(e, Mapping)}
    missing = sorted(d for d in in_result - listed if d)
    cited = {
        ref.get("digest")
        for finding in result.get("findings") or []
        if isinstance(finding, Mapping)
        for ref in finding.get("evidence") or []
        if isinstance(ref, Mapping)
    }
    uncited = sorted(d for d in cited - listed if d)
    if missing or uncited:
        first = (missing or uncited)[0]
        report.add(
            "manifest and result agree",
            False,
            f"evidence {first} is in the result but not in the manifest "
            f"({len(missing)} listed, {len(uncited)} cited by findings are missing)",
        )
        return
    report.add(
        "manifest and result agree",
        True,
        f"{len(listed)} evidence item(s); every finding's evidence is in the manifest",
    )


def _compare_recorded(report: DossierVerification, result: Any, recorded: RecordedRun) -> None:
    name = f"recorded run {recorded.run_id}"
    if recorded.result is None and not recorded.evidence_digests:
        report.skip(name, "the locker gave neither a result nor evidence digests to compare")
        return
    if recorded.result is not None:
        # The locker stores a run's result before it knows the run's id and hash; the dossier
        # carries both, so they are set aside for the comparison.
        run = {
            k: v
            for k, v in dict((result or {}).get("run") or {}).items()
            if k not in ("id", "hash")
        }
        embedded = sha256_digest(canonical_json({**(result or {}), "run": run}))
        expected = sha256_digest(canonical_json(dict(recorded.result)))
        if embedded != expected:
            differing = sorted(
                key
                for key in set(recorded.result) | set(result or {})
                if (result or {}).get(key) != recorded.result.get(key)
            )
            report.add(
                name,
                False,
                f"the embedded result differs from the recorded one (keys: "
                f"{', '.join(differing[:6]) or '?'})",
            )
            return
    if recorded.evidence_digests:
        embedded_digests = {
            e.get("digest") for e in (result or {}).get("evidence") or [] if isinstance(e, Mapping)
        }
        if embedded_digests != set(recorded.evidence_digests):
            only_pdf = sorted(d for d in embedded_digests - recorded.evidence_digests if d)
            only_locker = sorted(recorded.evidence_digests - embedded_digests)
            report.add(
                name,
                False,
                f"evidence differs: {len(only_pdf)} only in the dossier, {len(only_locker)} only "
                f"in the locker (first: {(only_pdf or only_locker)[0]})",
            )
            return
    report.add(name, True, "the embedded result and evidence match the locker's record")


class _ReaderNotes(logging.Handler):
    """Keeps pypdf's warnings in the report instead of letting them reach stderr raw."""

    def __init__(self, notes: list[str]) -> None:
        super().__init__(logging.WARNING)
        self.notes = notes

    def emit(self, record: logging.LogRecord) -> None:
        if len(self.notes) < 20:
            self.notes.append(record.getMessage()[:300])


@contextmanager
def _pypdf_notes(notes: list[str]) -> Iterator[None]:
    logger = logging.getLogger("pypdf")
    handler = _ReaderNotes(notes)
    old = logger.propagate
    logger.addHandler(handler)
    logger.propagate = False
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.propagate = old


def embedded_result(pdf_path: Path) -> dict[str, Any] | None:
    """The result document embedded in a dossier, to find its repository and run; None when
    it cannot be read (verification itself then reports why)."""
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        with _pypdf_notes([]):  # what pypdf says about a damaged file, verification reports
            reader = PdfReader(str(pdf_path), strict=False)
            copies = reader.attachments.get(RESULT_ATTACHMENT) or []
        document = json.loads(copies[0]) if copies else None
    except (OSError, PyPdfError, ValueError, KeyError, TypeError, AttributeError):
        return None
    return document if isinstance(document, dict) else None


def verify_dossier(
    pdf_path: Path,
    root: Path | None = None,
    *,
    recorded_run: RecordedRun | None = None,
) -> DossierVerification:
    """Check a dossier PDF; `report.ok` is False when any check failed.

    :param root: the repository the dossier is about, when known (reported; the locker
        integration uses it to find `recorded_run`).
    :param recorded_run: the run the evidence locker recorded for this dossier, if the caller
        has a locker at hand; without it that comparison is reported as skipped.
    """
    report = DossierVerification(Path(pdf_path))
    with _pypdf_notes(report.notes):
        _verify(report, root, recorded_run)
    return report


def _verify(
    report: DossierVerification, root: Path | None, recorded_run: RecordedRun | None
) -> None:
    """Run the checks in order; one that leaves nothing to check further ends the run."""
    reader = _read_pdf(report)
    if reader is None or not _check_metadata(report, reader):
        return
    contents = _check_attachments(report, reader)
    if contents is None:
        return
    _check_printed_digests(report, reader)
    if len(contents) != len(XMP_DIGEST_PROPERTIES):
        report.skip("manifest and result agree", "an attachment did not verify")
        report.skip("result schema", "the result attachment did not verify")
        if recorded_run is not None:
            report.skip(f"recorded run {recorded_run.run_id}", "an attachment did not verify")
        return
    check_contents(report, contents, root, recorded_run)


def _read_pdf(report: DossierVerification) -> Any:
    """The PDF reader, or None (and a failed check) when the file is not a readable PDF."""
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(str(report.path), strict=False)
        pages = len(reader.pages)
    except (OSError, PyPdfError, ValueError, KeyError, TypeError) as error:
        report.add("readable PDF", False, f"cannot be read as a PDF: {error}")
        return None
    report.add("readable PDF", True, f"{pages} page(s)")
    return reader


def _check_metadata(report: DossierVerification, reader: Any) -> bool:
    """PDF/A-3b identification and the digests recorded in the XMP metadata (kept in
    `report.recorded`); False when no valid digests are recorded: nothing to compare with."""
    from pypdf.errors import PyPdfError

    try:
        values, part, conformance = _xmp_values(reader)
    except (PyPdfError, ValueError, AttributeError) as error:
        values, part, conformance = {}, None, None
        report.add("XMP metadata", False, f"unreadable: {error}")
    report.add(
        "PDF/A-3b",
        part == "3" and (conformance or "").upper() == "B",
        f"pdfaid part {part or 'missing'}, conformance {conformance or 'missing'}",
    )
    for name, prop in XMP_DIGEST_PROPERTIES.items():
        if prop in values:
            report.recorded[name] = values[prop]
    return report.add(
        "digests recorded",
        len(report.recorded) == len(XMP_DIGEST_PROPERTIES)
        and all(_DIGEST.fullmatch(v) for v in report.recorded.values()),
        "XMP metadata records "
        + (
            ", ".join(f"{n} {d}" for n, d in sorted(report.recorded.items()))
            or f"no govgate digests (namespace {XMP_NAMESPACE}): not a govgate dossier"
        ),
    )


def _check_attachments(report: DossierVerification, reader: Any) -> dict[str, bytes] | None:
    """Exactly the two attachments, each once and hashing to its recorded digest.

    Returns the content of each attachment that verified, or None when the attachments
    cannot be read at all.
    """
    from pypdf.errors import PyPdfError

    try:
        # name -> the content of every attachment with that name (duplicates included)
        found: dict[str, list[bytes]] = {
            str(name): list(copies) for name, copies in reader.attachments.items()
        }
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError) as error:
        report.add("attachments", False, f"cannot be read: {error}")
        return None
    extra = sorted(set(found) - set(XMP_DIGEST_PROPERTIES))
    report.add(
        "no other attachments",
        not extra,
        "only the result and the manifest are embedded"
        if not extra
        else f"unexpected attachment(s) not covered by any digest: {', '.join(extra)}",
    )
    contents: dict[str, bytes] = {}
    for name in XMP_DIGEST_PROPERTIES:
        copies = found.get(name, [])
        if _check_attachment(report, name, copies):
            contents[name] = copies[0]
    return contents


def _check_attachment(report: DossierVerification, name: str, copies: list[bytes]) -> bool:
    """One attachment: embedded once, and its sha256 the digest the metadata records."""
    if len(copies) != 1:
        return report.add(
            f"attachment {name}",
            False,
            "missing" if not copies else f"embedded {len(copies)} times; exactly one expected",
        )
    digest = sha256_digest(copies[0])
    report.attachments[name] = digest
    expected = report.recorded[name]
    return report.add(
        f"attachment {name}",
        digest == expected,
        f"sha256 matches the metadata ({digest})"
        if digest == expected
        else f"sha256 is {digest} but the metadata records {expected}: the attachment was "
        "changed after the dossier was written",
    )


def _check_printed_digests(report: DossierVerification, reader: Any) -> None:
    """The recorded digests must also be printed on the verification page."""
    from pypdf.errors import PyPdfError

    try:
        printed = _printed_digests(reader)
    except (PyPdfError, ValueError, KeyError, TypeError) as error:
        report.add("printed digests", False, f"the verification page cannot be read: {error}")
        return
    absent = sorted(d for d in report.recorded.values() if d not in printed)
    report.add(
        "printed digests",
        not absent,
        "the verification page prints the recorded digests"
        if not absent
        else f"{absent[0]} is recorded in the metadata but not printed on the last "
        f"{PRINTED_PAGES} pages",
    )


def check_contents(
    report: DossierVerification,
    contents: Mapping[str, bytes],
    root: Path | None,
    recorded_run: RecordedRun | None,
) -> None:
    """The verified attachments' JSON: manifest and result agree, the result is valid, and
    it is the run the locker recorded when that run was supplied."""
    result = _load_json(RESULT_ATTACHMENT, contents[RESULT_ATTACHMENT], report)
    manifest = _load_json(MANIFEST_ATTACHMENT, contents[MANIFEST_ATTACHMENT], report)
    if result is None or manifest is None:
        return
    _compare_result(report, result, manifest, report.attachments[RESULT_ATTACHMENT])
    _check_schema(report, result)
    if recorded_run is not None:
        _compare_recorded(report, result, recorded_run)
    elif root is not None:
        report.skip("recorded run", f"no recorded run was supplied for {root}")
    else:
        report.skip("recorded run", "no evidence locker at hand; pass the repository to compare")


def _check_schema(report: DossierVerification, result: Any) -> None:
    from govgate.support.schemas import load_schema, validator_class

    errors = sorted(
        validator_class()(load_schema("result")).iter_errors(result),
        key=lambda e: list(e.absolute_path),
    )
    report.add(
        "result schema",
        not errors,
        "the embedded result validates against govgate/result/v1"
        if not errors
        else f"{'/'.join(str(p) for p in errors[0].absolute_path) or '$'}: {errors[0].message}",
    )
