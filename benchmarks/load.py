"""Load: `govgate check` on a repository of 50,000 files with 2 GB of decision logs.

Builds, deterministically, the loan-approval example grown to `--files` files (source modules,
CSV fixtures under data/ that the PII scan reads, Markdown notes) with `--log-size` of decision
logs written by benchmarks/decision_logs.py's generator (eight monthly files with the defects
real logs have), commits it to git (the logs ignored, as a real repository keeps them out of
git), then times in the same run:

- the floor: reading and hashing every byte of the repository once (sha256), which any tool
  that looks at all of it pays;
- a cold `govgate check` (locker on, empty cache), and
- a warm one (every collector's inputs unchanged, so served from the locker's cache),

each in its own process, printing wall time, CPU time and peak RSS (wait4 of that process) and
the ratios to the floor.

    .venv/bin/python benchmarks/load.py                      # 50,000 files, 2 GB of logs
    .venv/bin/python benchmarks/load.py --files 5000 --log-size 200MB
    .venv/bin/python benchmarks/load.py --json build/load.json   # also write the numbers
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# Run as a script, this folder is on sys.path: the decision-log benchmark's generator.
from decision_logs import generate, parse_size

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "examples" / "loan-approval"
#: The reliability report's name for this load (tests/hostile/classes.json).
LOAD_CLASS = "load-50k-files"
MONTHS = ("2026-03", "2026-04", "2026-05", "2026-06", "2026-07", "2026-08", "2026-09", "2026-10")


def build(root: Path, files: int, log_size: int, seed: int = 50_000) -> dict[str, int]:
    """The example plus `files` files and `log_size` bytes of logs; returns what was made."""
    shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns(".govgate", "generate.py"))
    rng = random.Random(seed)
    existing = sum(1 for p in root.rglob("*") if p.is_file())
    made = {"source": 0, "fixtures": 0, "notes": 0}
    for index in range(max(files - existing - len(MONTHS), 0)):
        roll = index % 10
        if roll < 7:
            path = root / "src" / f"pkg{index % 97:02d}" / f"module_{index:05d}.py"
            body = f'"""Module {index}."""\n\nVALUE = {rng.randrange(10**6)}\n' + "\n".join(
                f"def f{n}(x):\n    return x * {rng.randrange(100)}\n" for n in range(8)
            )
            made["source"] += 1
        elif roll < 9:
            path = root / "data" / "fixtures" / f"part{index % 50:02d}" / f"rows_{index:05d}.csv"
            rows = [f"{n},{rng.choice('ABCDE')},{rng.random():.6f}" for n in range(30)]
            body = "id,segment,score\n" + "\n".join(rows) + "\n"
            made["fixtures"] += 1
        else:
            path = root / "docs" / "notes" / f"note_{index:05d}.md"
            words = (rng.choice(("risk", "model", "data", "review")) for _ in range(120))
            body = f"# Note {index}\n\n" + " ".join(words) + "\n"
            made["notes"] += 1
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(body, encoding="utf-8")
    logs = root / "logs" / "decisions"
    logs.mkdir(parents=True, exist_ok=True)
    for month_index, month in enumerate(MONTHS):
        generate(logs / f"bench-{month}.jsonl", log_size // len(MONTHS), seed=month_index)
    (root / ".gitignore").write_text("logs/decisions/bench-*.jsonl\n.govgate/\n")
    env = {
        **os.environ,
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_AUTHOR_NAME": "Bench",
        "GIT_AUTHOR_EMAIL": "bench@example.invalid",
        "GIT_COMMITTER_NAME": "Bench",
        "GIT_COMMITTER_EMAIL": "bench@example.invalid",
    }
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "load"]):
        subprocess.run(["git", "-C", str(root), *args], check=True, env=env)
    made["files"] = sum(1 for p in root.rglob("*") if p.is_file() and ".git" not in p.parts)
    made["log_bytes"] = sum(p.stat().st_size for p in logs.glob("*.jsonl"))
    return made


def measured(argv: list[str]) -> dict[str, float | int]:
    """Run a child process; its exit code, wall and CPU seconds and peak RSS (MB)."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        argv,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={**os.environ, "GOVGATE_DISABLE_PLUGIN_AUTOLOAD": "1", "CI": "1"},
    )
    assert proc.stderr is not None
    stderr = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - started
    if proc.returncode not in (0, 1):
        sys.stderr.write(stderr.decode("utf-8", "replace")[-3000:])
        raise SystemExit(f"{argv[3:5]} exited with {proc.returncode}")
    return {
        "exit": proc.returncode,
        "seconds": round(wall, 2),
        "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 2),
        "peak_rss_mb": round(usage.ru_maxrss / 1024),
    }


_FLOOR = """
import hashlib, os, sys
total = 0
for folder, dirs, names in os.walk(sys.argv[1]):
    dirs[:] = [d for d in dirs if d not in (".git", ".govgate")]
    for name in names:
        with open(os.path.join(folder, name), "rb") as handle:
            total += len(hashlib.file_digest(handle, "sha256").digest())
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=50_000, help="files in the repository")
    parser.add_argument("--log-size", default="2GB", help="decision logs in total, e.g. 200MB")
    parser.add_argument("--json", type=Path, help="also write the numbers here (JSON)")
    parser.add_argument("--keep", type=Path, help="build the repository here and keep it")
    args = parser.parse_args()
    log_size = parse_size(args.log_size)
    with tempfile.TemporaryDirectory(prefix="govgate-load-") as tmp:
        root = args.keep or Path(tmp) / "repo"
        started = time.perf_counter()
        made = build(root, args.files, log_size)
        print(
            f"built {made['files']:,} files ({made['source']:,} source, {made['fixtures']:,} CSV "
            f"fixtures, {made['notes']:,} notes) and {made['log_bytes'] / (1 << 20):,.0f} MB of "
            f"decision logs in {time.perf_counter() - started:.0f} s; cores: {os.cpu_count()}"
        )
        runs = {
            "floor: read + sha256 every file": measured([sys.executable, "-c", _FLOOR, str(root)]),
            "govgate check, cold": measured(
                [sys.executable, "-m", "govgate.cli.main", "check", str(root), "--format", "json"]
            ),
            "govgate check, warm (cache)": measured(
                [sys.executable, "-m", "govgate.cli.main", "check", str(root), "--format", "json"]
            ),
        }
        floor = float(runs["floor: read + sha256 every file"]["seconds"])
        print()
        print(f"{'':36}{'seconds':>9}{'CPU s':>9}{'peak RSS MB':>13}{'x floor':>9}")
        for name, run in runs.items():
            ratio = float(run["seconds"]) / floor if floor else float("nan")
            print(
                f"{name:36}{run['seconds']:>9}{run['cpu_seconds']:>9}{run['peak_rss_mb']:>13}"
                f"{ratio:>9.1f}"
            )
        cold = runs["govgate check, cold"]
        print(f"\ngate exit code {cold['exit']} (1: the example system is not compliant yet)")
        if args.json:
            args.json.parent.mkdir(parents=True, exist_ok=True)
            document = {"class": LOAD_CLASS, "built": made, "runs": runs}
            args.json.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
