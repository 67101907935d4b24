"""The line pass: what only a JSONL file's bytes can tell (blank lines, line numbers, why a
line is invalid), in one streaming pass that is cheap where nothing is asked of a block."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from govgate_collectors.decision_logs.lines import (
    BYTE_ORDER_MARK,
    LINE_WHITESPACE,
    blank_line_indices,
    invalid_line_reason,
    open_binary,
)
from govgate_collectors.decision_logs.record import MAX_MALFORMED_LISTED
from govgate_collectors.decision_logs.tally import PiiTally


@dataclass
class LinePassResult:
    """Facts about one JSONL file that need its bytes rather than DuckDB's rows."""

    rows: int = 0  # non-blank lines
    lines: int = 0
    blank_lines: list[int] = field(default_factory=list)
    blank_count: int = 0
    line_of: dict[int, int] = field(default_factory=dict)  # wanted ord -> line number
    reasons: dict[int, str] = field(default_factory=dict)  # invalid wanted ord -> reason
    sample_mismatches: int = 0
    pii: PiiTally = field(default_factory=PiiTally)


class _OrdStream:
    """Sorted ordinals pulled lazily from a generator (the invalid rows can be many)."""

    def __init__(self, source: Iterator[int]) -> None:
        self._source = source
        self.head: int | None = next(source, None)

    def pop_if(self, ordinal: int) -> bool:
        if self.head is not None and self.head == ordinal:
            self.head = next(self._source, None)
            return True
        return False


def line_pass(
    path: Path,
    *,
    invalid: Iterator[int],
    wanted: set[int],
    samples: Mapping[int, bytes],
    on_bytes: Callable[[int], None] | None = None,
    block_size: int = 8 << 20,
) -> LinePassResult:
    """One streaming pass over a JSONL file, cheap where nothing is asked of a block.

    `invalid`: sorted ordinals of the rows that are not valid JSON (explained when wanted, and
    PII-scanned); `wanted`: ordinals whose line numbers are needed; `samples`:
    ordinal -> first 16 bytes of the line's sha256, to prove the row order matches the file.
    """
    state = _LinePass(invalid, wanted, samples)
    tail = b""
    first_block = True
    consumed = 0
    with open_binary(path) as handle:
        while True:
            chunk = handle.read(block_size)
            consumed += len(chunk)
            if on_bytes is not None:
                on_bytes(consumed)
            if not chunk:
                break
            data = tail + chunk
            cut = data.rfind(b"\n") + 1
            tail = data[cut:]
            data = data[:cut]
            if first_block:
                first_block = False
                if data.startswith(BYTE_ORDER_MARK) or (
                    not data and tail.startswith(BYTE_ORDER_MARK)
                ):
                    # A byte-order mark before the first record is tolerated (DuckDB skips it).
                    if data:
                        data = data[3:]
                    else:
                        tail = tail[3:]
            if data:
                state.block(data)
        if tail:
            state.last_line(tail)
    return state.finish()


class _LinePass:
    """Where one pass is in its file, and the rows it still has to look at."""

    def __init__(
        self, invalid: Iterator[int], wanted: set[int], samples: Mapping[int, bytes]
    ) -> None:
        self.result = LinePassResult()
        self.invalid_rows = _OrdStream(invalid)
        self.wanted = wanted
        self.samples = samples
        self.targets = sorted(wanted | set(samples))
        self.target_index = 0
        self.ordinal = -1  # ordinal of the last non-blank line passed
        self.line_no = 0  # lines passed

    def next_target(self) -> int:
        """The next ordinal anything is asked of, or -1 when none is left."""
        candidates = [self.invalid_rows.head] if self.invalid_rows.head is not None else []
        if self.target_index < len(self.targets):
            candidates.append(self.targets[self.target_index])
        return min(candidates) if candidates else -1

    def block(self, data: bytes) -> None:
        """A block of whole lines (ending with a newline): count it, examine the asked-for rows."""
        newlines = data.count(b"\n")
        blanks = blank_line_indices(data)
        for index in blanks:
            self.note_blank(self.line_no + index + 1)
        last_row = self.ordinal + newlines - len(blanks)
        target = self.next_target()
        if 0 <= target <= last_row:
            # Only the asked-for rows are looked at: row r is the (r - ordinal)-th
            # non-blank piece of this block.
            pieces = data[:-1].split(b"\n")
            while 0 <= target <= last_row:
                index = target - self.ordinal - 1
                for blank in blanks:
                    if blank <= index:
                        index += 1
                    else:
                        break
                self.examine(pieces[index], self.line_no + index + 1, target, False)
                target = self.next_target()
        self.ordinal = last_row
        self.line_no += newlines

    def last_line(self, tail: bytes) -> None:
        """The file's last line, which no newline ends."""
        self.line_no += 1
        if not tail.strip(LINE_WHITESPACE):
            self.note_blank(self.line_no)
        else:
            self.ordinal += 1
            if self.next_target() == self.ordinal:
                self.examine(tail, self.line_no, self.ordinal, True)

    def examine(self, raw: bytes, line: int, row: int, unterminated_last: bool) -> None:
        """Everything asked about the non-blank line `line`, the row-th of the file."""
        result = self.result
        while self.target_index < len(self.targets) and self.targets[self.target_index] <= row:
            self.target_index += 1
        is_invalid = self.invalid_rows.pop_if(row)
        stripped = raw.strip(LINE_WHITESPACE)
        if row in self.wanted:
            result.line_of[row] = line
            if is_invalid:
                indent = len(raw) - len(raw.lstrip(LINE_WHITESPACE))
                result.reasons[row] = invalid_line_reason(stripped, unterminated_last, indent)
        if row in self.samples and hashlib.sha256(stripped).digest()[:16] != self.samples[row]:
            result.sample_mismatches += 1
        if is_invalid:
            result.pii.scan(stripped.decode("utf-8", errors="replace"))

    def note_blank(self, line: int) -> None:
        """Count a blank line; the first ones are listed with their line numbers."""
        self.result.blank_count += 1
        if len(self.result.blank_lines) < MAX_MALFORMED_LISTED:
            self.result.blank_lines.append(line)

    def finish(self) -> LinePassResult:
        self.result.rows = self.ordinal + 1
        self.result.lines = self.line_no
        return self.result
