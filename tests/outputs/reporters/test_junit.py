"""JUnit XML output, read back with junitparser (what CI report plugins do) and ElementTree."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable
from typing import Any

from junitparser import Error, Failure, JUnitXml, Skipped, TestSuite

from govgate.core.policy import severity_rank
from govgate.outputs.reporters.junit import JunitReporter


def blocking_skips(result: dict[str, Any]) -> list[dict[str, Any]]:
    """Skipped rules at or above fail-on: they fail the gate, so the CI outputs list them."""
    limit = severity_rank(result["fail_on"])
    return [
        f
        for f in result["findings"]
        if f["status"] == "skipped" and severity_rank(f["severity"]) >= limit
    ]


def parse(result: dict[str, Any]) -> JUnitXml:
    text = JunitReporter().render(result)
    ET.fromstring(text.encode("utf-8"))  # well-formed XML 1.0, whatever the input held
    return JUnitXml.fromstring(text.encode("utf-8"))


def suites(xml: JUnitXml) -> dict[str, TestSuite]:
    return {suite.name: suite for suite in xml}


def outcome(case: Any) -> str:
    kinds = {Failure: "failure", Error: "error", Skipped: "skipped"}
    found = [kinds[type(r)] for r in case.result if type(r) in kinds]
    return found[0] if found else "passed"


def test_counts_match_the_result_in_every_scenario(any_result: dict[str, Any]) -> None:
    xml = parse(any_result)
    summary = any_result["summary"]
    packs = {p["name"] for p in any_result["packs"]}
    by_name = suites(xml)
    assert packs <= set(by_name)
    pack_suites = [by_name[name] for name in packs]
    assert sum(s.tests for s in pack_suites) == len(any_result["findings"])
    # a skipped rule that fails the gate is a failure: CI counts skips as harmless
    blocking = len(blocking_skips(any_result))
    assert sum(s.failures for s in pack_suites) == summary["fail"] + blocking
    assert sum(s.errors for s in pack_suites) == summary["error"]
    skipped = summary["skipped"] - blocking + summary["not_applicable"] + summary["waived"]
    assert sum(s.skipped for s in pack_suites) == skipped
    for suite in xml:
        # each suite's attributes agree with what it holds
        outcomes = [outcome(case) for case in suite]
        assert suite.tests == len(outcomes)
        assert suite.failures == outcomes.count("failure")
        assert suite.errors == outcomes.count("error")
        assert suite.skipped == outcomes.count("skipped")
    assert xml.tests == sum(s.tests for s in xml)
    assert xml.failures == sum(s.failures for s in xml)


def test_cases_carry_message_fix_and_waiver(scenario: Callable[[str], dict[str, Any]]) -> None:
    xml = parse(scenario("rich"))
    cases = {case.name: case for case in suites(xml)["t"]}
    failing = cases["G-1.enabled[<script>alert('x')</script>]"]
    assert failing.classname == "t.G-1"
    failure = failing.result[0]
    assert isinstance(failure, Failure)
    assert failure.message == "gate <script>alert('x')</script> is disabled"
    assert failure.type == "high"
    assert failure.text.splitlines()[:4] == [
        "gate <script>alert('x')</script> is disabled",
        "Fix: set enabled: true for <script>alert('x')</script> in gates.yaml",
        "Location: gates.yaml:8",
        "Severity: high",
    ]
    error = cases["G-1.owner-list[gates.yaml]"].result[0]
    assert isinstance(error, Error)
    assert error.message == "for_each 'owner' did not select a list"
    waived = cases["G-1.reviewed[alpha]"].result[0]
    assert isinstance(waived, Skipped)
    assert waived.message == (
        "waived by W-ACTIVE (approved by Jane Q. Officer, expires 2026-08-01): "
        "Reviewer <b>on leave</b> | back in June & then some"
    )
    expired = cases["G-1.reviewed[beta]"].result[0]
    assert isinstance(expired, Failure)
    assert "waiver W-EXPIRED expired on 2026-03-01" in expired.message
    assert "Waiver W-EXPIRED is expired: not applied" in expired.text
    skipped = cases["G-3.dpia-signed"].result[0]  # critical, at or above fail-on high
    assert isinstance(skipped, Failure)
    assert skipped.message == (
        "skipped: prerequisite G-3.dpia did not pass (fail); this blocks the gate"
    )
    assert outcome(cases["G-1.listed[gates.yaml]"]) == "passed"
    # no location of its own: no file attribute rather than a made-up one
    assert cases["G-3.dpia[docs/dpia*.md]"]._elem.get("file") is None
    assert failing._elem.get("file") == "gates.yaml" and failing._elem.get("line") == "8"


def test_hostile_text_stays_well_formed_and_visible(
    scenario: Callable[[str], dict[str, Any]],
) -> None:
    xml = parse(scenario("rich"))
    names = [case.name for case in suites(xml)["t"]]
    # XML 1.0 cannot carry ESC or BEL even escaped: they are shown as \uXXXX
    assert "G-1.enabled[ctl \\u001b[31mred\\u0007 and \r\nnew line, 100% :: ::error::x]" in names
    assert "G-1.enabled[naïve – 日本語 🚀 ünïcödé]" in names
    assert any(name.startswith("G-1.enabled[long-xxxx") and len(name) > 5000 for name in names)
    assert "G-1.enabled[pipe | tick ` [link](javascript:alert(1)) @org/team #12 *bold* " in (
        " ".join(names)
    )


def test_run_suite_reports_policy_edits_and_input_problems(
    scenario: Callable[[str], dict[str, Any]],
) -> None:
    changed = suites(parse(scenario("changes")))["govgate"]
    (case,) = list(changed)
    assert case.classname == "govgate.changes"
    failure = case.result[0]
    assert isinstance(failure, Failure) and failure.type == "policy-edit"
    assert failure.message.startswith("This change edits policy packs (t) and waivers")
    assert "changed: governance/waivers.yaml" in failure.text
    problems = changed._elem.find("system-err").text
    assert "warning: settings.env:2: not a KEY=VALUE line; ignored" in problems
    assert "waiver W-UNUSED matched no finding; remove it" in problems
    properties = {p.name: p.value for p in changed.properties()}
    assert properties["gate"] == "fail" and properties["commit"]
    # one suite per pack with findings, plus the run suite only when there is a run-level note
    loan = scenario("loan")
    names = set(suites(parse(loan)))
    assert names - {"govgate"} == {f["pack"] for f in loan["findings"]}
    has_notes = bool(loan["diagnostics"]) or any(not w["used"] for w in loan["waivers"])
    assert ("govgate" in names) == has_notes


def test_no_findings_at_all_is_an_empty_valid_suite(
    scenario: Callable[[str], dict[str, Any]],
) -> None:
    xml = parse(scenario("empty"))
    (suite,) = list(xml)
    assert suite.name == "e" and suite.tests == 0 and suite.failures == 0
    assert xml.tests == 0
