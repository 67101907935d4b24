"""The text report (`--format text`, what `govgate check` prints on stderr), line by line, from a
small hand-built result document: FAIL, ERROR and WAIVED findings with file:line and the fix,
input problems, unused waivers, requirement statuses, readiness, the summary and the gate line;
`-q` (hook mode) and `-v`."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from govgate.outputs.reporters.text import TextReporter

from conftest import CliResult, RepoBuilder


def finding(rule: str, status: str, severity: str, **extra: Any) -> dict[str, Any]:
    return {
        "rule": rule,
        "status": status,
        "severity": severity,
        "control": rule.split(".", 1)[0],
        "requirements": ["T-1"],
        "pack": "t",
        "item": None,
        "message": f"{rule} message",
        "remediation": f"{rule} remedy",
        "location": None,
        "evidence": [],
        "waiver": None,
        "new": None,
        **extra,
    }


def base_result() -> dict[str, Any]:
    return {
        "schema": "govgate/result/v1",
        "tool": {"name": "govgate", "version": "9.9.9"},
        "target": {"path": "/repo", "commit": "0123456789abcdef0123"},
        "system": {"name": "loans", "risk": "high"},
        "packs": [{"name": "t", "version": "1.0.0"}, {"name": "u", "version": "2.0.0"}],
        "gate": "fail",
        "fail_on": "high",
        "summary": {
            "pass": 3,
            "fail": 2,
            "error": 1,
            "waived": 1,
            "not_applicable": 0,
            "skipped": 0,
        },
        "readiness": None,
        "findings": [
            finding("G-1.ok", "pass", "high"),
            finding(
                "G-1.enabled",
                "fail",
                "medium",
                item="b",
                message="gate b is disabled",
                remediation="set enabled: true for b in gates.yaml",
                location={"path": "gates.yaml", "line": 12},
            ),
            finding(
                "G-3.dpia",
                "fail",
                "critical",
                message="no DPIA matches docs/dpia*.md",
                remediation="write docs/dpia.md",
                location={"path": "docs", "line": None},
            ),
            finding("G-2.parse", "error", "low", message="cannot read settings.env"),
            finding(
                "G-2.debug",
                "waived",
                "high",
                message="DEBUG is true in settings.env",
                location={"path": "settings.env", "line": 1},
                waiver={
                    "id": "W-1",
                    "approver": "Head of Risk",
                    "expires": "2099-01-01",
                    "justification": "staging only",
                },
            ),
            finding(
                "G-2.na",
                "not_applicable",
                "info",
                requirements=["O-3"],
                message="not applicable: system.risk is 'high', not 'limited'",
                reason="system.risk is 'high', not 'limited'",
            ),
            finding("G-2.skip", "skipped", "info"),
        ],
        "diagnostics": [
            {"level": "warning", "path": "settings.env", "line": 3, "message": "not a pair"},
            {"level": "error", "path": "gates.yaml", "line": None, "message": "duplicate key"},
        ],
        "waivers": [
            {"id": "W-1", "used": True, "source": {"path": "waivers.yaml", "line": 2}},
            {"id": "W-2", "used": False, "source": {"path": "waivers.yaml", "line": 9}},
        ],
        "controls": [],
        "requirements": [
            {"id": "T-1", "framework": "Test", "status": "not_met"},
            {"id": "T-2", "framework": "Test", "status": "met"},
            {"id": "O-1", "framework": "Other", "status": "partial"},
            {"id": "O-2", "framework": "Other", "status": "unverified"},
            {"id": "O-3", "framework": "Other", "status": "not_applicable"},
        ],
        "frameworks": {
            "Test": {"met": 1, "not_met": 1},
            "Other": {"partial": 1, "unverified": 1, "not_applicable": 1},
        },
    }


FULL_REPORT = [
    "govgate 9.9.9 · loans @ 0123456789",
    "packs: t 1.0.0, u 2.0.0",
    "",
    # Errors first, then failures by severity, then waived findings.
    "ERROR  low      G-2.parse",
    "       cannot read settings.env",
    "       fix: G-2.parse remedy",
    "FAIL   critical G-3.dpia  docs",
    "       no DPIA matches docs/dpia*.md",
    "       fix: write docs/dpia.md",
    "FAIL   medium   G-1.enabled  gates.yaml:12",
    "       gate b is disabled",
    "       fix: set enabled: true for b in gates.yaml",
    "WAIVED high     G-2.debug  settings.env:1",
    "       DEBUG is true in settings.env",
    "       waiver W-1 by Head of Risk until 2099-01-01: staging only",
    "",
    "input problems (2):",
    "  warning settings.env:3: not a pair",
    "  error   gates.yaml: duplicate key",
    "",
    "unused waiver W-2 (waivers.yaml:9) matched no finding; remove it",
    "",
    "Other: 1 not applicable, 1 partial, 1 unverified",
    # Four requirements a row, each in a 22-character cell.
    "  " + "   ".join(["◐ O-1".ljust(22), "? O-2".ljust(22), "– O-3"]),
    "Test: 1 met, 1 not met",
    "  " + "   ".join(["✗ T-1".ljust(22), "✓ T-2"]),
    "  (✓ met  ✗ not met  ◐ partial  ? unverified  – not applicable)",
    "",
    # Each reason once, with the requirements it leaves not applicable and its rules.
    "not applicable (1 finding), and why:",
    "  – system.risk is 'high', not 'limited'",
    "      O-3 (G-2.na)",
    "",
    "summary: 3 pass · 2 fail · 1 error · 1 waived",
    "gate: FAIL (fail-on high)",
]


def test_the_full_report_line_by_line() -> None:
    text = TextReporter().render(base_result())
    assert text.endswith("\n")
    assert text.splitlines() == FULL_REPORT


def test_requirements_not_met_only_for_want_of_evidence_are_named_under_their_grid() -> None:
    """Missing evidence needs a scan or a document, a failing one needs a fix: the grid says
    which is which. An error or one finding that cites evidence keeps a requirement off."""
    result = base_result()
    scanned = [{"kind": "genai.redteam", "digest": "sha256:ab", "subject": "scan.json"}]
    result["findings"] += [
        finding("L-7.scan", "fail", "medium", requirements=["L-7"]),
        finding("L-7.config", "pass", "medium", requirements=["L-7"], evidence=scanned),
        finding("L-9.scan", "fail", "medium", requirements=["L-9", "L-8"]),
        finding("L-1.scan", "fail", "high", requirements=["L-1"], evidence=scanned),
        finding("L-8.filter", "fail", "high", requirements=["L-8"], evidence=scanned),
    ]
    result["requirements"] += [
        {"id": rid, "framework": "LLM", "status": status}
        for rid, status in (("L-1", "not_met"), ("L-7", "partial"), ("L-8", "not_met"))
    ] + [{"id": "L-9", "framework": "LLM", "status": "not_met"}]
    result["frameworks"]["LLM"] = {"not_met": 3, "partial": 1}
    lines = TextReporter().render(result).splitlines()
    grid = lines.index("LLM: 3 not met, 1 partial")
    assert lines[grid + 2] == "  not met for want of evidence: L-7, L-9"
    # T-1 fails without evidence too, but one of its findings errored: not listed.
    assert sum("want of evidence" in line for line in lines) == 1
    assert "want of evidence" not in TextReporter(brief=True).render(result)


def test_quiet_mode_prints_only_what_fails_and_the_gate() -> None:
    lines = TextReporter(brief=True).render(base_result()).splitlines()
    assert lines == [
        "ERROR  low      G-2.parse",
        "       cannot read settings.env",
        "       fix: G-2.parse remedy",
        "FAIL   critical G-3.dpia  docs",
        "       no DPIA matches docs/dpia*.md",
        "       fix: write docs/dpia.md",
        "FAIL   medium   G-1.enabled  gates.yaml:12",
        "       gate b is disabled",
        "       fix: set enabled: true for b in gates.yaml",
        "",
        # Only error-level input problems: a warning does not block a commit.
        "input problems (1):",
        "  error   gates.yaml: duplicate key",
        "",
        "gate: FAIL (fail-on high)",
    ]


def test_quiet_mode_on_a_passing_result_is_the_gate_line_alone() -> None:
    result = base_result()
    result["findings"] = [f for f in result["findings"] if f["status"] in ("pass", "waived")]
    result["diagnostics"] = [d for d in result["diagnostics"] if d["level"] == "warning"]
    result["gate"] = "pass"
    assert TextReporter(brief=True).render(result) == "gate: PASS (fail-on high)\n"


def test_verbose_mode_lists_every_finding_and_fixes_only_what_failed() -> None:
    lines = TextReporter(verbose=True).render(base_result()).splitlines()
    known = {"ERROR", "FAIL", "WAIVED", "SKIP", "N/A", "PASS"}
    marks = [line.split()[0] for line in lines if line.split()[:1] and line.split()[0] in known]
    assert marks == ["ERROR", "FAIL", "FAIL", "WAIVED", "SKIP", "N/A", "PASS"]
    assert "PASS   high     G-1.ok" in lines
    assert "SKIP   info     G-2.skip" in lines
    assert "N/A    info     G-2.na" in lines
    assert "       fix: G-1.ok remedy" not in lines  # no fix for what passed
    assert "       fix: G-2.skip remedy" not in lines


def test_readiness_line_and_summary_counts() -> None:
    result = base_result()
    result["readiness"] = {"score": 8, "of": 12, "band": "close"}
    result["summary"] = {
        "pass": 0,
        "fail": 0,
        "error": 0,
        "waived": 0,
        "not_applicable": 4,
        "skipped": 2,
    }
    lines = TextReporter().render(result).splitlines()
    assert lines[-3:] == [
        "readiness: 8/12 — close",
        # pass and fail are always counted; the other statuses only when there are some.
        "summary: 0 pass · 0 fail · 4 not applicable · 2 skipped",
        "gate: FAIL (fail-on high)",
    ]


def test_a_passing_gate_and_no_commit() -> None:
    result = base_result()
    result["gate"] = "pass"
    result["fail_on"] = "critical"
    result["target"]["commit"] = None
    lines = TextReporter().render(result).splitlines()
    assert lines[0] == "govgate 9.9.9 · loans"
    assert lines[-1] == "gate: PASS (fail-on critical)"


def test_new_findings_are_marked_and_new_only_hides_old_failures() -> None:
    result = base_result()
    for f in result["findings"]:
        f["new"] = f["rule"] == "G-1.enabled"
    lines = TextReporter().render(result).splitlines()
    assert "FAIL   medium   G-1.enabled (new)  gates.yaml:12" in lines
    assert "FAIL   critical G-3.dpia  docs" in lines

    result["changes"] = {"base": "main", "new_only": True}
    lines = TextReporter().render(result).splitlines()
    assert "1 problem(s) already present at main not shown (--new-only); see --format json" in lines
    assert not any("G-3.dpia" in line for line in lines)
    assert "FAIL   medium   G-1.enabled (new)  gates.yaml:12" in lines
    # Errors fail the gate old or new: they stay in view.
    assert "ERROR  low      G-2.parse" in lines


def test_a_change_editing_its_own_policies_is_said_in_every_mode() -> None:
    result = base_result()
    result["changes"] = {"base": "main", "waivers_changed": ["W-9"]}
    for reporter in (TextReporter(), TextReporter(brief=True)):
        lines = reporter.render(result).splitlines()
        notes = [line for line in lines if line.startswith("NOTE: ")]
        assert notes == [
            "NOTE: This change edits waivers (W-9) compared with main: review those edits on "
            "their own, a change must not approve itself."
        ]


def test_more_than_twenty_input_problems_are_cut_with_a_count() -> None:
    result = base_result()
    result["diagnostics"] = [
        {"level": "warning", "path": f"f{n}.md", "line": n + 1, "message": "m"} for n in range(23)
    ]
    lines = TextReporter().render(result).splitlines()
    assert "input problems (23):" in lines
    assert "  warning f19.md:20: m" in lines
    assert "  warning f20.md:21: m" not in lines
    assert "  … and 3 more (see --format json)" in lines


@pytest.mark.parametrize(
    "hostile",
    [
        "line one\n::error file=x::forged",
        "a\rgate: PASS (fail-on high)",
        "\x1b[2J\x1b[31mred",
        "evil\u202ereversed",
    ],
)
def test_repository_text_cannot_forge_a_line_or_steer_the_terminal(hostile: str) -> None:
    result = base_result()
    for f in result["findings"]:
        f["message"] = hostile
        f["remediation"] = hostile
        if f["location"]:
            f["location"]["path"] = hostile
    result["diagnostics"][0]["message"] = hostile
    result["system"]["name"] = hostile
    text = TextReporter().render(result)
    lines = text.splitlines()
    assert len(lines) == len(FULL_REPORT)
    assert not any(line.startswith(("::", "gate: PASS")) for line in lines)
    assert "\x1b" not in text and "\r" not in text and "\u202e" not in text
    assert lines[-1] == "gate: FAIL (fail-on high)"


def test_colour_only_when_asked_and_never_with_no_color(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    coloured = TextReporter(colour=True).render(base_result())
    assert "\x1b[" in coloured
    assert len(coloured.splitlines()) == len(FULL_REPORT)
    assert "\x1b[" not in TextReporter().render(base_result())
    monkeypatch.setenv("NO_COLOR", "1")
    assert "\x1b[" not in TextReporter(colour=True).render(base_result())


def test_the_input_document_is_not_modified() -> None:
    result = base_result()
    before = copy.deepcopy(result)
    TextReporter(verbose=True).render(result)
    assert result == before


def test_check_prints_the_text_report_on_stderr_and_quiet_mode_with_q(
    make_repo: Callable[..., RepoBuilder], run_cli: Callable[..., CliResult]
) -> None:
    pack = """\
pack: t
version: 1.0.0
title: Text
evidence_kinds:
  gates: {collector: config, paths: [gates.yaml]}
requirements:
  - {id: T-1, title: Gates, source: {framework: Test, ref: "1"}}
controls:
  - {id: G-1, title: Gates are enabled, satisfies: [T-1]}
rules:
  - id: G-1.enabled
    control: G-1
    severity: high
    evidence: gates
    for_each: gates
    assert: {path: enabled, op: eq, value: true}
    message: "gate {item.name} is disabled"
    remediation: "set enabled: true for {item.name} in {source.path}"
"""
    repo = make_repo(
        {
            "govgate.yaml": "system: {name: texty, risk: high}\npacks: [./t]\n",
            "t/pack.yaml": pack,
            "gates.yaml": (
                "gates:\n  - name: a\n    enabled: true\n  - name: b\n    enabled: false\n"
            ),
        }
    )
    done = run_cli("check", repo.path, "--no-locker")
    assert done.exit_code == 1
    # The failing value's own line: b's `enabled: false`.
    lines = done.stderr.splitlines()
    assert lines[0].startswith("govgate ") and " · texty @ " in lines[0]
    assert "FAIL   high     G-1.enabled  gates.yaml:5" in lines
    assert "       gate b is disabled" in lines
    assert "       fix: set enabled: true for b in gates.yaml" in lines
    assert "summary: 1 pass · 1 fail" in lines
    assert lines[-1] == "gate: FAIL (fail-on high)"

    quiet = run_cli("check", repo.path, "--no-locker", "-q")
    assert quiet.exit_code == 1
    assert quiet.stderr.splitlines() == [
        "FAIL   high     G-1.enabled  gates.yaml:5",
        "       gate b is disabled",
        "       fix: set enabled: true for b in gates.yaml",
        "",
        "gate: FAIL (fail-on high)",
    ]
