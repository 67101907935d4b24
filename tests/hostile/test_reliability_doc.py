"""docs/reliability.md agrees with the suite: one row per class the suite tries, and no other.

The document is generated from the suite's own records (benchmarks/reliability_report.py);
these tests keep the committed copy honest when classes are added or dropped.
"""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
DOC = REPO / "docs" / "reliability.md"
CATALOGUE = HERE / "classes.json"
ROW = re.compile(r"^\| `([a-z0-9-]+)` \| (.*) \| (.*) \|$")


def catalogue() -> dict[str, dict[str, str]]:
    data: dict[str, dict[str, str]] = json.loads(CATALOGUE.read_text(encoding="utf-8"))
    return data


def rows() -> dict[str, str]:
    found = {}
    for line in DOC.read_text(encoding="utf-8").splitlines():
        match = ROW.match(line)
        if match:
            assert match.group(1) not in found, f"two rows for {match.group(1)}"
            found[match.group(1)] = match.group(3)
    return found


def tried_by_the_suite() -> set[str]:
    """Catalogue classes named in the suite's code (the tests and the repository they plant),
    or by the load benchmark. A test records each class it names with `reliability.record`."""
    sources = [p.read_text(encoding="utf-8") for p in sorted(HERE.glob("*.py"))]
    sources.append((REPO / "benchmarks" / "load.py").read_text(encoding="utf-8"))
    code = "\n".join(sources)
    return {name for name in catalogue() if re.search(rf"[\"']{re.escape(name)}[\"']", code)}


def test_the_doc_has_a_row_for_every_class_and_no_other() -> None:
    assert set(rows()) == set(catalogue())


def test_every_class_in_the_catalogue_is_tried_by_a_test() -> None:
    untried = set(catalogue()) - tried_by_the_suite()
    assert not untried, f"no test records these classes: {sorted(untried)}"


def test_the_catalogue_is_as_wide_as_the_issue_asks() -> None:
    kinds = [entry["kind"] for entry in catalogue().values()]
    assert kinds.count("input") >= 25
    assert kinds.count("fault") >= 8
    assert kinds.count("load") >= 1


def test_every_row_carries_an_observed_outcome() -> None:
    for name, outcome in rows().items():
        assert outcome.strip() and "NOT OBSERVED" not in outcome, name


def test_the_renderer_refuses_a_class_nobody_observed() -> None:
    spec = importlib.util.spec_from_file_location(
        "reliability_report", REPO / "benchmarks" / "reliability_report.py"
    )
    assert spec is not None and spec.loader is not None
    module: Any = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    classes = {
        "a-input": {"kind": "input", "title": "A | piped"},
        "b-fault": {"kind": "fault", "title": "B"},
    }
    records = [{"class": "a-input", "outcome": "exit 2 | named"}]
    text, missing = module.render(classes, records, None, "3.11")
    assert missing == ["b-fault"]
    assert "| `a-input` | A \\| piped | exit 2 \\| named |" in text
    assert "| `b-fault` | B | NOT OBSERVED |" in text
