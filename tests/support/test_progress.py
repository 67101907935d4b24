"""The terminal progress printer collectors fall back on when the caller gave no callback."""

from __future__ import annotations

import io

import pytest

from govgate.support.progress import terminal_progress


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_terminal_progress_only_on_a_terminal_and_never_in_ci(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("CI", raising=False)
    assert terminal_progress(io.StringIO()) is None  # piped: quiet
    terminal = _Terminal()
    show = terminal_progress(terminal)
    assert show is not None
    show(50, 100, "decision_logs: logs/decisions/a.jsonl")
    show(100, 100, "decision_logs: done")
    assert " 50.0%" in terminal.getvalue()
    assert terminal.getvalue().endswith("\r")  # the line is cleared at the end
    monkeypatch.setenv("CI", "true")
    assert terminal_progress(_Terminal()) is None
