"""Verify a govgate HTML document (the report, or the dossier written with `--html`): are the
result and evidence manifest it embeds the ones it was written with?

The same checks as for the PDF where they apply: each embedded file once, hashing to the digest
the page records beside it and prints in its verification table; download links carrying the
same bytes; the manifest and the result agreeing; the result valid; and, with the locker at
hand, the result being the run it recorded.
"""

from __future__ import annotations

import base64
import binascii
import re
from pathlib import Path
from typing import Any

from govgate.outputs.dossier.formats import RESULT_ATTACHMENT, XMP_DIGEST_PROPERTIES
from govgate.outputs.dossier.verify import (
    DossierVerification,
    RecordedRun,
    check_contents,
)
from govgate.outputs.embedded import EMBED_TYPE, document_kind, embedded_files

#: Largest HTML document read (a report of thousands of findings is a few MB).
MAX_HTML_BYTES = 256 * 1024 * 1024
_DIGEST = re.compile(r"sha256:[0-9a-f]{64}")
_DOWNLOAD = re.compile(
    r'<a download="([^"<>]{1,200})" href="data:[^;,"]{1,100};base64,([A-Za-z0-9+/=]*)"'
)
_EMBED_BLOCK = re.compile(r'<script type="' + re.escape(EMBED_TYPE) + r'".*?</script>', re.S)


def read_html(path: Path) -> str | None:
    """The document's text, or None when it is too large or not UTF-8."""
    try:
        with path.open("rb") as handle:
            payload = handle.read(MAX_HTML_BYTES + 1)
    except OSError:
        return None
    if len(payload) > MAX_HTML_BYTES:
        return None
    try:
        return payload.decode("utf-8")
    except UnicodeDecodeError:
        return None


def embedded_html_result(path: Path) -> dict[str, Any] | None:
    """The result document a govgate HTML document embeds (to find its repository and run);
    None when there is not exactly one readable copy (verification then says why)."""
    import json

    text = read_html(path)
    copies = [f for f in embedded_files(text or "") if f.name == RESULT_ATTACHMENT]
    if len(copies) != 1 or copies[0].data is None:
        return None
    try:
        document = json.loads(copies[0].data)
    except ValueError:
        return None
    return document if isinstance(document, dict) else None


def verify_html(
    path: Path, root: Path | None = None, *, recorded_run: RecordedRun | None = None
) -> DossierVerification:
    """Check a govgate HTML document; `report.ok` is False when any check failed."""
    report = DossierVerification(Path(path))
    text = read_html(report.path)
    if text is None:
        report.add("readable HTML", False, f"not UTF-8 text of at most {MAX_HTML_BYTES} bytes")
        return report
    kind = document_kind(text)
    if not report.add(
        "govgate HTML document",
        kind is not None,
        f"an HTML {kind} written by govgate"
        if kind
        else "no govgate document marker: not a govgate report or dossier",
    ):
        return report
    contents = _check_embedded(report, text)
    visible = _EMBED_BLOCK.sub("", text)
    absent = sorted(d for d in report.recorded.values() if d not in visible)
    report.add(
        "printed digests",
        not absent,
        "the verification table prints the recorded digests"
        if not absent
        else f"{absent[0]} is recorded but not printed in the page",
    )
    _check_downloads(report, text, contents)
    # What the page shows is not compared with the embedded result: an edited sentence, status
    # or number in the visible text passes every check above, so the reader is told so.
    report.skip(
        "page text",
        "not checked: the visible text is not compared with the embedded result; "
        "read the verdict from the embedded result (or re-render the report from it)",
    )
    if len(contents) != len(XMP_DIGEST_PROPERTIES):
        report.skip("manifest and result agree", "an embedded file did not verify")
        return report
    check_contents(report, contents, root, recorded_run)
    return report


def _check_embedded(report: DossierVerification, text: str) -> dict[str, bytes]:
    """Exactly the two embedded files, each once, hashing to the digest recorded beside it."""
    files = embedded_files(text)
    extra = sorted({f.name for f in files} - set(XMP_DIGEST_PROPERTIES))
    report.add(
        "no other attachments",
        not extra,
        "only the result and the manifest are embedded"
        if not extra
        else f"unexpected embedded file(s) not covered by any digest: {', '.join(extra)}",
    )
    contents: dict[str, bytes] = {}
    for name in XMP_DIGEST_PROPERTIES:
        copies = [f for f in files if f.name == name]
        if len(copies) != 1:
            detail = "missing" if not copies else f"embedded {len(copies)} times"
            report.add(f"attachment {name}", False, detail + "; exactly one expected")
            continue
        found = copies[0]
        if _DIGEST.fullmatch(found.recorded):
            report.recorded[name] = found.recorded
        if found.data is None or found.digest is None:
            report.add(f"attachment {name}", False, "its content is not valid base64")
            continue
        report.attachments[name] = found.digest
        ok = found.digest == found.recorded
        report.add(
            f"attachment {name}",
            ok,
            f"sha256 matches the recorded digest ({found.digest})"
            if ok
            else f"sha256 is {found.digest} but the page records {found.recorded}: the "
            "embedded file was changed after the document was written",
        )
        if ok:
            contents[name] = found.data
    return contents


def _check_downloads(report: DossierVerification, text: str, contents: dict[str, bytes]) -> None:
    """A download link of an embedded file must carry the same bytes as the embedded copy."""
    for name, body in _DOWNLOAD.findall(text):
        try:
            data = base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            data = None
        expected = contents.get(name)
        ok = expected is not None and data == expected
        report.add(
            f"download link {name}",
            ok,
            "carries the embedded file's bytes"
            if ok
            else "differs from the embedded file (or that file did not verify)",
        )
