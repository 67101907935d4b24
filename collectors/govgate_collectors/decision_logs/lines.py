"""Decision-log files as lines of bytes: opening plain or gzip, which lines are blank, which
line an ordinal is on, and why a line that is not JSON is not."""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any, cast

#: What a line is stripped of before it is hashed or read (space, tab, CR, VT, FF).
LINE_WHITESPACE = b" \t\r\x0b\x0c"
#: A line that is empty or starts with whitespace (maybe a blank line): blocks without one
#: are only counted, which keeps the line pass near memory speed.
_LINE_STARTS_BLANK = re.compile(rb"\n(?=[\n \t\r\x0b\x0c])")
_BLANK_START = (b"\n", b" ", b"\t", b"\r", b"\x0b", b"\x0c")
BYTE_ORDER_MARK = b"\xef\xbb\xbf"


def open_binary(path: Path) -> IO[bytes]:
    """The file's bytes, decompressed when its name ends in .gz."""
    if path.name.endswith(".gz"):
        return cast(IO[bytes], gzip.open(path, "rb"))
    return path.open("rb")


def invalid_line_reason(stripped: bytes, unterminated_last: bool, indent: int = 0) -> str:
    """Why a line that is not valid JSON is not (no values from the line are quoted).

    `indent`: whitespace stripped from the start of the line, so columns are the line's own.
    """
    try:
        text = stripped.decode("utf-8")
    except UnicodeDecodeError as exc:
        return f"not valid UTF-8 (byte {exc.start + 1}); save the log as UTF-8"
    if text.startswith("\ufeff"):
        return "byte-order mark in the middle of the file (files were concatenated?)"
    try:
        json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        if unterminated_last:
            return f"truncated last line (no newline at end of file): {exc.msg}"
        return f"invalid JSON: {exc.msg} (column {exc.colno + indent})"
    except ValueError as exc:
        return f"invalid JSON: {exc}"
    return "invalid JSON (rejected by the JSON reader)"


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def blank_line_indices(data: bytes) -> list[int]:
    """0-based indices of the blank lines of a block of whole lines (ending with a newline).

    Only lines that start with whitespace or are empty can be blank, and a regex over the
    block finds those starts at memory speed; most blocks of a real log have none.
    """
    found: list[int] = []
    if data[:1] in _BLANK_START and not data[: data.find(b"\n")].strip(LINE_WHITESPACE):
        found.append(0)
    position, index = 0, 0
    for match in _LINE_STARTS_BLANK.finditer(data):
        start = match.start() + 1  # the line after this newline
        end = data.find(b"\n", start)
        if end < 0:
            break
        index += data.count(b"\n", position, start)
        position = start
        if not data[start:end].strip(LINE_WHITESPACE):
            found.append(index)
    return found


def line_for(ordinal: int, blank_lines_sorted: Sequence[int]) -> int:
    """Line number of the ordinal-th non-blank line given every blank line number before it."""
    line = ordinal + 1
    for blank in blank_lines_sorted:
        if blank <= line:
            line += 1
        else:
            break
    return line
