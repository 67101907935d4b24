"""Faults injected into real `govgate` processes: collectors that raise, hang or lie, a plugin
that cannot be imported, a full disk under the locker and the reports, SIGKILL at random
points of `collect` and `dossier`, ten concurrent checks, and a damaged locker.

Expected every time: the gate fails closed with a message naming the cause, earlier runs stay
intact and verifiable, and nothing half-written is left where a later run would read it.
Plugins are real distributions (a module and a `*.dist-info` with entry_points.txt) found on
PYTHONPATH by entry-point discovery, as `pip install` would leave them.
"""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hostile.harness import Finished, run_govgate

from conftest import RepoBuilder

pytestmark = pytest.mark.slow

PLUGIN = """
import os, re, time
from govgate import hookimpl
from govgate.core.collector import Collector, EvidenceKind

SCHEMA = {"type": "object", "required": ["ok"], "properties": {"ok": {"type": "boolean"}}}


class Faulty(Collector):
    name = "faulty"
    version = "1.0"
    kinds = (EvidenceKind("faulty.state", "faulty", SCHEMA),)

    def collect(self, ctx):
        mode = os.environ.get("FAULT_MODE", "ok")
        if mode == "raise":
            raise RuntimeError("licence server unreachable")
        if mode == "sleep":
            time.sleep(3600)
        if mode == "busy":
            while True:
                pass
        if mode == "regex":  # C code that holds the GIL for hours
            re.match(r"(a+)+$", "a" * 40 + "b")
        if mode == "schema":
            return [ctx.evidence("faulty.state", "state", {"ok": "yes"})]
        if mode == "nan":
            return [ctx.evidence("faulty.state", "state", {"ok": True, "x": float("nan")})]
        return [ctx.evidence("faulty.state", "state", {"ok": True})]


@hookimpl
def govgate_collectors():
    return [Faulty]
"""

PACK = """\
pack: f
version: 1.0.0
title: Fault-injection pack
evidence_kinds:
  f_settings: {collector: config, paths: ["settings/*.yaml"]}
requirements:
  - {id: F-1, title: Faulty collector, source: {framework: Test, ref: "1"}}
  - {id: F-2, title: Settings, source: {framework: Test, ref: "2"}}
controls:
  - {id: FC-1, title: State is ok, satisfies: [F-1]}
  - {id: FC-2, title: Settings audited, satisfies: [F-2]}
rules:
  - id: FC-1.state
    control: FC-1
    severity: high
    evidence: faulty.state
    assert: {path: ok, op: eq, value: true}
    message: "state is not ok"
    remediation: "fix the state"
  - id: FC-2.audit
    control: FC-2
    severity: high
    evidence: f_settings
    assert: {path: audit, op: eq, value: true}
    message: "{source.path}: audit is {actual}"
    remediation: "set audit: true in {source.path}"
"""


def settings_files(count: int, round_no: int = 0) -> dict[str, str | bytes]:
    body = "\n".join(f"  key{j}: value-{j}-{'x' * 60}" for j in range(30))
    head = f"audit: true\nround: {round_no}\n"
    return {
        f"settings/svc{i:04d}.yaml": f"{head}name: svc{i}\nmore:\n{body}\n" for i in range(count)
    }


@pytest.fixture(scope="module")
def plugin_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The `faulty` plugin installed as a distribution in a folder for PYTHONPATH."""
    site = tmp_path_factory.mktemp("site")
    (site / "faulty_govgate").mkdir()
    (site / "faulty_govgate" / "__init__.py").write_text(textwrap.dedent(PLUGIN))
    info = site / "faulty_govgate-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: faulty-govgate\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[govgate]\nfaulty = faulty_govgate\n")
    return site


@pytest.fixture
def fault_repo(make_repo: Callable[..., RepoBuilder]) -> RepoBuilder:
    return make_repo(
        {
            "govgate.yaml": "system: {name: faults, risk: high}\npacks: [./packs/f]\n"
            "collector_timeout: 2\n",
            "packs/f/pack.yaml": PACK,
            **settings_files(40),
        }
    )


def govgate_with(site: Path, *args: Any, mode: str = "ok", **kwargs: Any) -> Finished:
    env = {"PYTHONPATH": str(site), "FAULT_MODE": mode, **kwargs.pop("env", {})}
    return run_govgate(*args, env=env, autoload=True, **kwargs)


def statuses(finished: Finished) -> dict[str, str]:
    return {f["rule"]: f["status"] for f in json.loads(finished.stdout)["findings"]}


def records(locker: Path) -> dict[int, tuple[str, bytes]]:
    connection = sqlite3.connect(f"file:{locker}?mode=ro", uri=True)
    try:
        return {
            seq: (run_hash, record)
            for seq, run_hash, record in connection.execute("SELECT seq, hash, record FROM runs")
        }
    finally:
        connection.close()


def verified(repo: Path, runs: int | None = None) -> str:
    verify = run_govgate("verify", repo)
    assert verify.returncode == 0, verify.stderr
    if runs is not None:
        assert f"locker OK: {runs} runs" in verify.stderr, verify.stderr
    return verify.stderr.strip()


def no_traceback(finished: Finished) -> None:
    assert "Traceback" not in finished.stderr, finished.stderr[-3000:]
    assert finished.returncode != 3, finished.stderr[-3000:]


# -- collectors and plugins ---------------------------------------------------------------------


def test_a_collector_that_raises_fails_its_rules_only(
    plugin_site: Path, fault_repo: RepoBuilder, reliability
) -> None:
    result = govgate_with(plugin_site, "check", fault_repo.path, "--format", "json", mode="raise")
    no_traceback(result)
    assert result.returncode == 1
    assert statuses(result) == {"FC-1.state": "error", "FC-2.audit": "pass"}
    (finding,) = [f for f in json.loads(result.stdout)["findings"] if f["rule"] == "FC-1.state"]
    assert "collector 'faulty' failed" in finding["message"]
    assert "RuntimeError: licence server unreachable" in finding["message"]
    reliability.record("collector-raises", f"exit 1; its rule is error: {finding['message']}")


@pytest.mark.parametrize("mode", ["sleep", "busy", "regex"])
def test_a_collector_that_hangs_is_stopped(
    plugin_site: Path, fault_repo: RepoBuilder, mode: str, reliability
) -> None:
    # collector_timeout is 2 s. A hang in Python (sleep, a busy loop) becomes `error` and the
    # run goes on; one in C code holding the GIL cannot be interrupted from Python, so the
    # watchdog ends the process (exit 1, the stuck frames printed) at 1.5 x timeout + 5 s.
    started = time.monotonic()
    result = govgate_with(
        plugin_site, "check", fault_repo.path, "--format", "json", mode=mode, timeout=120
    )
    seconds = time.monotonic() - started
    assert not result.timed_out
    assert result.returncode == 1, result.stderr[-2000:]
    if mode == "regex":
        assert result.stderr.startswith("Timeout (0:00:08)!"), result.stderr[:500]
        assert "faulty_govgate/__init__.py" in result.stderr  # the stuck plugin is named
        assert result.stdout == ""  # no report that could be mistaken for a result
        outcome = f"C-level hang: watchdog exit 1 after {seconds:.1f} s naming the plugin frame"
    else:
        no_traceback(result)
        assert statuses(result) == {"FC-1.state": "error", "FC-2.audit": "pass"}
        run = next(c for c in json.loads(result.stdout)["collectors"] if c["name"] == "faulty")
        assert run["message"] == "TimeoutError: did not finish within 2 s (collector_timeout)"
        outcome = f"{mode}: rule error, exit 1 after {seconds:.1f} s ({run['message']})"
    reliability.record("collector-hangs", outcome, seconds=round(seconds, 1))


@pytest.mark.parametrize("mode", ["schema", "nan"])
def test_a_collector_producing_bad_evidence_is_an_error(
    plugin_site: Path, fault_repo: RepoBuilder, mode: str, reliability
) -> None:
    result = govgate_with(plugin_site, "check", fault_repo.path, "--format", "json", mode=mode)
    no_traceback(result)
    assert result.returncode == 1
    assert statuses(result)["FC-1.state"] == "error"
    run = next(c for c in json.loads(result.stdout)["collectors"] if c["name"] == "faulty")
    expected = "breaks its schema" if mode == "schema" else "not JSON compliant"
    assert expected in run["message"], run
    reliability.record("collector-bad-evidence", f"{mode}: rule error; {run['message']}")


def test_a_plugin_that_fails_to_import_fails_the_run(
    plugin_site: Path, fault_repo: RepoBuilder, tmp_path: Path, reliability
) -> None:
    broken = tmp_path / "broken-site"
    (broken / "broken_govgate").mkdir(parents=True)
    (broken / "broken_govgate" / "__init__.py").write_text("import acme_internal_sdk\n")
    info = broken / "broken_govgate-2.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: broken-govgate\nVersion: 2.0\n")
    (info / "entry_points.txt").write_text("[govgate]\nbroken = broken_govgate\n")
    path = os.pathsep.join([str(plugin_site), str(broken)])
    result = run_govgate("check", fault_repo.path, env={"PYTHONPATH": path}, autoload=True)
    no_traceback(result)
    assert result.returncode == 1
    line = result.stderr.strip().splitlines()[-1]
    assert line == (
        "govgate: error: plugin 'broken' (distribution broken-govgate 2.0) failed to import: "
        "ModuleNotFoundError: No module named 'acme_internal_sdk'"
    )
    reliability.record("plugin-import-fails", f"exit 1: {line.removeprefix('govgate: ')}")


# -- a full disk ----------------------------------------------------------------------------------


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 6 MB tmpfs: a real ENOSPC, not a simulated one (needs root to mount)."""
    mount = tmp_path / "disk"
    mount.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root; tests/cli/test_locker.py covers RLIMIT_FSIZE")
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=6m", "tmpfs", str(mount)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(disk: Path) -> list[Path]:
    """Fill the file system to the last byte (again: a failed write may free space)."""
    filler = disk / f"filler-{len(list(disk.glob('filler-*')))}"
    with filler.open("wb", buffering=0) as handle:
        for size in (1 << 16, 1):
            try:
                while handle.write(b"\0" * size):
                    pass
            except OSError:
                pass
    return sorted(disk.glob("filler-*"))


def test_a_full_disk_fails_closed_and_keeps_earlier_runs(
    small_disk: Path, plugin_site: Path, reliability
) -> None:
    import shutil

    from conftest import git

    repo = small_disk / "repo"
    repo.mkdir()
    for rel, content in {
        "govgate.yaml": "system: {name: disk, risk: high}\npacks: [./packs/f]\n",
        "packs/f/pack.yaml": PACK,
        **settings_files(10),
    }.items():
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        (repo / rel).write_text(str(content))
    git(repo, "init", "-q", "-b", "main")
    first = govgate_with(plugin_site, "check", repo)
    assert first.returncode == 0, first.stderr
    dossier = small_disk / "reports" / "dossier.html"
    made = govgate_with(plugin_site, "dossier", repo, "--html", "--fresh", "--out", dossier)
    assert made.returncode == 0, made.stderr
    good_dossier = dossier.read_bytes()
    locker = repo / ".govgate" / "locker.db"
    before = records(locker)
    for rel, content in settings_files(10, round_no=1).items():
        (repo / rel).write_text(str(content))  # new evidence: the next run has much to write
    fill(small_disk)

    failed = govgate_with(plugin_site, "check", repo)
    no_traceback(failed)
    assert failed.returncode == 2, failed.stderr
    locker_line = failed.stderr.strip().splitlines()[-1]
    assert "locker.db: cannot" in locker_line and "earlier runs are intact" in locker_line
    assert "--no-locker" in locker_line
    fill(small_disk)
    report = govgate_with(
        plugin_site, "check", repo, "--no-locker", "--format", "json,sarif",
        "--output-dir", small_disk / "reports",
    )  # fmt: skip
    no_traceback(report)
    assert report.returncode == 2
    report_line = report.stderr.strip().splitlines()[-1]
    assert report_line.endswith("cannot write the report: No space left on device")
    fillers = fill(small_disk)
    again = govgate_with(  # --pack: a fresh check not recorded, so only the dossier writes
        plugin_site, "dossier", repo, "--html", "--pack", "./packs/f", "--out", dossier
    )
    no_traceback(again)
    assert again.returncode == 2
    dossier_line = again.stderr.strip().splitlines()[-1]
    assert dossier_line.endswith("cannot write the dossier: No space left on device")
    # Nothing half-written where a later run or CI would read it.
    assert sorted(p.name for p in (small_disk / "reports").iterdir()) == ["dossier.html"]
    assert dossier.read_bytes() == good_dossier

    for filler in fillers:
        filler.unlink()
    assert records(locker) == before
    assert verified(repo, runs=len(before)).startswith("locker OK")
    assert govgate_with(plugin_site, "check", repo).returncode == 0  # space back: works again
    assert len(records(locker)) == len(before) + 1
    reliability.record(
        "disk-full-locker",
        f"tmpfs full: exit 2, {locker_line.removeprefix('govgate: error: ')}; "
        "earlier runs unchanged and verified; recording works once space is back",
    )
    reliability.record(
        "disk-full-output",
        f"exit 2 ({report_line.split(': ', 2)[-1]}); dossier: exit 2, the earlier dossier "
        "untouched, no partial file in the folder",
    )
    shutil.rmtree(repo, ignore_errors=True)


# -- SIGKILL --------------------------------------------------------------------------------------


CHECK = [sys.executable, "-m", "govgate.cli.main", "check"]
FORMATS = "json,sarif,junit,markdown"


def plugin_env(site: Path) -> dict[str, str]:
    """The environment of a user's machine with the plugin installed (autoload on)."""
    base = {k: v for k, v in os.environ.items() if k != "GOVGATE_DISABLE_PLUGIN_AUTOLOAD"}
    return {**base, "PYTHONPATH": str(site), "NO_COLOR": "1"}


def _kill_at(args: list[str], after: float, env: dict[str, str]) -> int:
    proc = subprocess.Popen(
        [sys.executable, "-m", "govgate.cli.main", *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    try:
        proc.wait(timeout=after)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    return proc.returncode


def _timed(args: list[str], env: dict[str, str]) -> float:
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "govgate.cli.main", *args],
        capture_output=True,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return time.monotonic() - started


def test_sigkill_during_collect_leaves_earlier_runs_intact(
    plugin_site: Path, fault_repo: RepoBuilder, reliability
) -> None:
    env = plugin_env(plugin_site)
    fault_repo.write(settings_files(400))  # a run long enough to be interrupted mid-way
    args = ["collect", str(fault_repo.path), "--no-cache"]
    duration = _timed(args, env)
    locker = fault_repo.path / ".govgate" / "locker.db"
    rng = random.Random(20261126)  # random points past start-up, the same every run
    points = sorted(rng.uniform(0.3, 1.0) * duration for _ in range(5))
    killed = 0
    for round_no, after in enumerate(points, start=1):
        earlier = records(locker)
        fault_repo.write(settings_files(400, round_no=round_no))
        code = _kill_at(args, after, env)
        killed += code == -signal.SIGKILL
        now = records(locker)
        for seq, record in earlier.items():
            assert now[seq] == record, (after, seq)
        assert len(now) in (len(earlier), len(earlier) + 1)
        verified(fault_repo.path, runs=len(now))
    assert killed >= 3, points  # the points really interrupted runs
    assert _timed(args, env) > 0  # and the locker keeps working afterwards
    reliability.record(
        "sigkill-collect",
        f"{killed} of {len(points)} runs killed at {', '.join(f'{p:.2f}' for p in points)} s "
        f"(a run takes {duration:.2f} s): every earlier run unchanged, locker verified each time",
    )


def test_sigkill_during_dossier_leaves_no_partial_file(
    plugin_site: Path, fault_repo: RepoBuilder, tmp_path: Path, reliability
) -> None:
    env = plugin_env(plugin_site)
    assert _timed(["check", str(fault_repo.path), "--format", "json"], env) > 0
    out = tmp_path / "dossiers" / "dossier.pdf"
    args = ["dossier", str(fault_repo.path), "--fresh", "--out", str(out)]
    duration = _timed(args, env)
    good = out.read_bytes()
    rng = random.Random(8)
    points = sorted(rng.uniform(0.1, 1.0) * duration for _ in range(3))
    killed = 0
    for after in points:
        code = _kill_at(args, after, env)
        killed += code == -signal.SIGKILL
        names = sorted(p.name for p in out.parent.iterdir() if not p.name.startswith("."))
        assert names == ["dossier.pdf"]  # the one complete dossier; no partial file beside it
        if out.read_bytes() != good:  # finished before the kill: then complete and verifiable
            check = run_govgate("dossier", "verify", out)
            assert check.returncode == 0, check.stderr
    verified(fault_repo.path)
    leftovers = [p.name for p in out.parent.iterdir() if p.name.startswith(".")]
    assert killed >= 2, points
    reliability.record(
        "sigkill-dossier",
        f"{killed} of {len(points)} renders killed at {', '.join(f'{p:.1f}' for p in points)} s "
        f"(a render takes {duration:.1f} s): the dossier at --out was the earlier complete one "
        f"every time; {len(leftovers)} hidden temporary file(s) left beside it, never read",
    )


# -- concurrency and a damaged locker -----------------------------------------------------------


def test_ten_concurrent_checks_on_one_repository(
    plugin_site: Path, fault_repo: RepoBuilder, tmp_path: Path, reliability
) -> None:
    env = plugin_env(plugin_site)
    out = tmp_path / "reports"
    procs = [
        subprocess.Popen(
            [*CHECK, str(fault_repo.path), "--format", FORMATS, "--output-dir", str(out)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for _ in range(10)
    ]
    results = [proc.communicate(timeout=300) for proc in procs]
    codes = [proc.returncode for proc in procs]
    for proc, (_, stderr) in zip(procs, results, strict=True):
        assert proc.returncode == 0, stderr[-2000:]
    assert sorted(p.name for p in out.iterdir()) == [
        "govgate.json", "govgate.junit.xml", "govgate.md", "govgate.sarif",
    ]  # fmt: skip
    document = json.loads((out / "govgate.json").read_text(encoding="utf-8"))
    assert document["gate"] == "pass"
    json.loads((out / "govgate.sarif").read_text(encoding="utf-8"))
    summary = verified(fault_repo.path, runs=10)
    reliability.record(
        "concurrent-checks",
        f"exit codes {sorted(set(codes))}; 10 runs chained in the locker ({summary[:40]}…); "
        "one complete file per format in the shared output folder",
    )


@pytest.mark.parametrize("damage", ["truncated", "garbage", "edited"])
def test_a_corrupted_locker_is_refused_naming_it(
    plugin_site: Path, fault_repo: RepoBuilder, damage: str, reliability
) -> None:
    assert govgate_with(plugin_site, "check", fault_repo.path).returncode == 0
    assert govgate_with(plugin_site, "check", fault_repo.path, "--no-cache").returncode == 0
    locker = fault_repo.path / ".govgate" / "locker.db"
    if damage == "truncated":
        data = locker.read_bytes()
        locker.write_bytes(data[: len(data) // 3])
    elif damage == "garbage":
        locker.write_bytes(b"\x13\x37" * 4096)
    else:
        connection = sqlite3.connect(locker)
        connection.execute(
            "UPDATE evidence SET data = replace(data, 'true', 'false') WHERE kind = 'f_settings'"
        )
        connection.commit()
        connection.close()
    damaged = locker.read_bytes()

    verify = run_govgate("verify", fault_repo.path)
    no_traceback(verify)
    assert verify.returncode in (1, 2)
    verify_line = verify.stderr.strip().splitlines()[-1]
    check = govgate_with(plugin_site, "check", fault_repo.path)
    no_traceback(check)
    if damage == "edited":
        # The edit is caught: the cache entry no longer matches its digests, so the check
        # collects again (and records a new run) and says so; verify names the run and item.
        assert verify.returncode == 1
        assert "run 1" in verify_line or "run 2" in verify_line, verify_line
        assert check.returncode == 0, check.stderr
        assert "no longer matches its digests" in check.stderr
        assert "govgate verify" in check.stderr
    else:
        assert check.returncode == 2
        check_line = check.stderr.strip().splitlines()[-1]
        assert ".govgate/locker.db" in check_line and "govgate never overwrites it" in check_line
        assert locker.read_bytes() == damaged  # refused, never overwritten
        moved = locker.with_name("locker.db.broken")
        locker.rename(moved)  # the recovery the message names
        assert govgate_with(plugin_site, "check", fault_repo.path).returncode == 0
        verified(fault_repo.path, runs=1)
    reliability.record(
        "corrupted-locker",
        f"{damage}: verify exit {verify.returncode}: "
        f"{verify_line.removeprefix('govgate: error: ')[:240]}",
    )


def test_a_locker_created_by_another_process_while_opening_is_not_foreign(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, reliability
) -> None:
    # The interleaving two concurrent first runs produce: this process reads the new file's
    # header and its table list while the other creates the locker in between. Reading them
    # apart took a half-seen locker for "an SQLite database of another application".
    import govgate.locker.opening as locker_module
    from govgate.locker import EvidenceLocker

    path = tmp_path / "locker.db"
    path.touch()
    real_connect = sqlite3.connect

    pending = [True]

    class Rows(list[Any]):
        def fetchone(self) -> Any:
            return self[0]

        def fetchall(self) -> list[Any]:
            return list(self)

    class Interleaved:
        def __init__(self, connection: sqlite3.Connection) -> None:
            self._connection = connection

        def execute(self, *args: Any) -> Any:
            if not pending:
                return self._connection.execute(*args)
            rows = self._connection.execute(*args).fetchall()  # our read, finished...
            pending.pop()
            with EvidenceLocker.open(path):  # ...then the other process creates the locker
                pass
            return Rows(rows)

        def __getattr__(self, name: str) -> Any:
            return getattr(self._connection, name)

    monkeypatch.setattr(
        locker_module.sqlite3, "connect", lambda *a, **k: Interleaved(real_connect(*a, **k))
    )
    with EvidenceLocker.open(path) as locker:
        assert locker.verify().ok
    reliability.record(
        "concurrent-checks",
        "a locker created by another process between this one's reads is recognised as ours",
    )
