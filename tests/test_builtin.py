"""govgate's own plugin: its output formats are registered by stand-ins that import a format's
module only when it renders, and each stand-in is the real format to whoever uses it."""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import pytest

from govgate.builtin import BUILTIN_REPORTERS, deferred_reporter
from govgate.core.reporter import Reporter


@pytest.mark.parametrize("row", BUILTIN_REPORTERS, ids=[row[2] for row in BUILTIN_REPORTERS])
def test_each_stand_in_says_what_its_format_says(row: tuple[str, ...]) -> None:
    module, class_name = row[0], row[1]
    real = getattr(importlib.import_module(f"govgate.outputs.reporters.{module}"), class_name)
    stand_in = deferred_reporter(row)  # type: ignore[arg-type]
    assert isinstance(stand_in, Reporter)
    shown = ("name", "filename", "media_type", "description")
    assert {a: getattr(stand_in, a) for a in shown} == {a: getattr(real, a) for a in shown}


def test_every_built_in_format_is_registered_once() -> None:
    """No format module in govgate.outputs.reporters is left out of the table."""
    folder = Path(importlib.import_module("govgate.outputs.reporters").__file__ or "").parent
    modules = set()
    for path in folder.glob("*.py"):
        source = path.read_text(encoding="utf-8")
        if "(Reporter):" in source:
            modules.add(path.stem)
    assert modules == {row[0] for row in BUILTIN_REPORTERS}


def test_the_evidence_kinds_file_is_parsed_once_and_a_forged_copy_is_not_read(
    _isolated_cache_key: Path,
) -> None:
    from govgate.builtin import builtin_evidence_kinds

    parsed = builtin_evidence_kinds()
    kept = sorted((_isolated_cache_key / "builtin" / "packs").glob("*.json"))
    assert len(kept) == 1  # the parsed file was kept ...
    assert builtin_evidence_kinds() == parsed  # ... and reading it back changes nothing
    # An edited copy (a kind's paths moved), its MAC left as it was, is not read.
    tag, _, body = kept[0].read_bytes().partition(b"\n")
    stored = json.loads(body)
    first = next(iter(stored["data"]["kinds"]))
    stored["data"]["kinds"][first]["paths"] = ["nowhere/*"]
    kept[0].write_bytes(tag + b"\n" + json.dumps(stored).encode())
    assert builtin_evidence_kinds() == parsed
    assert all(kind.paths != ("nowhere/*",) for kind in parsed)
