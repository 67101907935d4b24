#!/usr/bin/env python3
"""Run every govgate command from an installed wheel, outside the source tree.

Run by `make wheel-smoke` with the wheel's own virtual environment: a module or data file
missing from the wheel, or a command that only works from a checkout, fails here. Each command
runs on a copy of the example system in a temporary git repository and must exit with the code
a user would get (the example fails its gate on purpose: `check` exits 1).

    .ci/wheel_smoke.py GOVGATE_EXECUTABLE EXAMPLE_DIR
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path


def git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=Smoke", "-c", "user.email=smoke@example.org", *args],
        cwd=repo,
        check=True,
        capture_output=True,
    )


def commands(example: Path, work: Path) -> list[tuple[list[str], int]]:
    """(arguments, expected exit code) for every command and subcommand."""
    fresh = work / "fresh"
    out = work / "out"
    return [
        (["--version"], 0),
        (["--help"], 0),
        (["plugins"], 0),
        (["plugins", "--format", "json"], 0),
        *[(["schema", name], 0) for name in ("policy", "config", "result", "waivers", "fairness")],
        (["policy", "lint"], 0),
        (["policy", "test", "--min-coverage", "100"], 0),
        (["policy", "docs", "--out", str(work / "packdocs")], 0),
        (["init", str(fresh)], 0),
        (["check", str(example)], 1),
        (
            [
                "check",
                str(example),
                "--format",
                "json,sarif,junit,markdown,github,oscal",
                "--output-dir",
                str(out),
            ],
            1,
        ),
        (["collect", str(example)], 0),
        (["explain", "HO-1.gate-configured", "--path", str(example)], 0),
        (["trace", "GDPR-22", str(example)], 0),
        (["impact", str(example / "governance" / "oversight.yaml")], 0),
        (["coverage", str(example)], 0),
        (["graph", str(example), "--format", "json"], 0),
        (["verify", str(example)], 0),
        (["locker", "ls", "-C", str(example)], 0),
        (["locker", "show", "latest", "-C", str(example)], 0),
        (["locker", "export", str(work / "export"), "-C", str(example)], 0),
        (["verify", str(work / "export")], 0),
        (["dossier", str(example), "--out", str(work / "dossier.pdf")], 0),
        (["dossier", "verify", str(work / "dossier.pdf")], 0),
        (["verify", str(work / "dossier.pdf")], 0),
        (["dossier", str(example), "--html", "--out", str(work / "dossier.html")], 0),
        (["verify", str(work / "dossier.html")], 0),
        (["report", str(example), "--out", str(work / "report.html")], 0),
        (["verify", str(work / "report.html")], 0),
        (
            [
                "fairness",
                str(example / "data" / "predictions.csv"),
                "--prediction",
                "recommendation",
                "--positive",
                "approve",
                "--negative",
                "refer",
                "--negative",
                "decline",
                "--label",
                "risk",
                "--label-positive",
                "1",
                "--attr",
                "sex",
            ],
            0,
        ),
        (["hook", "install", str(example)], 0),
        (["hook", "uninstall", str(example)], 0),
    ]


def main() -> int:
    govgate, source = Path(sys.argv[1]), Path(sys.argv[2])
    failures = 0
    with tempfile.TemporaryDirectory(prefix="govgate-wheel-smoke-") as tmp:
        work = Path(tmp)
        example = work / "example"
        shutil.copytree(source, example, ignore=shutil.ignore_patterns(".govgate"))
        git(example, "init", "-q")
        git(example, "add", "-A")
        git(example, "commit", "-qm", "example")
        (work / "fresh").mkdir()
        git(work / "fresh", "init", "-q")
        for args, expected in commands(example, work):
            done = subprocess.run(
                [str(govgate), *args], cwd=work, capture_output=True, text=True, check=False
            )
            ok = done.returncode == expected
            failures += not ok
            shown = " ".join(a.replace(tmp, "$TMP") for a in args)
            print(f"{'ok  ' if ok else 'FAIL'} exit {done.returncode} (want {expected}): {shown}")
            if not ok:
                print("     " + (done.stderr.strip() or done.stdout.strip())[-1500:])
    if failures:
        print(f"wheel smoke: {failures} command(s) did not behave", file=sys.stderr)
        return 1
    print("wheel smoke: every command ran from the installed wheel")
    return 0


if __name__ == "__main__":
    sys.exit(main())
