"""The result document (`govgate/result/v1`, docs/outputs.md) and the gate decision.

Reporters read only this document; it carries everything a report, a dossier or a later
`--base` comparison needs, and nothing personal (evidence appears as citations and a manifest,
never its raw data). `build_result` masks the whole document once, before any reporter, the
dossier or the locker sees it: messages, locations, waivers (approver, justification,
ticket), diagnostics and every other string (`govgate.support.masking`).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from govgate import __version__
from govgate.core.findings import STATUSES, Finding
from govgate.core.policy import severity_rank

# The run's `target` block (commit, branch, dirty): read through the one git layer.
from govgate.support.git import git_target as git_target
from govgate.support.masking import mask_document

SCHEMA_ID = "govgate/result/v1"


#: Statuses that fail the gate at or above `fail_on`. A `skipped` rule was never judged because
#: a prerequisite did not pass: when that prerequisite fails below `fail_on` (a medium owner
#: check before a critical one) or was waived, nothing else would stop the gate, and a rule
#: nobody judged is not a rule that passed.
GATING_STATUSES = ("fail", "skipped")


def gate_status(findings: list[Finding], fail_on: str, *, new_only: bool = False) -> str:
    """`fail` when a failing or skipped finding is at or above `fail_on`, or when anything
    errored.

    `new_only` leaves out failures the base already had, never errors: a rule that could not
    be evaluated cannot show that the change left it as it was (govgate fails closed).
    """
    threshold = severity_rank(fail_on)
    for finding in findings:
        if finding.status == "error":
            return "fail"
        if new_only and finding.new is False:
            continue
        if finding.status in GATING_STATUSES and severity_rank(finding.severity) >= threshold:
            return "fail"
    return "pass"


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
        "system": system,
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
    return mask_result(document)


def mask_result(document: dict[str, Any]) -> dict[str, Any]:
    """`document` (or a section added to it later) with personal data masked in every value
    but its hashes, timestamps and versions; national phone numbers are looked for in the
    regions of the system's `jurisdictions` too."""
    system = document.get("system")
    jurisdictions = system.get("jurisdictions") if isinstance(system, dict) else None
    masked: dict[str, Any] = mask_document(document, jurisdictions)
    return masked
