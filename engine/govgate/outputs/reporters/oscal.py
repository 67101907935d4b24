"""`--format oscal`: NIST OSCAL 1.1.3 assessment results for GRC tools and auditors.

Mapping (read docs/outputs.md for the reasoning):
- each piece of evidence is an observation (`collected`, and `expires` when the result says),
  whose `relevant-evidence` points at a back-matter resource carrying its SHA-256 digest;
- each rule finding is an observation of how the rule came out, citing that evidence;
- each requirement (GDPR-22, AIA-14, ...) is a finding on objective `<id>_obj`: `satisfied`
  when govgate says `met`, else `not-satisfied` with govgate's status in the remarks;
- each waiver a finding relied on is a risk, `deviation-approved` until its expiry
  (`deadline`), or `open` once expired or refused, linked from the findings it affects;
- the policy packs (with their digests) stand in for the assessment plan (`import-ap`).

UUIDs are version 5, derived from the run and stable names, so rendering the same result
twice gives the same document, and every internal reference resolves.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from typing import Any
from urllib.parse import quote

from govgate.core.reporter import Reporter
from govgate.outputs.reporters.common import (
    finding_label,
    location_text,
    one_line,
    policy_edit_notice,
    reason_of,
)

#: Findings up to which the document is indented for people to read.
PRETTY_LIMIT = 2_000
OSCAL_VERSION = "1.1.3"
#: Namespace of govgate's own `props`.
NS = "https://govgate.dev/ns/oscal"
#: uuid5(NAMESPACE_URL, NS): the namespace of every UUID govgate writes.
UUID_NAMESPACE = "bc481b3b-298b-518c-8efd-441f72a58cf6"
_TOKEN_START = re.compile(r"[^\w]|\d", re.UNICODE)
_TOKEN_REST = re.compile(r"[^\w.\-]", re.UNICODE)


def token(text: str) -> str:
    """`text` as an OSCAL token (XML NCName): letters, digits, `.`, `-`, `_`, not a digit first."""
    cleaned = _TOKEN_REST.sub("_", text) or "_"
    return cleaned if not _TOKEN_START.match(cleaned[0]) else "_" + cleaned


def _line(text: Any) -> str | None:
    """A value for a single-line OSCAL string: trimmed, one line, never empty (else None)."""
    if text is None:
        return None
    cleaned = one_line(str(text))
    return cleaned or None


def _prop(name: str, value: Any) -> dict[str, str] | None:
    text = _line(value if not isinstance(value, bool) else str(value).lower())
    return {"name": name, "ns": NS, "value": text} if text else None


def _props(*pairs: tuple[str, Any]) -> list[dict[str, str]]:
    return [p for p in (_prop(name, value) for name, value in pairs) if p]


def _end_of_day(day: Any) -> str | None:
    """A waiver date (YYYY-MM-DD, valid through that day) as an OSCAL date-time."""
    text = str(day or "")
    return f"{text}T23:59:59Z" if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text) else None


def _start_of_day(day: Any) -> str | None:
    text = str(day or "")
    return f"{text}T00:00:00Z" if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text) else None


def _sha256_hex(digest: str) -> str:
    return digest.split(":", 1)[1] if digest.startswith("sha256:") else digest


class OscalReporter(Reporter):
    name = "oscal"
    filename = "govgate.oscal.json"
    media_type = "application/json"
    description = "OSCAL 1.1.3 assessment results (observations, findings, risks)"

    def render(self, result: dict[str, Any]) -> str:
        # Pretty-printing goes through json's pure-Python encoder, five times slower: large
        # runs are written compactly (tools read both; `jq .` makes either readable).
        indent = 2 if len(result.get("findings", [])) <= PRETTY_LIMIT else None
        return json.dumps(self.document(result), indent=indent, ensure_ascii=False) + "\n"

    def document(self, result: dict[str, Any]) -> dict[str, Any]:
        return _Builder(result).build()


class _Builder:
    """One document; holds the UUIDs so every reference is made from the same table."""

    def __init__(self, result: dict[str, Any]) -> None:
        self.result = result
        target = result.get("target") or {}
        run = result.get("run") or {}
        self.started = run.get("started_at") or run.get("finished_at") or "1970-01-01T00:00:00Z"
        self.finished = run.get("finished_at") or self.started
        # Same result → same UUIDs; another run (other time or commit) → other UUIDs.
        self.run_key = json.dumps(
            [
                (result.get("system") or {}).get("name"),
                target.get("path"),
                target.get("commit"),
                self.started,
                self.finished,
            ]
        )
        import uuid  # here, not at import: `govgate check` loads every reporter module

        self._uuid5 = uuid.uuid5
        self._namespace = uuid.UUID(UUID_NAMESPACE)
        self.tool_party = self.uid("party", "govgate")
        self.approvers: dict[str, str] = {}

    def uid(self, *names: str) -> str:
        return str(self._uuid5(self._namespace, "\x1f".join([self.run_key, *names])))

    # -- the document ------------------------------------------------------------------
    def build(self) -> dict[str, Any]:
        result = self.result
        evidence = {e["digest"]: e for e in result.get("evidence", [])}
        for finding in result.get("findings", []):
            for ref in finding.get("evidence", []):
                evidence.setdefault(ref["digest"], {**ref, "subject": ref.get("kind")})
        rule_observations, observation_of = self._rule_observations()
        risks, risk_of = self._risks()
        requirements = result.get("requirements", [])
        result_entry: dict[str, Any] = {
            "uuid": self.uid("result"),
            "title": self._title(),
            "description": self._description(),
            "start": self.started,
            "end": self.finished,
            "props": self._result_props(),
            "reviewed-controls": {
                "control-selections": [
                    {"include-controls": [{"control-id": token(r["id"])} for r in requirements]}
                    if requirements
                    else {"include-all": {}}
                ]
            },
        }
        log = self._assessment_log()
        if log:
            result_entry["assessment-log"] = {"entries": log}
        observations = [self._evidence_observation(e) for e in evidence.values()]
        observations += rule_observations
        if observations:
            result_entry["observations"] = observations
        if risks:
            result_entry["risks"] = risks
        # finding indices per requirement, so each requirement reads only its own findings
        served: dict[str, list[int]] = defaultdict(list)
        for index, finding in enumerate(result.get("findings", [])):
            for req_id in finding.get("requirements", []):
                served[req_id].append(index)
        findings = [
            self._finding(r, served.get(r["id"], []), observation_of, risk_of) for r in requirements
        ]
        if findings:
            result_entry["findings"] = findings
        notice = policy_edit_notice(result)
        if notice:
            result_entry["remarks"] = notice
        resources = [self._plan_resource()]
        resources += [self._evidence_resource(e) for e in evidence.values()]
        # OSCAL arrays have minItems 1: every list above is only set when it has entries,
        # and every `props` list carries at least one field the result always has.
        return {
            "assessment-results": {
                "uuid": self.uid("assessment-results"),
                "metadata": self._metadata(),
                "import-ap": {
                    "href": f"#{self.uid('plan')}",
                    "remarks": "govgate has no separate assessment plan: the policy packs "
                    "in the referenced back-matter resource, identified by their digests, "
                    "define what was assessed and how.",
                },
                "results": [result_entry],
                "back-matter": {"resources": resources},
            }
        }

    def _title(self) -> str:
        system = (self.result.get("system") or {}).get("name") or "system"
        commit = (self.result.get("target") or {}).get("commit")
        return one_line(f"govgate check of {system}" + (f" @ {commit[:12]}" if commit else ""))

    def _description(self) -> str:
        packs = ", ".join(f"{p['name']} {p['version']}" for p in self.result.get("packs", []))
        gate = self.result.get("gate", "fail")
        text = (
            f"Automated policy evaluation with packs {packs or '(none)'}; "
            f"gate {gate} (fail-on {self.result.get('fail_on', 'high')})."
        )
        readiness = self.result.get("readiness")
        if readiness:
            text += (
                f" Production readiness {readiness['score']}/{readiness['of']}: "
                f"{readiness['band']}."
            )
        return text

    def _metadata(self) -> dict[str, Any]:
        version = (self.result.get("tool") or {}).get("version", "0")
        parties = [{"uuid": self.tool_party, "type": "organization", "name": f"govgate {version}"}]
        parties += [
            {"uuid": party, "type": "person", "name": name}
            for name, party in sorted(self.approvers.items())
        ]
        responsible = [{"role-id": "assessor", "party-uuids": [self.tool_party]}]
        if self.approvers:
            responsible.append(
                {"role-id": "approver", "party-uuids": sorted(self.approvers.values())}
            )
        return {
            "title": self._title(),
            "last-modified": self.finished,
            "version": f"run-{self.started}",
            "oscal-version": OSCAL_VERSION,
            "roles": [
                {"id": "assessor", "title": "Automated policy engine"},
                {"id": "approver", "title": "Approver of a waiver"},
            ],
            "parties": parties,
            "responsible-parties": responsible,
        }

    def _result_props(self) -> list[dict[str, str]]:
        result = self.result
        target = result.get("target") or {}
        readiness = result.get("readiness") or {}
        summary = result.get("summary") or {}
        changes = result.get("changes") or {}
        return _props(
            ("gate", result.get("gate")),
            ("fail-on", result.get("fail_on")),
            ("system", (result.get("system") or {}).get("name")),
            ("git-commit", target.get("commit")),
            ("git-branch", target.get("branch")),
            ("readiness-score", readiness.get("score")),
            ("readiness-band", readiness.get("band")),
            *((f"count-{status.replace('_', '-')}", n) for status, n in summary.items()),
            ("base", changes.get("base")),
            ("packs-edited", bool(changes.get("packs_changed")) if changes else None),
            ("params-edited", bool(changes.get("params_changed")) if changes else None),
            ("waivers-edited", bool(changes.get("waivers_changed")) if changes else None),
            ("system-edited", bool(changes.get("system_changed")) if changes else None),
        )

    def _actor(self) -> list[dict[str, Any]]:
        return [{"actors": [{"type": "tool", "actor-uuid": self.tool_party}]}]

    # -- observations ------------------------------------------------------------------
    def _evidence_observation(self, item: dict[str, Any]) -> dict[str, Any]:
        digest = item["digest"]
        source = item.get("source") or {}
        where = source.get("path")
        if where and source.get("line"):
            where = f"{where}:{source['line']}"
        collector = item.get("collector") or {}
        by = " ".join(str(p) for p in (collector.get("name"), collector.get("version")) if p)
        description = f"{item.get('kind')} evidence about {item.get('subject')}"
        if by:
            description += f", collected by the {by} collector"
        if where:
            description += f" from {where}"
        description += f". Digest {digest} (canonical JSON of kind, subject and data)."
        observation: dict[str, Any] = {
            "uuid": self.uid("evidence", digest),
            "title": one_line(f"Evidence {item.get('kind')}: {item.get('subject')}"),
            "description": description,
            "props": _props(
                ("evidence-kind", item.get("kind")),
                ("evidence-digest", digest),
                ("evidence-subject", item.get("subject")),
                ("source-path", source.get("path")),
                ("collector", by),
                ("dated", item.get("dated")),
                ("cited", item.get("cited")),
            ),
            "methods": ["EXAMINE"],
            "origins": self._actor(),
            "relevant-evidence": [
                {
                    "href": f"#{self.uid('resource', digest)}",
                    "description": one_line(f"{item.get('kind')} {where or item.get('subject')}"),
                }
            ],
            "collected": item.get("collected_at") or self.started,
        }
        if item.get("expires"):
            observation["expires"] = item["expires"]
        return observation

    def _rule_observations(self) -> tuple[list[dict[str, Any]], dict[int, str]]:
        """One observation per finding; returns them and finding index → observation UUID."""
        observations = []
        observation_of: dict[int, str] = {}
        seen: dict[str, int] = defaultdict(int)
        for index, finding in enumerate(self.result.get("findings", [])):
            label = finding_label(finding)
            seen[label] += 1
            uid = self.uid("rule", label, str(seen[label]))
            observation_of[index] = uid
            description = finding["message"]
            if finding.get("remediation") and finding["status"] in ("fail", "error"):
                description += f"\n\nFix: {finding['remediation']}"
            waiver = finding.get("waiver") or {}
            observation: dict[str, Any] = {
                "uuid": uid,
                "title": one_line(f"Rule {label}: {finding['status']}") or "Rule",
                "description": description or finding["status"],
                "props": _props(
                    ("rule-id", finding["rule"]),
                    ("item", finding.get("item")),
                    ("result", finding["status"]),
                    ("severity", finding["severity"]),
                    ("control-id", finding["control"]),
                    ("pack", finding["pack"]),
                    ("location", location_text(finding)),
                    ("waiver", waiver.get("id")),
                    ("underlying-result", waiver.get("underlying_status")),
                    ("new", finding.get("new")),
                ),
                "methods": ["TEST"],
                "origins": self._actor(),
                "collected": self.finished,
            }
            evidence = [
                {
                    "href": f"#{self.uid('resource', ref['digest'])}",
                    "description": one_line(
                        f"{ref.get('kind')} {(ref.get('source') or {}).get('path') or ''}"
                    ),
                }
                for ref in finding.get("evidence", [])
            ]
            if evidence:
                observation["relevant-evidence"] = evidence
            observations.append(observation)
        return observations, observation_of

    # -- risks (waivers) ---------------------------------------------------------------
    def _risks(self) -> tuple[list[dict[str, Any]], dict[str, str]]:
        known = {w["id"]: w for w in self.result.get("waivers", []) if w.get("id")}
        used: dict[str, dict[str, Any]] = {}
        covers: dict[str, list[str]] = defaultdict(list)
        for finding in self.result.get("findings", []):
            waiver = finding.get("waiver")
            if waiver and waiver.get("id"):
                used.setdefault(waiver["id"], {**waiver, **known.get(waiver["id"], {})})
                covers[waiver["id"]].append(finding_label(finding))
        risks = []
        risk_of: dict[str, str] = {}
        for waiver_id in sorted(used):
            waiver = used[waiver_id]
            risk_of[waiver_id] = self.uid("waiver", waiver_id)
            risks.append(self._risk(waiver, covers[waiver_id]))
        return risks, risk_of

    def _risk(self, waiver: dict[str, Any], covers: list[str]) -> dict[str, Any]:
        waiver_id = waiver["id"]
        scope = waiver.get("rule") or waiver.get("control") or "?"
        state = waiver.get("status", "active")
        status = "deviation-approved" if state == "active" else "open"
        justification = (waiver.get("justification") or "").strip() or "(no justification)"
        shown = ", ".join(covers[:20]) + (
            f" and {len(covers) - 20} more" if len(covers) > 20 else ""
        )
        risk: dict[str, Any] = {
            "uuid": self.uid("waiver", waiver_id),
            "title": one_line(f"Waiver {waiver_id}: {scope}"),
            "description": justification,
            "statement": (
                f"Accepted exception to {scope}, approved by {waiver.get('approver')} on "
                f"{waiver.get('approved')} until {waiver.get('expires')}; it covers {shown}."
            ),
            "props": _props(
                ("waiver-id", waiver_id),
                ("approver", waiver.get("approver")),
                ("approved", waiver.get("approved")),
                ("expires", waiver.get("expires")),
                ("waiver-status", state),
                ("approval", (waiver.get("approval") or {}).get("level")),
                ("ticket", waiver.get("ticket")),
                (
                    "waiver-source",
                    ":".join(
                        str(p)
                        for p in (
                            (waiver.get("source") or {}).get("path"),
                            (waiver.get("source") or {}).get("line"),
                        )
                        if p
                    ),
                ),
            ),
            "status": status,
        }
        deadline = _end_of_day(waiver.get("expires"))
        if deadline:
            risk["deadline"] = deadline
        approver = _line(waiver.get("approver"))
        entries = []
        approved = _start_of_day(waiver.get("approved"))
        if approver and approved:
            party = self.approvers.setdefault(approver, self.uid("approver", approver))
            entries.append(
                {
                    "uuid": self.uid("waiver", waiver_id, "approved"),
                    "title": "Waiver approved",
                    "start": approved,
                    "logged-by": [{"party-uuid": party, "role-id": "approver"}],
                    "status-change": "deviation-approved",
                }
            )
        if state == "expired" and deadline:
            entries.append(
                {
                    "uuid": self.uid("waiver", waiver_id, "expired"),
                    "title": "Waiver expired; its findings fail again",
                    "start": deadline,
                    "status-change": "open",
                }
            )
        if entries:
            risk["risk-log"] = {"entries": entries}
        # a risk has no remarks: why the deviation is no longer approved goes in the statement
        if state == "expired":
            risk["statement"] += (
                f" It expired on {waiver.get('expires')}, so those findings fail again: "
                "renew it with a new approval, or fix them."
            )
        elif state == "refused":
            risk["statement"] += f" It is not applied: {waiver.get('refused') or 'refused'}."
        return risk

    # -- findings (requirements) -------------------------------------------------------
    def _finding(
        self,
        requirement: dict[str, Any],
        indices: list[int],
        observation_of: dict[int, str],
        risk_of: dict[str, str],
    ) -> dict[str, Any]:
        req_id = requirement["id"]
        status = requirement["status"]
        controls = {c["id"]: c for c in self.result.get("controls", [])}
        related: list[str] = []
        risks: list[str] = []
        failing: list[str] = []
        why: list[str] = []
        all_findings = self.result.get("findings", [])
        for index in indices:
            finding = all_findings[index]
            if status == "not_applicable" and finding["status"] == "not_applicable":
                why.append(reason_of(finding))
            related.append(observation_of[index])
            related += [self.uid("evidence", e["digest"]) for e in finding.get("evidence", [])]
            waiver_id = (finding.get("waiver") or {}).get("id")
            if waiver_id in risk_of:
                risks.append(risk_of[waiver_id])
            if finding["status"] in ("fail", "error"):
                failing.append(f"{finding_label(finding)} ({finding['status']})")
        source = " ".join(
            str(p) for p in (requirement.get("framework"), requirement.get("ref")) if p
        )
        described = [
            f"{source}: {requirement.get('title') or req_id}." if source else f"{req_id}.",
            f"govgate status: {status.replace('_', ' ')}.",
        ]
        if requirement.get("controls"):
            described.append(
                "Controls: "
                + "; ".join(
                    f"{c} {controls.get(c, {}).get('status', 'unverified').replace('_', ' ')}"
                    for c in requirement["controls"]
                )
                + "."
            )
        if why:
            described.append("Not applicable: " + "; ".join(dict.fromkeys(why)) + ".")
        if failing:
            shown = ", ".join(failing[:20])
            more = f" and {len(failing) - 20} more" if len(failing) > 20 else ""
            described.append(f"Failing or erroring rules: {shown}{more}.")
        reason = {"met": "pass", "not_met": "fail", "partial": "fail"}.get(status, "other")
        entry: dict[str, Any] = {
            "uuid": self.uid("requirement", req_id),
            "title": one_line(f"{req_id}: {requirement.get('title') or ''}").rstrip(": "),
            "description": " ".join(described),
            "props": _props(
                ("requirement-id", req_id),
                ("framework", requirement.get("framework")),
                ("reference", requirement.get("ref")),
                ("govgate-status", status),
                ("pack", requirement.get("pack")),
            ),
            "origins": self._actor(),
            "target": {
                "type": "objective-id",
                "target-id": f"{token(req_id)}_obj",
                "status": {
                    "state": "satisfied" if status == "met" else "not-satisfied",
                    "reason": reason,
                    "remarks": f"govgate status: {status}",
                },
            },
        }
        if related:
            entry["related-observations"] = [
                {"observation-uuid": u} for u in dict.fromkeys(related)
            ]
        if risks:
            entry["related-risks"] = [{"risk-uuid": u} for u in dict.fromkeys(risks)]
        return entry

    # -- log and back matter -----------------------------------------------------------
    def _assessment_log(self) -> list[dict[str, Any]]:
        entries = []
        for collector in self.result.get("collectors", []):
            name = collector.get("name", "?")
            text = (
                f"collector {name} {collector.get('version', '')}".rstrip()
                + f": {collector.get('status')}"
            )
            if collector.get("items") is not None:
                text += f", {collector['items']} evidence items"
            if collector.get("message"):
                text += f" ({collector['message']})"
            entries.append(
                {
                    "uuid": self.uid("collector", name),
                    "title": one_line(f"Collector {name} ran"),
                    "description": text,
                    "start": self.started,
                    "logged-by": [{"party-uuid": self.tool_party, "role-id": "assessor"}],
                }
            )
        for number, diag in enumerate(self.result.get("diagnostics", []), start=1):
            where = diag.get("path") or ""
            if diag.get("line"):
                where += f":{diag['line']}"
            entries.append(
                {
                    "uuid": self.uid("diagnostic", str(number)),
                    "title": one_line(f"Input problem ({diag.get('level', 'warning')})"),
                    "description": f"{where}: {diag.get('message', '')}"
                    if where
                    else str(diag.get("message", "")),
                    "start": self.started,
                    "logged-by": [{"party-uuid": self.tool_party, "role-id": "assessor"}],
                }
            )
        return entries

    def _plan_resource(self) -> dict[str, Any]:
        packs = self.result.get("packs", [])
        resource: dict[str, Any] = {
            "uuid": self.uid("plan"),
            "title": "govgate policy packs (the assessment plan)",
            "description": "Packs evaluated: "
            + (", ".join(f"{p['name']} {p['version']} ({p['digest']})" for p in packs) or "none")
            + ".",
        }
        props = _props(*(("pack", f"{p['name']}@{p['version']}") for p in packs))
        if props:
            resource["props"] = props
        rlinks = [
            {
                "href": "urn:govgate:pack:"
                + quote(str(p["name"]), safe="")
                + ":"
                + quote(str(p["version"]), safe=""),
                "media-type": "application/yaml",
                "hashes": [{"algorithm": "SHA-256", "value": _sha256_hex(p["digest"])}],
            }
            for p in packs
        ]
        if rlinks:
            resource["rlinks"] = rlinks
        return resource

    def _evidence_resource(self, item: dict[str, Any]) -> dict[str, Any]:
        digest = item["digest"]
        source = item.get("source") or {}
        return {
            "uuid": self.uid("resource", digest),
            "title": one_line(f"{item.get('kind')}: {item.get('subject')}"),
            "description": (
                "The evidence record as govgate stored it (canonical JSON of kind, subject and "
                "data); its SHA-256 is the evidence digest, under which the evidence locker "
                "keeps it." + (f" Read from {source['path']}." if source.get("path") else "")
            ),
            "props": _props(
                ("evidence-kind", item.get("kind")), ("source-path", source.get("path"))
            ),
            "rlinks": [
                {
                    "href": f"urn:govgate:evidence:{quote(digest, safe=':')}",
                    "media-type": "application/json",
                    "hashes": [{"algorithm": "SHA-256", "value": _sha256_hex(digest)}],
                }
            ],
        }
