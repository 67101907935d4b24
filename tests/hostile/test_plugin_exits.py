"""A plugin that tries to decide govgate's exit code, breaks its contract, or never returns.

The plugin is a real distribution found by entry-point discovery in a real `govgate` process.
Left alone it makes the gate pass, so exit 0 is exactly what a fail-open would look like: at
import, in every hook, in `collect()` and its generator, in an operator and in a reporter it
calls `sys.exit(0)`, raises a bare `SystemExit`, a `KeyboardInterrupt` no Ctrl-C caused,
`GeneratorExit` or a `BaseException` of its own. Expected every time: the run fails (exit 1)
with one line naming the plugin, never a traceback, and the locker records the run whenever
the run itself completed. A real Ctrl-C still stops govgate (exit 130).
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hostile.harness import Finished, run_govgate

from conftest import RepoBuilder

pytestmark = pytest.mark.slow

PLUGIN = """
import os, sys, time
from pathlib import Path
from govgate import hookimpl
from govgate.core.collector import Collector, EvidenceKind
from govgate.core.reporter import Reporter

WHERE = os.environ.get("FAULT_WHERE", "")
WHAT = os.environ.get("FAULT_WHAT", "")


class PluginsOwnError(BaseException):
    pass


def fault(site):
    if site != WHERE:
        return
    if "FAULT_MARK" in os.environ:  # tells the test the plugin got here
        Path(os.environ["FAULT_MARK"]).write_text(site)
    if WHAT == "exit0":
        sys.exit(0)
    if WHAT == "bare":
        raise SystemExit
    if WHAT == "interrupt":
        raise KeyboardInterrupt
    if WHAT == "generator-exit":
        raise GeneratorExit
    if WHAT == "own-base":
        raise PluginsOwnError("the plugin's own BaseException")
    if WHAT == "raise":
        raise RuntimeError("licence server unreachable")
    if WHAT == "broken-pipe":
        raise BrokenPipeError(32, "Broken pipe")
    if WHAT == "sleep":
        time.sleep(3600)


fault("import")

SCHEMA = {"type": "object", "required": ["ok"], "properties": {"ok": {"type": "boolean"}}}
RETURNED = {
    "strings": ["abc"],
    "dicts": [{"kind": "probe.state", "subject": "state", "data": {"ok": True}}],
    "false-string": "false",
    "not-implemented": NotImplemented,
    "none": None,
    "one": 1,
}


class Probe(Collector):
    name = "probe"
    version = "1.0"
    kinds = (EvidenceKind("probe.state", "probe", SCHEMA),)

    def collect(self, ctx):
        fault("collect")
        if WHERE == "collect-returns":
            return RETURNED[WHAT]
        return self._items(ctx)

    def _items(self, ctx):
        yield ctx.evidence("probe.state", "state", {"ok": True})
        fault("generator")


def same(actual, expected):
    fault("operator")
    if WHERE == "operator-returns":
        return RETURNED[WHAT]
    return actual == expected


class ProbeReporter(Reporter):
    name = "probe"
    filename = "probe.txt"

    def render(self, result):
        fault("reporter")
        if WHERE == "reporter-returns":
            return None
        return "gate " + result["gate"] + "\\n"


@hookimpl
def govgate_collectors():
    fault("govgate_collectors")
    return [Probe]


@hookimpl
def govgate_evidence_kinds():
    fault("govgate_evidence_kinds")
    return []


@hookimpl
def govgate_operators():
    fault("govgate_operators")
    return {"same": same}


@hookimpl
def govgate_policy_packs():
    fault("govgate_policy_packs")
    return []


@hookimpl
def govgate_reporters():
    fault("govgate_reporters")
    return [ProbeReporter()]


@hookimpl
def govgate_aggregation_backends():
    fault("govgate_aggregation_backends")
    return {}
"""

PACK = """\
pack: p
version: 1.0.0
title: Probe pack
requirements:
  - {id: P-1, title: Probe, source: {framework: Test, ref: "1"}}
controls:
  - {id: PC-1, title: The probe is ok, satisfies: [P-1]}
rules:
  - id: PC-1.ok
    control: PC-1
    severity: high
    evidence: probe.state
    assert: {path: ok, op: same, value: true}
    message: "the probe is not ok"
    remediation: "make it ok"
"""

HOOKS = (
    "govgate_collectors",
    "govgate_evidence_kinds",
    "govgate_operators",
    "govgate_policy_packs",
    "govgate_reporters",
    "govgate_aggregation_backends",
)
EXITS = ("exit0", "bare", "interrupt", "generator-exit", "own-base")
#: What each way of ending the process looks like in govgate's message.
SHOWN = {
    "exit0": "SystemExit(0)",
    "bare": "SystemExit",
    "interrupt": "KeyboardInterrupt",
    "generator-exit": "GeneratorExit",
    "own-base": "PluginsOwnError: the plugin's own BaseException",
}
#: Every site with every way out, and `sys.exit(0)` in the remaining hooks.
CASES = [
    (where, what)
    for what in EXITS
    for where in ("import", "govgate_collectors", "collect", "generator", "operator", "reporter")
] + [(hook, "exit0") for hook in HOOKS if hook != "govgate_collectors"]


@pytest.fixture(scope="module")
def probe_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The `probe` plugin installed as a distribution in a folder for PYTHONPATH."""
    site = tmp_path_factory.mktemp("probe-site")
    (site / "probe_govgate").mkdir()
    (site / "probe_govgate" / "__init__.py").write_text(textwrap.dedent(PLUGIN))
    info = site / "probe_govgate-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: probe-govgate\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[govgate]\nprobe = probe_govgate\n")
    return site


@pytest.fixture
def probe_repo(make_repo: Callable[..., RepoBuilder]) -> Path:
    return make_repo(
        {
            "govgate.yaml": "system: {name: probe, risk: high}\npacks: [./packs/p]\n",
            "packs/p/pack.yaml": PACK,
        }
    ).path


def probe(site: Path, repo: Path, where: str, what: str, *args: str, **env: str) -> Finished:
    """`govgate check REPO ARGS` with the probe plugin faulting at `where` with `what`."""
    return run_govgate(
        "check",
        repo,
        *args,
        env={"PYTHONPATH": str(site), "FAULT_WHERE": where, "FAULT_WHAT": what, **env},
        autoload=True,
        timeout=120,
    )


def recorded_runs(repo: Path) -> int:
    locker = repo / ".govgate" / "locker.db"
    if not locker.is_file():
        return 0
    connection = sqlite3.connect(f"file:{locker}?mode=ro", uri=True)
    try:
        return int(connection.execute("SELECT count(*) FROM runs").fetchone()[0])
    finally:
        connection.close()


def last_error(finished: Finished) -> str:
    errors = [line for line in finished.stderr.splitlines() if line.startswith("govgate: error:")]
    assert errors, finished.stderr[-2000:]
    return errors[-1].removeprefix("govgate: error: ")


def rule_message(finished: Finished) -> tuple[str, str]:
    (finding,) = json.loads(finished.stdout)["findings"]
    return finding["status"], finding["message"]


def test_untouched_the_probe_plugin_passes(probe_site: Path, probe_repo: Path) -> None:
    # The baseline: exit 0 below would be the plugin deciding the verdict.
    done = probe(probe_site, probe_repo, "", "", "--format", "json")
    assert done.returncode == 0, done.stderr[-2000:]
    assert rule_message(done)[0] == "pass"


@pytest.mark.parametrize(("where", "what"), CASES)
def test_a_plugin_never_decides_the_exit_code(
    probe_site: Path, probe_repo: Path, where: str, what: str, reliability: Any
) -> None:
    fmt = "probe" if where == "reporter" else "json"
    done = probe(probe_site, probe_repo, where, what, "--format", fmt)
    assert "Traceback" not in done.stderr, done.stderr[-3000:]
    assert done.returncode == 1, (done.returncode, done.stderr[-2000:])
    if where in ("collect", "generator", "operator"):
        status, message = rule_message(done)
        assert status == "error"
        assert SHOWN[what] in message
        assert ("operator 'same'" if where == "operator" else "collector 'probe'") in message
        assert recorded_runs(probe_repo) == 1  # the run completed, and was recorded
        outcome = f"rule error: {message}"
    else:
        line = last_error(done)
        assert "plugin 'probe'" in line and SHOWN[what] in line, line
        if where == "reporter":
            assert recorded_runs(probe_repo) == 1  # evaluated and recorded; not reported
        outcome = line
    reliability.record("plugin-ends-process", f"{where}, {SHOWN[what]}: exit 1; {outcome}")


@pytest.mark.parametrize(
    ("where", "what", "named"),
    [
        ("collect-returns", "strings", "produced 'abc' (str) where an evidence item"),
        ("collect-returns", "dicts", "(dict) where an evidence item was expected"),
        ("operator-returns", "false-string", "returned 'false' (str), not True or False"),
        ("operator-returns", "not-implemented", "returned NotImplemented"),
        ("operator-returns", "none", "returned None (NoneType), not True or False"),
        ("operator-returns", "one", "returned 1 (int), not True or False"),
        ("operator", "raise", "operator 'same' raised RuntimeError: licence server unreachable"),
        ("reporter", "raise", "RuntimeError: licence server unreachable"),
        ("reporter", "broken-pipe", "BrokenPipeError"),
        ("reporter-returns", "", "returned NoneType, not text"),
    ],
)
def test_a_plugin_breaking_its_contract_fails_the_run_naming_it(
    probe_site: Path, probe_repo: Path, where: str, what: str, named: str, reliability: Any
) -> None:
    reporting = where.startswith("reporter")
    done = probe(probe_site, probe_repo, where, what, "--format", "probe" if reporting else "json")
    assert "Traceback" not in done.stderr, done.stderr[-3000:]
    assert done.returncode == 1, (done.returncode, done.stderr[-2000:])
    if reporting:
        line = last_error(done)
        assert named in line and "output format 'probe' of plugin 'probe'" in line, line
        outcome = f"exit 1: {line}"
    else:
        status, message = rule_message(done)
        assert status == "error" and named in message, message
        outcome = f"exit 1, rule error: {message}"
    reliability.record("plugin-breaks-contract", f"{where} {what}: {outcome}".replace("  ", " "))


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ("govgate_reporters", "plugin 'probe' did not return from govgate_reporters within 2 s"),
        (
            "import",
            "plugin 'probe' (distribution probe-govgate 1.0) did not finish importing within 2 s",
        ),
    ],
)
def test_a_plugin_that_never_returns_is_stopped(
    probe_site: Path, probe_repo: Path, where: str, expected: str, reliability: Any
) -> None:
    started = time.monotonic()
    done = probe(probe_site, probe_repo, where, "sleep", GOVGATE_COLLECTOR_TIMEOUT="2")
    seconds = time.monotonic() - started
    assert not done.timed_out
    assert done.returncode == 1, done.stderr[-2000:]
    line = last_error(done)
    assert line == (
        f"{expected} (GOVGATE_COLLECTOR_TIMEOUT); fix the plugin, or block it with -p no:probe"
    )
    assert seconds < 30
    reliability.record(
        "plugin-hook-hangs", f"exit 1 after {seconds:.1f} s: {line}", seconds=round(seconds, 1)
    )


def test_a_timeout_that_is_not_a_number_is_a_usage_error(
    probe_site: Path, probe_repo: Path, reliability: Any
) -> None:
    done = probe(probe_site, probe_repo, "", "", GOVGATE_COLLECTOR_TIMEOUT="abc")
    assert done.returncode == 2, done.stderr[-2000:]
    assert "Traceback" not in done.stderr
    line = last_error(done)
    assert line.startswith("GOVGATE_COLLECTOR_TIMEOUT='abc': not a number of seconds"), line
    reliability.record("bad-timeout-setting", f"exit 2: {line}")


def test_a_real_ctrl_c_still_stops_govgate(
    probe_site: Path, probe_repo: Path, tmp_path: Path, reliability: Any
) -> None:
    # The plugin's collector sleeps; once it is in there, SIGINT is delivered to the process
    # as a terminal's Ctrl-C would: govgate stops (130), it does not report a rule error.
    mark = tmp_path / "in-collect"
    env = {k: v for k, v in os.environ.items() if k != "GOVGATE_DISABLE_PLUGIN_AUTOLOAD"}
    env.update(
        PYTHONPATH=str(probe_site),
        FAULT_WHERE="collect",
        FAULT_WHAT="sleep",
        FAULT_MARK=str(mark),
        NO_COLOR="1",
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "govgate.cli.main", "check", str(probe_repo), "--no-locker"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not mark.exists() and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.05)
        assert mark.exists(), "the plugin's collector never started"
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130, stderr[-2000:]
    assert stderr.strip().splitlines()[-1] == "govgate: interrupted"
    assert "Traceback" not in stderr and stdout == ""
    reliability.record(
        "sigint-collect", "SIGINT during a plugin's collect(): exit 130, 'interrupted', no report"
    )
