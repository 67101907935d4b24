"""The requirements, controls and traceability sections: each framework's requirements, each
control with its rules, findings and cited evidence, and requirements × controls."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from govgate.core.rollup import REQUIREMENT_STATUSES
from govgate.outputs.dossier.context.values import short_digest, where
from govgate.outputs.dossier.inputs import DossierInput

if TYPE_CHECKING:
    from govgate.core.policy import PolicySet

#: Controls per traceability-matrix table: more columns would not fit an A4 page.
MATRIX_COLUMNS = 10


def requirements_context(inp: DossierInput) -> list[dict[str, Any]]:
    by_framework: dict[str, list[dict[str, Any]]] = {}
    policies = inp.policy_set
    for req in inp.result.get("requirements") or []:
        declared = policies.requirements.get(req["id"]) if policies else None
        by_framework.setdefault(str(req.get("framework")), []).append(
            {
                "id": req.get("id"),
                "ref": req.get("ref"),
                "title": req.get("title"),
                "status": req.get("status"),
                "controls": req.get("controls") or [],
                "pack": req.get("pack"),
                "description": declared.description if declared else "",
            }
        )
    return [
        {
            "name": name,
            "anchor": "fw-" + re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-"),
            "requirements": reqs,
            "counts": {s: sum(1 for r in reqs if r["status"] == s) for s in REQUIREMENT_STATUSES},
        }
        for name, reqs in sorted(by_framework.items())
    ]


def _rule_rows(rule_ids: list[str], policies: PolicySet | None) -> list[dict[str, Any]]:
    """Each rule of a control, with its severity, text and origin when the packs are at hand."""
    rows = []
    for rule_id in rule_ids:
        rule = policies.rules.get(rule_id) if policies else None
        rows.append(
            {
                "id": rule_id,
                "severity": rule.severity if rule else None,
                "title": (rule.title or rule.message) if rule else None,
                "source": rule.source if rule else None,
                "origin": str(rule.origin) if rule else None,
            }
        )
    return rows


def _cite(
    finding: Mapping[str, Any],
    manifest: Mapping[Any, Mapping[str, Any]],
    cited: dict[str, dict[str, Any]],
) -> list[str]:
    """Add the evidence a finding cites to `cited` (one entry per digest, collecting the lines
    cited) and return the finding's short digests."""
    location = finding.get("location") or None
    refs = []
    for ref in finding.get("evidence") or []:
        digest = ref.get("digest")
        refs.append(short_digest(digest))
        entry = manifest.get(digest) or {}
        source = ref.get("source") or entry.get("source") or {}
        citation = cited.setdefault(
            digest,
            {
                "digest": digest,
                "kind": ref.get("kind") or entry.get("kind"),
                "path": source.get("path"),
                "lines": set(),
                "collected_at": entry.get("collected_at"),
                "collector": entry.get("collector"),
                "in_manifest": bool(entry),
            },
        )
        if source.get("line"):
            citation["lines"].add(int(source["line"]))
        if location and location.get("path") == source.get("path") and location.get("line"):
            citation["lines"].add(int(location["line"]))
    return refs


def _finding_row(finding: Mapping[str, Any], refs: list[str]) -> dict[str, Any]:
    waiver = finding.get("waiver") or None
    return {
        "status": finding.get("status"),
        "severity": finding.get("severity"),
        "rule": finding.get("rule"),
        "item": finding.get("item"),
        "message": finding.get("message"),
        "remediation": finding.get("remediation"),
        "location": where(finding.get("location") or None),
        "evidence": refs,
        "waiver": waiver.get("id") if waiver else None,
        "waiver_status": waiver.get("status") if waiver else None,
    }


def _citation_rows(cited: Mapping[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """The cited evidence as table rows (lines and collector as text), by path then digest."""
    rows = []
    for citation in cited.values():
        collector = citation["collector"] or {}
        lines = sorted(citation["lines"])
        rows.append(
            {
                **citation,
                "lines": ", ".join(str(n) for n in lines),
                "collector": f"{collector.get('name')} {collector.get('version')}"
                if collector
                else None,
            }
        )
    return sorted(rows, key=lambda c: (c["path"] or "", c["digest"] or ""))


def not_applicable_context(inp: DossierInput) -> list[dict[str, Any]]:
    """The controls that are entirely not applicable, one row each with why: a page each would
    say nothing but "not applicable" page after page."""
    result = inp.result
    findings: dict[str, list[Mapping[str, Any]]] = {}
    for finding in result.get("findings") or []:
        findings.setdefault(str(finding.get("control")), []).append(finding)
    policies = inp.policy_set
    rows = []
    for control in result.get("controls") or []:
        if control.get("status") != "not_applicable":
            continue
        cid = str(control.get("id"))
        declared = policies.controls.get(cid) if policies else None
        own = findings.get(cid, [])
        reasons = list(dict.fromkeys(_reason(f) for f in own))
        rows.append(
            {
                "id": cid,
                "title": control.get("title"),
                "pack": control.get("pack"),
                "satisfies": declared.satisfies if declared else [],
                "rules": list(dict.fromkeys(str(f.get("rule")) for f in own)),
                "reasons": reasons,
            }
        )
    return rows


def _reason(finding: Mapping[str, Any]) -> str:
    """A finding's reason (a result written before findings carried one: its message)."""
    reason = finding.get("reason")
    if reason:
        return str(reason)
    return str(finding.get("message") or "").removeprefix("not applicable: ") or "not recorded"


def controls_context(inp: DossierInput) -> list[dict[str, Any]]:
    result = inp.result
    manifest = {e.get("digest"): e for e in result.get("evidence") or []}
    by_control: dict[str, list[Mapping[str, Any]]] = {}
    for finding in result.get("findings") or []:
        by_control.setdefault(str(finding.get("control")), []).append(finding)
    policies = inp.policy_set
    satisfies: dict[str, list[str]] = {}
    for req in result.get("requirements") or []:
        for control_id in req.get("controls") or []:
            satisfies.setdefault(control_id, []).append(req["id"])
    out = []
    for control in result.get("controls") or []:
        if control.get("status") == "not_applicable":
            continue  # in the one table of not_applicable_context, with its reasons
        cid = str(control.get("id"))
        declared = policies.controls.get(cid) if policies else None
        cited: dict[str, dict[str, Any]] = {}
        findings = [_finding_row(f, _cite(f, manifest, cited)) for f in by_control.get(cid, [])]
        out.append(
            {
                "id": cid,
                "title": control.get("title"),
                "status": control.get("status"),
                "pack": control.get("pack"),
                "owner": declared.owner if declared else None,
                "owners_known": policies is not None,
                "satisfies": declared.satisfies if declared else satisfies.get(cid, []),
                "description": declared.description if declared else "",
                "rules": _rule_rows(control.get("rules") or [], policies),
                "rules_known": policies is not None,
                "findings": findings,
                "citations": _citation_rows(cited),
            }
        )
    return out


def traceability_context(inp: DossierInput) -> dict[str, Any]:
    """Requirements × controls, split into tables of MATRIX_COLUMNS controls each.

    A table keeps only the requirements with a mark in its columns, so a sparse matrix of
    hundreds of controls stays readable instead of becoming pages of empty cells.
    """
    result = inp.result
    requirement_status = {r["id"]: r.get("status") for r in result.get("requirements") or []}
    control_status = {c["id"]: c.get("status") for c in result.get("controls") or []}
    links: dict[str, set[str]] = {}
    if inp.policy_set is not None:
        for control in inp.policy_set.controls.values():
            for req_id in control.satisfies:
                links.setdefault(req_id, set()).add(control.id)
        requirements = list(inp.policy_set.requirements)
        controls = list(inp.policy_set.controls)
    else:
        for req in result.get("requirements") or []:
            links[req["id"]] = set(req.get("controls") or [])
        requirements = list(requirement_status)
        controls = list(control_status)
    tables = []
    for start in range(0, len(controls), MATRIX_COLUMNS):
        columns = controls[start : start + MATRIX_COLUMNS]
        rows = []
        for req_id in requirements:
            marks = [c in links.get(req_id, set()) for c in columns]
            if any(marks):
                rows.append(
                    {"id": req_id, "status": requirement_status.get(req_id), "marks": marks}
                )
        if rows:
            tables.append(
                {
                    "columns": [{"id": c, "status": control_status.get(c)} for c in columns],
                    "rows": rows,
                }
            )
    return {
        "tables": tables,
        "unlinked": [r for r in requirements if not links.get(r)],
        "controls_without_requirement": [
            c for c in controls if not any(c in linked for linked in links.values())
        ],
        "requirements": len(requirements),
        "controls": len(controls),
    }
