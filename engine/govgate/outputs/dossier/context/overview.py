"""The cover, executive summary and scope sections: the system, the run, the gate, the top
risks and the model cards."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from govgate.core.evidence import Evidence
from govgate.core.policy import SEVERITIES, severity_rank
from govgate.core.rollup import REQUIREMENT_STATUSES
from govgate.outputs.dossier.context.values import MAX_ITEMS, data_tree, where
from govgate.outputs.dossier.inputs import DossierInput

TOP_RISKS = 8
BANDS = (
    ("10–12", "production-ready"),
    ("7–9", "close"),
    ("4–6", "a demo, not a pilot"),
    ("0–3", "a science experiment"),
)


def _frameworks(result: Mapping[str, Any]) -> list[str]:
    return sorted({str(r.get("framework")) for r in result.get("requirements") or []})


def _owner(inp: DossierInput, control_id: str) -> str | None:
    if inp.policy_set is None:
        return None
    control = inp.policy_set.controls.get(control_id)
    return control.owner if control else None


def cover_context(inp: DossierInput) -> dict[str, Any]:
    result = inp.result
    system = result.get("system") or {}
    target = result.get("target") or {}
    return {
        "system_name": system.get("name") or "unnamed system",
        "system_version": system.get("version"),
        "owner": system.get("owner"),
        "risk": system.get("risk"),
        "role": system.get("role"),
        "run_id": (result.get("run") or {}).get("id"),
        "commit": target.get("commit"),
        "branch": target.get("branch"),
        # True: the run checked a working tree with uncommitted changes, not the commit.
        "dirty": target.get("dirty"),
        "run_started": (result.get("run") or {}).get("started_at"),
        "generated_at": inp.generated_at,
        "prepared_by": inp.prepared_by,
        "frameworks": _frameworks(result),
        "packs": [f"{p.get('name')} {p.get('version')}" for p in result.get("packs") or []],
        "gate": result.get("gate"),
        "tool_version": (result.get("tool") or {}).get("version"),
    }


def _blocking(findings: list[Mapping[str, Any]], fail_on: str) -> int:
    """How many findings fail the gate: errors, and failures and skipped rules at or above
    `fail_on`."""
    threshold = severity_rank(fail_on) if fail_on in SEVERITIES else 3
    return sum(
        1
        for f in findings
        if f.get("status") == "error"
        or (
            f.get("status") in ("fail", "skipped")
            and f.get("severity") in SEVERITIES
            and severity_rank(f["severity"]) >= threshold
        )
    )


def _risks(findings: list[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Failures and errors, most severe first (an error before a failure of equal severity)."""
    return sorted(
        (f for f in findings if f.get("status") in ("fail", "error")),
        key=lambda f: (
            -(severity_rank(f["severity"]) if f.get("severity") in SEVERITIES else 0),
            f.get("status") != "error",
            f.get("rule", ""),
            f.get("item") or "",
        ),
    )


def _risk_row(inp: DossierInput, finding: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "severity": finding.get("severity"),
        "status": finding.get("status"),
        "rule": finding.get("rule"),
        "control": finding.get("control"),
        "owner": _owner(inp, str(finding.get("control"))),
        "message": finding.get("message"),
        "requirements": ", ".join(finding.get("requirements") or []),
    }


def summary_context(inp: DossierInput) -> dict[str, Any]:
    result = inp.result
    findings = list(result.get("findings") or [])
    fail_on = str(result.get("fail_on") or "high")
    requirements = list(result.get("requirements") or [])
    frameworks = [
        {
            "name": name,
            "counts": [counts.get(s, 0) for s in REQUIREMENT_STATUSES],
            "total": sum(counts.values()),
        }
        for name, counts in sorted((result.get("frameworks") or {}).items())
    ]
    risks = _risks(findings)
    waivers = list(result.get("waivers") or [])
    return {
        "gate": result.get("gate"),
        "fail_on": fail_on,
        "blocking": _blocking(findings, fail_on),
        "errors": sum(1 for f in findings if f.get("status") == "error"),
        "counts": result.get("summary") or {},
        "requirements_met": sum(1 for r in requirements if r.get("status") == "met"),
        "requirements_applicable": sum(
            1 for r in requirements if r.get("status") != "not_applicable"
        ),
        "requirements_total": len(requirements),
        "frameworks": frameworks,
        "statuses": REQUIREMENT_STATUSES,
        "top_risks": [_risk_row(inp, f) for f in risks[:TOP_RISKS]],
        "more_risks": max(0, len(risks) - TOP_RISKS),
        "owners_known": inp.policy_set is not None,
        "readiness": result.get("readiness"),
        "bands": BANDS,
        "waived": sum(1 for f in findings if f.get("status") == "waived"),
        "waivers_active": sum(1 for w in waivers if w.get("status") == "active"),
        "waivers_expired": sum(1 for w in waivers if w.get("status") == "expired"),
        "waivers_refused": sum(1 for w in waivers if w.get("status") == "refused"),
    }


def _is_model_card(item: Evidence) -> bool:
    if item.collector != "documents":
        return False
    name = f"{item.kind} {item.subject}".lower().replace("-", "_")
    if "model_card" in name or "modelcard" in name:
        return True
    return isinstance(item.data, Mapping) and item.data.get("format") == "model_card_json"


#: Model-card fields shown in their own rows; the others follow as data (for formats other
#: than Markdown and model-card JSON, whose remaining fields are parser bookkeeping).
_CARD_FIELDS = ("title", "front_matter", "headings", "missing_sections")
_CARD_BOOKKEEPING = ("word_count", "sections", "dates", "format")


def _model_card(item: Evidence) -> dict[str, Any]:
    data = item.data if isinstance(item.data, Mapping) else {}
    other = None
    if data and data.get("format") not in ("markdown", "model_card_json"):
        other = data_tree(
            {k: v for k, v in data.items() if k not in _CARD_FIELDS and k not in _CARD_BOOKKEEPING}
        )
    return {
        "subject": item.subject,
        "source": where(item.source.to_json()),
        "digest": item.digest,
        "problem": item.problem,
        "title": data.get("title"),
        "front_matter": data_tree(data.get("front_matter") or {}),
        "headings": [
            {"level": h.get("level"), "text": h.get("text"), "line": h.get("line")}
            for h in (data.get("headings") or [])[:MAX_ITEMS]
            if isinstance(h, Mapping)
        ],
        "missing_sections": data.get("missing_sections") or [],
        "word_count": data.get("word_count"),
        "other": other,
    }


def scope_context(inp: DossierInput) -> dict[str, Any]:
    result = inp.result
    system = dict(result.get("system") or {})
    cards = [
        _model_card(item)
        for item in sorted(inp.evidence, key=lambda e: e.subject)
        if _is_model_card(item)
    ]
    target = result.get("target") or {}
    description = system.pop("description", None)  # shown as the lead paragraph instead
    return {
        "system": data_tree(system),
        "description": description,
        "target": {
            "path": target.get("path"),
            "commit": target.get("commit"),
            "branch": target.get("branch"),
            "dirty": target.get("dirty"),
        },
        "packs": list(result.get("packs") or []),
        "model_cards": cards,
        "documents_ran": any(r.get("name") == "documents" for r in result.get("collectors") or []),
    }
