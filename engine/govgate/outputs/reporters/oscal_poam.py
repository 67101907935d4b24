"""`--format oscal-poam`: an OSCAL 1.1.3 plan of action and milestones: one POA&M item per open
finding (failed or errored: a risk `open`, its remediation planned) and per waived finding (a
risk `deviation-approved` until the waiver's expiry, with how far its approval is proven)."""

from __future__ import annotations

import json
import re
from typing import Any

from govgate.core.reporter import Reporter
from govgate.outputs.reporters.common import finding_label, one_line
from govgate.outputs.reporters.oscal import NS, OSCAL_VERSION, UUID_NAMESPACE

_OPEN = ("fail", "error")


def _props(*pairs: tuple[str, Any]) -> list[dict[str, str]]:
    out = []
    for name, value in pairs:
        text = one_line(str(value).lower() if isinstance(value, bool) else str(value or ""))
        if text:
            out.append({"name": name, "ns": NS, "value": text})
    return out


def _deadline(day: Any) -> str | None:
    text = str(day or "")
    return f"{text}T23:59:59Z" if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text) else None


class OscalPoamReporter(Reporter):
    name = "oscal-poam"
    filename = "govgate.poam.json"
    media_type = "application/json"
    description = "OSCAL 1.1.3 plan of action and milestones: open findings and waivers"

    def render(self, result: dict[str, Any]) -> str:
        return json.dumps(self.document(result), indent=2, ensure_ascii=False) + "\n"

    def document(self, result: dict[str, Any]) -> dict[str, Any]:
        import uuid  # here, not at import: `govgate check` loads every reporter module

        run = result.get("run") or {}
        finished = run.get("finished_at") or "1970-01-01T00:00:00Z"
        system = result.get("system") or {}
        key = json.dumps([system.get("name"), (result.get("target") or {}).get("commit"),
                          run.get("started_at"), finished])  # fmt: skip
        namespace = uuid.UUID(UUID_NAMESPACE)

        def uid(*names: str) -> str:
            return str(uuid.uuid5(namespace, "\x1f".join([key, "poam", *names])))

        observations, risks, items = [], [], []
        for index, finding in enumerate(result.get("findings", [])):
            if finding.get("status") not in (*_OPEN, "waived"):
                continue
            label = one_line(finding_label(finding)) or finding["rule"]
            observation = uid("observation", str(index))
            risk = uid("risk", str(index))
            observations.append(self._observation(finding, observation, label, finished))
            risks.append(self._risk(finding, risk, label, uid("remediation", str(index))))
            items.append(
                {
                    "uuid": uid("item", str(index)),
                    "title": label,
                    "description": one_line(str(finding.get("message") or "")) or label,
                    "props": _props(
                        ("rule", finding.get("rule")),
                        ("severity", finding.get("severity")),
                        ("status", finding.get("status")),
                    ),
                    "related-observations": [{"observation-uuid": observation}],
                    "related-risks": [{"risk-uuid": risk}],
                }
            )
        if not items:  # the model needs one item: say there is nothing to plan, no more
            items.append(
                {
                    "uuid": uid("item", "none"),
                    "title": "No open findings and no waived findings in this run",
                    "description": f"govgate gate {str(result.get('gate')).upper()}: nothing "
                    "failed, errored or was waived.",
                }
            )
        version = (result.get("tool") or {}).get("version", "0")
        party = uid("party", "govgate")
        plan: dict[str, Any] = {
            "uuid": uid("document"),
            "metadata": {
                "title": one_line(f"govgate plan of action: {system.get('name') or 'system'}"),
                "last-modified": finished,
                "version": f"run-{finished}",
                "oscal-version": OSCAL_VERSION,
                "parties": [{"uuid": party, "type": "organization", "name": f"govgate {version}"}],
            },
            "system-id": {
                "identifier-type": f"{NS}/system-name",
                "id": one_line(str(system.get("name") or "system")),
            },
            "poam-items": items,
        }
        if observations:
            plan["observations"] = observations
            plan["risks"] = risks
        return {"plan-of-action-and-milestones": plan}

    @staticmethod
    def _observation(
        finding: dict[str, Any], observation: str, label: str, collected: str
    ) -> dict[str, Any]:
        location = finding.get("location") or {}
        return {
            "uuid": observation,
            "title": label,
            "description": one_line(str(finding.get("message") or "")) or label,
            "methods": ["TEST"],
            "collected": collected,
            "props": _props(
                ("rule", finding.get("rule")),
                ("status", finding.get("status")),
                ("path", location.get("path")),
                ("evidence-digest", ", ".join(e["digest"] for e in finding.get("evidence") or [])),
            ),
        }

    @staticmethod
    def _risk(finding: dict[str, Any], risk: str, label: str, remediation: str) -> dict[str, Any]:
        waiver = finding.get("waiver") or {}
        waived = finding.get("status") == "waived"
        approval = (waiver.get("approval") or {}).get("level")
        entry: dict[str, Any] = {
            "uuid": risk,
            "title": label,
            "description": one_line(str(finding.get("message") or "")) or label,
            "statement": (
                f"Accepted exception: waiver {waiver.get('id')} approved by "
                f"{waiver.get('approver')} ({approval or 'approval not checked'}) until "
                f"{waiver.get('expires')}: {one_line(str(waiver.get('justification') or ''))}"
                if waived
                else f"Open {finding.get('severity')} finding of {finding.get('rule')}."
            ),
            "status": "deviation-approved" if waived else "open",
            "props": _props(
                ("severity", finding.get("severity")),
                ("waiver-id", waiver.get("id")),
                ("approval", approval),
            ),
        }
        deadline = _deadline(waiver.get("expires")) if waived else None
        if deadline:
            entry["deadline"] = deadline
        if finding.get("remediation"):
            entry["remediations"] = [
                {
                    "uuid": remediation,
                    "lifecycle": "planned",
                    "title": f"Fix {finding.get('rule')}",
                    "description": one_line(finding["remediation"]),
                }
            ]
        return entry
