"""The `pii` collector: personal data found in data samples, logs, fixtures and notebooks.

Scans the files matching `paths` for the types of `govgate.support.pii` (e-mail, phone, SSN, payment
card, IBAN, IP) and reports one `pii.scan` item: how many of each type, per file, and the first
masked samples with their line numbers. Only counts, locations and masked samples leave it.

Files are streamed in blocks of whole lines (a line longer than a block is cut into
overlapping pieces), so memory stays bounded whatever the size. Python's regex engine would
need minutes for a gigabyte of logs, so DuckDB's RE2 first picks the lines that
`PREFILTER_PATTERN` matches (a superset of every finding) and only those lines get the exact,
checksum-validated `scan_text`. Binary files (a NUL byte near the start) are skipped with a
diagnostic; gzip files are read decompressed; notebooks are scanned as the JSON text they are.
"""

from __future__ import annotations

import gzip
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, cast

from govgate.api import CollectContext, Collector, Evidence, EvidenceKind, hookimpl
from govgate.support.errors import CollectorError
from govgate.support.pii import PII_TYPES, PREFILTER_PATTERN, scan_text
from govgate.support.progress import terminal_progress

DEFAULT_PATHS = (
    "data/**",
    "logs/**",
    "tests/fixtures/**",
    "notebooks/**/*.ipynb",
    "fixtures/**",
)
MAX_SAMPLES = 50
#: Bytes per block handed to the regex engine; lines longer than this are cut into pieces.
BLOCK_BYTES = 8 << 20
#: How far a piece of a cut line reaches back into the previous piece, so that a value cut in
#: two is still seen whole (longer than any e-mail address, IBAN or card number).
OVERLAP = 320
#: Extensions of files that are binary by construction: skipped without opening.
BINARY_SUFFIXES = (
    ".parquet",
    ".arrow",
    ".feather",
    ".npy",
    ".npz",
    ".pkl",
    ".pickle",
    ".pt",
    ".pth",
    ".onnx",
    ".h5",
    ".hdf5",
    ".zip",
    ".tar",
    ".png",
    ".jpg",
    ".jpeg",
    ".gif",
    ".pdf",
    ".xlsx",
    ".db",
    ".sqlite",
)

_COUNT = {"type": "integer", "minimum": 0}
_COUNTS = {
    "type": "object",
    "required": list(PII_TYPES),
    "additionalProperties": False,
    "properties": {kind: _COUNT for kind in PII_TYPES},
}
PII_SCAN_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["files_scanned", "bytes_scanned", "files_skipped", "counts", "by_path", "samples"],
    "properties": {
        "files_scanned": _COUNT,
        "bytes_scanned": _COUNT,
        "files_skipped": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["path", "reason"],
                "additionalProperties": False,
                "properties": {"path": {"type": "string"}, "reason": {"type": "string"}},
            },
        },
        "counts": _COUNTS,
        "by_path": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["path", "counts"],
                "additionalProperties": False,
                "properties": {"path": {"type": "string"}, "counts": _COUNTS},
            },
        },
        "samples": {
            "type": "array",
            "maxItems": MAX_SAMPLES,
            "items": {
                "type": "object",
                "required": ["path", "line", "type", "masked"],
                "additionalProperties": False,
                "properties": {
                    "path": {"type": "string"},
                    "line": {"type": "integer", "minimum": 1},
                    "type": {"enum": list(PII_TYPES)},
                    "masked": {"type": "string"},
                },
            },
        },
    },
}

#: For a block of text: the 0-based indices of its lines that might hold personal data.
_CANDIDATE_LINES_SQL = """
SELECT list_filter(range(len(lines)), lambda i: regexp_matches(lines[i + 1], $pattern))
FROM (SELECT string_split($text, chr(10)) AS lines)
"""


@dataclass
class Piece:
    """Text to scan: whole lines starting at `line`, or part of one long line."""

    line: int
    text: str
    #: Bytes of the file this piece adds (the overlap repeated from the previous piece aside).
    size: int
    #: Findings ending within this many characters were already counted in the previous piece.
    skip_before: int = 0


def pieces(
    handle: IO[bytes], block_bytes: int = BLOCK_BYTES, overlap: int = OVERLAP
) -> Iterator[Piece]:
    """Blocks of whole lines, decoded; a line longer than a block comes in overlapping parts."""
    block_bytes = max(block_bytes, 2 * overlap)
    line = 1
    buffer = b""
    carried = 0  # bytes at the start of `buffer` repeated from the previous piece
    while True:
        chunk = handle.read(block_bytes)
        buffer += chunk
        if not chunk:
            if len(buffer) > carried:
                yield Piece(line, _decode(buffer), len(buffer) - carried, _chars(buffer, carried))
            return
        cut = buffer.rfind(b"\n") + 1
        if cut > carried:
            yield Piece(line, _decode(buffer[:cut]), cut - carried, _chars(buffer, carried))
            line += buffer.count(b"\n", 0, cut)
            buffer, carried = buffer[cut:], 0
        elif len(buffer) >= block_bytes:
            # One line longer than a block: scan what we have, keep the overlap for the next.
            yield Piece(line, _decode(buffer), len(buffer) - carried, _chars(buffer, carried))
            buffer = buffer[-overlap:]
            carried = len(buffer)


def _decode(raw: bytes) -> str:
    # Personal data of the kinds looked for is ASCII; other bytes only need to not break lines.
    return raw.decode("utf-8", errors="replace")


def _chars(buffer: bytes, carried: int) -> int:
    return len(_decode(buffer[:carried])) if carried else 0


@dataclass
class _Tally:
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(PII_TYPES, 0))

    def total(self) -> int:
        return sum(self.counts.values())


#: `collectors.pii` in govgate.yaml (the collector's `settings_schema`).
SETTINGS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "paths": {
            "type": ["string", "array"],
            "items": {"type": "string"},
            "description": "globs of the files scanned for personal data",
        }
    },
}


class PiiCollector(Collector):
    name = "pii"
    # 1.1.0: pii.scan lists the files it covers (source.files).
    version = "1.1.0"
    description = "personal data (e-mail, phone, SSN, card, IBAN, IP) in data, logs, fixtures"
    kinds = (
        EvidenceKind(
            "pii.scan",
            "pii",
            PII_SCAN_SCHEMA,
            description="counts, locations and masked samples of personal data in `paths`",
        ),
    )
    settings_schema = SETTINGS_SCHEMA

    def input_patterns(self, ctx: CollectContext) -> list[str]:
        return self._paths(ctx)

    @staticmethod
    def _paths(ctx: CollectContext) -> list[str]:
        value = ctx.settings.get("paths", list(DEFAULT_PATHS))
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise CollectorError("govgate.yaml collectors.pii.paths: must be a list of globs")
        return list(value)

    def collect(self, ctx: CollectContext) -> Iterable[Evidence]:
        import duckdb

        patterns = self._paths(ctx)
        files = list(ctx.iter_files(patterns))
        total_bytes = sum(path.stat().st_size for _, path in files) or 1
        progress = ctx.progress or terminal_progress()
        con = duckdb.connect(config={"threads": 1, "autoinstall_known_extensions": False})
        con.execute("SET enable_progress_bar = false")
        totals = _Tally()
        by_path: list[dict[str, Any]] = []
        samples: list[dict[str, Any]] = []
        skipped: list[dict[str, str]] = []
        scanned_files = 0
        scanned_bytes = 0
        done_bytes = 0
        try:
            for rel, path in files:
                size = path.stat().st_size
                reason = self._skip_reason(path)
                tally = _Tally()
                if reason is None:
                    try:
                        scanned = self._scan_file(con, rel, path, tally, samples)
                    except (OSError, EOFError) as exc:
                        reason = f"cannot read: {exc}"
                    else:
                        if scanned is None:
                            reason = "binary content (a NUL byte near the start)"
                        else:
                            scanned_files += 1
                            scanned_bytes += scanned
                if reason is not None:
                    skipped.append({"path": rel, "reason": reason})
                    ctx.problem(rel, None, f"not scanned for personal data: {reason}")
                if tally.total():
                    by_path.append({"path": rel, "counts": dict(tally.counts)})
                    for kind, count in tally.counts.items():
                        totals.counts[kind] += count
                done_bytes += size
                if progress is not None:
                    progress(done_bytes, total_bytes, f"pii: {rel}")
        finally:
            con.close()
        # The scan lists every file it covers: those scanned and those it reports as skipped
        # (`files_skipped` names them); a refused file never reached `files`.
        yield ctx.evidence(
            "pii.scan",
            subject=", ".join(patterns),
            data={
                "files_scanned": scanned_files,
                "bytes_scanned": scanned_bytes,
                "files_skipped": skipped,
                "counts": dict(totals.counts),
                "by_path": by_path,
                "samples": samples,
            },
        ).with_files(rel for rel, _ in files)

    @staticmethod
    def _skip_reason(path: Path) -> str | None:
        name = path.name.lower().removesuffix(".gz")
        if name.endswith(BINARY_SUFFIXES):
            return f"binary format ({Path(name).suffix})"
        return None

    @staticmethod
    def _open(path: Path) -> IO[bytes]:
        if path.name.lower().endswith(".gz"):
            return cast(IO[bytes], gzip.open(path, "rb"))
        return path.open("rb")

    def _scan_file(
        self,
        con: Any,
        rel: str,
        path: Path,
        tally: _Tally,
        samples: list[dict[str, Any]],
    ) -> int | None:
        """Scan one file; the bytes read, or None when it turns out to be binary."""
        with self._open(path) as handle:
            if b"\x00" in handle.read(8192):
                return None
            handle.seek(0)
            scanned = 0
            for piece in pieces(handle):
                scanned += piece.size
                self._scan_piece(con, rel, piece, tally, samples)
            return scanned

    @staticmethod
    def _scan_piece(
        con: Any, rel: str, piece: Piece, tally: _Tally, samples: list[dict[str, Any]]
    ) -> None:
        found = con.execute(
            _CANDIDATE_LINES_SQL, {"text": piece.text, "pattern": PREFILTER_PATTERN}
        ).fetchone()
        candidates: Sequence[int] = found[0] if found and found[0] else ()
        if not candidates:
            return
        lines = piece.text.split("\n")
        for index in candidates:
            for match in scan_text(lines[index]):
                if index == 0 and match.end <= piece.skip_before:
                    continue  # seen whole in the previous piece of this long line
                tally.counts[match.kind] += 1
                if len(samples) < MAX_SAMPLES:
                    samples.append(
                        {
                            "path": rel,
                            "line": piece.line + index,
                            "type": match.kind,
                            "masked": match.masked,
                        }
                    )


@hookimpl
def govgate_collectors() -> Sequence[type[Collector]]:
    return [PiiCollector]
