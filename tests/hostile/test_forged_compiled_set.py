"""A forged compiled policy set: the entry a warm run reads instead of compiling its packs,
edited to set every rule's severity to `info` (so nothing blocks the gate), re-signed with a key
that is not the user's, or replaced by a pickle that would run code when read. Planted in the
user's cache folder and, for good measure, committed in the work tree. The verdict must be
exactly the one `--no-cache` gives, and nothing in a forged entry may run.
"""

from __future__ import annotations

import io
import json
import pickle
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from govgate.core.conditions import Clock
from govgate.core.loader.compiled import _Pickler, _Unpickler
from govgate.core.plugins import Registry
from govgate.run.check import get_registry
from govgate.support.cachekey import CacheKey

from conftest import CliResult, git


def verdict(result: CliResult, repo: Path) -> dict[str, Any]:
    """What decides a gate: the exit code, and the gate, counts and every finding's status and
    severity (or the error, for a run that stops)."""
    if result.exit_code == 2 or not result.stdout.strip():
        return {"exit": result.exit_code, "error": result.stderr.replace(str(repo), "<repo>")}
    document = json.loads(result.stdout)
    return {
        "exit": result.exit_code,
        "gate": document["gate"],
        "summary": document["summary"],
        "findings": sorted(
            (f["rule"], f.get("item") or "", f["status"], f["severity"])
            for f in document["findings"]
        ),
    }


class _RunsCode:
    """Unpickling this creates MARKER: proof that a forged entry was executed."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, ...]:
        return (open, (str(self.marker), "w"))


def _all_info(body: bytes, registry: Registry) -> bytes:
    """The entry's policy set with every rule's severity set to info, pickled again."""
    clock = Clock(datetime(2026, 1, 1, tzinfo=UTC))
    policy_set = _Unpickler(io.BytesIO(body), registry, clock).load()
    for rule in policy_set.rules.values():
        rule.severity = "info"
    buffer = io.BytesIO()
    _Pickler(buffer, registry).dump(policy_set)
    return buffer.getvalue()


def _forge(entry: Path, how: str, marker: Path, registry: Registry) -> bytes:
    tag, _, body = entry.read_bytes().partition(b"\n")
    if how == "edited-keeping-the-tag":
        return tag + b"\n" + _all_info(body, registry)
    if how == "signed-with-the-authors-key":
        author = CacheKey(b"a" * 32)
        forged = _all_info(body, registry)
        return author.sign("govgate compiled policy set v1", entry.name, forged).encode() + (
            b"\n" + forged
        )
    return tag + b"\n" + pickle.dumps(_RunsCode(marker))


@pytest.mark.slow
@pytest.mark.parametrize(
    "how", ["edited-keeping-the-tag", "signed-with-the-authors-key", "code-in-the-pickle"]
)
def test_a_forged_compiled_policy_set_decides_nothing(
    how: str,
    example_repo: Callable[[str], Path],
    run_cli: Callable[..., CliResult],
    _isolated_cache_key: Path,
    tmp_path: Path,
    reliability: Any,
) -> None:
    repo = example_repo("loan-approval")
    assert run_cli("check", repo).exit_code == 1  # the failing example; compiles and keeps
    entries = list((_isolated_cache_key / "policy-sets").glob("*.pickle"))
    assert len(entries) == 1
    entry = entries[0]
    marker = tmp_path / "forged-entry-ran"
    forged = _forge(entry, how, marker, get_registry(()))
    entry.write_bytes(forged)
    planted = repo / ".govgate" / "cache" / "policy-sets" / entry.name
    planted.parent.mkdir(parents=True, exist_ok=True)
    planted.write_bytes(forged)
    git(repo, "add", "-f", ".govgate")
    git(repo, "commit", "-q", "-m", "planted compiled set")

    warm = run_cli("check", repo, "--format", "json")
    cold = run_cli("check", repo, "--no-cache", "--format", "json")

    assert "Traceback" not in warm.output + cold.output
    assert not marker.exists()
    assert verdict(warm, repo) == verdict(cold, repo)
    shown = verdict(warm, repo)
    assert shown["exit"] == 1 and shown["gate"] == "fail"
    reliability.record(
        "forged-compiled-set",
        f"{how}: never read (MAC checked before unpickling), compiled again; "
        f"exit {shown['exit']}, gate {shown['gate']}, {shown['summary']['fail']} fail, "
        "the same as --no-cache",
    )
