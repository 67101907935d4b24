"""The evidence locker as someone with the file would change it: cache entries edited to make
stale evidence fresh, the newest runs deleted and the head rewritten, tombstones forged with
later dates, rows edited until readers crash, exports pointing out of themselves, and
`verify` pointed at files that are no locker. Each is named (exit 1 for a tampered locker,
exit 2 for what is no locker), never served, never a traceback, and verify writes nothing.
"""

from __future__ import annotations

import json
import sqlite3
import zlib
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

import pytest
from locker.harness import (
    PACK,
    T1,
    CountingCollector,
    check,
    forge_sealed_tombstone,
    recorded_ago,
    registry_with,
    schema_1_locker,
)

from govgate.core.collector import CollectContext
from govgate.core.evidence import Evidence, canonical_json, format_timestamp
from govgate.locker.chain import tombstone_hash

from conftest import CliResult, RepoBuilder

CONFIG = "system: {name: tampered, risk: high}\npacks: [./packs/p]\n"
CLI_PACK = """\
pack: p
version: 1.0.0
title: Locker tampering pack
evidence_kinds:
  lt_settings: {collector: config, paths: [settings.yaml]}
requirements:
  - {id: P-1, title: Settings, source: {framework: Test, ref: "1"}}
controls:
  - {id: PC-1, title: The share is high enough, satisfies: [P-1]}
rules:
  - id: PC-1.share
    control: PC-1
    severity: high
    evidence: lt_settings
    assert: {path: share, op: ge, value: 0.9}
    message: "share is {actual}"
    remediation: "raise share in {source.path}"
"""


@pytest.fixture
def repo(make_repo: Callable[..., RepoBuilder]) -> RepoBuilder:
    return make_repo(
        {"govgate.yaml": CONFIG, "packs/p/pack.yaml": CLI_PACK, "settings.yaml": "share: 1\n"}
    )


def locker(repo: RepoBuilder) -> Path:
    return repo.path / ".govgate" / "locker.db"


def sql(repo: RepoBuilder, *statements: str | tuple[str, tuple[Any, ...]]) -> None:
    conn = sqlite3.connect(locker(repo))
    try:
        for statement in statements:
            conn.execute(*statement) if isinstance(statement, tuple) else conn.execute(statement)
        conn.commit()
    finally:
        conn.close()


def checked(run_cli: Callable[..., CliResult], repo: RepoBuilder, times: int) -> str:
    """Run `check` `times` times; the `locker:` line (RUN:HASH) the last report printed."""
    for _ in range(times):
        result = run_cli("check", repo.path)
        assert result.exit_code == 0, result.output
    (line,) = [x for x in result.stderr.splitlines() if x.startswith("locker: ")]
    return line.removeprefix("locker: ")


def last_line(result: CliResult) -> str:
    assert "Traceback" not in result.output
    return result.stderr.strip().splitlines()[-1].removeprefix("govgate: error: ")


def problem_of(result: CliResult) -> str:
    """The problem a failed verify names first (its summary without the count), or the error
    without the temporary path."""
    line = last_line(result)
    if "FAILED" in line:
        return line.split("): ", 1)[1]
    return line.split(": ", 1)[1] if "/" in line.split(": ", 1)[0] else line


# -- edited-cache-entry ------------------------------------------------------------------------


class Dated(CountingCollector):
    """Notes dated 2025-01-01: stale for a 90-day max_age at T1."""

    calls: ClassVar[int] = 0

    def collect(self, ctx: CollectContext) -> Iterable[Evidence]:
        for item in super().collect(ctx):
            yield ctx.evidence(
                item.kind, item.subject, item.data, path=item.source.path, dated="2025-01-01"
            )


def test_a_cache_entry_edited_to_look_fresh_is_never_served(
    make_repo: Callable[..., RepoBuilder], reliability: Any
) -> None:
    from locker.harness import CONFIG as NOTES_CONFIG

    pack = PACK.replace("    evidence: lt_notes\n", "    evidence: lt_notes\n    max_age: 90d\n")
    repo = make_repo(
        {"govgate.yaml": NOTES_CONFIG, "packs/notes/pack.yaml": pack, "notes/a.txt": "one\n"}
    )
    collector = type("Dated", (Dated,), {"calls": 0})
    registry = registry_with(collector)
    stale = check(repo, registry, T1)
    assert stale.result["gate"] == "fail"
    conn = sqlite3.connect(locker(repo))  # the cached items now say: dated yesterday
    for *key, blob in conn.execute(
        "SELECT collector, version, fingerprint, items FROM collector_cache"
    ).fetchall():
        items = json.loads(zlib.decompress(blob))
        for item in items:
            item["dated"] = "2026-03-01"
        conn.execute(
            "UPDATE collector_cache SET items = ? WHERE collector = ? AND version = ? "
            "AND fingerprint = ?",
            (zlib.compress(json.dumps(items).encode()), *key),
        )
    conn.commit()
    conn.close()

    again = check(repo, registry, T1 + timedelta(minutes=1))
    assert again.result["gate"] == "fail"  # collected again: still stale
    assert collector.calls == 2
    (said,) = [d["message"] for d in again.result["diagnostics"]]
    assert "no longer matches its digests (was the locker edited?); collected again" in said
    reliability.record(
        "edited-cache-entry",
        f"`dated` of a cached item edited to look fresh: not served (collected again, gate "
        f"{again.result['gate']}); the run says: {said}",
    )
    conn = sqlite3.connect(locker(repo))
    conn.execute("UPDATE collector_cache SET diagnostics = '{not json'")
    conn.commit()
    conn.close()
    unreadable = check(repo, registry, T1 + timedelta(minutes=2))
    assert unreadable.result["gate"] == "fail" and collector.calls == 3
    assert [d["message"] for d in unreadable.result["diagnostics"]] == [said]
    reliability.record(
        "edited-cache-entry",
        "diagnostics edited into no JSON: no crash, collected again (gate "
        f"{unreadable.result['gate']}), said the same way",
    )


# -- truncated-locker ------------------------------------------------------------------------


def test_deleting_the_newest_runs_is_caught(
    run_cli: Callable[..., CliResult], repo: RepoBuilder, reliability: Any
) -> None:
    checked(run_cli, repo, 2)
    kept = checked(run_cli, repo, 1)  # CI keeps run 3's `locker:` line
    checked(run_cli, repo, 1)
    conn = sqlite3.connect(locker(repo))
    head = conn.execute("SELECT hash FROM runs WHERE seq = 2").fetchone()[0]
    conn.close()
    sql(
        repo,
        "DELETE FROM runs WHERE seq > 2",
        "DELETE FROM run_evidence WHERE seq > 2",
        ("UPDATE meta SET value = '2' WHERE key = 'head_seq'", ()),
        ("UPDATE meta SET value = ? WHERE key = 'head_hash'", (head,)),
    )
    alone = run_cli("verify", repo.path)
    witnessed = run_cli("verify", repo.path, "--witness", kept)
    assert alone.exit_code == 1 and witnessed.exit_code == 1
    assert "the newest runs deleted" in last_line(alone)
    assert "saw run 3, but the locker ends at run 2" in last_line(witnessed)

    sql(repo, "DELETE FROM runs", "DELETE FROM run_evidence", "DELETE FROM meta")
    emptied = run_cli("verify", repo.path)
    emptied_witnessed = run_cli("verify", repo.path, "--witness", kept)
    assert emptied.exit_code == 1 and emptied_witnessed.exit_code == 1
    assert "but no run: they are stored only with a run" in emptied.stderr
    assert "ends at no run at all" in last_line(emptied_witnessed)
    reliability.record(
        "truncated-locker",
        f"runs 3-4 deleted, head rewritten to run 2: verify exit {alone.exit_code}: "
        f"{problem_of(alone)}; with --witness {kept[:14]}…: exit {witnessed.exit_code}: "
        f"{problem_of(witnessed)}",
    )
    reliability.record(
        "truncated-locker",
        f"every run and meta deleted: verify exit {emptied.exit_code}: {problem_of(emptied)}; "
        f"with --witness: exit {emptied_witnessed.exit_code}: {problem_of(emptied_witnessed)}",
    )


# -- forged-tombstone-dated-later ---------------------------------------------------------------


@pytest.mark.parametrize("when", ["future", "after-newest"])
def test_a_forged_tombstone_dated_later_fails_verify(
    make_repo: Callable[..., RepoBuilder],
    monkeypatch: pytest.MonkeyPatch,
    reliability: Any,
    when: str,
) -> None:
    from locker.harness import CONFIG as NOTES_CONFIG
    from locker.harness import fresh_collector

    repo = make_repo({"govgate.yaml": NOTES_CONFIG, "packs/notes/pack.yaml": PACK})
    registry = registry_with(fresh_collector())
    for i, days in enumerate((3, 3, 3, 2)):
        repo.write({"notes/b.txt": f"version {i}\n"})
        with recorded_ago(monkeypatch, timedelta(days=days)):
            check(repo, registry)
    pruned_at = datetime.now(UTC) + (timedelta(days=365) if when == "future" else timedelta())
    conn = sqlite3.connect(locker(repo))
    forge_sealed_tombstone(conn, [3], pruned_at=format_timestamp(pruned_at), retention_days=1)
    conn.commit()
    conn.close()

    from govgate.locker import EvidenceLocker

    with EvidenceLocker.snapshot(locker(repo)) as opened:
        report = opened.verify()
    assert not report.ok and report.first is not None and report.first.run == 3
    expected = "in the future" if when == "future" else "more than an hour after run 4"
    assert expected in report.first.message
    reliability.record(
        "forged-tombstone-dated-later",
        f"{when}: sealed, chained, no run after it: verify fails: run 3: {report.first.message}",
    )


# -- edited-locker-rows -----------------------------------------------------------------------


def test_edited_rows_are_named_not_crashes(
    run_cli: Callable[..., CliResult], repo: RepoBuilder, reliability: Any
) -> None:
    checked(run_cli, repo, 2)
    sql(repo, "UPDATE runs SET evidence_digests = '[\"sha256:' WHERE seq = 1")
    listed = run_cli("locker", "ls", "-C", repo.path)
    sql(repo, "UPDATE runs SET record = x'00ff' WHERE seq = 2")
    shown = run_cli("locker", "show", "2", "-C", repo.path)
    verified = run_cli("verify", repo.path)
    for result in (listed, shown):
        assert result.exit_code == 2
        assert len(result.stderr.strip().splitlines()) == 1
    assert verified.exit_code == 1
    assert "run 1: its evidence list was edited" in last_line(listed)
    assert "run 2: its record was changed after it was stored" in last_line(shown)
    sql(repo, "INSERT INTO run_evidence (seq, digest) VALUES (7, 'sha256:x')")
    leftover = run_cli("verify", repo.path)
    (index,) = [x for x in leftover.stderr.splitlines() if "evidence index still lists" in x]
    reliability.record(
        "edited-locker-rows",
        f"locker ls exit {listed.exit_code}: {problem_of(listed)} | locker show exit "
        f"{shown.exit_code}: {problem_of(shown)} | index rows of a deleted run: verify exit "
        f"{leftover.exit_code}, naming {index.strip()}",
    )


def test_a_prune_edited_after_the_fact_is_named(
    run_cli: Callable[..., CliResult],
    repo: RepoBuilder,
    monkeypatch: pytest.MonkeyPatch,
    reliability: Any,
) -> None:
    # A real prune (runs 40 days old, retention 30), then: the pruned run's evidence index put
    # back, and the tombstone's evidence_removed made no count (resealed, chained, meta moved).
    with recorded_ago(monkeypatch, timedelta(days=40)):
        checked(run_cli, repo, 2)
    repo.write({"govgate.yaml": CONFIG + "retention_days: 30\n"})
    checked(run_cli, repo, 1)
    assert run_cli("verify", repo.path).stderr.startswith("locker OK: 3 runs (2 pruned)")
    conn = sqlite3.connect(locker(repo))
    digest = conn.execute("SELECT digest FROM evidence LIMIT 1").fetchone()[0]
    conn.close()
    sql(repo, ("INSERT INTO run_evidence (seq, digest) VALUES (1, ?)", (digest,)))
    index = run_cli("verify", repo.path)
    sql(repo, "DELETE FROM run_evidence WHERE seq = 1")
    conn = sqlite3.connect(locker(repo))
    (text,) = conn.execute("SELECT document FROM tombstones").fetchone()
    document = {**json.loads(text), "evidence_removed": "all of it"}
    sealed = tombstone_hash(document)
    conn.execute(
        "UPDATE tombstones SET document = ?, hash = ?, evidence_removed = 'all of it'",
        (canonical_json(document).decode(), sealed),
    )
    conn.execute("UPDATE meta SET value = ? WHERE key = 'tombstone_head'", (sealed,))
    conn.commit()
    conn.close()
    removed = run_cli("verify", repo.path)
    assert index.exit_code == removed.exit_code == 1
    assert "run 1: is marked pruned, but its evidence index was left in place" in index.stderr
    assert "states evidence_removed 'all of it', not a count" in last_line(removed)
    reliability.record(
        "edited-locker-rows",
        f"index rows put back for a pruned run: verify exit {index.exit_code}: "
        f"{problem_of(index)} | evidence_removed resealed as a string: verify exit "
        f"{removed.exit_code}: {problem_of(removed)}",
    )


# -- verify-writes-nothing -----------------------------------------------------------------------


def test_verify_writes_nothing(
    run_cli: Callable[..., CliResult], tmp_path: Path, repo: RepoBuilder, reliability: Any
) -> None:
    folder = tmp_path / "old"
    folder.mkdir()
    starts = ["2026-01-01T10:00:00Z", "2026-01-02T10:00:00Z", "2026-03-01T10:00:00Z"]
    schema_1_locker(folder / "locker.db", starts, pruned=[1], pruned_at="2026-03-01T10:00:05Z")
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    old = run_cli("verify", folder / "locker.db")
    assert old.exit_code == 0, old.output
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before

    checked(run_cli, repo, 1)
    reader = sqlite3.connect(locker(repo))  # keeps the log: runs 2-3 stay in the WAL
    reader.execute("SELECT 1 FROM runs").fetchone()
    try:
        checked(run_cli, repo, 2)
        wal = Path(f"{locker(repo)}-wal")
        main, log = locker(repo).read_bytes(), wal.read_bytes()
        live = run_cli("verify", repo.path)
        assert live.exit_code == 0 and live.stderr.startswith("locker OK: 3 runs")
        assert (locker(repo).read_bytes(), wal.read_bytes()) == (main, log)
    finally:
        reader.close()
    reliability.record(
        "verify-writes-nothing",
        "schema-1 locker: verified in a private copy (migrated there), file and folder "
        "unchanged, schema still 1; live locker with runs in its WAL: all 3 runs read, locker "
        "and log unchanged",
    )


# -- not-a-locker ---------------------------------------------------------------------------------


def test_files_and_devices_that_are_no_locker(
    run_cli: Callable[..., CliResult], repo: RepoBuilder, reliability: Any
) -> None:
    observed = []
    for target in ("/etc/passwd", "/dev/null", "/dev/zero"):
        result = run_cli("verify", target)
        assert result.exit_code == 2 and "mv " not in result.stderr
        observed.append(f"verify {target}: exit 2: {last_line(result).split(';')[0]}")
    beside = [Path("/dev/null-journal"), Path("/dev/null-wal"), Path("/dev/cache")]
    repo.write({"govgate.yaml": CONFIG + "locker: /dev/null\n"})
    result = run_cli("check", repo.path)
    assert result.exit_code == 2 and "disk" not in result.stderr
    assert not any(p.exists() for p in beside)
    observed.append(f"locker: /dev/null, check: exit 2: {last_line(result)}; nothing beside")
    reliability.record("not-a-locker", " | ".join(observed))


# -- malformed-export -------------------------------------------------------------------------


def test_a_malformed_or_escaping_export(
    run_cli: Callable[..., CliResult], repo: RepoBuilder, tmp_path: Path, reliability: Any
) -> None:
    checked(run_cli, repo, 2)
    out = tmp_path / "export"
    assert run_cli("locker", "export", out, "--repo", repo.path).exit_code == 0
    pristine = (out / "manifest.json").read_text()
    manifest = json.loads(pristine)
    del manifest["runs"][1]["prev_hash"]
    (out / "manifest.json").write_text(json.dumps(manifest))
    malformed = run_cli("verify", out)
    manifest = json.loads(pristine)
    entry = manifest["evidence"][0]
    (tmp_path / "outside.json").write_bytes((out / entry["file"]).read_bytes())
    entry["file"] = "../outside.json"
    (out / "manifest.json").write_text(json.dumps(manifest))
    escaping = run_cli("verify", out)
    assert malformed.exit_code == 1 and escaping.exit_code == 1
    assert "run 2: the manifest lists it without prev_hash" in last_line(malformed)
    assert "'../outside.json', outside the export: not read" in last_line(escaping)
    reliability.record(
        "malformed-export",
        f"run without prev_hash: exit 1: {problem_of(malformed)} | a file named "
        f"../outside.json: exit 1: evidence sha256:… (…) "
        f"{problem_of(escaping).split(') ', 1)[1]}",
    )
