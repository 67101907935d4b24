"""The result document (`govgate/result/v1`, docs/outputs.md) and the gate decision.

Reporters read only this document; it carries everything a report, a dossier or a later
`--base` comparison needs, and nothing personal (evidence appears as citations and a manifest,
never its raw data).
"""

from __future__ import annotations

import os
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

from govgate import __version__
from govgate.core.findings import STATUSES, Finding
from govgate.core.policy import severity_rank
from govgate.support.pii import redact_json

SCHEMA_ID = "govgate/result/v1"


def gate_status(findings: list[Finding], fail_on: str, *, new_only: bool = False) -> str:
    """`fail` when a failing finding is at or above `fail_on`, or when anything errored.

    `new_only` leaves out failures the base already had, never errors: a rule that could not
    be evaluated cannot show that the change left it as it was (govgate fails closed).
    """
    threshold = severity_rank(fail_on)
    for finding in findings:
        if finding.status == "error":
            return "fail"
        if new_only and finding.new is False:
            continue
        if finding.status == "fail" and severity_rank(finding.severity) >= threshold:
            return "fail"
    return "pass"


def git_target(root: Path) -> dict[str, str | bool | None]:
    """Commit, branch and dirty state of the target, cheaply (no GitPython on the hook path).

    `dirty` is whether tracked files under `root` differ from HEAD (staged or not) when the
    run was made: the commit alone would misstate what was checked. Untracked files are not
    looked for (that walk is the slow part of `git status`); null outside a git repository.
    """
    try:
        out = subprocess.run(
            # One process for all three: the `--branch` headers give the commit ("(initial)"
            # on an unborn branch) and the branch ("(detached)" when detached), each other
            # line is a changed tracked file. `-- .`: only the target's folder.
            [
                "git",
                "-C",
                str(root),
                "status",
                "--porcelain=v2",
                "--branch",
                "--untracked-files=no",
                "--",
                ".",
            ],
            capture_output=True,
            timeout=10,
            check=False,
            # Never write the index (status refreshes it when it can take the lock, and a hook
            # may run while git holds it); an old git ignores the variable rather than failing.
            env={**os.environ, "GIT_OPTIONAL_LOCKS": "0"},
        )
    except (OSError, subprocess.TimeoutExpired):
        return {"commit": None, "branch": None, "dirty": None}
    if out.returncode != 0:  # not a repository (or git failed): nothing is known
        return {"commit": None, "branch": None, "dirty": None}
    commit = branch = None
    dirty = False
    # Bytes, decoded leniently: with core.quotePath off, file names come out unquoted.
    for line in out.stdout.decode("utf-8", errors="replace").splitlines():
        if line.startswith("# branch.oid "):
            value = line[len("# branch.oid ") :].strip()
            commit = value if value != "(initial)" else None
        elif line.startswith("# branch.head "):
            value = line[len("# branch.head ") :].strip()
            branch = value if value != "(detached)" else None
        elif line[:2] in ("1 ", "2 ", "u "):
            dirty = True
    return {"commit": commit, "branch": branch, "dirty": dirty}


FAIRNESS_KIND = "fairness.analysis"


def fairness_section(items: list[Any]) -> list[dict[str, Any]]:
    """The fairness analyses of the run (aggregates only), for the text report and dossier."""
    section = []
    for item in sorted(items, key=lambda e: e.subject):
        if item.problem is not None or not isinstance(item.data, dict):
            section.append({"name": item.subject, "problem": item.problem or "unreadable"})
            continue
        section.append({"digest": item.digest, **item.data})
    return section


def framework_counts(requirements: list[dict[str, Any]]) -> dict[str, dict[str, int]]:
    counts: dict[str, dict[str, int]] = {}
    for req in requirements:
        per = counts.setdefault(req["framework"], {})
        per[req["status"]] = per.get(req["status"], 0) + 1
    return dict(sorted(counts.items()))


def summary_counts(findings: list[Finding]) -> dict[str, int]:
    counted = Counter(f.status for f in findings)
    return {status: counted.get(status, 0) for status in STATUSES}


def build_result(
    *,
    root: Path,
    target: dict[str, Any],
    started_at: str,
    finished_at: str,
    fail_on: str,
    gate: str,
    findings: list[Finding],
    controls: list[dict[str, Any]],
    requirements: list[dict[str, Any]],
    readiness: dict[str, Any] | None,
    packs: list[dict[str, Any]],
    params: dict[str, Any],
    system: dict[str, Any],
    waivers: list[dict[str, Any]],
    diagnostics: list[dict[str, Any]],
    collectors: list[dict[str, Any]],
    evidence: list[dict[str, Any]],
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    document: dict[str, Any] = {
        "schema": SCHEMA_ID,
        "tool": {"name": "govgate", "version": __version__},
        "target": {"path": str(root), **target},
        "system": redact_json(system),  # govgate.yaml is free text too: an owner's e-mail
        "run": {"started_at": started_at, "finished_at": finished_at},
        "gate": gate,
        "fail_on": fail_on,
        "summary": summary_counts(findings),
        "readiness": readiness,
        "frameworks": framework_counts(requirements),
        "packs": packs,
        "params": params,
        "findings": [f.to_json() for f in findings],
        "controls": controls,
        "requirements": requirements,
        "waivers": waivers,
        "diagnostics": diagnostics,
        "collectors": collectors,
        "evidence": evidence,
    }
    if extra:
        document.update(extra)
    return document
