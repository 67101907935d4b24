"""The collector cache and freshness, and the validated-pack cache next to the locker."""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterable
from datetime import timedelta
from pathlib import Path
from typing import ClassVar

import pytest
from locker.harness import (
    PACK,
    T1,
    CountingCollector,
    check,
    collector_status,
    db,
    fresh_collector,
    open_locker,
    registry_with,
)

from govgate.core.collector import CollectContext
from govgate.core.evidence import Evidence


def test_unchanged_inputs_hit_the_cache_and_keep_their_collected_at(notes_repo) -> None:
    repo = notes_repo()
    collector = fresh_collector()
    registry = registry_with(collector)
    first = check(repo, registry, T1)
    second = check(repo, registry, T1 + timedelta(hours=5))

    assert collector_status(first) == "ok"
    assert collector_status(second) == "cached"
    assert collector.calls == 1
    assert {e["collected_at"] for e in second.result["evidence"]} == {"2026-03-02T09:00:00Z"}
    assert second.result["summary"] == first.result["summary"]
    assert [e["digest"] for e in second.result["evidence"]] == [
        e["digest"] for e in first.result["evidence"]
    ]


def test_a_one_byte_change_misses_the_cache(notes_repo) -> None:
    repo = notes_repo()
    collector = fresh_collector()
    registry = registry_with(collector)
    check(repo, registry)
    content = (repo.path / "notes/b.txt").read_bytes()
    (repo.path / "notes/b.txt").write_bytes(content[:-2] + b"E\n")  # same size, one byte
    again = check(repo, registry, T1 + timedelta(minutes=1))

    assert collector_status(again) == "ok"
    assert collector.calls == 2


def test_a_collector_version_bump_misses_the_cache(notes_repo) -> None:
    repo = notes_repo()
    check(repo, registry_with(fresh_collector()))
    bumped = fresh_collector(version="1.0.1")
    again = check(repo, registry_with(bumped), T1 + timedelta(minutes=1))

    assert collector_status(again) == "ok"
    assert bumped.calls == 1
    assert {e["collector"]["version"] for e in again.result["evidence"]} == {"1.0.1"}


def test_a_govgate_upgrade_misses_the_cache(notes_repo, monkeypatch: pytest.MonkeyPatch) -> None:
    # Collectors share govgate's parsing and masking: a new govgate must not serve old output.
    repo = notes_repo()
    collector = fresh_collector()
    registry = registry_with(collector)
    check(repo, registry)
    monkeypatch.setattr("govgate.run.collect.__version__", "99.0.0")
    again = check(repo, registry, T1 + timedelta(minutes=1))

    assert collector_status(again) == "ok"
    assert collector.calls == 2


def test_no_cache_collects_again_but_still_records_the_run(notes_repo) -> None:
    repo = notes_repo()
    collector = fresh_collector()
    registry = registry_with(collector)
    check(repo, registry)
    with db(repo) as conn:
        before = conn.execute("SELECT collected_at FROM collector_cache").fetchall()
    again = check(repo, registry, T1 + timedelta(minutes=1), use_cache=False)

    assert collector_status(again) == "ok"
    assert collector.calls == 2
    with db(repo) as conn:  # neither read nor written
        assert conn.execute("SELECT collected_at FROM collector_cache").fetchall() == before
    assert again.result["run"]["id"] == 2


def test_no_locker_writes_nothing(notes_repo) -> None:
    repo = notes_repo()
    registry = registry_with(fresh_collector())
    outcome = check(repo, registry, use_locker=False)
    assert not (repo.path / ".govgate").exists()
    assert "id" not in outcome.result["run"]

    check(repo, registry)
    before = state_of(repo.path / ".govgate")
    assert "locker.db" in before and any(name.startswith("cache/packs/") for name in before)
    check(repo, registry, T1 + timedelta(minutes=1), use_locker=False)
    assert state_of(repo.path / ".govgate") == before


def state_of(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Every file under `folder` with its bytes and modification time."""
    return {
        str(f.relative_to(folder)): (f.read_bytes(), f.stat().st_mtime_ns)
        for f in sorted(folder.rglob("*"))
        if f.is_file()
    }


def test_cached_output_older_than_the_collector_ttl_is_collected_again(notes_repo) -> None:
    repo = notes_repo()
    collector = fresh_collector(ttl=timedelta(hours=1))
    registry = registry_with(collector)
    check(repo, registry, T1)
    within = check(repo, registry, T1 + timedelta(minutes=30))
    expired = check(repo, registry, T1 + timedelta(hours=2))

    assert collector_status(within) == "cached"
    assert collector_status(expired) == "ok"
    assert collector.calls == 2
    assert {e["collected_at"] for e in expired.result["evidence"]} == {"2026-03-02T11:00:00Z"}


def test_max_age_on_undated_evidence_is_an_error_fresh_or_cached(notes_repo) -> None:
    # The notes carry no date of their own: their age would be the collection time, always
    # fresh, so max_age cannot be checked, whether they were just collected or come cached.
    pack = PACK.replace("    evidence: lt_notes\n", "    evidence: lt_notes\n    max_age: 1d\n")
    repo = notes_repo(pack=pack)
    collector = fresh_collector()
    registry = registry_with(collector)
    first = check(repo, registry, T1)
    cached = check(repo, registry, T1 + timedelta(minutes=30))

    assert collector_status(cached) == "cached"
    for outcome in (first, cached):
        assert outcome.result["summary"]["error"] == 2
        assert outcome.result["gate"] == "fail"
        assert all("carries no date of its own" in f["message"] for f in outcome.result["findings"])


def test_stale_evidence_still_fails_with_its_age_and_source(notes_repo) -> None:
    """Freshness is the evaluator's: a dated item older than max_age fails, cache or not."""

    class Dated(CountingCollector):
        calls: ClassVar[int] = 0

        def collect(self, ctx: CollectContext) -> Iterable[Evidence]:
            for item in super().collect(ctx):
                yield ctx.evidence(
                    item.kind, item.subject, item.data, path=item.source.path, dated="2025-01-01"
                )

    pack = PACK.replace("    evidence: lt_notes\n", "    evidence: lt_notes\n    max_age: 90d\n")
    repo = notes_repo(pack=pack)
    registry = registry_with(Dated)
    check(repo, registry, T1)
    outcome = check(repo, registry, T1 + timedelta(minutes=1))

    assert collector_status(outcome) == "cached"
    messages = [f["message"] for f in outcome.result["findings"]]
    assert all(m.startswith("stale evidence: notes/") for m in messages), messages
    assert "dated 2025-01-01; max_age 90d" in messages[0]


def test_edited_cached_evidence_is_a_miss_and_verify_reports_it(notes_repo) -> None:
    repo = notes_repo()
    collector = fresh_collector()
    registry = registry_with(collector)
    check(repo, registry)
    with db(repo) as conn:
        conn.execute("UPDATE evidence SET data = '{\"lines\":7}' WHERE subject = 'notes/a.txt'")
    again = check(repo, registry, T1 + timedelta(minutes=1))

    assert collector_status(again) == "ok"  # never served the edited item
    with open_locker(repo) as locker:
        report = locker.verify()
    assert not report.ok
    assert report.first is not None and report.first.run == 1
    assert "notes/a.txt" in str(report.first)


def test_the_cache_keeps_the_16_latest_entries_per_collector(notes_repo) -> None:
    repo = notes_repo()
    registry = registry_with(fresh_collector())
    for i in range(18):
        (repo.path / "notes/b.txt").write_text(f"version {i}\n")
        check(repo, registry, T1 + timedelta(minutes=i))
    with db(repo) as conn:
        kept = conn.execute("SELECT count(*) FROM collector_cache").fetchone()[0]
        evidence = conn.execute("SELECT count(*) FROM evidence").fetchone()[0]
    assert kept == 16
    assert evidence == 19  # notes/a.txt once, notes/b.txt 18 times: runs still cite them all
    with open_locker(repo) as locker:
        assert locker.verify().ok


# -- the validated-pack cache --------------------------------------------------------------


def test_validated_pack_files_are_reused_on_warm_runs(notes_repo) -> None:
    repo = notes_repo()
    registry = registry_with(fresh_collector())
    first = check(repo, registry)
    entries = state_of(repo.path / ".govgate" / "cache" / "packs")
    assert len(entries) == 1  # packs/notes/pack.yaml
    # The first line is the entry's HMAC under the user's cache key, then the JSON body.
    tag, body = next(iter(entries.values()))[0].split(b"\n", 1)
    assert len(tag) == 64
    stored = json.loads(body)
    assert stored["data"]["pack"] == "notes"
    assert stored["lines"]["/rules/0"] == 17

    second = check(repo, registry, T1 + timedelta(minutes=1))
    assert state_of(repo.path / ".govgate" / "cache" / "packs") == entries  # read, not rewritten
    assert second.result["findings"] == first.result["findings"]
    assert second.policy_set.order == first.policy_set.order
    rule = second.policy_set.rules["LT-1.not-empty"]
    assert str(rule.origin) == "packs/notes/pack.yaml:17"


def test_pack_errors_are_identical_with_and_without_the_pack_cache(run_cli, notes_repo) -> None:
    repo = notes_repo()
    registry = registry_with(fresh_collector())
    check(repo, registry)  # the clean pack is cached
    pack = repo.path / "packs/notes/pack.yaml"
    pack.write_text(PACK.replace("    severity: high", "    sevrity: high"))

    warm = run_cli("check", repo.path)
    cold = run_cli("check", repo.path, "--no-cache")
    assert warm.exit_code == cold.exit_code == 2
    assert warm.stderr == cold.stderr
    assert "packs/notes/pack.yaml:19: $.rules[0].sevrity: unknown key" in warm.stderr
    assert len(state_of(repo.path / ".govgate" / "cache" / "packs")) == 1  # errors never cached


# -- the collector cache is authenticated by the user's cache key ----------------------------


def _edit_cache_entries(repo, change) -> None:
    """Rewrite every cache entry the way someone with the file would: decode its item list,
    edit it, its diagnostics or its collected_at, re-encode; digests and evidence rows stay."""
    with db(repo) as conn:
        rows = conn.execute(
            "SELECT collector, version, fingerprint, items, diagnostics, collected_at "
            "FROM collector_cache"
        ).fetchall()
        for *key, blob, diagnostics, collected_at in rows:
            items = json.loads(zlib.decompress(blob))
            diagnostics, collected_at = change(items, diagnostics, collected_at)
            conn.execute(
                "UPDATE collector_cache SET items = ?, diagnostics = ?, collected_at = ? "
                "WHERE collector = ? AND version = ? AND fingerprint = ?",
                (zlib.compress(json.dumps(items).encode()), diagnostics, collected_at, *key),
            )


def _item(field: str, value: object):
    def change(items: list[dict], diagnostics: str, collected_at: str) -> tuple[str, str]:
        for item in items:
            if field == "source.path":
                item["source"]["path"] = value
            else:
                item[field] = value
        return diagnostics, collected_at

    return change


@pytest.mark.parametrize(
    "change",
    [
        _item("dated", "2099-01-01"),
        _item("collected_at", "2099-01-01T00:00:00Z"),
        _item("source.path", "notes/elsewhere.txt"),
        lambda items, diagnostics, at: (diagnostics, "2099-01-01T00:00:00Z"),
        lambda items, diagnostics, at: (
            '[{"collector": "x", "path": "y", "line": 1, "message": "planted", "level": "info"}]',
            at,
        ),
        lambda items, diagnostics, at: ("{not json", at),
    ],
    ids=[
        "dated",
        "item-collected_at",
        "source",
        "entry-collected_at",
        "diagnostics",
        "diagnostics-unreadable",
    ],
)
def test_an_edited_cache_entry_is_never_served_and_is_said(notes_repo, change) -> None:
    # Everything a cache hit serves back is under the entry's MAC, not just the item data:
    # an edited date, source or diagnostic is collected again, and the run says the locker
    # was edited (before, each of these was served, and `verify` said the locker was OK).
    repo = notes_repo()
    collector = fresh_collector()
    registry = registry_with(collector)
    first = check(repo, registry)
    _edit_cache_entries(repo, change)
    again = check(repo, registry, T1 + timedelta(minutes=1))

    assert collector_status(again) == "ok"
    assert collector.calls == 2
    assert again.result["evidence"] == [
        {**entry, "collected_at": "2026-03-02T09:01:00Z"} for entry in first.result["evidence"]
    ]
    said = [d["message"] for d in again.result["diagnostics"]]
    assert any("cached output of collector 'lt-counting' no longer matches" in m for m in said)


def test_an_entry_another_key_wrote_is_collected_again_quietly(
    notes_repo, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # A locker copied from another machine (or committed by someone else): their entries are
    # not ours to trust, nor a sign of tampering; ours replace them and are used next time.
    repo = notes_repo()
    collector = fresh_collector()
    registry = registry_with(collector)
    monkeypatch.setenv("GOVGATE_CACHE_DIR", str(tmp_path / "their-cache"))
    check(repo, registry)
    monkeypatch.setenv("GOVGATE_CACHE_DIR", str(tmp_path / "our-cache"))
    ours = check(repo, registry, T1 + timedelta(minutes=1))
    again = check(repo, registry, T1 + timedelta(minutes=2))

    assert collector_status(ours) == "ok" and collector_status(again) == "cached"
    assert collector.calls == 2
    assert ours.result["diagnostics"] == []
    with open_locker(repo) as locker:
        assert locker.verify().ok  # the replaced entry's evidence went with it


def test_without_a_usable_key_nothing_is_cached(
    notes_repo, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A cache directory inside the repository could be committed with a key of the author's
    # choosing: refused, so the run caches nothing (and still records itself).
    repo = notes_repo()
    monkeypatch.setenv("GOVGATE_CACHE_DIR", str(repo.path / ".cache"))
    collector = fresh_collector()
    registry = registry_with(collector)
    check(repo, registry)
    again = check(repo, registry, T1 + timedelta(minutes=1))

    assert collector_status(again) == "ok" and collector.calls == 2
    assert again.result["run"]["id"] == 2
    assert not (repo.path / ".govgate" / "cache").exists()  # no pack cache, no marks
    with db(repo) as conn:
        assert conn.execute("SELECT count(*) FROM collector_cache").fetchone() == (0,)


def test_an_entry_without_a_mac_is_collected_again_quietly(notes_repo) -> None:
    # As schema 2 wrote them, before the cache was authenticated.
    repo = notes_repo()
    collector = fresh_collector()
    registry = registry_with(collector)
    check(repo, registry)
    with db(repo) as conn:
        conn.execute("UPDATE collector_cache SET mac = NULL")
    again = check(repo, registry, T1 + timedelta(minutes=1))
    assert collector_status(again) == "ok" and collector.calls == 2
    assert again.result["diagnostics"] == []


def test_an_edited_pack_cache_entry_is_parsed_again(notes_repo) -> None:
    repo = notes_repo()
    registry = registry_with(fresh_collector())
    check(repo, registry)
    (entry,) = (repo.path / ".govgate" / "cache" / "packs").iterdir()
    tag, body = entry.read_bytes().split(b"\n", 1)
    entry.write_bytes(tag + b"\n" + body.replace(b'"severity": "high"', b'"severity": "info"'))
    again = check(repo, registry, T1 + timedelta(minutes=1))
    assert again.policy_set.rules["LT-1.not-empty"].severity == "high"
    assert entry.read_bytes().split(b"\n", 1)[1] == body  # written again as it should be
