"""`run_check` on the example: a warm run (packs, config and every collector served from the
caches) decides exactly what a run that caches nothing decides, byte for byte."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from govgate.run.check import CheckOptions, run_check

NOW = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)


def comparable(result: dict[str, Any]) -> bytes:
    """The result as govgate.json has it, less what differs between two runs by design: when
    the run started and ended, its place in the locker, and how each collector got its output
    (from the cache or by running) and how long that took."""
    document = json.loads(json.dumps(result))
    for key in ("started_at", "finished_at", "id", "hash"):
        document["run"].pop(key, None)
    for run in document["collectors"]:
        run.pop("status")
        run.pop("seconds")
    return json.dumps(document, indent=2, sort_keys=True).encode()


@pytest.mark.slow
def test_a_warm_run_gives_the_result_of_a_run_without_any_cache(
    example_repo: Callable[[str], Path],
) -> None:
    repo = example_repo("loan-approval")
    options = CheckOptions(root=repo, now=NOW)
    run_check(options)  # fills the locker, the collector cache and the validated-pack cache
    warm = run_check(options).result
    assert {c["status"] for c in warm["collectors"]} == {"cached"}  # really served from cache
    uncached = run_check(CheckOptions(root=repo, now=NOW, use_cache=False)).result
    assert {c["status"] for c in uncached["collectors"]} == {"ok"}
    assert warm["gate"] == uncached["gate"] == "fail"  # the example is not compliant yet
    assert comparable(warm) == comparable(uncached)
