"""`--format junit`: JUnit XML for CI test reports (GitLab, Jenkins, Azure, GitHub actions).

One test suite per pack and one test case per rule evaluation (`rule[item]`, class
`pack.control`): `<failure>` with the message and the fix for a failing finding, `<error>` for
one that could not be evaluated, `<skipped>` for skipped, not applicable and waived findings
(with the waiver's justification), except that a skipped rule that fails the gate is a
`<failure>` saying so: CI counts skips as harmless. A last suite, `govgate`, reports
run-level facts: a change that edits packs, parameters or waivers (as a failure, so CI shows
it), input problems and waivers that need attention.
"""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import datetime
from typing import TYPE_CHECKING, Any

from govgate.core.reporter import Reporter
from govgate.outputs.reporters.common import (
    blocking_skip,
    blocking_skip_note,
    finding_label,
    location_text,
    policy_edit_notice,
)

if TYPE_CHECKING:
    import xml.etree.ElementTree as ET

# Characters XML 1.0 cannot carry at all, even escaped (most C0 controls, lone surrogates,
# U+FFFE/U+FFFF); shown as \uXXXX so the report stays well-formed and the text stays visible.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_text(text: Any) -> str:
    """`text` with every character XML 1.0 forbids written as a visible `\\uXXXX` escape."""
    return _XML_ILLEGAL.sub(lambda m: f"\\u{ord(m.group()):04x}", str(text))


def _seconds(result: dict[str, Any]) -> str:
    run = result.get("run") or {}
    try:
        started = datetime.fromisoformat(run["started_at"].replace("Z", "+00:00"))
        finished = datetime.fromisoformat(run["finished_at"].replace("Z", "+00:00"))
    except (KeyError, TypeError, ValueError, AttributeError):
        return "0"
    return f"{max((finished - started).total_seconds(), 0.0):.3f}"


def _attributes(attributes: dict[str, Any]) -> dict[str, str]:
    return {k: xml_text(v) for k, v in attributes.items() if v is not None}


def _element(parent: ET.Element, tag: str, attributes: dict[str, Any]) -> ET.Element:
    from xml.etree.ElementTree import SubElement

    return SubElement(parent, tag, _attributes(attributes))


class JunitReporter(Reporter):
    name = "junit"
    filename = "govgate.junit.xml"
    media_type = "application/xml"
    description = "JUnit XML test report: one test case per rule evaluation"

    def render(self, result: dict[str, Any]) -> str:
        # imported here, not at module load: `govgate check` loads every reporter module
        import xml.etree.ElementTree as ET

        root = ET.Element("testsuites", {"name": "govgate"})
        by_pack: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for finding in result.get("findings", []):
            by_pack[finding["pack"]].append(finding)
        for pack in result.get("packs", []):
            by_pack.setdefault(pack["name"], [])
        versions = {p["name"]: p.get("version") for p in result.get("packs", [])}
        timestamp = (result.get("run") or {}).get("started_at")
        for pack_name in sorted(by_pack):
            suite = _element(
                root,
                "testsuite",
                {"name": pack_name, "timestamp": timestamp, "time": "0"},
            )
            props = _element(suite, "properties", {})
            if versions.get(pack_name):
                _element(props, "property", {"name": "pack.version", "value": versions[pack_name]})
            self._common_properties(props, result)
            for finding in by_pack[pack_name]:
                self._testcase(suite, finding, result.get("fail_on", "high"))
            self._count(suite)
        self._run_suite(root, result)
        totals = {k: 0 for k in ("tests", "failures", "errors", "skipped")}
        for suite in root:
            for key in totals:
                totals[key] += int(suite.get(key, "0"))
        for key, value in totals.items():
            root.set(key, str(value))
        root.set("time", _seconds(result))
        ET.indent(root)
        return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"

    def _common_properties(self, props: ET.Element, result: dict[str, Any]) -> None:
        target = result.get("target") or {}
        facts = {
            "gate": result.get("gate"),
            "fail_on": result.get("fail_on"),
            "system": (result.get("system") or {}).get("name"),
            "commit": target.get("commit"),
            "branch": target.get("branch"),
        }
        notice = policy_edit_notice(result)
        if notice:
            facts["policy_edits"] = notice
        for name, value in facts.items():
            if value is not None:
                _element(props, "property", {"name": name, "value": value})

    def _testcase(self, suite: ET.Element, finding: dict[str, Any], fail_on: str) -> None:
        location = finding.get("location") or {}
        case = _element(
            suite,
            "testcase",
            {
                "name": finding_label(finding),
                "classname": f"{finding['pack']}.{finding['control']}",
                "file": location.get("path"),
                "line": location.get("line"),
                "time": "0",
            },
        )
        status = finding["status"]
        where = location_text(finding)
        details = [finding["message"]]
        blocking = blocking_skip(finding, fail_on)
        if blocking:
            details.append(blocking_skip_note(finding, fail_on))
        if finding.get("remediation") and (status in ("fail", "error") or blocking):
            details.append(f"Fix: {finding['remediation']}")
        if where:
            details.append(f"Location: {where}")
        details.append(f"Severity: {finding['severity']}")
        if finding.get("requirements"):
            details.append(f"Requirements: {', '.join(finding['requirements'])}")
        if finding.get("new") is not None:
            details.append("New in this change" if finding["new"] else "Already present at base")
        waiver = finding.get("waiver")
        if waiver and status == "fail":
            details.append(f"Waiver {waiver.get('id')} is {waiver.get('status')}: not applied")
        if status == "fail" or blocking:
            # CI lists the message attribute alone: it must say why a skip fails the build
            message = finding["message"] + ("; this blocks the gate" if blocking else "")
            element = _element(case, "failure", {"message": message, "type": finding["severity"]})
            element.text = xml_text("\n".join(details))
        elif status == "error":
            element = _element(case, "error", {"message": finding["message"], "type": "error"})
            element.text = xml_text("\n".join(details))
        elif status == "waived" and waiver:
            message = (
                f"waived by {waiver.get('id')} (approved by {waiver.get('approver')}, "
                f"expires {waiver.get('expires')}): {waiver.get('justification')}"
            )
            element = _element(case, "skipped", {"message": message})
            element.text = xml_text("\n".join(details))
        elif status in ("skipped", "not_applicable", "waived"):
            # the engine's messages already say "skipped: ..." / "not applicable ..."
            _element(case, "skipped", {"message": finding["message"]})

    def _run_suite(self, root: ET.Element, result: dict[str, Any]) -> None:
        """Run-level facts a pipeline must see: self-edited policies, broken inputs.

        Left out when there is nothing to say, so a clean run has only the pack suites.
        """
        from xml.etree.ElementTree import Element

        suite = Element(
            "testsuite",
            _attributes(
                {"name": "govgate", "timestamp": (result.get("run") or {}).get("started_at")}
            ),
        )
        props = _element(suite, "properties", {})
        self._common_properties(props, result)
        if result.get("changes") is not None:
            case = _element(
                suite,
                "testcase",
                {"name": "policies unchanged by this change", "classname": "govgate.changes"},
            )
            notice = policy_edit_notice(result)
            if notice:
                failure = _element(case, "failure", {"message": notice, "type": "policy-edit"})
                files = (result.get("changes") or {}).get("files") or []
                failure.text = xml_text(
                    "\n".join([notice, *(f"changed: {f}" for f in files[:200])])
                )
        problems = [
            f"{d.get('level', 'warning')}: {d.get('path') or ''}"
            + (f":{d['line']}" if d.get("line") else "")
            + f": {d.get('message', '')}"
            for d in result.get("diagnostics", [])
        ]
        for waiver in result.get("waivers", []):
            if waiver.get("status") == "expired":
                problems.append(f"waiver {waiver['id']} expired on {waiver.get('expires')}")
            elif waiver.get("status") == "refused":
                problems.append(f"waiver {waiver['id']} refused: {waiver.get('refused')}")
            elif not waiver.get("used"):
                problems.append(f"waiver {waiver['id']} matched no finding; remove it")
        if problems:
            err = _element(suite, "system-err", {})
            err.text = xml_text("\n".join(problems))
        if suite.find("testcase") is not None or problems:
            self._count(suite)
            root.append(suite)

    @staticmethod
    def _count(suite: ET.Element) -> None:
        cases = suite.findall("testcase")
        suite.set("tests", str(len(cases)))
        suite.set("failures", str(sum(1 for c in cases if c.find("failure") is not None)))
        suite.set("errors", str(sum(1 for c in cases if c.find("error") is not None)))
        suite.set("skipped", str(sum(1 for c in cases if c.find("skipped") is not None)))
        suite.set("time", "0")
