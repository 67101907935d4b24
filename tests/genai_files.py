"""Shared set-up of the GenAI pack tests (tests/packs/test_genai.py, tests/hostile/
test_genai_packs.py): the Annex A catalogue, Statements of Applicability, a JSON check."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from conftest import CliResult

#: ISO/IEC 42001 Annex A: the 38 controls, in the standard's order.
ANNEX_A = [
    *("A.2.2", "A.2.3", "A.2.4"),
    *("A.3.2", "A.3.3"),
    *("A.4.2", "A.4.3", "A.4.4", "A.4.5", "A.4.6"),
    *("A.5.2", "A.5.3", "A.5.4", "A.5.5"),
    *("A.6.1.2", "A.6.1.3"),
    *("A.6.2.2", "A.6.2.3", "A.6.2.4", "A.6.2.5", "A.6.2.6", "A.6.2.7", "A.6.2.8"),
    *("A.7.2", "A.7.3", "A.7.4", "A.7.5", "A.7.6"),
    *("A.8.2", "A.8.3", "A.8.4", "A.8.5"),
    *("A.9.2", "A.9.3", "A.9.4"),
    *("A.10.2", "A.10.3", "A.10.4"),
]

SOA_PATH = "governance/statement_of_applicability.yaml"


def statement_of_applicability(
    controls: Iterable[str], *, reason: str = "in scope", tail: str = ""
) -> str:
    """An approved Statement of Applicability deciding `controls` applicable, one entry of
    three lines each (so a test can count lines), then `tail` as written."""
    entries = "".join(
        f"  - id: {control}\n    applicable: true\n    reason: {reason}\n" for control in controls
    )
    return "approved_by: Management Board\napproval_date: '2026-11-02'\ncontrols:\n" + (
        entries + tail
    )


def check_json(run_cli: Callable[..., CliResult], path: Path) -> dict[str, Any]:
    """`govgate check PATH --no-locker --format json` as a user runs it: the result document,
    with the exit code under `exit_code`."""
    done = run_cli("check", path, "--no-locker", "--format", "json")
    result: dict[str, Any] = json.loads(done.stdout)
    result["exit_code"] = done.exit_code
    return result


def statuses(result: dict[str, Any]) -> dict[tuple[str, str | None], str]:
    """(rule, item) → status of every finding."""
    return {(f["rule"], f["item"]): f["status"] for f in result["findings"]}
