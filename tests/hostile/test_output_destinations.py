"""Where a report goes, and what happens when it cannot get there, in real `govgate` processes.

A report's reader that went away (`govgate check --format json | true`), a closed stdout and a
full device must never leave exit 0 behind: a verdict nobody received is not a pass. FIFOs,
character devices, `-` and the /dev/fd/N name of a process substitution (`-o >(wc -c)`) are
written straight to, never replaced by a regular file; a folder given as a file, or a file as
the output folder, is a one-line usage error before anything runs.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hostile.harness import Finished, run_govgate

from conftest import RepoBuilder

pytestmark = pytest.mark.slow

PACK = """\
pack: f
version: 1.0.0
title: Settings
evidence_kinds:
  f_settings: {collector: config, paths: ["settings.yaml"]}
requirements:
  - {id: F-1, title: Settings, source: {framework: Test, ref: "1"}}
controls:
  - {id: FC-1, title: Settings audited, satisfies: [F-1]}
rules:
  - id: FC-1.audit
    control: FC-1
    severity: high
    evidence: f_settings
    assert: {path: audit, op: eq, value: true}
    message: "{source.path}: audit is {actual}"
    remediation: "set audit: true in {source.path}"
"""


@pytest.fixture
def passing_repo(make_repo: Callable[..., RepoBuilder]) -> Path:
    """A repository whose gate passes: exit 0 is what a lost report must never produce."""
    return make_repo(
        {
            "govgate.yaml": "system: {name: out, risk: high}\npacks: [./packs/f]\n",
            "packs/f/pack.yaml": PACK,
            "settings.yaml": "audit: true\n",
        }
    ).path


def into_closed_pipe(*args: str | os.PathLike[str]) -> tuple[int, str]:
    """Run govgate with stdout on a pipe whose reader is already gone; (exit code, stderr)."""
    read_end, write_end = os.pipe()
    os.close(read_end)  # `| true`, deterministically: nobody will ever read
    try:
        done = subprocess.run(
            [sys.executable, "-m", "govgate.cli.main", *map(str, args)],
            stdout=write_end,
            stderr=subprocess.PIPE,
            env={**os.environ, "GOVGATE_DISABLE_PLUGIN_AUTOLOAD": "1", "NO_COLOR": "1"},
            text=True,
            timeout=240,
            check=False,
        )
    finally:
        os.close(write_end)
    return done.returncode, done.stderr


def last_error(stderr: str) -> str:
    errors = [line for line in stderr.splitlines() if line.startswith("govgate: error:")]
    assert errors, stderr[-2000:]
    return errors[-1].removeprefix("govgate: error: ")


def test_a_report_nobody_reads_is_never_a_pass(
    example_repo: Callable[[str], Path], passing_repo: Path, reliability: Any
) -> None:
    failing = example_repo("loan-approval")
    code, stderr = into_closed_pipe("check", failing, "--format", "json", "--no-locker")
    assert code == 1, stderr[-2000:]
    assert "Traceback" not in stderr and "Exception ignored" not in stderr, stderr[-2000:]
    assert "gate: FAIL" in stderr
    line = last_error(stderr)
    assert "its reader closed the pipe" in line, line

    code, stderr = into_closed_pipe("check", passing_repo, "--format", "json", "--no-locker")
    assert code == 1, stderr[-2000:]
    assert "gate: PASS" in stderr and "its reader closed the pipe" in last_error(stderr)
    reliability.record(
        "output-closed", f"check --format json | true: exit 1 on the failing example and on a "
        f"passing repository (was 0): {line}",
    )  # fmt: skip


def test_a_closed_stdout_and_a_full_device_are_errors(
    passing_repo: Path, tmp_path: Path, reliability: Any
) -> None:
    closed = run_govgate(
        "check", passing_repo, "--format", "json", "--no-locker", preexec_fn=lambda: os.close(1)
    )
    assert closed.returncode == 1, closed.stderr[-2000:]
    assert "Traceback" not in closed.stderr
    closed_line = last_error(closed.stderr)
    assert closed_line.startswith("stdout is closed, so the report could not be written")

    # Through a link of our own: a govgate that replaced its output (as root) must not be
    # able to replace /dev/full itself while this test shows that it does.
    device = tmp_path / "full"
    device.symlink_to("/dev/full")
    full = run_govgate("check", passing_repo, "--format", "json", "--no-locker", "-o", device)
    assert full.returncode == 2, full.stderr[-2000:]
    full_line = last_error(full.stderr).replace(str(tmp_path), "…")
    assert full_line == "…/full: cannot write the report: No space left on device"
    assert device.is_symlink() and device.is_char_device()
    reliability.record("output-closed", f"stdout closed (>&-): exit 1, {closed_line}")
    reliability.record("output-closed", f"-o /dev/full: exit 2, {full_line}")


def _read_all(fd: int, into: list[bytes]) -> threading.Thread:
    def read() -> None:
        with os.fdopen(fd, "rb") as handle:
            into.append(handle.read())

    thread = threading.Thread(target=read, daemon=True)
    thread.start()
    return thread


def _read_fifo(fifo: Path, into: list[bytes]) -> threading.Thread:
    """A reader for `fifo` (opening blocks until a writer comes), collecting into `into`."""
    thread = threading.Thread(target=lambda: into.append(fifo.read_bytes()), daemon=True)
    thread.start()
    return thread


def test_fifos_devices_and_open_file_names_are_written_straight_to(
    passing_repo: Path, tmp_path: Path, reliability: Any
) -> None:
    expected = run_govgate("check", passing_repo, "--format", "json", "--no-locker")
    assert expected.returncode == 0, expected.stderr[-2000:]
    document = json.loads(expected.stdout)

    folder = tmp_path / "out"
    folder.mkdir()
    fifo = folder / "report.fifo"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = _read_fifo(fifo, got)
    into_fifo = run_govgate("check", passing_repo, "--format", "json", "--no-locker", "-o", fifo)
    reader.join(30)
    assert into_fifo.returncode == 0, into_fifo.stderr[-2000:]
    assert json.loads(got[0])["gate"] == document["gate"] == "pass"
    assert stat.S_ISFIFO(fifo.stat().st_mode)  # still a FIFO, not replaced by a file
    assert sorted(p.name for p in folder.iterdir()) == ["report.fifo"]  # no temporary beside

    device = folder / "null"  # a link of our own (see the /dev/full test)
    device.symlink_to("/dev/null")
    null = run_govgate("check", passing_repo, "--format", "json", "--no-locker", "-o", device)
    assert null.returncode == 0, null.stderr[-2000:]
    assert device.is_symlink() and device.is_char_device()

    dash = run_govgate(
        "check", passing_repo, "--format", "json", "--no-locker", "-o", "-", cwd=folder
    )
    assert dash.returncode == 0 and json.loads(dash.stdout)["gate"] == "pass"
    assert not (folder / "-").exists()

    # `-o >(wc -c)`: the shell hands over /dev/fd/N, a pipe already open in the process.
    read_end, write_end = os.pipe()
    piped: list[bytes] = []
    reader = _read_all(read_end, piped)
    done = subprocess.run(
        [sys.executable, "-m", "govgate.cli.main", "check", str(passing_repo), "--format",
         "json", "--no-locker", "-o", f"/dev/fd/{write_end}"],
        pass_fds=(write_end,), capture_output=True, text=True, timeout=240, check=False,
        env={**os.environ, "GOVGATE_DISABLE_PLUGIN_AUTOLOAD": "1"},
    )  # fmt: skip
    os.close(write_end)
    reader.join(30)
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(piped[0])["gate"] == "pass"
    reliability.record(
        "output-destinations",
        "-o FIFO, -o /dev/null, -o - and -o /dev/fd/N (a process substitution): exit 0, the "
        "report written straight in; the FIFO and the device left as they were",
    )


def test_a_folder_as_the_output_file_or_a_file_as_the_output_folder_is_refused(
    passing_repo: Path, tmp_path: Path, reliability: Any
) -> None:
    root = run_govgate("check", passing_repo, "--format", "json", "--no-locker", "-o", "/")
    a_file = tmp_path / "reports"
    a_file.write_text("not a folder\n")
    into_file = run_govgate(
        "check", passing_repo, "--format", "json,sarif", "--output-dir", a_file, "--no-locker"
    )
    outcomes: list[Finished] = [root, into_file]
    for done in outcomes:
        assert done.returncode == 2, done.stderr[-2000:]
        assert "Traceback" not in done.stderr
        assert len(done.stderr.strip().splitlines()) == 1, done.stderr  # refused before running
    assert last_error(root.stderr) == "--output /: is a directory; name a file to write to"
    assert last_error(into_file.stderr).startswith(f"--output-dir {a_file}: is not a directory")
    assert a_file.read_text() == "not a folder\n"
    reliability.record("output-destinations", f"-o /: exit 2, {last_error(root.stderr)}")
    reliability.record(
        "output-destinations", f"--output-dir FILE: exit 2, {last_error(into_file.stderr)}"
    )


def test_the_dossier_and_the_graph_export_write_into_a_fifo_too(
    passing_repo: Path, tmp_path: Path, reliability: Any
) -> None:
    outcomes = []
    for name, args in (
        ("dossier", ("dossier", passing_repo, "--html", "--fresh", "--out")),
        ("graph", ("graph", passing_repo, "-o")),
    ):
        fifo = tmp_path / "out" / f"{name}.fifo"
        fifo.parent.mkdir(exist_ok=True)
        os.mkfifo(fifo)
        got: list[bytes] = []
        reader = _read_fifo(fifo, got)
        done = run_govgate(*args, fifo)
        reader.join(30)
        assert done.returncode == 0, done.stderr[-2000:]
        assert stat.S_ISFIFO(fifo.stat().st_mode), name  # not replaced by a regular file
        assert got and got[0], name
        outcomes.append(f"{name}: {len(got[0]):,} bytes through the FIFO")
    assert got[0].startswith(b"{")  # the graph's node-link JSON
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["dossier.fifo", "graph.fifo"]
    reliability.record(
        "output-destinations",
        f"dossier --out FIFO and graph -o FIFO: exit 0; {'; '.join(outcomes)}",
    )
