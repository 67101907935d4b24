"""Files embedded in an HTML document (the report, the HTML dossier), and reading them back.

Each file is one `<script type="application/vnd.govgate.attachment+json">` element whose body
is the file's bytes in base64 and whose `data-name` and `data-sha256` attributes name it and
record its digest. A browser never runs a script of that type, and base64 leaves no `</script>`
or markup a file's content could smuggle into the page.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from pathlib import Path

from govgate.core.evidence import sha256_digest

#: The script type that marks an embedded file.
EMBED_TYPE = "application/vnd.govgate.attachment+json"
#: What `<meta name="generator">` says in a govgate HTML document, and what it is.
KIND_META = "govgate-document"

_EMBED = re.compile(
    r'<script type="' + re.escape(EMBED_TYPE) + r'" data-name="([^"<>]{1,200})" '
    r'data-sha256="([^"<>]{0,80})">([A-Za-z0-9+/=\s]*)</script>'
)
_KIND = re.compile(r'<meta name="' + KIND_META + r'" content="([a-z-]{1,40})">')


@dataclass(frozen=True)
class EmbeddedFile:
    """One embedded file as found: its name, the digest the page records, and its bytes
    (None when the body is not valid base64)."""

    name: str
    recorded: str
    data: bytes | None

    @property
    def digest(self) -> str | None:
        return None if self.data is None else sha256_digest(self.data)


def embed_tag(name: str, data: bytes) -> str:
    """The `<script>` element embedding `data` under `name` (a plain ASCII file name)."""
    body = base64.b64encode(data).decode("ascii")
    return (
        f'<script type="{EMBED_TYPE}" data-name="{name}" '
        f'data-sha256="{sha256_digest(data)}">{body}</script>'
    )


def kind_tag(kind: str) -> str:
    """The `<meta>` element saying which govgate document this is (`report`, `dossier`)."""
    return f'<meta name="{KIND_META}" content="{kind}">'


def document_kind(text: str) -> str | None:
    """`report` or `dossier` for a govgate HTML document, None for any other text."""
    found = _KIND.findall(text)
    return found[0] if len(found) == 1 else None


def embedded_files(text: str) -> list[EmbeddedFile]:
    """Every embedded file of an HTML document, in page order, duplicates included."""
    found = []
    for name, recorded, body in _EMBED.findall(text):
        try:
            data: bytes | None = base64.b64decode("".join(body.split()), validate=True)
        except (binascii.Error, ValueError):
            data = None
        found.append(EmbeddedFile(name, recorded, data))
    return found


#: How each kind of file `govgate verify` takes begins (after any BOM or whitespace for HTML).
_SQLITE_HEADER = b"SQLite format 3\x00"


def document_type(path: Path) -> str:
    """What a file is by its first bytes, never by its name: `pdf`, `html`, `sqlite` (a
    locker, or meant to be one) or `other`. OSError when it cannot be read."""
    with path.open("rb") as handle:
        head = handle.read(1024)
    if b"%PDF-" in head:
        return "pdf"  # PDF readers accept the header anywhere in the first kilobyte
    if head.startswith(_SQLITE_HEADER):
        return "sqlite"
    text = head.removeprefix(b"\xef\xbb\xbf").lstrip().lower()
    if text.startswith((b"<!doctype html", b"<html")):
        return "html"
    return "other"
