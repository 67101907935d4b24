"""Fixtures of the hostile suite, and the recorder behind docs/reliability.md.

Every hostile test records the class it tried and what it observed with `reliability.record`;
with `GOVGATE_RELIABILITY_REPORT=PATH` set, the records are written to PATH as JSON at the end
of the session, and `benchmarks/reliability_report.py` renders docs/reliability.md from them.
The classes themselves are listed, with a title each, in tests/hostile/classes.json.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hostile.harness import HostileRepository, build_hostile_repository

CLASSES_FILE = Path(__file__).resolve().parent / "classes.json"


# -- the reliability recorder --------------------------------------------------------------------


def load_classes() -> dict[str, dict[str, str]]:
    """The hostile-input classes and faults the suite tries (tests/hostile/classes.json)."""
    data: dict[str, dict[str, str]] = json.loads(CLASSES_FILE.read_text(encoding="utf-8"))
    return data


_RECORDS: list[dict[str, Any]] = []


class Reliability:
    """What a hostile test tried and observed, for docs/reliability.md."""

    def __init__(self, test: str) -> None:
        self.test = test
        self.classes = load_classes()

    def record(self, cls: str, outcome: str, **measured: Any) -> None:
        assert cls in self.classes, f"{cls!r} is not in tests/hostile/classes.json"
        # Temporary folders differ per run and machine: the document shows "…/" instead.
        # A path cut short by a truncated message still loses its temporary prefix.
        outcome = re.sub(
            r"(?:/[^\s/:'\"]+)*/pytest-of-[^/\s]+/pytest-\d+/[^/\s<]*/?", "…/", outcome
        )
        _RECORDS.append({"class": cls, "test": self.test, "outcome": outcome, **measured})


@pytest.fixture
def reliability(request: pytest.FixtureRequest) -> Reliability:
    return Reliability(request.node.nodeid)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    target = os.environ.get("GOVGATE_RELIABILITY_REPORT")
    if not target or not _RECORDS:
        return
    path = Path(target)
    path.parent.mkdir(parents=True, exist_ok=True)
    document = {
        "exitstatus": int(exitstatus),
        "python": sys.version.split()[0],
        "records": _RECORDS,
    }
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


# -- fixtures ------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def hostile_repo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HostileRepository]:
    """The hostile repository (built once per session: the 50 MB files take a moment)."""
    base = tmp_path_factory.mktemp("hostile")
    repo = build_hostile_repository(base / "repo", base / "outside")
    yield repo
    shutil.rmtree(base, ignore_errors=True)
