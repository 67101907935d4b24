"""How long `govgate check` takes on the example system, cold and warm (docs/ci.md quotes them).

Copies examples/loan-approval into a throwaway git repository and prints, from one run:
the median wall time of `python -c pass` (the interpreter's own start-up, the baseline), of a
cold `govgate check` (no locker, no cache), of the warm check (`check --quiet`, locker on,
every collector a cache hit), of the commit hook itself (`hook run --stage pre-commit`: the
staged files written out and checked, warm) and, when checkov is available, of
`checkov --version` (another policy-as-code tool's start-up, for scale); their ratios; and the
heavy modules the warm path imports, from `python -X importtime`, so an eager import shows
up. Budgets: warm median at most 0.1 s and 9x the bare interpreter, cold at most 0.6 s.
Wall times on a loaded machine are inflated; the CPU column and the ratios are steadier.

checkov is looked up with `--checkov PATH`, then on PATH; `--install-checkov` pip-installs it
into a temporary virtual environment first (a minute or two; needs the package index).

Python's bytecode cache is on for the measured processes, as in any pip-installed govgate: it is
kept in a private temporary folder (PYTHONPYCACHEPREFIX), never in the source tree, even when
the environment sets PYTHONDONTWRITEBYTECODE. `--as-is` measures the environment unchanged.

    .venv/bin/python benchmarks/check_latency.py [--runs 15] [--example loan-approval] [--as-is]
        [--checkov PATH | --install-checkov]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
#: Imports that must not be on the hook path unless something needs them (each costs every commit).
HEAVY = (
    "networkx",
    "jsonschema",
    "duckdb",
    "weasyprint",
    "git",
    "jinja2",
    "phonenumbers",
    "mlflow",
    "pyspark",
    "lark",  # through rfc3987_syntax, a jsonschema format library: ~1 s to import
    "rfc3987_syntax",
)
WARM_BUDGET = 0.1
WARM_RATIO_BUDGET = 9.0
COLD_BUDGET = 0.6


def govgate_command() -> list[str]:
    """The console script users run, next to this interpreter (else `-m govgate.cli.main`)."""
    script = Path(sys.executable).with_name("govgate")
    return [str(script)] if script.exists() else [sys.executable, "-m", "govgate.cli.main"]


def git(repo: Path, *args: str) -> None:
    env = {
        **os.environ,
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_AUTHOR_NAME": "bench",
        "GIT_AUTHOR_EMAIL": "bench@example.invalid",
        "GIT_COMMITTER_NAME": "bench",
        "GIT_COMMITTER_EMAIL": "bench@example.invalid",
    }
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, env=env)


def make_repo(example: str, workdir: Path) -> Path:
    target = workdir / example
    shutil.copytree(REPO / "examples" / example, target, ignore=shutil.ignore_patterns(".govgate"))
    git(target, "init", "-q", "-b", "main")
    git(target, "add", "-A")
    git(target, "commit", "-q", "-m", "example")
    return target


ENV: dict[str, str] = dict(os.environ)


def timed(command: list[str], cwd: Path) -> tuple[float, subprocess.CompletedProcess[str]]:
    started = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False, env=ENV)
    return time.perf_counter() - started, done


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def median_of(command: list[str], cwd: Path, runs: int) -> tuple[float, float]:
    """Median wall time and median CPU time (user + system) of `runs` runs."""
    timed(command, cwd)  # warm-up: file system cache and bytecode cache
    times, cpu = [], []
    for _ in range(runs):
        before = _children_cpu()
        seconds, done = timed(command, cwd)
        cpu.append(_children_cpu() - before)
        if done.returncode not in (0, 1):
            sys.exit(f"{' '.join(command)} exited {done.returncode}:\n{done.stderr}")
        times.append(seconds)
    return statistics.median(times), statistics.median(cpu)


def find_checkov(args: argparse.Namespace, workdir: Path) -> tuple[str | None, str]:
    """The checkov executable to time, and how it was found (or why there is none)."""
    if args.checkov:
        return args.checkov, "given with --checkov"
    found = shutil.which("checkov")
    if found:
        return found, "found on PATH"
    if not args.install_checkov:
        return None, "not installed (pass --checkov PATH, or --install-checkov)"
    venv = workdir / "checkov-venv"
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, capture_output=True)
    done = subprocess.run(
        [str(venv / "bin" / "pip"), "install", "-q", "checkov"], capture_output=True, text=True
    )
    if done.returncode != 0:
        return None, f"pip install checkov failed: {done.stderr.strip().splitlines()[-1:]}"
    took = time.perf_counter() - started
    return str(venv / "bin" / "checkov"), f"installed into a temporary venv in {took:.0f} s"


def heavy_imports(command: list[str], cwd: Path) -> dict[str, float]:
    """Heavy top-level packages one run imports, with their cumulative import time (s)."""
    python_command = (
        [sys.executable, "-X", "importtime", "-m", "govgate.cli.main", *command[1:]]
        if command[0] != sys.executable
        else [sys.executable, "-X", "importtime", *command[1:]]
    )
    done = subprocess.run(
        python_command, cwd=cwd, capture_output=True, text=True, check=False, env=ENV
    )
    found: dict[str, float] = {}
    for line in done.stderr.splitlines():
        if not line.startswith("import time:"):
            continue
        try:
            _, cumulative, name = (part.strip() for part in line[len("import time:") :].split("|"))
            micros = int(cumulative)
        except ValueError:
            continue  # the header line
        top = name.split(".")[0]
        # 0 µs: an import that failed at once (a module marked missing), nothing loaded.
        if top in HEAVY and name == top and micros > 0:
            found[top] = found.get(top, 0.0) + micros / 1e6
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=15, help="runs per measurement (median)")
    parser.add_argument("--example", default="loan-approval")
    parser.add_argument(
        "--as-is", action="store_true", help="keep the environment's bytecode settings"
    )
    parser.add_argument("--checkov", metavar="PATH", help="checkov executable to time")
    parser.add_argument(
        "--install-checkov",
        action="store_true",
        help="pip install checkov into a temporary venv when it is not on PATH",
    )
    args = parser.parse_args()
    govgate = govgate_command()
    autoload = os.environ.get("GOVGATE_DISABLE_PLUGIN_AUTOLOAD", "") in ("", "0")

    with tempfile.TemporaryDirectory(prefix="govgate-bench-") as tmp:
        if not args.as_is:
            ENV.pop("PYTHONDONTWRITEBYTECODE", None)
            ENV["PYTHONPYCACHEPREFIX"] = str(Path(tmp) / "pycache")
        bytecode = "as the environment has it" if args.as_is else "on (private pycache prefix)"
        repo = make_repo(args.example, Path(tmp))
        check = [*govgate, "check", str(repo), "-q"]
        cold_command = [*check, "--no-locker", "--no-cache"]

        # Fill the locker and the cache, then make sure warm runs really are cache hits.
        timed(check, repo)
        _, probe = timed([*govgate, "check", str(repo), "--format", "json"], repo)
        statuses = {c["name"]: c["status"] for c in json.loads(probe.stdout)["collectors"]}
        misses = sorted(name for name, status in statuses.items() if status != "cached")

        checkov, checkov_source = find_checkov(args, Path(tmp))
        baseline, baseline_cpu = median_of([sys.executable, "-c", "pass"], repo, args.runs)
        cold, cold_cpu = median_of(cold_command, repo, args.runs)
        warm, warm_cpu = median_of(check, repo, args.runs)
        hook = [*govgate, "hook", "run", "--stage", "pre-commit", str(repo)]
        timed(hook, repo)  # the snapshot's own cache entries (its git fingerprint differs)
        staged, staged_cpu = median_of(hook, repo, args.runs)
        checkov_times = median_of([checkov, "--version"], repo, args.runs) if checkov else None
        heavy_warm = heavy_imports(check, repo)
        heavy_cold = heavy_imports(cold_command, repo)

    def verdict(seconds: float, budget: float) -> str:
        return "within budget" if seconds < budget else "OVER BUDGET"

    print(f"govgate check on examples/{args.example}: median of {args.runs} runs each")
    print(f"  plugin autoload: {'on' if autoload else 'off'}; bytecode cache: {bytecode}")
    print(f"  command: {' '.join(govgate)}")
    print("                                  wall (median)            cpu (median)")
    print(
        f"  python -c pass                  {baseline * 1000:8.1f} ms   (baseline)   "
        f"{baseline_cpu * 1000:8.1f} ms"
    )
    print(
        f"  cold check (no locker/no cache) {cold * 1000:8.1f} ms   {cold / baseline:5.1f}x    "
        f"{cold_cpu * 1000:8.1f} ms   budget {COLD_BUDGET:.2f} s: {verdict(cold, COLD_BUDGET)}"
    )
    print(
        f"  warm check (check -q)           {warm * 1000:8.1f} ms   {warm / baseline:5.1f}x    "
        f"{warm_cpu * 1000:8.1f} ms   budget {WARM_BUDGET:.2f} s and "
        f"{WARM_RATIO_BUDGET:.0f}x: {verdict(warm, WARM_BUDGET)}, "
        f"{verdict(warm / baseline, WARM_RATIO_BUDGET)} by ratio"
    )
    print(
        f"  commit hook (staged snapshot)   {staged * 1000:8.1f} ms   {staged / baseline:5.1f}x    "
        f"{staged_cpu * 1000:8.1f} ms   (the snapshot costs {(staged - warm) * 1000:.1f} ms "
        "over the warm check)"
    )
    if checkov_times is not None:
        seconds, cpu = checkov_times
        print(
            f"  checkov --version               {seconds * 1000:8.1f} ms   "
            f"{seconds / baseline:5.1f}x    {cpu * 1000:8.1f} ms   ({checkov_source}; "
            f"warm govgate check is {seconds / warm:.1f}x faster)"
        )
    else:
        print(f"  checkov --version               not measured: checkov {checkov_source}")
    load = os.getloadavg()[0]
    if load > (os.cpu_count() or 1):
        print(f"  NOTE: load average {load:.1f} on {os.cpu_count()} cores: wall times are inflated")
    print(f"  warm / cold                     {warm / cold:8.2f}")
    print(f"  warm minus baseline             {(warm - baseline) * 1000:8.1f} ms")
    if misses:
        print(f"  NOTE: not served from the cache on warm runs: {', '.join(misses)}")
    else:
        print(f"  warm runs: every collector a cache hit ({', '.join(sorted(statuses))})")
    for label, found in (("warm", heavy_warm), ("cold", heavy_cold)):
        if found:
            listed = ", ".join(
                f"{name} {secs * 1000:.0f} ms" for name, secs in sorted(found.items())
            )
            print(f"  heavy imports on the {label} path: {listed}")
        else:
            print(f"  heavy imports on the {label} path: none of {', '.join(HEAVY)}")


if __name__ == "__main__":
    main()
