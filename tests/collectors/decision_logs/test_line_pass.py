"""The line pass: line numbers, blank lines and invalid rows found from a JSONL file's bytes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from govgate_collectors.decision_logs.line_pass import line_pass

from decision_log_files import chained, record, run, write


@pytest.mark.parametrize("block_size", [61, 4096, 1 << 20])
def test_line_numbers_survive_block_boundaries(tmp_path: Path, block_size: int) -> None:
    lines: list[bytes | dict[str, Any]] = []
    broken_at, blank_at = [], []
    for n in range(1, 400):
        if n % 37 == 0:
            lines.append(b'{"cut": ')
            broken_at.append(n)
        elif n % 53 == 0 or n % 53 == 1:  # blank lines, in pairs
            lines.append(b"" if n % 2 else b" \r")
            blank_at.append(n)
        else:
            lines.append(record(n, "2026-03-01T09:00:00Z"))
    path = write(tmp_path, "logs/decisions/a.jsonl", chained(lines))
    invalid_ordinals = [n - 1 - sum(1 for b in blank_at if b < n) for n in broken_at]

    # Small blocks put boundaries everywhere, mid-line included; big ones hold many targets.
    result = line_pass(
        path,
        invalid=iter(invalid_ordinals),
        wanted=set(invalid_ordinals),
        samples={},
        block_size=block_size,
    )

    assert result.rows == 399 - len(blank_at)
    assert result.blank_lines == blank_at
    assert sorted(result.line_of[o] for o in invalid_ordinals) == broken_at
    data, _, _, _ = run(tmp_path)
    listed = [m["line"] for m in data["malformed"]["first"]]
    assert listed == sorted(broken_at + blank_at)[:20]
