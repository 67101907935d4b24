"""Python readers for the lines path: CSV logs, and JSONL that DuckDB and Python split
differently, as (line, JSON text, sha256, problem) per non-blank record, in file order."""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import json
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from govgate_collectors.decision_logs.lines import BYTE_ORDER_MARK, LINE_WHITESPACE, open_binary
from govgate_collectors.decision_logs.logfile import LogFile
from govgate_collectors.decision_logs.record import MAX_MALFORMED_LISTED, RECORD_FIELD_NAMES

_CSV_ALIASES = {
    name.replace(".", "_"): name for name in RECORD_FIELD_NAMES if name.startswith("human_review.")
}
_CSV_LIST_FIELDS = {"data_categories", "reasons", "reason_codes"}
_CSV_NUMBER_FIELDS = {"score", "threshold"}
_CSV_BOOLEANS = {"true": True, "false": False, "yes": True, "no": False, "1": True, "0": False}


def _csv_value(name: str, cell: str) -> Any:
    """A CSV cell as the JSON value the record expects, or the text itself (then a type error)."""
    if name in _CSV_LIST_FIELDS:
        if cell.startswith("["):
            with contextlib.suppress(ValueError):
                return json.loads(cell)
        return [part.strip() for part in re.split(r"[;|]", cell) if part.strip()]
    if name in _CSV_NUMBER_FIELDS:
        try:
            return float(cell)
        except ValueError:
            return cell
    if name == "human_review.required":
        return _CSV_BOOLEANS.get(cell.strip().lower(), cell)
    return cell


def _csv_record(
    header: Sequence[str], row: Sequence[str], catalogue: Mapping[str, str]
) -> dict[str, Any]:
    """A CSV row as the JSON object it stands for: a dotted header is a nested field, and a
    cell is typed by the record field its column holds (`catalogue`: column -> field)."""
    record: dict[str, Any] = {}
    for name, cell in zip(header, row, strict=True):
        if cell.strip() == "":
            continue  # an empty cell is a missing field
        value = _csv_value(catalogue.get(name, name), cell)
        *outer, inner = name.split(".")
        target = record
        for part in outer:
            nested = target.setdefault(part, {})
            if not isinstance(nested, dict):  # `a` and `a.b` both given: `a` wins, as written
                break
            target = nested
        else:
            target[inner] = value
            continue
        record.setdefault(name, value)
    return record


#: Longest line the Python readers (CSV, JSONL) hold: a longer one is not a decision record, and
#: buffering it (a 2 GB file without a newline) would cost its size in memory, several times.
MAX_LINE_BYTES = 64 << 20


class LineTooLong(ValueError):
    """A line longer than MAX_LINE_BYTES: the file is reported as unreadable, not buffered."""


def csv_rows(
    path: Path, log: LogFile, on_bytes: Callable[[int], None] | None = None
) -> Iterator[tuple[int, str | None, str | None, str | None]]:
    """(line, JSON text, sha256 of the record's bytes, problem) per non-blank CSV record.

    A record's bytes are its physical line(s) as written, without the final line end and
    surrounding whitespace, as for JSONL. Blank lines are counted on `log`, and personal data
    in records that cannot be used is counted there too (usable records are scanned in SQL).
    """
    catalogue = log.profile.catalogue_names()
    with open_binary(path) as raw_handle:
        text = io.TextIOWrapper(raw_handle, encoding="utf-8", errors="surrogateescape", newline="")
        pending: list[str] = []
        state = {"line": 0}

        def physical_lines() -> Iterator[str]:
            # readline with a limit: a line without an end (a sparse or binary file) is never
            # held whole; past MAX_LINE_BYTES characters the file is unreadable, as for JSONL.
            while physical := text.readline(MAX_LINE_BYTES + 1):
                if len(physical) > MAX_LINE_BYTES:
                    raise LineTooLong(
                        f"line {state['line'] + 1} is longer than {MAX_LINE_BYTES >> 20} MB; "
                        "one decision record per line is expected"
                    )
                if state["line"] == 0 and physical.startswith("\ufeff"):
                    physical = physical[1:]  # a byte-order mark before the header
                state["line"] += 1
                pending.append(physical)
                if on_bytes is not None and state["line"] % 10_000 == 0:
                    on_bytes(raw_handle.tell() if hasattr(raw_handle, "tell") else 0)
                yield physical

        reader = csv.reader(physical_lines())
        header: list[str] | None = None
        while True:
            start_line = state["line"] + 1
            try:
                row = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                record_text = "".join(pending)
                pending.clear()
                digest = _record_sha(record_text)
                log.pii.scan(record_text)
                yield start_line, None, digest, f"malformed CSV: {exc}"
                continue
            record_text = "".join(pending)
            pending.clear()
            if not record_text.strip(" \t\r\n\x0b\x0c"):
                log.blank_count += 1
                if len(log.blank_lines) < MAX_MALFORMED_LISTED:
                    log.blank_lines.append(start_line)
                continue
            if header is None:
                header = [_CSV_ALIASES.get(name.strip(), name.strip()) for name in row]
                continue
            digest = _record_sha(record_text)
            if _has_surrogates(record_text):
                log.pii.scan(
                    record_text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
                )
                yield start_line, None, digest, "not valid UTF-8; save the log as UTF-8"
                continue
            if len(row) != len(header):
                log.pii.scan(record_text)
                yield (
                    start_line,
                    None,
                    digest,
                    f"expected {len(header)} fields (the header's), found {len(row)}",
                )
                continue
            record = _csv_record(header, row, catalogue)
            yield start_line, json.dumps(record, ensure_ascii=False), digest, None


def _record_sha(record_text: str) -> str:
    stripped = record_text.encode("utf-8", "surrogateescape").strip(LINE_WHITESPACE + b"\n")
    return hashlib.sha256(stripped).hexdigest()


def _has_surrogates(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def jsonl_rows(
    path: Path, on_bytes: Callable[[int], None] | None = None
) -> Iterator[tuple[int, str | None, str | None, str | None]]:
    """(line, text, sha256, None) per non-blank JSONL line, split by Python (the slow path)."""
    line_no = 0
    tail = b""
    consumed = 0
    first = True
    with open_binary(path) as handle:
        while True:
            chunk = handle.read(4 << 20)
            consumed += len(chunk)
            if on_bytes is not None:
                on_bytes(consumed)
            data = tail + chunk
            if chunk:
                cut = data.rfind(b"\n") + 1
                tail, data = data[cut:], data[:cut]
                pieces = data[:-1].split(b"\n") if data else []
                if len(tail) > MAX_LINE_BYTES:
                    raise LineTooLong(
                        f"line {line_no + len(pieces) + 1} is longer than "
                        f"{MAX_LINE_BYTES >> 20} MB; one decision record per line is expected"
                    )
            else:
                tail, pieces = b"", ([data] if data else [])
            for raw in pieces:
                line_no += 1
                if first:
                    first = False
                    if raw.startswith(BYTE_ORDER_MARK):
                        raw = raw[3:]
                stripped = raw.strip(LINE_WHITESPACE)
                if not stripped:
                    continue
                try:
                    text: str | None = stripped.decode("utf-8")
                except UnicodeDecodeError:
                    text = None
                yield line_no, text, hashlib.sha256(stripped).hexdigest(), None
            if not chunk:
                break
