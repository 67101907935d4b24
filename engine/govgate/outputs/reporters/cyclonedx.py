"""`--format cyclonedx`: the run as CycloneDX 1.6 attestations (CDXA): the packs' frameworks as
`definitions.standards`, one claim per requirement in scope, the evidence by digest, and an
attestation mapping each requirement to its claim with the conformance the run found."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections import defaultdict
from typing import Any

from govgate.core.reporter import Reporter

#: How far a requirement's status conforms. Unverified is 0: nobody knows, so nothing is
#: claimed; not applicable is left without a score (there is nothing to conform to).
_SCORES = {"met": 1.0, "partial": 0.5, "not_met": 0.0, "unverified": 0.0}
_NAMESPACE = uuid.UUID("6f1f7f52-3a4b-4f0e-9d55-7c0c2b7e9a11")


def _ref(kind: str, text: str) -> str:
    """A bom-ref unique in the document and stable from run to run."""
    return f"{kind}-{text}"


def _framework_ref(framework: str) -> str:
    return _ref("standard", hashlib.sha256(framework.encode("utf-8")).hexdigest()[:16])


def _standards(requirements: list[dict[str, Any]]) -> list[dict[str, Any]]:
    by_framework: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for req in requirements:
        by_framework[req["framework"]].append(req)
    return [
        {
            "bom-ref": _framework_ref(framework),
            "name": framework,
            "description": f"The {framework} requirements of the govgate packs in this run.",
            "requirements": [
                {
                    "bom-ref": _ref("requirement", req["id"]),
                    "identifier": req["id"],
                    "title": req["title"],
                    "text": f"{req.get('ref') or req['id']}: {req['title']}",
                }
                for req in reqs
            ],
        }
        for framework, reqs in sorted(by_framework.items())
    ]


def _evidence(result: dict[str, Any]) -> list[dict[str, Any]]:
    items = []
    for item in result.get("evidence", []):
        digest = str(item.get("digest") or "")
        entry: dict[str, Any] = {
            "bom-ref": _ref("evidence", digest.replace(":", "-")),
            "propertyName": str(item.get("kind")),
            "description": f"{item.get('kind')} from {item.get('subject')} ({digest})",
            "data": [{"name": str(item.get("subject")), "contents": {"url": f"urn:{digest}"}}],
        }
        if item.get("collected_at"):
            entry["created"] = item["collected_at"]
        if item.get("expires"):
            entry["expires"] = item["expires"]
        items.append(entry)
    return items


def _requirement_evidence(result: dict[str, Any]) -> dict[str, set[str]]:
    """The evidence digests each requirement's findings cite."""
    cited: dict[str, set[str]] = defaultdict(set)
    for finding in result.get("findings", []):
        digests = {e["digest"] for e in finding.get("evidence") or [] if e.get("digest")}
        for req in finding.get("requirements") or []:
            cited[req] |= digests
    return cited


def _claims_and_map(
    result: dict[str, Any], known: set[str]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    cited = _requirement_evidence(result)
    claims, mapping = [], []
    for req in result.get("requirements", []):
        claim_ref = _ref("claim", req["id"])
        evidence = sorted(
            _ref("evidence", d.replace(":", "-")) for d in cited.get(req["id"], set())
        )
        status = str(req["status"])
        said = status.replace("_", " ")
        controls = ", ".join(req.get("controls") or []) or "no control"
        claims.append(
            {
                "bom-ref": claim_ref,
                "target": "target-component",
                "predicate": f"{result['system'].get('name')} meets {req['id']}: {req['title']}",
                "reasoning": f"govgate found it {said} through {controls}",
                "evidence": [e for e in evidence if e in known],
            }
        )
        entry: dict[str, Any] = {
            "requirement": _ref("requirement", req["id"]),
            "claims": [claim_ref],
        }
        if status in _SCORES:
            entry["conformance"] = {
                "score": _SCORES[status],
                "rationale": f"{said} (controls: {controls})",
            }
            entry["confidence"] = {
                "score": 0.0 if status == "unverified" else 1.0,
                "rationale": "the evidence could not be evaluated"
                if status == "unverified"
                else "evaluated by the rules over the cited evidence",
            }
        else:
            entry["conformance"] = {"rationale": said}
        mapping.append(entry)
    return claims, mapping


class CycloneDxReporter(Reporter):
    name = "cyclonedx"
    filename = "govgate.cdx.json"
    media_type = "application/vnd.cyclonedx+json"
    description = "CycloneDX 1.6 attestations: requirements, claims, evidence, conformance"

    def render(self, result: dict[str, Any]) -> str:
        system = result.get("system") or {}
        tool = result.get("tool") or {}
        evidence = _evidence(result)
        claims, mapping = _claims_and_map(result, {e["bom-ref"] for e in evidence})
        digest = hashlib.sha256(json.dumps(result, sort_keys=True).encode()).hexdigest()
        target: dict[str, Any] = {
            "type": "application",
            "bom-ref": "target-system",
            "name": str(system.get("name") or "system"),
        }
        if system.get("version"):
            target["version"] = str(system["version"])
        gate = str(result.get("gate")).upper()
        document = {
            "bomFormat": "CycloneDX",
            "specVersion": "1.6",
            "serialNumber": f"urn:uuid:{uuid.uuid5(_NAMESPACE, digest)}",
            "version": 1,
            "metadata": {
                "timestamp": (result.get("run") or {}).get("finished_at"),
                "tools": {
                    "components": [
                        {"type": "application", "name": "govgate", "version": tool.get("version")}
                    ]
                },
                "component": target,
            },
            "definitions": {"standards": _standards(result.get("requirements", []))},
            "declarations": {
                "assessors": [
                    {
                        "bom-ref": "assessor-govgate",
                        "thirdParty": False,
                        "organization": {"name": f"govgate {tool.get('version')}"},
                    }
                ],
                "attestations": [
                    {
                        "summary": f"govgate gate {gate} (fail-on {result.get('fail_on')}) "
                        f"over {len(mapping)} requirements",
                        "assessor": "assessor-govgate",
                        "map": mapping,
                    }
                ],
                "claims": claims,
                "evidence": evidence,
                "targets": {
                    "components": [
                        {k: v for k, v in target.items() if k != "bom-ref"}
                        | {"bom-ref": "target-component"}
                    ]
                },
            },
        }
        return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
