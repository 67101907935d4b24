"""The compiled-policy-set cache: a warm run reads its policy set back instead of compiling it,
decides exactly what a run without caches decides, and still reads the run's `now` when it
evaluates (a compiled set from yesterday judges today's freshness by today's date)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

import govgate.core.loader as loader
import govgate.core.loader.compile as compiler
from govgate.run.check import CheckOptions, run_check

REVIEW_PACK = """\
pack: p
version: 1.0.0
title: Review dates
evidence_kinds:
  review:
    collector: config
    paths: [review.yaml]
requirements:
  - {id: T-1, title: Reviewed, source: {framework: Test, ref: "1"}}
controls:
  - {id: C-1, title: Reviewed recently, satisfies: [T-1]}
rules:
  - id: C-1.recent
    control: C-1
    severity: SEVERITY
    evidence: review
    assert: {path: reviewed, op: newer_than, value: 1d}
    message: "the review is older than a day"
    remediation: "review again"
  - id: C-1.age
    control: C-1
    severity: high
    evidence: review
    assert: {path: "age_days(reviewed)", op: le, value: 1}
    message: "the review is {actual} days old"
    remediation: "review again"
"""
REVIEWED = "2026-03-01T12:00:00Z"


def _review_repo(make_repo: Callable[..., Any]) -> Path:
    path: Path = make_repo(
        {
            "govgate.yaml": "system: {name: s, risk: high}\npacks: [./packs/p]\n",
            "packs/p/pack.yaml": REVIEW_PACK.replace("SEVERITY", "high"),
            "review.yaml": f'reviewed: "{REVIEWED}"\n',
        }
    ).path
    return path


def _no_compiling(monkeypatch: pytest.MonkeyPatch) -> None:
    """From here on a run that compiles its packs fails: it must use the compiled cache."""

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("compiled the packs although the compiled set was cached")

    monkeypatch.setattr(compiler, "compile_policy_set", refuse)


def _statuses(repo: Path, now: datetime) -> dict[str, str]:
    result = run_check(CheckOptions(root=repo, now=now)).result
    return {f["rule"]: f["status"] for f in result["findings"]}


def test_a_cached_compiled_set_reads_the_runs_now_when_it_evaluates(
    make_repo: Callable[..., Any], monkeypatch: pytest.MonkeyPatch, _isolated_cache_key: Path
) -> None:
    repo = _review_repo(make_repo)
    # Compiled on the day before the review: a review date after now is refused (its age is
    # negative, which `le 1` takes).
    before = _statuses(repo, datetime(2026, 3, 1, 0, 0, tzinfo=UTC))
    assert before == {"C-1.recent": "error", "C-1.age": "pass"}
    assert len(list((_isolated_cache_key / "policy-sets").glob("*.pickle"))) == 1

    _no_compiling(monkeypatch)
    # Half a day after the review the evidence is fresh; a day and a half after, stale.
    assert _statuses(repo, datetime(2026, 3, 2, 0, 0, tzinfo=UTC)) == {
        "C-1.recent": "pass",
        "C-1.age": "pass",
    }
    assert _statuses(repo, datetime(2026, 3, 3, 0, 0, tzinfo=UTC)) == {
        "C-1.recent": "fail",
        "C-1.age": "fail",
    }


def test_an_edited_pack_is_compiled_again(
    make_repo: Callable[..., Any], _isolated_cache_key: Path
) -> None:
    repo = _review_repo(make_repo)
    now = datetime(2026, 3, 3, 0, 0, tzinfo=UTC)
    first = run_check(CheckOptions(root=repo, now=now)).result
    assert {f["rule"]: f["severity"] for f in first["findings"]}["C-1.recent"] == "high"
    pack = repo / "packs" / "p" / "pack.yaml"
    pack.write_text(REVIEW_PACK.replace("SEVERITY", "low"), encoding="utf-8")

    second = run_check(CheckOptions(root=repo, now=now)).result

    assert {f["rule"]: f["severity"] for f in second["findings"]}["C-1.recent"] == "low"
    assert len(list((_isolated_cache_key / "policy-sets").glob("*.pickle"))) == 2


def test_without_the_cache_nothing_is_kept(
    make_repo: Callable[..., Any], _isolated_cache_key: Path
) -> None:
    repo = _review_repo(make_repo)
    now = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)
    run_check(CheckOptions(root=repo, now=now, use_cache=False))
    assert not (_isolated_cache_key / "policy-sets").exists()


def _comparable(result: dict[str, Any]) -> str:
    """govgate.json less what differs between two runs by design (when, its locker place, and
    how each collector got its output)."""
    document = json.loads(json.dumps(result))
    for key in ("started_at", "finished_at", "id", "hash"):
        document["run"].pop(key, None)
    for run in document["collectors"]:
        run.pop("status")
        run.pop("seconds")
    return json.dumps(document, indent=2, sort_keys=True)


@pytest.mark.slow
def test_a_run_on_a_cached_compiled_set_gives_the_result_of_no_cache(
    example_repo: Callable[[str], Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = example_repo("loan-approval")
    now = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
    run_check(CheckOptions(root=repo, now=now))  # compiles and keeps the compiled set
    uncached = run_check(CheckOptions(root=repo, now=now, use_cache=False)).result
    _no_compiling(monkeypatch)

    warm = run_check(CheckOptions(root=repo, now=now)).result

    assert warm["gate"] == uncached["gate"] == "fail"  # the example is not compliant yet
    assert _comparable(warm) == _comparable(uncached)


def _compiled_inputs(repo: Path) -> tuple[Any, Any, Any, Any]:
    from govgate.core.config import load_config
    from govgate.core.loader.compiled import CompiledSetCache
    from govgate.core.loader.problems import Problems
    from govgate.core.loader.read import read_packs
    from govgate.run.check import get_registry

    registry = get_registry(())
    config = load_config(repo)
    loaded = read_packs(config.packs, registry, config, Problems(), None)
    cache = CompiledSetCache.open()
    assert cache is not None
    return cache, registry, config, loaded


def test_an_operator_no_longer_installed_makes_the_entry_a_miss(
    make_repo: Callable[..., Any],
) -> None:
    from dataclasses import replace

    from govgate.core.conditions import Clock

    repo = _review_repo(make_repo)
    now = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)
    cache, registry, config, loaded = _compiled_inputs(repo)
    loader.load_policy_set(registry, config, now=now, cache_dir=repo / ".govgate" / "cache")
    inputs = cache.inputs_digest(loaded, registry, config, {})
    assert inputs is not None
    assert cache.get(inputs, registry, Clock(now)) is not None
    without = replace(
        registry, operators={k: v for k, v in registry.operators.items() if k != "le"}
    )

    assert cache.get(inputs, without, Clock(now)) is None


def test_an_edit_to_govgates_core_code_changes_the_key(
    make_repo: Callable[..., Any], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Every file of govgate.core counts, also one no run imported yet (the compiler is
    imported only when compiling)."""
    import govgate.core.loader.compiled as compiled

    repo = _review_repo(make_repo)
    cache, registry, config, loaded = _compiled_inputs(repo)
    core = tmp_path / "core"
    (core / "loader").mkdir(parents=True)
    (core / "policy.py").write_text("X = 1\n", encoding="utf-8")
    (core / "loader" / "rules.py").write_text("Y = 1\n", encoding="utf-8")
    monkeypatch.setattr(compiled, "__file__", str(core / "loader" / "compiled.py"))
    before = cache.inputs_digest(loaded, registry, config, {})
    (core / "loader" / "rules.py").write_text("Y = 22\n", encoding="utf-8")

    assert cache.inputs_digest(loaded, registry, config, {}) != before


@pytest.mark.slow
def test_the_commit_hook_reuses_the_compiled_set_of_its_snapshots(
    make_repo: Callable[..., Any],
    run_cli: Callable[..., Any],
    monkeypatch: pytest.MonkeyPatch,
    _isolated_cache_key: Path,
) -> None:
    """Each hook run checks the staged files written out in a new folder: with installed
    packs, the compiled set does not depend on that folder and is compiled once."""
    repo = make_repo(
        {"govgate.yaml": "system: {name: s, risk: high}\npacks: [human-oversight]\n"}
    ).path
    first = run_cli("hook", "run", "--stage", "pre-commit", repo)
    assert first.exit_code == 1, first.output  # nothing of the oversight evidence exists
    _no_compiling(monkeypatch)

    second = run_cli("hook", "run", "--stage", "pre-commit", repo)

    assert second.exit_code == 1 and second.stderr == first.stderr
    assert len(list((_isolated_cache_key / "policy-sets").glob("*.pickle"))) == 1


class _Opens:
    """Unpickling this would create MARKER."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, ...]:
        return (open, (str(self.marker), "w"))


def test_even_a_signed_entry_runs_no_code(make_repo: Callable[..., Any], tmp_path: Path) -> None:
    """Signed with the user's own key (as a bug, or a leaked key, could produce), an entry that
    names anything but the pieces of a policy set is a miss, and nothing in it runs."""
    import pickle

    from govgate.core.conditions import Clock
    from govgate.core.loader.compiled import _PURPOSE
    from govgate.support.cachekey import load_key

    repo = _review_repo(make_repo)
    cache, registry, config, loaded = _compiled_inputs(repo)
    inputs = cache.inputs_digest(loaded, registry, config, {})
    assert inputs is not None
    key = load_key()
    assert key is not None
    marker = tmp_path / "ran"
    body = pickle.dumps(_Opens(marker))
    entry = cache._entry(inputs)
    entry.parent.mkdir(parents=True, exist_ok=True)
    entry.write_bytes(key.sign(_PURPOSE, entry.name, inputs, body).encode() + b"\n" + body)

    assert cache.get(inputs, registry, Clock(datetime(2026, 3, 2, tzinfo=UTC))) is None
    assert not marker.exists()


def test_an_edit_to_an_installed_pack_changes_the_key(
    make_repo: Callable[..., Any], tmp_path: Path
) -> None:
    """With installed packs only, the key is taken before reading them: each file's identity
    (inode, size, times) stands for its content, and a rewrite changes it."""
    from dataclasses import replace

    repo = _review_repo(make_repo)
    cache, registry, config, _ = _compiled_inputs(repo)
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "pack.yaml").write_text(REVIEW_PACK.replace("SEVERITY", "high"), encoding="utf-8")
    installed = replace(registry, packs={**registry.packs, "mine": folder})
    before = cache.installed_inputs_digest(["mine"], installed, config, {})
    assert before == cache.installed_inputs_digest(["mine"], installed, config, {})
    (folder / "pack.yaml").write_text(REVIEW_PACK.replace("SEVERITY", "low!"), encoding="utf-8")

    assert cache.installed_inputs_digest(["mine"], installed, config, {}) != before
    assert cache.installed_inputs_digest(["gdpr"], installed, config, {}) != before
