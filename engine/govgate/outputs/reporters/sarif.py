"""`--format sarif`: SARIF 2.1.0 for code scanning (GitHub, GitLab, Azure DevOps, IDEs).

One rule descriptor per rule, results for what needs attention (fail, error, a skipped rule
that fails the gate as an `error` saying so, and waived as an accepted external suppression
carrying the waiver's justification), paths relative to
`%SRCROOT%` (the git repository's root, also for a target in a sub-folder) with line regions,
partial fingerprints that survive line moves, and the run's input problems as tool
notifications. Valid against the OASIS SARIF 2.1.0 schema.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import quote

from govgate.core.policy import severity_rank
from govgate.core.reporter import Reporter
from govgate.outputs.reporters.common import (
    blocking_skip,
    blocking_skip_note,
    finding_label,
    listed,
    not_applicable_groups,
    policy_edit_notice,
    repository_path,
    repository_prefix,
    repository_root,
    severity_order,
)

#: Findings up to which the document is indented for people to read.
PRETTY_LIMIT = 2_000
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SRCROOT = "%SRCROOT%"
#: Where a finding without a location of its own is reported: the file that chose the packs.
CONFIG_FILE = "govgate.yaml"
INFORMATION_URI = "https://github.com/govgate/govgate"
#: The name of govgate's fingerprint; bump the version if what it hashes ever changes.
FINGERPRINT_KEY = "govgateFindingHash/v1"

LEVELS = {"critical": "error", "high": "error", "medium": "warning", "low": "note", "info": "note"}
#: GitHub's `security-severity` bands: >= 9 critical, 7-8.9 high, 4-6.9 medium, 0.1-3.9 low.
SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "2.0"}
_REPORTED = ("fail", "error", "waived")


def fingerprint(finding: dict[str, Any], prefix: str = "") -> str:
    """Stable across runs: rule, item and path, but not the line (edits above move it).

    The path is the repository-relative one (`prefix` is the target's folder in it), so the
    same rule on the same file name in two folders of a monorepo are two alerts.
    """
    path = (finding.get("location") or {}).get("path") or ""
    if path:
        path = prefix + path
    key = json.dumps([finding["rule"], finding.get("item") or "", path], ensure_ascii=False)
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def artifact_uri(path: str) -> str:
    """A repository-relative path as a relative URI reference (spaces, %, # ... escaped)."""
    return quote(PurePosixPath(path).as_posix(), safe="/")


def _location(path: str, line: int | None) -> dict[str, Any]:
    physical: dict[str, Any] = {
        "artifactLocation": {"uri": artifact_uri(path), "uriBaseId": SRCROOT}
    }
    if line:
        physical["region"] = {"startLine": int(line)}
    return {"physicalLocation": physical}


def _srcroot_uri(path: str | None) -> str | None:
    """`file:///abs/repo/` for an absolute repository path; None when it is not absolute."""
    if not path:
        return None
    posix = PurePosixPath(path.replace("\\", "/"))
    if not posix.is_absolute() and not (len(path) > 1 and path[1] == ":"):
        return None
    text = posix.as_posix()
    if not text.startswith("/"):
        text = "/" + text  # a Windows drive path: file:///C:/...
    return "file://" + quote(text.rstrip("/") + "/", safe="/:")


class SarifReporter(Reporter):
    name = "sarif"
    filename = "govgate.sarif"
    media_type = "application/sarif+json"
    description = "SARIF 2.1.0 for code scanning (GitHub, GitLab, IDEs)"

    def render(self, result: dict[str, Any]) -> str:
        # Pretty-printing goes through json's pure-Python encoder, five times slower: large
        # runs are written compactly (tools read both; `jq .` makes either readable).
        indent = 2 if len(result.get("findings", [])) <= PRETTY_LIMIT else None
        return json.dumps(self.document(result), indent=indent, ensure_ascii=False) + "\n"

    def document(self, result: dict[str, Any]) -> dict[str, Any]:
        findings = result.get("findings", [])
        rules = self._rules(result)
        index = {rule["id"]: position for position, rule in enumerate(rules)}
        reported = sorted(
            (
                f
                for f in findings
                if f["status"] in _REPORTED or blocking_skip(f, result.get("fail_on", "high"))
            ),
            key=severity_order(result.get("fail_on", "high")),
        )
        tool = result.get("tool") or {}
        target = result.get("target") or {}
        run: dict[str, Any] = {
            "tool": {
                "driver": {
                    "name": "govgate",
                    "version": str(tool.get("version", "0")),
                    "semanticVersion": str(tool.get("version", "0")),
                    "informationUri": INFORMATION_URI,
                    "rules": rules,
                }
            },
            "invocations": [self._invocation(result)],
            "results": [self._result(f, index[f["rule"]], result) for f in reported],
            "columnKind": "unicodeCodePoints",
            "properties": self._run_properties(result),
        }
        # %SRCROOT% is the git repository's root, as code scanning resolves paths from there;
        # the target may be a sub-folder of it (a monorepo), whose paths get the folder in front
        root = _srcroot_uri(repository_root(result))
        if root:
            run["originalUriBaseIds"] = {SRCROOT: {"uri": root}}
            if target.get("commit"):
                provenance: dict[str, Any] = {
                    "repositoryUri": root,
                    "revisionId": target["commit"],
                    "mappedTo": {"uriBaseId": SRCROOT},
                }
                if target.get("branch"):
                    provenance["branch"] = target["branch"]
                run["versionControlProvenance"] = [provenance]
        return {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}

    # -- rules -------------------------------------------------------------------------
    def _rules(self, result: dict[str, Any]) -> list[dict[str, Any]]:
        controls = {c["id"]: c for c in result.get("controls", [])}
        requirements = {r["id"]: r for r in result.get("requirements", [])}
        by_rule: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for finding in result.get("findings", []):
            by_rule[finding["rule"]].append(finding)
        return [
            self._descriptor(rule_id, by_rule[rule_id], controls, requirements)
            for rule_id in sorted(by_rule)
        ]

    def _descriptor(
        self,
        rule_id: str,
        findings: list[dict[str, Any]],
        controls: dict[str, dict[str, Any]],
        requirements: dict[str, dict[str, Any]],
    ) -> dict[str, Any]:
        first = findings[0]
        severity = max((f["severity"] for f in findings), key=severity_rank)
        control = controls.get(first["control"], {})
        control_title = control.get("title") or first["control"]
        served = [requirements.get(r, {"id": r}) for r in first.get("requirements", [])]

        def source(req: dict[str, Any]) -> str:
            ref = " ".join(p for p in (req.get("framework"), req.get("ref")) if p)
            title = req.get("title")
            return f"{req['id']}" + (f" ({ref})" if ref else "") + (f": {title}" if title else "")

        full = (
            f"Rule {rule_id} of pack {first['pack']} tests control {first['control']} "
            f"({control_title})."
        )
        if served:
            full += " It serves " + "; ".join(source(r) for r in served) + "."
        fixes = sorted({f["remediation"] for f in findings if f.get("remediation")})
        help_lines = []
        if len(fixes) == 1:
            help_lines.append(f"How to fix: {fixes[0]}")
        elif fixes:
            help_lines.append(f"How to fix (each result names its own item): {fixes[0]}")
        if served:
            help_lines.append("Requirements served:")
            help_lines += [f"- {source(r)}" for r in served]
        help_lines.append(f"More: govgate explain {rule_id}")
        properties: dict[str, Any] = {
            "tags": sorted(
                {"compliance", first["pack"], first["control"], *first.get("requirements", [])}
                | {r["framework"] for r in served if r.get("framework")}
            ),
            "pack": first["pack"],
            "control": first["control"],
            "requirements": list(first.get("requirements", [])),
            "severity": severity,
        }
        if severity in SECURITY_SEVERITY:
            properties["security-severity"] = SECURITY_SEVERITY[severity]
        return {
            "id": rule_id,
            "name": rule_id,
            "shortDescription": {"text": f"{control_title} ({rule_id})"},
            "fullDescription": {"text": full},
            "help": {"text": "\n".join(help_lines)},
            "defaultConfiguration": {"level": LEVELS[severity]},
            "properties": properties,
        }

    # -- results -----------------------------------------------------------------------
    def _result(
        self, finding: dict[str, Any], rule_index: int, result: dict[str, Any]
    ) -> dict[str, Any]:
        status = finding["status"]
        text = finding["message"]
        if status == "skipped":  # reported only when it fails the gate
            text += "\n" + blocking_skip_note(finding, result.get("fail_on", "high"))
        if finding.get("remediation") and status in ("fail", "error", "skipped"):
            text += f"\nFix: {finding['remediation']}"
        location = finding.get("location") or {}
        path = repository_path(result, location.get("path") or CONFIG_FILE)
        properties: dict[str, Any] = {
            "status": status,
            "severity": finding["severity"],
            "control": finding["control"],
            "requirements": finding.get("requirements", []),
            "pack": finding["pack"],
            "label": finding_label(finding),
            "evidence": [e["digest"] for e in finding.get("evidence", [])],
        }
        if finding.get("item") is not None:
            properties["item"] = finding["item"]
        entry: dict[str, Any] = {
            "ruleId": finding["rule"],
            "ruleIndex": rule_index,
            # an error means nobody knows the answer; it fails the gate whatever the severity,
            # and so does a rule skipped at or above fail-on
            "level": "error" if status in ("error", "skipped") else LEVELS[finding["severity"]],
            "message": {"text": text},
            "locations": [_location(path, location.get("line"))],
            "partialFingerprints": {
                FINGERPRINT_KEY: fingerprint(finding, repository_prefix(result))
            },
            "properties": properties,
        }
        if finding.get("new") is not None:
            entry["baselineState"] = "new" if finding["new"] else "unchanged"
        waiver = finding.get("waiver")
        if waiver:
            properties["waiver"] = {
                k: waiver.get(k) for k in ("id", "approver", "approved", "expires", "status")
            }
        if status == "waived" and waiver:
            suppression: dict[str, Any] = {
                "kind": "external",
                "status": "accepted",
                "justification": waiver.get("justification") or "",
                "properties": {
                    "waiver": waiver.get("id"),
                    "approver": waiver.get("approver"),
                    "approved": waiver.get("approved"),
                    "expires": waiver.get("expires"),
                    "underlyingStatus": waiver.get("underlying_status", "fail"),
                },
            }
            source = waiver.get("source") or {}
            if source.get("path"):
                suppression["location"] = _location(
                    repository_path(result, source["path"]), source.get("line")
                )
            entry["suppressions"] = [suppression]
        return entry

    # -- run ---------------------------------------------------------------------------
    def _invocation(self, result: dict[str, Any]) -> dict[str, Any]:
        notifications = []
        notice = policy_edit_notice(result)
        if notice:
            notifications.append(
                {"level": "warning", "message": {"text": notice}, "descriptor": {"id": "changes"}}
            )
        for collector in result.get("collectors", []):
            if collector.get("status") in ("error", "missing"):
                notifications.append(
                    {
                        "level": "error",
                        "message": {
                            "text": f"collector {collector['name']} {collector['status']}: "
                            f"{collector.get('message') or 'no message'}"
                        },
                        "descriptor": {"id": f"collector/{collector['name']}"},
                    }
                )
        for diag in result.get("diagnostics", []):
            note: dict[str, Any] = {
                "level": "error" if diag.get("level") == "error" else "warning",
                "message": {"text": diag.get("message") or "input problem"},
                "descriptor": {"id": f"collector/{diag.get('collector') or 'unknown'}"},
            }
            if diag.get("path"):
                note["locations"] = [
                    _location(repository_path(result, diag["path"]), diag.get("line"))
                ]
            notifications.append(note)
        for waiver in result.get("waivers", []):
            problem = None
            if waiver.get("status") == "expired":
                problem = f"waiver {waiver['id']} expired on {waiver.get('expires')}"
            elif waiver.get("status") == "refused":
                problem = f"waiver {waiver['id']} refused: {waiver.get('refused')}"
            elif not waiver.get("used"):
                problem = f"waiver {waiver['id']} matched no finding; remove it"
            if problem:
                note = {
                    "level": "warning",
                    "message": {"text": problem},
                    "descriptor": {"id": "waivers"},
                }
                source = waiver.get("source") or {}
                if source.get("path"):
                    note["locations"] = [
                        _location(repository_path(result, source["path"]), source.get("line"))
                    ]
                notifications.append(note)
        notifications += _not_applicable_notes(result)
        findings = result.get("findings", [])
        errored = any(f["status"] == "error" for f in findings) or any(
            c.get("status") == "error" for c in result.get("collectors", [])
        )
        invocation: dict[str, Any] = {
            # false when part of the evaluation could not run (an `error` finding or a
            # crashed collector): the verdict is then incomplete, and the gate fails closed
            "executionSuccessful": not errored,
            "exitCode": 0 if result.get("gate") == "pass" else 1,
            "exitCodeDescription": f"gate {result.get('gate', 'fail')}",
            "toolExecutionNotifications": notifications,
        }
        run = result.get("run") or {}
        if run.get("started_at"):
            invocation["startTimeUtc"] = run["started_at"]
        if run.get("finished_at"):
            invocation["endTimeUtc"] = run["finished_at"]
        return invocation

    def _run_properties(self, result: dict[str, Any]) -> dict[str, Any]:
        properties: dict[str, Any] = {
            "gate": result.get("gate"),
            "failOn": result.get("fail_on"),
            "summary": result.get("summary"),
            "readiness": result.get("readiness"),
            "system": (result.get("system") or {}).get("name"),
            "packs": [
                {"name": p["name"], "version": p["version"], "digest": p["digest"]}
                for p in result.get("packs", [])
            ],
        }
        if result.get("changes") is not None:
            properties["changes"] = result["changes"]
        run = result.get("run") or {}
        if run.get("id") is not None and run.get("hash"):
            # The locker's head after this run: `govgate verify --witness` takes the witness.
            properties["locker"] = {
                "run": run["id"],
                "hash": run["hash"],
                "witness": f"{run['id']}:{run['hash']}",
            }
        return properties


def _not_applicable_notes(result: dict[str, Any]) -> list[dict[str, Any]]:
    """A note per reason why rules do not apply, not a result per finding: code scanning lists
    results as alerts, and a rule that does not apply is no alert, yet its reason is part of the
    verdict a reader of the log must be able to see."""
    notes = []
    for group in not_applicable_groups(result):
        covers = listed(group["requirements"] or group["rules"], 10)
        notes.append(
            {
                "level": "note",
                "message": {"text": f"not applicable ({covers}): {group['reason']}"},
                "descriptor": {"id": "not-applicable"},
                "properties": {"rules": group["rules"], "requirements": group["requirements"]},
            }
        )
    return notes
