"""Why a rule does not apply, in every format: each not-applicable finding's reason reaches the
reader of the text report, the JSON, Markdown, SARIF (a note), JUnit and OSCAL."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Callable
from typing import Any

from govgate.outputs.reporters.json_report import JsonReporter
from govgate.outputs.reporters.junit import JunitReporter
from govgate.outputs.reporters.markdown import MarkdownReporter
from govgate.outputs.reporters.oscal import OscalReporter
from govgate.outputs.reporters.sarif import SarifReporter
from govgate.outputs.reporters.text import TextReporter

#: The rich scenario's system is high-risk; G-2.limited-only applies to limited-risk ones.
REASON = "system.risk is 'high', not 'limited'"


def _na(result: dict[str, Any]) -> dict[str, Any]:
    [finding] = [f for f in result["findings"] if f["rule"] == "G-2.limited-only"]
    return finding


def test_the_finding_carries_its_reason(scenario: Callable[[str], dict[str, Any]]) -> None:
    result = scenario("rich")
    finding = _na(result)
    assert finding["status"] == "not_applicable"
    assert finding["reason"] == REASON
    assert json.loads(JsonReporter().render(result))["findings"] == result["findings"]


def test_text_lists_each_reason_with_what_it_covers(
    scenario: Callable[[str], dict[str, Any]],
) -> None:
    lines = TextReporter().render(scenario("rich")).splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("not applicable ("))
    assert lines[start + 1] == f"  – {REASON}"
    assert lines[start + 2] == "      T-4 (G-2.limited-only)"  # the requirement it leaves N/A
    # With -v each N/A finding is listed with it, and the summary block is not repeated.
    verbose = TextReporter(verbose=True).render(scenario("rich"))
    assert f"not applicable: {REASON}" in verbose
    assert "and why:" not in verbose


def test_markdown_says_why_per_requirement_and_per_reason(
    scenario: Callable[[str], dict[str, Any]],
) -> None:
    text = MarkdownReporter().render(scenario("rich"))
    assert "<summary>Not applicable, and why (1 rule)</summary>" in text
    row = next(line for line in text.splitlines() if "`T-4`" in line)
    assert f"not applicable: {REASON}" in row
    assert f"- {REASON}  \n  `T-4` (`G-2.limited-only`)" in text


def test_sarif_notes_the_reason(scenario: Callable[[str], dict[str, Any]]) -> None:
    document = json.loads(SarifReporter().render(scenario("rich")))
    notes = document["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    [note] = [n for n in notes if n["descriptor"]["id"] == "not-applicable"]
    assert note["level"] == "note"
    assert note["message"]["text"] == f"not applicable (T-4): {REASON}"
    assert note["properties"] == {"rules": ["G-2.limited-only"], "requirements": ["T-4"]}
    # ...and no alert: a rule that does not apply is not a result code scanning shows.
    rules = {r["ruleId"] for r in document["runs"][0]["results"]}
    assert "G-2.limited-only" not in rules


def test_junit_skips_with_the_reason(scenario: Callable[[str], dict[str, Any]]) -> None:
    root = ET.fromstring(JunitReporter().render(scenario("rich")).encode("utf-8"))
    [case] = [c for c in root.iter("testcase") if c.get("name") == "G-2.limited-only"]
    skipped = case.find("skipped")
    assert skipped is not None and skipped.get("message") == f"not applicable: {REASON}"


def test_oscal_gives_the_reason_of_a_requirement_that_does_not_apply(
    scenario: Callable[[str], dict[str, Any]],
) -> None:
    document = json.loads(OscalReporter().render(scenario("rich")))
    findings = document["assessment-results"]["results"][0]["findings"]
    [t4] = [f for f in findings if f["title"].startswith("T-4:")]
    assert f"Not applicable: {REASON}." in t4["description"]
