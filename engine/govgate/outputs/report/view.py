"""The report's content as plain data: the state at a glance, the history across runs, and the
drill-down index (requirement → control → rule → finding → evidence, and evidence → what it
supports). Every value comes from masked result documents; the template escapes it."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from govgate.outputs.report.runs import RecordedCheck
from govgate.support.masking import mask_document

SEVERITIES = ("critical", "high", "medium", "low", "info")
_SEVERITY_RANK = {name: rank for rank, name in enumerate(SEVERITIES)}


def anchor(prefix: str, value: Any) -> str:
    """An HTML id from an identifier: letters, digits, `-`, `_` and `.` kept, the rest `_`."""
    text = "".join(c if c.isalnum() or c in "-_." else "_" for c in str(value))
    return f"{prefix}-{text}"


def report_view(
    checks: Sequence[RecordedCheck], owners: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """Everything the template shows, from the recorded runs (oldest first); `owners` maps
    control ids to owners (None: not known for this run)."""
    results = [
        mask_document(c.result, (c.result.get("system") or {}).get("jurisdictions")) for c in checks
    ]
    latest = results[-1]
    known = dict(owners or {})
    view: dict[str, Any] = {
        "overview": overview(latest),
        "history": history(checks, results),
        "changes": status_changes(checks, results),
        "tree": drill_down(latest),
        "evidence": evidence_index(latest),
        "fairness": fairness_groups(latest),
        "decision_logs": decision_log_trend(checks),
        "owners_known": owners is not None,
    }
    for risk in view["overview"]["risks"]:
        risk["owner"] = known.get(str(risk["control"]), "")
    for framework in view["tree"]:
        for requirement in framework["requirements"]:
            named = {
                known[str(c.get("id"))]
                for c in requirement["controls"]
                if str(c.get("id")) in known
            }
            requirement["owners"] = " | ".join(sorted(named))
            for control in requirement["controls"]:
                control["owner"] = known.get(str(control.get("id")), "")
    view["owner_names"] = sorted(set(known.values()))
    return view


def overview(result: Mapping[str, Any]) -> dict[str, Any]:
    """The gate, readiness, each framework's requirement statuses, risks and exceptions."""
    system = result.get("system") or {}
    target = result.get("target") or {}
    run = result.get("run") or {}
    failing = [f for f in result.get("findings") or [] if f.get("status") in ("fail", "error")]
    failing.sort(key=lambda f: (_SEVERITY_RANK.get(f.get("severity"), 9), f.get("rule", "")))
    return {
        "system": system.get("name") or "not stated",
        "owner": system.get("owner") or "not stated",
        "risk": system.get("risk") or "not stated",
        "role": system.get("role") or "not stated",
        "gate": str(result.get("gate") or "unknown"),
        "fail_on": result.get("fail_on"),
        "readiness": result.get("readiness"),
        "summary": result.get("summary") or {},
        "frameworks": sorted((result.get("frameworks") or {}).items()),
        "risks": [_finding_row(f) for f in failing[:10]],
        "risk_total": len(failing),
        "waivers": result.get("waivers") or [],
        "run": {
            "id": run.get("id"),
            "hash": run.get("hash"),
            "finished_at": run.get("finished_at"),
            "commit": target.get("commit"),
            "branch": target.get("branch"),
            "dirty": target.get("dirty"),
        },
        "disagree": bool(
            result.get("gate") == "fail"
            and (result.get("readiness") or {}).get("band") == "production-ready"
        ),
    }


def history(checks: Sequence[RecordedCheck], results: Sequence[Mapping[str, Any]]) -> list[Any]:
    """One row per recorded run: when, which commit, the gate, readiness and counts."""
    rows = []
    for check, result in zip(checks, results, strict=True):
        target = result.get("target") or {}
        readiness = result.get("readiness") or {}
        summary = result.get("summary") or {}
        rows.append(
            {
                "seq": check.seq,
                "finished_at": (result.get("run") or {}).get("finished_at") or "",
                "commit": (target.get("commit") or "")[:10] or "none",
                "branch": target.get("branch") or "",
                "dirty": bool(target.get("dirty")),
                "gate": str(result.get("gate") or "unknown"),
                "score": readiness.get("score"),
                "of": readiness.get("of"),
                "band": readiness.get("band"),
                "pass": int(summary.get("pass") or 0),
                "fail": int(summary.get("fail") or 0),
                "error": int(summary.get("error") or 0),
            }
        )
    return rows


def status_changes(
    checks: Sequence[RecordedCheck], results: Sequence[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """Each time a requirement's status differed from the run before: which run and commit."""
    changes = []
    before: dict[str, str] = {}
    for index, (check, result) in enumerate(zip(checks, results, strict=True)):
        now = {str(r.get("id")): str(r.get("status")) for r in result.get("requirements") or []}
        if index:
            for rid in sorted(set(before) | set(now)):
                old, new = before.get(rid, "absent"), now.get(rid, "absent")
                if old != new:
                    changes.append(
                        {
                            "requirement": rid,
                            "anchor": anchor("req", rid),
                            "from": old,
                            "to": new,
                            "seq": check.seq,
                            "commit": ((result.get("target") or {}).get("commit") or "")[:10],
                            "when": (result.get("run") or {}).get("finished_at") or "",
                        }
                    )
        before = now
    return changes


def _finding_row(finding: Mapping[str, Any], number: int | None = None) -> dict[str, Any]:
    location = finding.get("location") or {}
    path = location.get("path")
    line = location.get("line")
    return {
        "id": anchor("f", number) if number is not None else None,
        "rule": finding.get("rule"),
        "rule_anchor": anchor("rule", finding.get("rule")),
        "control": finding.get("control"),
        "status": finding.get("status"),
        "severity": finding.get("severity") or "info",
        "message": finding.get("message") or "",
        "reason": finding.get("reason"),
        "remediation": finding.get("remediation"),
        "where": f"{path}:{line}" if path and line else (path or finding.get("item") or ""),
        "new": finding.get("new"),
        "evidence": [
            {
                "digest": e.get("digest"),
                "anchor": anchor("ev", e.get("digest")),
                "kind": e.get("kind"),
            }
            for e in finding.get("evidence") or []
        ],
    }


def drill_down(result: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Frameworks with their requirements, each with its controls, rules and findings."""
    findings = list(enumerate(result.get("findings") or []))
    by_rule: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for number, finding in findings:
        by_rule[str(finding.get("rule"))].append(_finding_row(finding, number))
    controls = {str(c.get("id")): c for c in result.get("controls") or []}
    frameworks: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for requirement in result.get("requirements") or []:
        shown_controls = []
        for cid in requirement.get("controls") or []:
            control = controls.get(str(cid)) or {"id": cid, "title": "not in this run"}
            rules = [
                {"id": rule, "anchor": anchor("rule", rule), "findings": by_rule.get(rule, [])}
                for rule in control.get("rules") or []
            ]
            shown_controls.append({**control, "anchor": anchor("ctl", cid), "rules": rules})
        severities = {
            f["severity"] for c in shown_controls for r in c["rules"] for f in r["findings"]
        }
        frameworks[str(requirement.get("framework") or "other")].append(
            {
                **requirement,
                "anchor": anchor("req", requirement.get("id")),
                "controls": shown_controls,
                "severities": " ".join(sorted(severities)),
            }
        )
    return [
        {"name": name, "anchor": anchor("fw", name), "requirements": reqs}
        for name, reqs in sorted(frameworks.items())
    ]


def evidence_index(result: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Each evidence item of the run with what it supports: findings, controls, requirements."""
    supports: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for number, finding in enumerate(result.get("findings") or []):
        for ref in finding.get("evidence") or []:
            supports[str(ref.get("digest"))].append(
                {
                    "finding": anchor("f", number),
                    "rule": finding.get("rule"),
                    "status": finding.get("status"),
                    "requirements": [
                        {"id": r, "anchor": anchor("req", r)}
                        for r in finding.get("requirements") or []
                    ],
                }
            )
    rows = []
    for item in result.get("evidence") or []:
        digest = str(item.get("digest"))
        rows.append(
            {
                **item,
                "anchor": anchor("ev", digest),
                "path": (item.get("source") or {}).get("path") or item.get("subject") or "",
                "supports": supports.get(digest, []),
            }
        )
    return rows


def fairness_groups(result: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Impact ratio per group of each audited attribute, for the chart and its table."""
    charts = []
    for analysis in result.get("fairness") or []:
        for attribute in analysis.get("attributes") or []:
            groups = [
                {
                    "id": g.get("id"),
                    "n": g.get("n"),
                    "selection_rate": g.get("selection_rate"),
                    "impact_ratio": g.get("impact_ratio"),
                }
                for g in attribute.get("groups") or []
            ]
            charts.append(
                {
                    "title": f"{analysis.get('name') or analysis.get('path')}: "
                    + " × ".join(str(a) for a in attribute.get("attributes") or []),
                    "groups": groups,
                }
            )
    return charts


def decision_log_trend(checks: Sequence[RecordedCheck]) -> list[dict[str, Any]]:
    """Per run that cited decision-log summaries: records, high-risk records and how many of
    them name a reviewer (summed over the run's summaries)."""
    rows = []
    for check in checks:
        if not check.decision_logs:
            continue
        totals = {"records": 0, "high": 0, "reviewed": 0}
        for summary in check.decision_logs:
            high = summary.get("high_risk") or {}
            totals["records"] += _count(summary.get("records"))
            totals["high"] += _count(high.get("records"))
            totals["reviewed"] += _count(high.get("with_reviewer"))
        share = totals["reviewed"] / totals["high"] if totals["high"] else None
        rows.append({"seq": check.seq, **totals, "share": share})
    return rows


def _count(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0
