"""Malformed lines grouped by cause: a cause with 3 lines is as visible as one with 3,000."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from decision_log_files import record, run, write

A = "logs/decisions/a.jsonl"


def _many_bad_timestamps() -> bytes:
    lines = [json.dumps(record(n, "yesterday")) for n in range(1, 41)]  # 40 of one cause
    lines.insert(10, '{"decision_id": "x", "times')  # a truncated line
    lines.insert(30, "")  # a blank line
    lines.append(json.dumps(record(99, "2026-03-01T09:00:00Z")))
    return ("\n".join(lines) + "\n").encode()


def test_every_cause_is_counted_with_its_first_lines(tmp_path: Path) -> None:
    write(tmp_path, A, _many_bad_timestamps())

    data, _, _, ctx = run(tmp_path)

    assert data["records"] == 1
    assert data["malformed"]["count"] == 42
    causes = {
        c["cause"]: (c["count"], [w["line"] for w in c["first"]]) for c in data["malformed_causes"]
    }
    timestamp = next(c for c in causes if c.startswith("timestamp must be a date-time"))
    assert causes[timestamp] == (40, [1, 2, 3, 4, 5])
    assert causes["invalid JSON"] == (1, [11])
    assert causes["blank line"] == (1, [31])
    # The first 20 lines are all of one cause; the others still reach the report.
    messages = [d.message for d in ctx.diagnostics if d.line is None]
    assert "1 malformed decision-log line: invalid JSON (first at line 11)" in messages
    assert "1 malformed decision-log line: blank line (first at line 31)" in messages
    assert any(m.startswith("40 malformed decision-log lines: timestamp must be") for m in messages)


@pytest.mark.slow
def test_the_text_report_shows_each_cause(tmp_path: Path) -> None:
    write(tmp_path, A, _many_bad_timestamps())
    (tmp_path / "govgate.yaml").write_text(
        "version: 1\nsystem: {name: s, risk: high}\npacks: [audit-trail]\n"
    )
    done = subprocess.run(
        [str(Path(sys.executable).parent / "govgate"), "check", "--no-cache"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    shown = done.stdout + done.stderr
    assert "1 malformed decision-log line: invalid JSON (first at line 11)" in shown, shown[-3000:]
    assert "1 malformed decision-log line: blank line (first at line 31)" in shown
