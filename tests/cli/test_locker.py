"""`govgate collect`, `verify` and `locker ls|show|export` as a user runs them.

Tampering is done the way someone with file access would do it (plain SQL on the file), and
crashes, concurrency and a full disk are real processes: SIGKILL, parallel `govgate check`,
and a file-size limit (RLIMIT_FSIZE) that makes the write fail like ENOSPC does.
"""

from __future__ import annotations

import json
import os
import resource
import signal
import sqlite3
import subprocess
import sys
import time
import zlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from locker.harness import recorded_ago

from govgate.locker import EvidenceLocker, ledger_step

from conftest import CliResult, RepoBuilder

CONFIG = """\
system: {name: locker-demo, risk: high}
packs: [./packs/p]
"""

PACK = """\
pack: p
version: 1.0.0
title: Locker test pack
evidence_kinds:
  lt_settings:
    collector: config
    paths: [settings.yaml]
  lt_dpia:
    collector: files
    paths: [docs/dpia.md]
requirements:
  - id: LT-REQ-1
    title: A requirement
    source: {framework: Test, ref: "Art. 1"}
controls:
  - id: LT-C-1
    title: A control
    satisfies: [LT-REQ-1]
rules:
  - id: LT-C-1.share
    control: LT-C-1
    severity: high
    evidence: lt_settings
    assert: {path: share, op: ge, value: 0.9}
    message: "share is {actual}, needs {value}"
    remediation: "raise share in {source.path}"
  - id: LT-C-1.dpia
    control: LT-C-1
    severity: high
    evidence: lt_dpia
    assert: {path: count, op: ge, value: 1}
    message: "no DPIA"
    remediation: "write docs/dpia.md"
"""

BULK_PACK = """\
pack: bulk
version: 1.0.0
title: Many service configs
evidence_kinds:
  lt_bulk_config:
    collector: config
    paths: ["configs/**/*.yaml"]
requirements:
  - id: LT-REQ-2
    title: Services are audited
    source: {framework: Test, ref: "2"}
controls:
  - id: LT-C-2
    title: Every service enables auditing
    satisfies: [LT-REQ-2]
rules:
  - id: LT-C-2.audit
    control: LT-C-2
    severity: high
    evidence: lt_bulk_config
    assert: {path: audit, op: eq, value: true}
    message: "{source.path}: audit is {actual}"
    remediation: "set audit: true in {source.path}"
"""


@pytest.fixture
def repo(make_repo: Callable[..., RepoBuilder]) -> RepoBuilder:
    return make_repo(
        {
            "govgate.yaml": CONFIG,
            "packs/p/pack.yaml": PACK,
            "settings.yaml": "share: 0.95\nowner: risk team\n",
            "docs/dpia.md": "# DPIA\n\nThe assessment.\n",
        }
    )


def locker_file(repo: RepoBuilder | Path) -> Path:
    root = repo if isinstance(repo, Path) else repo.path
    return root / ".govgate" / "locker.db"


def runs_with_checks(run_cli: Callable[..., CliResult], repo: RepoBuilder, n: int) -> None:
    for _ in range(n):
        result = run_cli("check", repo.path)
        assert result.exit_code == 0, result.output


def sql(repo: RepoBuilder, *statements: str | tuple[str, tuple[Any, ...]]) -> None:
    conn = sqlite3.connect(locker_file(repo))
    try:
        for statement in statements:
            if isinstance(statement, tuple):
                conn.execute(*statement)
            else:
                conn.execute(statement)
        conn.commit()
    finally:
        conn.close()


def govgate(*args: str | Path, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    """The real CLI in its own process (the tests' environment: plugin autoload off)."""
    return subprocess.run(
        [sys.executable, "-m", "govgate.cli.main", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        **kwargs,
    )


def records(path: Path) -> dict[int, dict[str, Any]]:
    with EvidenceLocker.open(path, create=False) as locker:
        return {run.seq: locker.show(run.seq) for run in locker.runs()}


# -- verify ----------------------------------------------------------------------------------


def test_verify_passes_with_a_one_line_summary(run_cli, repo) -> None:
    runs_with_checks(run_cli, repo, 2)
    result = run_cli("verify", repo.path)

    assert result.exit_code == 0, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    # the two files and the git sign-off record every recorded run keeps
    assert lines[0].startswith("locker OK: 2 runs, 3 evidence items, head run 2 sha256:")


def test_one_changed_byte_of_evidence_fails_naming_run_and_item(run_cli, repo) -> None:
    runs_with_checks(run_cli, repo, 2)
    conn = sqlite3.connect(locker_file(repo))
    digest, data = conn.execute(
        "SELECT digest, data FROM evidence WHERE kind = 'lt_settings'"
    ).fetchone()
    conn.close()
    assert '"share":0.95' in data
    sql(
        repo,
        ("UPDATE evidence SET data = ? WHERE digest = ?", (data.replace("0.95", "0.85"), digest)),
    )

    result = run_cli("verify", repo.path)
    assert result.exit_code == 1
    summary = result.stderr.strip().splitlines()[-1]
    assert summary.startswith("locker verification FAILED")
    assert (
        f"run 1: evidence {digest} (kind lt_settings, subject settings.yaml) was changed" in summary
    )


def test_a_deleted_run_is_named(run_cli, repo) -> None:
    runs_with_checks(run_cli, repo, 3)
    sql(repo, "DELETE FROM runs WHERE seq = 2")

    result = run_cli("verify", repo.path)
    assert result.exit_code == 1
    assert "FAILED" in result.stderr
    assert (
        result.stderr.strip()
        .splitlines()[-1]
        .endswith("run 2: is missing: run 2 deleted from the locker (run 3 follows run 1)")
    )
    assert "run 3: does not link to run 2" in result.stderr


def test_deleting_the_last_run_is_noticed(run_cli, repo) -> None:
    runs_with_checks(run_cli, repo, 3)
    sql(repo, "DELETE FROM runs WHERE seq = 3", "DELETE FROM run_evidence WHERE seq = 3")

    result = run_cli("verify", repo.path)
    assert result.exit_code == 1
    assert "run 3: is missing: the locker's head is run 3" in result.stderr
    # The next run links to the true head, so the gap stays visible for good.
    run_cli("check", repo.path)
    assert "run 3: is missing" in run_cli("verify", repo.path).stderr


def test_reordered_runs_are_named(run_cli, repo) -> None:
    runs_with_checks(run_cli, repo, 4)
    sql(
        repo,
        "UPDATE runs SET seq = -2 WHERE seq = 2",
        "UPDATE runs SET seq = 2 WHERE seq = 3",
        "UPDATE runs SET seq = 3 WHERE seq = -2",
    )
    result = run_cli("verify", repo.path)
    assert result.exit_code == 1
    assert "FAILED" in result.stderr
    assert (
        result.stderr.strip()
        .splitlines()[-1]
        .split("FAILED", 1)[1]
        .split(": ", 1)[1]
        .startswith("run 2: does not link to run 1")
    )


def test_an_edited_result_is_named(run_cli, repo) -> None:
    repo.write({"settings.yaml": "share: 0.5\n"})
    for _ in range(2):
        assert run_cli("check", repo.path).exit_code == 1
    conn = sqlite3.connect(locker_file(repo))
    blob = conn.execute("SELECT record FROM runs WHERE seq = 1").fetchone()[0]
    conn.close()
    record = json.loads(zlib.decompress(blob))
    assert record["result"]["gate"] == "fail"
    record["result"]["gate"] = "pass"  # make the failed run look like a pass
    edited = zlib.compress(json.dumps(record, sort_keys=True, separators=(",", ":")).encode())
    sql(repo, ("UPDATE runs SET record = ?, gate = 'pass' WHERE seq = 1", (edited,)))

    result = run_cli("verify", repo.path, "--format", "json")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["first_problem"] == {
        "run": 1,
        "item": None,
        "message": "its record (results) was changed after it was stored",
    }


def _forge_tombstone_for_run_3(repo: RepoBuilder) -> None:
    """The reproduction: in a locker of four runs, blank run 3 (seconds old), mark it pruned
    and add a tombstone row naming it, the way the schema-1 code wrote them. Its cutoff is run
    3's own start, so the run is not old enough however long the test takes (a cutoff of
    "now" would be later than that start whenever the runs spanned a second boundary)."""
    conn = sqlite3.connect(locker_file(repo))
    run_hash, started = conn.execute("SELECT hash, started_at FROM runs WHERE seq = 3").fetchone()
    conn.close()
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    listed = [{"id": 3, "hash": run_hash, "command": "check", "started_at": started}]
    sql(
        repo,
        ("UPDATE runs SET record = NULL, pruned_at = ? WHERE seq = 3", (now,)),
        "DELETE FROM run_evidence WHERE seq = 3",
        (
            "INSERT INTO tombstones (pruned_at, reason, runs, evidence_removed) "
            "VALUES (?, ?, ?, 0)",
            (now, f"retention_days: 30 (runs started before {started})", json.dumps(listed)),
        ),
    )


def _started(repo: RepoBuilder, seq: int) -> str:
    conn = sqlite3.connect(locker_file(repo))
    try:
        return str(conn.execute("SELECT started_at FROM runs WHERE seq = ?", (seq,)).fetchone()[0])
    finally:
        conn.close()


def test_a_forged_tombstone_fails_verify_naming_the_run(run_cli, repo, tmp_path: Path) -> None:
    runs_with_checks(run_cli, repo, 4)
    _forge_tombstone_for_run_3(repo)

    result = run_cli("verify", repo.path)
    assert result.exit_code == 1, result.output
    summary = result.stderr.strip().splitlines()[-1]
    assert summary.startswith("locker verification FAILED")
    assert ": run 3: tombstone 1 (pruning run 3) is not sealed" in summary
    assert (
        "run 3: was not old enough to prune: it started at "
        f"{_started(repo, 3)}, not before the cutoff {_started(repo, 3)} of tombstone 1"
    ) in result.stderr
    as_json = json.loads(run_cli("verify", repo.path, "--format", "json").stdout)
    assert as_json["ok"] is False and as_json["first_problem"]["run"] == 3

    # Its export carries the forged tombstone, and fails the same way offline.
    out = tmp_path / "export"
    assert run_cli("locker", "export", out, "--repo", repo.path).exit_code == 0
    exported = run_cli("verify", out)
    assert exported.exit_code == 1, exported.output
    assert ": run 3: tombstone 1 (pruning run 3) is not sealed" in exported.stderr


def aged_runs(run_cli, repo: RepoBuilder, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two checks recorded 40 days ago, then one now: what a 30-day retention prunes."""
    with recorded_ago(monkeypatch, timedelta(days=40)):
        runs_with_checks(run_cli, repo, 2)
    runs_with_checks(run_cli, repo, 1)


def test_a_real_prune_verifies_lists_and_exports(
    run_cli, repo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    aged_runs(run_cli, repo, monkeypatch)
    with EvidenceLocker.open(locker_file(repo), create=False) as opened:
        pruned = opened.prune(30)
    assert pruned is not None and [r["id"] for r in pruned.runs] == [1, 2]

    verified = run_cli("verify", repo.path)
    assert verified.exit_code == 0, verified.output
    assert verified.stderr.startswith("locker OK: 3 runs (2 pruned)")
    report = json.loads(run_cli("verify", repo.path, "--format", "json").stdout)
    assert report["tombstones"] == {"count": 1, "head": pruned.hash}
    listing = json.loads(run_cli("locker", "ls", "-C", repo.path, "--format", "json").stdout)
    assert listing["tombstones"][0]["hash"] == pruned.hash
    assert listing["tombstones"][0]["head"]["id"] == 3
    assert "pruned 2 run(s) (runs 1-2) on " in run_cli("locker", "ls", "-C", repo.path).stderr

    out = tmp_path / "export"
    assert run_cli("locker", "export", out, "--repo", repo.path).exit_code == 0
    exported = run_cli("verify", out)
    assert exported.exit_code == 0, exported.output
    assert exported.stderr.startswith("locker OK: 3 runs (2 pruned)")

    # A tombstone edited in the export (its pruned runs) fails the export's verification.
    manifest = json.loads((out / "manifest.json").read_text())
    manifest["tombstones"][0]["runs"] = manifest["tombstones"][0]["runs"][:1]
    (out / "manifest.json").write_text(json.dumps(manifest))
    edited = run_cli("verify", out)
    assert edited.exit_code == 1
    assert "run 1: tombstone 1 (pruning run 1) was edited after it was written" in (edited.stderr)
    assert "run 2: has no record and no tombstone says it was pruned" in edited.stderr


def test_a_tombstone_emptied_by_hand_is_listed_and_fails_verify(
    run_cli, repo, monkeypatch: pytest.MonkeyPatch
) -> None:
    aged_runs(run_cli, repo, monkeypatch)
    with EvidenceLocker.open(locker_file(repo), create=False) as opened:
        opened.prune(30)
    connection = sqlite3.connect(locker_file(repo))
    connection.execute("UPDATE tombstones SET runs = '[]'")
    connection.commit()
    connection.close()

    listed = run_cli("locker", "ls", "-C", repo.path)
    assert listed.exit_code == 0, listed.output  # shown as it is, not a traceback
    assert "pruned 0 run(s) (no run) on " in listed.stderr
    assert run_cli("verify", repo.path).exit_code == 1


def test_verify_of_a_pdf_checks_it_as_a_dossier(run_cli, tmp_path: Path) -> None:
    pdf = tmp_path / "dossier.pdf"
    pdf.write_bytes(b"%PDF-1.7\n")  # truncated: not a readable PDF, so never "verified"
    result = run_cli("verify", pdf)
    assert result.exit_code == 1
    assert "FAIL  readable PDF: cannot be read as a PDF" in result.stderr
    assert f"{pdf}: NOT verified" in result.stderr


def test_verify_without_a_locker_says_how_to_make_one(run_cli, repo) -> None:
    result = run_cli("verify", repo.path)
    assert result.exit_code == 2
    assert "no evidence locker here yet; `govgate check` or `govgate collect` creates it" in (
        result.stderr
    )
    assert not locker_file(repo).exists()


# -- damaged or foreign files ----------------------------------------------------------------


def _foreign_sqlite(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE photos (id INTEGER PRIMARY KEY, name TEXT)")
    conn.execute("INSERT INTO photos (name) VALUES ('holiday.jpg')")
    conn.commit()
    conn.close()


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("garbage", "is not an evidence locker (not an SQLite database)"),
        ("foreign", "is an SQLite database of another application"),
        ("truncated", "is damaged"),
    ],
)
def test_a_corrupt_or_foreign_locker_is_refused_and_never_overwritten(
    run_cli, repo, kind: str, expected: str
) -> None:
    path = locker_file(repo)
    if kind == "truncated":
        runs_with_checks(run_cli, repo, 1)
        data = path.read_bytes()
        for extra in path.parent.glob("locker.db-*"):
            extra.unlink()
        path.write_bytes(data[:4096] + b"\xff" * 100)  # header page only, then garbage
    else:
        path.parent.mkdir(parents=True)
        if kind == "garbage":
            path.write_bytes(b"these are my notes, not a database\n" * 40)
        else:
            _foreign_sqlite(path)
    before = path.read_bytes()

    for args in (("check", repo.path), ("collect", repo.path)):
        result = run_cli(*args)
        assert result.exit_code == 2, (args, result.output)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, lines
        assert lines[0].startswith("govgate: error: ")
        assert expected in lines[0]
        assert "govgate never overwrites it. Move it aside (mv " in lines[0]
    # verify: a damaged locker fails verification (exit 1); a file that is no locker at all is
    # said to be none (exit 2), with no advice to move it (it may be anyone's file)
    result = run_cli("verify", repo.path)
    lines = result.stderr.strip().splitlines()
    assert expected in lines[-1]
    assert "Move it aside" not in result.stderr
    if kind == "truncated":
        assert result.exit_code == 1, result.output
        assert lines[-1].startswith("locker verification FAILED (1 problem): the locker is damaged")
    else:
        assert len(lines) == 1, lines
        assert result.exit_code == 2, result.output
        assert lines[0].endswith(
            "`govgate verify` checks a repository folder, a locker file, a locker export "
            "folder, a dossier (PDF or HTML) or a report"
        )
    assert path.read_bytes() == before
    assert not path.with_name("locker.db-wal").exists() or kind == "truncated"


def test_a_directory_at_the_locker_path_is_refused(run_cli, repo) -> None:
    locker_file(repo).mkdir(parents=True)
    result = run_cli("check", repo.path)
    assert result.exit_code == 2
    assert "is a directory, not an evidence locker" in result.stderr


def test_the_locker_path_follows_the_config(run_cli, repo) -> None:
    repo.write({"govgate.yaml": CONFIG + "locker: .govgate/audit/history.db\n"})
    assert run_cli("check", repo.path).exit_code == 0
    assert (repo.path / ".govgate/audit/history.db").is_file()
    assert not locker_file(repo).exists()
    assert run_cli("verify", repo.path).exit_code == 0
    assert run_cli("verify", repo.path / ".govgate/audit/history.db").exit_code == 0


# -- check, collect, cache flags -------------------------------------------------------------


def test_collect_records_a_run_and_reuses_the_cache(run_cli, repo) -> None:
    first = run_cli("collect", repo.path)
    assert first.exit_code == 0, first.output
    # the two files and the git sign-off record every recorded run keeps
    assert "collected 3 evidence items (3 new) as run 1 sha256:" in first.stderr
    second = run_cli("collect", repo.path)
    assert "config           cached" in second.stderr
    assert "collected 3 evidence items (0 new) as run 2" in second.stderr
    forced = run_cli("collect", repo.path, "--no-cache")
    assert "config           ok" in forced.stderr


def test_check_json_carries_the_run_and_no_cache_collects_again(run_cli, repo) -> None:
    first = json.loads(run_cli("check", repo.path, "--format", "json").stdout)
    warm = json.loads(run_cli("check", repo.path, "--format", "json").stdout)
    cold = json.loads(run_cli("check", repo.path, "--format", "json", "--no-cache").stdout)

    assert [r["run"]["id"] for r in (first, warm, cold)] == [1, 2, 3]
    assert {c["status"] for c in first["collectors"]} == {"ok"}
    assert {c["status"] for c in warm["collectors"]} == {"cached"}
    assert {c["status"] for c in cold["collectors"]} == {"ok"}
    with EvidenceLocker.open(locker_file(repo), create=False) as locker:
        assert locker.show(2)["hash"] == warm["run"]["hash"]


def test_no_locker_writes_nothing(run_cli, repo) -> None:
    result = run_cli("check", repo.path, "--no-locker", "--format", "json")
    assert result.exit_code == 0
    assert "id" not in json.loads(result.stdout)["run"]
    assert not (repo.path / ".govgate").exists()
    assert repo.git("status", "--porcelain") == ""


def test_ls_show_and_export_then_verify_the_export(run_cli, repo, tmp_path: Path) -> None:
    runs_with_checks(run_cli, repo, 2)
    assert run_cli("collect", repo.path).exit_code == 0

    listing = run_cli("locker", "ls", "--repo", repo.path)
    assert listing.exit_code == 0
    rows = listing.stdout.strip().splitlines()
    assert rows[0].split() == [
        "run",
        "started",
        "(UTC)",
        "command",
        "gate",
        "commit",
        "items",
        "hash",
    ]
    assert [row.split()[0] for row in rows[1:]] == ["1", "2", "3"]
    assert [row.split()[2] for row in rows[1:]] == ["check", "check", "collect"]
    listed = json.loads(run_cli("locker", "ls", "-C", repo.path, "--format", "json").stdout)
    head_hash = listed["runs"][-1]["hash"]

    shown = json.loads(run_cli("locker", "show", head_hash[7:19], "-C", repo.path).stdout)
    assert shown["id"] == 3 and shown["record"]["command"] == "collect"
    assert json.loads(run_cli("locker", "show", "latest", "-C", repo.path).stdout)["id"] == 3
    missing = run_cli("locker", "show", "9", "-C", repo.path)
    assert missing.exit_code == 2 and "no run 9" in missing.stderr

    out = tmp_path / "locker-export"
    exported = run_cli("locker", "export", out, "--repo", repo.path)
    assert exported.exit_code == 0, exported.output
    # the two files and the git sign-off record every recorded run keeps
    assert "exported 3 runs and 3 evidence items" in exported.stderr
    assert len(list(out.glob("evidence/*/*.json"))) == 3
    verified = run_cli("verify", out)
    assert verified.exit_code == 0, verified.output
    assert verified.stderr.startswith("locker OK: 3 runs, 3 evidence items")

    # An exported evidence file edited by one byte fails the export's verification.
    item = next(
        p
        for p in out.glob("evidence/*/*.json")
        if json.loads(p.read_text())["kind"] == "lt_settings"
    )
    item.write_text(item.read_text().replace("0.95", "0.96"))
    broken = run_cli("verify", out)
    assert broken.exit_code == 1
    assert "run 1: evidence sha256:" in broken.stderr.splitlines()[-1]

    notempty = tmp_path / "notes"
    notempty.mkdir()
    (notempty / "todo.txt").write_text("x")
    refused = run_cli("locker", "export", notempty, "--repo", repo.path)
    assert refused.exit_code == 2 and "not a govgate locker export" in refused.stderr


def test_the_locker_holds_no_raw_personal_data_or_file_contents(run_cli, repo) -> None:
    repo.write(
        {
            "settings.yaml": "share: 0.95\nowner: alice.lindqvist@example.com\n"
            "escalation_phone: +44 20 7946 0958\n",
            "docs/dpia.md": "# DPIA\n\nUNIQUE-DPIA-SENTENCE about the assessment.\n",
        }
    )
    assert run_cli("check", repo.path).exit_code == 0
    assert run_cli("collect", repo.path, "--no-cache").exit_code == 0
    raw = b"".join(p.read_bytes() for p in (repo.path / ".govgate").glob("locker.db*"))
    assert b"alice.lindqvist@example.com" not in raw
    assert b"7946 0958" not in raw
    assert b"UNIQUE-DPIA-SENTENCE" not in raw
    assert b"risk team" not in raw  # the earlier fixture value never got in either
    with EvidenceLocker.open(locker_file(repo), create=False) as locker:
        record = locker.show(1)["record"]
    assert {"lt_dpia", "lt_settings"} <= {e["kind"] for e in record["evidence"]}


# -- real processes: concurrency, crashes, full disk ------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("processes", [2, 10])
def test_concurrent_checks_all_finish_and_all_runs_verify(
    example_repo, repo, processes: int
) -> None:
    # Two on the example system; ten on the small test repository, so the test stays quick.
    root = example_repo("loan-approval") if processes == 2 else repo.path
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "govgate.cli.main", "check", str(root), "--format", "json"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(processes)
    ]
    outputs = [proc.communicate(timeout=300) for proc in procs]

    for proc, (_, stderr) in zip(procs, outputs, strict=True):
        assert proc.returncode in (0, 1), stderr  # the gate's answer, never an error
    ids = sorted(json.loads(stdout)["run"]["id"] for stdout, _ in outputs)
    assert ids == list(range(1, processes + 1))
    verified = govgate("verify", root)
    assert verified.returncode == 0, verified.stderr
    assert f"locker OK: {processes} runs" in verified.stderr
    chain = records(locker_file(root))
    for seq in range(2, processes + 1):
        assert chain[seq]["prev_hash"] == chain[seq - 1]["hash"]  # linear, no fork


def _bulk_repo(make_repo: Callable[..., RepoBuilder], files: int) -> RepoBuilder:
    contents: dict[str, str | bytes] = {
        "govgate.yaml": "system: {name: bulk, risk: high}\npacks: [./packs/bulk]\n",
        "packs/bulk/pack.yaml": BULK_PACK,
    }
    for i in range(files):
        body = "\n".join(f"  key{j}: value-{i}-{j}-{'x' * 40}" for j in range(25))
        audit = "false" if i % 7 == 0 else "true"
        contents[f"configs/team{i % 40:02d}/svc{i:05d}.yaml"] = (
            f"name: svc{i}\naudit: {audit}\nsettings:\n{body}\n"
        )
    return make_repo(contents)


def _touch_configs(repo: RepoBuilder, round_no: int) -> None:
    """New content in every file, so the next run has a large transaction to write."""
    for path in sorted((repo.path / "configs").glob("*/*.yaml")):
        path.write_text(path.read_text() + f"round_{round_no}: {round_no}\n")


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


def _cpu_seconds(pid: int) -> float:
    """CPU time a running process has used (utime + stime from /proc), load-independent."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("inf")  # already gone
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc")
def test_sigkill_during_collect_leaves_earlier_runs_intact(make_repo) -> None:
    """Kill `govgate collect` at several points of a large run; the locker always verifies.

    The points, chosen by what the process is doing rather than by wall time (which a busy
    machine stretches): twice while collecting (after 25% and 60% of the CPU time a whole run
    takes); while it is parked waiting for the write lock, which the test holds (its CPU time
    stops moving); and four times while it writes its transaction (0-30 ms after its first page
    reaches the WAL; 600 new items take tens of ms to write). Slow on purpose (about 10 s on an
    idle machine): every point needs a real run over 600 config files.
    """
    repo = _bulk_repo(make_repo, 600)
    path = locker_file(repo)
    wal = path.with_name("locker.db-wal")
    assert govgate("collect", repo.path).returncode == 0
    _touch_configs(repo, 99)
    before = _children_cpu()
    assert govgate("collect", repo.path, "--no-cache").returncode == 0
    run_cpu = _children_cpu() - before

    points: list[tuple[str, float]] = [
        ("collecting", 0.25),
        ("collecting", 0.6),
        ("waiting for the lock", 0.0),
        *(("writing", ms / 1000) for ms in (0, 2, 10, 30)),
    ]
    interrupted: list[str] = []
    for round_no, (phase, when) in enumerate(points):
        earlier = records(path)
        _touch_configs(repo, round_no)
        assert _size(wal) == 0  # the last clean close checkpointed it
        holder = None
        if phase == "waiting for the lock":
            holder = sqlite3.connect(path, isolation_level=None)
            holder.execute("BEGIN IMMEDIATE")
        proc = subprocess.Popen(
            [sys.executable, "-m", "govgate.cli.main", "collect", str(repo.path), "--no-cache"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 120
        if phase == "collecting":
            while proc.poll() is None and _cpu_seconds(proc.pid) < run_cpu * when:
                time.sleep(0.002)
        elif phase == "waiting for the lock":
            stalled_since, last = time.monotonic(), -1.0
            while proc.poll() is None and time.monotonic() < deadline:
                used = _cpu_seconds(proc.pid)
                if used != last:
                    stalled_since, last = time.monotonic(), used
                elif used > run_cpu * 0.5 and time.monotonic() - stalled_since > 0.4:
                    break  # done collecting and sleeping in SQLite's busy handler
                time.sleep(0.01)
        else:
            while proc.poll() is None and _size(wal) == 0 and time.monotonic() < deadline:
                time.sleep(0.0002)
            time.sleep(when)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        if holder is not None:
            holder.execute("ROLLBACK")
            holder.close()

        context = (phase, when, proc.returncode)
        verified = govgate("verify", repo.path)
        assert verified.returncode == 0, (context, verified.stderr)
        now = records(path)
        for seq, record in earlier.items():
            assert now[seq] == record, (context, seq)
        assert len(now) in (len(earlier), len(earlier) + 1), context
        if proc.returncode == -signal.SIGKILL and len(now) == len(earlier):
            interrupted.append(phase)
    # The kills really interrupted runs, in each phase (a late "writing" kill may find the
    # transaction already committed; that run must then be complete, which verify checked).
    assert interrupted.count("collecting") == 2, interrupted
    assert interrupted.count("waiting for the lock") == 1, interrupted
    assert interrupted.count("writing") >= 1, interrupted
    finished = govgate("collect", repo.path)  # and the locker keeps working afterwards
    assert finished.returncode == 0, finished.stderr
    assert govgate("verify", repo.path).returncode == 0


@pytest.mark.slow
def test_a_full_disk_fails_the_run_closed_and_keeps_earlier_runs(repo) -> None:
    first = govgate("check", repo.path)
    assert first.returncode == 0, first.stderr
    before = records(locker_file(repo))
    # Large new evidence, then a file-size limit below what the run must write: the kernel
    # refuses the write (EFBIG) the way a full disk refuses it (ENOSPC).
    big = "\n".join(f"setting_{i}: value number {i} of a long configuration" for i in range(8000))
    repo.write({"settings.yaml": f"share: 0.95\n{big}\n"})
    limit = 64 * 1024

    def limit_file_size() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    failed = govgate("check", repo.path, preexec_fn=limit_file_size)

    assert failed.returncode == 2, failed.stderr
    message = failed.stderr.strip().splitlines()[-1]
    assert message.startswith("govgate: error: .govgate/locker.db: cannot record the run: ") or (
        "cannot record the run" in message
    )
    assert "earlier runs are intact" in message
    assert "--no-locker" in message
    verified = govgate("verify", repo.path)
    assert verified.returncode == 0, verified.stderr
    assert records(locker_file(repo)) == before
    assert govgate("check", repo.path).returncode == 0  # space back: recording works again
    assert len(records(locker_file(repo))) == 2


def _check_with_a_read_only_locker(repo: RepoBuilder) -> subprocess.CompletedProcess[str]:
    """`govgate check` while .govgate/ cannot be written: by permissions, or, for root (who
    ignores them), in a private mount namespace where the folder is a read-only bind mount."""
    folder = repo.path / ".govgate"
    if os.geteuid() != 0:
        os.chmod(folder, 0o555)
        os.chmod(locker_file(repo), 0o444)
        try:
            return govgate("check", repo.path)
        finally:
            os.chmod(folder, 0o755)
            os.chmod(locker_file(repo), 0o644)
    script = 'mount --bind "$0" "$0" && mount -o remount,bind,ro "$0" && exec "$@"'
    probe = subprocess.run(
        ["unshare", "-m", "sh", "-c", script, str(folder), "true"], capture_output=True, check=False
    )
    if probe.returncode != 0:
        pytest.skip(
            f"root without a mount namespace cannot make a file read-only: {probe.stderr!r}"
        )
    command = [sys.executable, "-m", "govgate.cli.main", "check", str(repo.path)]
    return subprocess.run(
        ["unshare", "-m", "sh", "-c", script, str(folder), *command],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.mark.slow
def test_a_read_only_locker_fails_closed(repo) -> None:
    assert govgate("check", repo.path).returncode == 0
    failed = _check_with_a_read_only_locker(repo)
    assert failed.returncode == 2
    assert "--no-locker" in failed.stderr
    assert govgate("verify", repo.path).returncode == 0


# -- witnesses: what the file alone cannot show ------------------------------------------------


def _witness_of(result: CliResult) -> str:
    """The `locker:` line a text report prints: RUN:HASH of the locker's head after the run."""
    lines = [line for line in result.stderr.splitlines() if line.startswith("locker: ")]
    assert len(lines) == 1, result.stderr
    return lines[0].removeprefix("locker: ")


def test_every_report_prints_the_head_and_verify_holds_the_locker_to_it(
    run_cli, repo, tmp_path: Path
) -> None:
    text = run_cli("check", repo.path)
    assert text.exit_code == 0, text.output
    assert text.stderr.splitlines()[-2] == f"locker: {_witness_of(text)}"  # just above the gate
    document = json.loads(run_cli("check", repo.path, "--format", "json").stdout)
    sarif = json.loads(run_cli("check", repo.path, "--format", "sarif").stdout)
    witness = f"{document['run']['id']}:{document['run']['hash']}"
    assert witness.startswith("2:sha256:")
    assert sarif["runs"][0]["properties"]["locker"] == {
        "run": 3,
        "hash": sarif["runs"][0]["properties"]["locker"]["hash"],
        "witness": sarif["runs"][0]["properties"]["locker"]["witness"],
    }
    latest = sarif["runs"][0]["properties"]["locker"]["witness"]

    held = run_cli("verify", repo.path, "--witness", _witness_of(text), "--witness", latest)
    assert held.exit_code == 0, held.output
    assert held.stderr.strip().endswith("; matches 2 witnesses")
    as_json = run_cli("verify", repo.path, "--witness", latest, "--format", "json")
    assert json.loads(as_json.stdout)["witnesses"] == 1
    brief = run_cli("check", repo.path, "-q")  # the commit hook's report stays quiet
    assert brief.exit_code == 0 and "locker:" not in brief.stderr
    bare = run_cli("verify", repo.path)
    assert bare.stderr.strip().endswith(
        "; no witness given: runs deleted after the head cannot be ruled out"
    )
    # A witness file: comments and blank lines aside, one RUN:HASH per line.
    witnesses = tmp_path / "witnesses.txt"
    witnesses.write_text(f"# kept by CI\n{witness}\n\n{latest}  # the last run\n")
    assert run_cli("verify", repo.path, "--witness-file", witnesses).exit_code == 0


def _delete_newest_runs(repo: RepoBuilder, keep: int) -> None:
    """The issue's reproduction: delete the runs after `keep` from runs and run_evidence, and
    copy run `keep`'s number and hash into meta, as if it were the head."""
    conn = sqlite3.connect(locker_file(repo))
    head_hash = conn.execute("SELECT hash FROM runs WHERE seq = ?", (keep,)).fetchone()[0]
    conn.execute("DELETE FROM runs WHERE seq > ?", (keep,))
    conn.execute("DELETE FROM run_evidence WHERE seq > ?", (keep,))
    conn.execute("UPDATE meta SET value = ? WHERE key = 'head_seq'", (str(keep),))
    conn.execute("UPDATE meta SET value = ? WHERE key = 'head_hash'", (head_hash,))
    conn.commit()
    conn.close()


def test_deleting_the_newest_runs_and_rewriting_the_head_is_caught(run_cli, repo) -> None:
    runs_with_checks(run_cli, repo, 2)
    kept = _witness_of(run_cli("check", repo.path))  # run 3: CI keeps its line
    run_cli("check", repo.path)
    _delete_newest_runs(repo, keep=2)

    # The file still shows it: the ledger of start times in meta was moved on by runs 3-4.
    alone = run_cli("verify", repo.path)
    assert alone.exit_code == 1, alone.output
    assert alone.stderr.strip().splitlines()[-1] == (
        "locker verification FAILED (1 problem): run 3: is missing: the locker's ledger of "
        "start times (meta) is not the one its 2 run(s) produce: it was moved forward by a run "
        "the locker no longer holds (the newest runs deleted), or edited"
    )
    witnessed = run_cli("verify", repo.path, "--witness", kept)
    assert witnessed.exit_code == 1
    assert (
        witnessed.stderr.strip()
        .splitlines()[-1]
        .startswith("locker verification FAILED (2 problems): run 3: is missing: the witness ")
    )
    assert "saw run 3, but the locker ends at run 2: run 3 deleted (the locker was truncated)" in (
        witnessed.stderr
    )


def test_a_thorough_truncation_passes_alone_and_fails_against_a_witness(run_cli, repo) -> None:
    # Someone who also rewinds meta's ledger to what the remaining runs produce leaves nothing
    # in the file: verify says it cannot rule this out, and a kept witness catches it.
    runs_with_checks(run_cli, repo, 2)
    kept = _witness_of(run_cli("check", repo.path))
    _delete_newest_runs(repo, keep=2)
    with EvidenceLocker.snapshot(locker_file(repo)) as copy:
        runs = [copy.show(seq)["record"]["started_at"] for seq in (1, 2)]
    started = "sha256:" + "0" * 64
    for seq, start in enumerate(runs, 1):
        started = ledger_step(started, seq, start)
    sql(repo, ("UPDATE meta SET value = ? WHERE key = 'ledger_started'", (started,)))

    alone = run_cli("verify", repo.path)
    assert alone.exit_code == 0, alone.output
    assert "no witness given: runs deleted after the head cannot be ruled out" in alone.stderr
    witnessed = run_cli("verify", repo.path, "--witness", kept)
    assert witnessed.exit_code == 1
    assert (
        witnessed.stderr.strip()
        .splitlines()[-1]
        .startswith("locker verification FAILED (1 problem): run 3: is missing: the witness ")
    )


def test_deleting_every_run_and_the_head_is_caught(run_cli, repo) -> None:
    runs_with_checks(run_cli, repo, 2)
    kept = _witness_of(run_cli("check", repo.path))
    sql(
        repo,
        "DELETE FROM runs",
        "DELETE FROM run_evidence",
        "DELETE FROM meta WHERE key IN ('head_seq', 'head_hash')",
    )
    alone = run_cli("verify", repo.path)
    assert alone.exit_code == 1, alone.output
    assert "cache entr(ies) but no run: they are stored only with a run" in alone.stderr
    # Wiped of every trace, the file is an empty locker; only the witness knows better.
    sql(
        repo,
        "DELETE FROM collector_cache",
        "DELETE FROM cache_evidence",
        "DELETE FROM evidence",
        "DELETE FROM meta WHERE key = 'ledger_started'",
    )
    wiped = run_cli("verify", repo.path)
    assert wiped.exit_code == 0 and wiped.stderr.startswith("locker OK: 0 runs, 0 evidence items")
    witnessed = run_cli("verify", repo.path, "--witness", kept)
    assert witnessed.exit_code == 1
    assert (
        witnessed.stderr.strip()
        .splitlines()[-1]
        .endswith(
            "but the locker ends at no run at all: runs 1-3 deleted (the locker was truncated)"
        )
    )


def test_a_witness_with_another_hash_and_malformed_witnesses(run_cli, repo, tmp_path: Path) -> None:
    runs_with_checks(run_cli, repo, 1)
    forged = "1:sha256:" + "ab" * 32
    other = run_cli("verify", repo.path, "--witness", forged)
    assert other.exit_code == 1
    assert "run 1: has hash " in other.stderr and "with another: the chain was rewritten" in (
        other.stderr
    )
    bad = run_cli("verify", repo.path, "--witness", "1:abc")
    assert bad.exit_code == 2
    assert bad.stderr.strip() == (
        "govgate: error: --witness: '1:abc' is not a witness; give RUN:HASH as a report "
        "prints it, e.g. 12:sha256:9f3c… with the full 64-digit hash"
    )
    listed = tmp_path / "w.txt"
    listed.write_text(f"{forged}\nlatest\n")
    from_file = run_cli("verify", repo.path, "--witness-file", listed)
    assert from_file.exit_code == 2
    assert f"{listed}:2: 'latest' is not a witness" in from_file.stderr
    listed.write_text("# nothing kept yet\n")
    assert "holds no witness" in run_cli("verify", repo.path, "--witness-file", listed).stderr


# -- verify never writes, and says what is not a locker ---------------------------------------


def test_verify_reads_a_live_locker_without_writing_beside_or_into_it(run_cli, repo) -> None:
    runs_with_checks(run_cli, repo, 1)
    reader = sqlite3.connect(locker_file(repo))  # holds the log open: runs stay in the WAL
    reader.execute("SELECT count(*) FROM runs").fetchone()
    try:
        runs_with_checks(run_cli, repo, 2)
        beside = {p.name: p.read_bytes() for p in locker_file(repo).parent.glob("locker.db*")}
        assert "locker.db-wal" in beside
        result = run_cli("verify", repo.path)
        assert result.exit_code == 0, result.output
        assert result.stderr.startswith("locker OK: 3 runs")  # the runs in the WAL are read
        after = {p.name: p.read_bytes() for p in locker_file(repo).parent.glob("locker.db*")}
        # -shm is SQLite's shared-memory index of the log, where every reader takes its read
        # mark (so does this test's own connection); the locker and its log are unchanged.
        assert after.keys() == beside.keys()
        assert {n: b for n, b in after.items() if n != "locker.db-shm"} == {
            n: b for n, b in beside.items() if n != "locker.db-shm"
        }
    finally:
        reader.close()


def test_verify_of_a_file_or_device_that_is_no_locker(run_cli, repo) -> None:
    passwd = run_cli("verify", "/etc/passwd")
    assert passwd.exit_code == 2
    assert passwd.stderr.strip() == (
        "govgate: error: /etc/passwd: is not an evidence locker (not an SQLite database); "
        "`govgate verify` checks a repository folder, a locker file, a locker export folder, "
        "a dossier (PDF or HTML) or a report"
    )
    for device in ("/dev/null", "/dev/zero"):
        shown = run_cli("verify", device)
        assert shown.exit_code == 2
        assert shown.stderr.strip().startswith(
            f"govgate: error: {device}: is a character device, not a regular file; "
        )


@pytest.mark.parametrize("device", ["/dev/null", "/dev/zero", "fifo"])
def test_a_locker_path_on_a_device_is_refused_leaving_nothing_beside_it(
    run_cli, repo, tmp_path: Path, device: str
) -> None:
    what = "a character device"
    if device == "fifo":  # opening one to read its header would wait for a writer forever
        device, what = str(tmp_path / "pipe"), "a FIFO"
        os.mkfifo(device)
    folder = Path(device).parent
    beside = [Path(f"{device}-journal"), Path(f"{device}-wal"), folder / "cache"]
    assert not any(p.exists() for p in beside)
    repo.write({"govgate.yaml": CONFIG + f"locker: {device}\n"})
    for command in ("check", "collect", "verify"):
        result = run_cli(command, repo.path)
        assert result.exit_code == 2, result.output
        (line,) = result.stderr.strip().splitlines()
        assert line.startswith(f"govgate: error: {device}: is {what}, not a regular file"), line
        assert "disk" not in line
    assert not any(p.exists() for p in beside)
    assert not (repo.path / ".govgate").exists()


# -- tampered columns are named, never a traceback ----------------------------------------------


@pytest.mark.parametrize(
    ("edit", "said"),
    [
        (
            "UPDATE runs SET evidence_digests = '[\"sha256:ab' WHERE seq = 1",
            "run 1: its evidence list was edited (not a JSON list of digests)",
        ),
        (
            "UPDATE runs SET record = x'00ff00' WHERE seq = 1",
            "run 1: its record was changed after it was stored (cannot be read)",
        ),
    ],
)
def test_ls_and_show_name_an_edited_run(run_cli, repo, edit: str, said: str) -> None:
    runs_with_checks(run_cli, repo, 2)
    sql(repo, edit)
    for args in (("locker", "show", "1", "-C", repo.path), ("locker", "ls", "-C", repo.path)):
        if args[1] == "ls" and "record" in edit:
            continue  # listing reads no record
        result = run_cli(*args)
        assert result.exit_code == 2, (args, result.output)
        (line,) = result.stderr.strip().splitlines()
        assert line.endswith(f"{said}; run `govgate verify` to see what else changed"), line
    assert run_cli("verify", repo.path).exit_code == 1


# -- an export's manifest is data, read defensively ---------------------------------------------


def test_a_malformed_export_manifest_is_a_verification_problem(
    run_cli, repo, tmp_path: Path
) -> None:
    runs_with_checks(run_cli, repo, 2)
    out = tmp_path / "export"
    assert run_cli("locker", "export", out, "--repo", repo.path).exit_code == 0
    manifest = json.loads((out / "manifest.json").read_text())
    del manifest["runs"][1]["prev_hash"]
    (out / "manifest.json").write_text(json.dumps(manifest))
    result = run_cli("verify", out)
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert "run 2: the manifest lists it without prev_hash (edited)" in result.stderr


@pytest.mark.parametrize(
    ("moved", "how"),
    [
        ("evidence", "dotdot"),
        ("evidence", "absolute"),
        ("evidence", "symlink"),
        ("record", "dotdot"),
    ],
)
def test_an_export_naming_files_outside_itself_is_refused(
    run_cli, repo, tmp_path: Path, moved: str, how: str
) -> None:
    runs_with_checks(run_cli, repo, 1)
    out = tmp_path / "export"
    assert run_cli("locker", "export", out, "--repo", repo.path).exit_code == 0
    manifest = json.loads((out / "manifest.json").read_text())
    # The same content, moved out of the export: it would verify, were it read.
    entry = manifest["evidence"][0] if moved == "evidence" else manifest["runs"][0]
    outside = tmp_path / "outside.json"
    outside.write_bytes((out / entry["file"]).read_bytes())
    (out / entry["file"]).unlink()
    if how == "dotdot":
        entry["file"] = "../outside.json"
    elif how == "absolute":
        entry["file"] = str(outside)
    else:
        (out / "link.json").symlink_to(outside)
        entry["file"] = "link.json"
    (out / "manifest.json").write_text(json.dumps(manifest))

    result = run_cli("verify", out)
    assert result.exit_code == 1, result.output
    name = repr(entry["file"])
    said = (
        f"names the file {name}, outside the export: not read"
        if moved == "evidence"
        else f"run 1: its record file {name} is outside the export: not read"
    )
    assert said in result.stderr.strip().splitlines()[-1]
