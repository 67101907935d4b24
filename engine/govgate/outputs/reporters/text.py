"""`--format text`: the compact terminal report (printed on stderr by `govgate check`).

Quiet when all is well, precise when not: failing and erroring findings with file:line and the
fix, requirement statuses per framework, the readiness score, and the gate on the last line.
"""

from __future__ import annotations

import os
from collections import defaultdict
from typing import Any

from govgate.core.policy import severity_rank
from govgate.core.reporter import Reporter
from govgate.outputs.reporters.common import (
    blocks_gate,
    listed,
    not_applicable_groups,
    one_line,
    policy_edit_notice,
)

_MARK = {
    "pass": "PASS",
    "fail": "FAIL",
    "error": "ERROR",
    "waived": "WAIVED",
    "not_applicable": "N/A",
    "skipped": "SKIP",
}
#: Findings listed most urgent first.
_STATUS_ORDER = ["error", "fail", "waived", "skipped", "not_applicable", "pass"]
_REQ_MARK = {"met": "✓", "not_met": "✗", "partial": "◐", "unverified": "?", "not_applicable": "–"}
_COLOURS = {
    "FAIL": "red",
    "ERROR": "magenta",
    "PASS": "green",
    "WAIVED": "yellow",
    "SKIP": "cyan",
    "N/A": "bright_black",
}


def _style(text: str, colour: str | None, enabled: bool, bold: bool = False) -> str:
    if not enabled or colour is None:
        return text
    import click

    return click.style(text, fg=colour, bold=bold)


class TextReporter(Reporter):
    name = "text"
    filename = "govgate.txt"
    description = "compact human report"

    def __init__(
        self,
        *,
        colour: bool = False,
        verbose: bool = False,
        show_requirements: bool = True,
        brief: bool = False,
    ) -> None:
        self.colour = colour and "NO_COLOR" not in os.environ
        self.verbose = verbose
        # brief: what a git hook prints — failing findings and the gate, nothing when all is well
        self.brief = brief
        self.show_requirements = show_requirements and not brief

    def _fairness(self, analysis: dict[str, Any]) -> list[str]:
        name = analysis.get("name", "?")
        if analysis.get("problem"):
            return [f"fairness {name}: not computed: {analysis['problem']}", ""]
        from govgate.outputs.fairness_table import render_text_table

        where = analysis.get("path") or ""
        head = f"fairness {name} ({where}, audited {analysis.get('audit_date') or 'date unknown'}):"
        body = render_text_table(analysis).rstrip("\n").splitlines()
        return [head, *("  " + line if line else line for line in body), ""]

    def render(self, result: dict[str, Any]) -> str:
        lines: list[str] = []
        head = self._head(result)  # in every mode: even the brief report needs a whole result
        if not self.brief:
            lines += head
        notice = policy_edit_notice(result)
        if notice:  # said in every mode: a change must not approve itself unnoticed
            lines += [_style(f"NOTE: {one_line(notice)}", "yellow", self.colour, bold=True), ""]
        findings, hidden = self._shown_findings(result)
        lines += hidden
        for finding in findings:
            lines += self._finding(finding)
        if findings:
            lines.append("")
        lines += self._diagnostics(result)
        lines += self._unused_waivers(result)
        if self.show_requirements:
            lines += self._requirements(result)
        if not self.brief and not self.verbose:  # verbose lists each N/A finding with it
            lines += self._not_applicable(result)
        if not self.brief:
            for analysis in result.get("fairness") or []:
                lines.extend(self._fairness(analysis))
        lines += self._closing(result)
        return "\n".join(lines) + "\n"

    def _head(self, result: dict[str, Any]) -> list[str]:
        """Which govgate judged which system at which commit, with which packs."""
        system = one_line(str(result.get("system", {}).get("name", "?")))
        packs = one_line(", ".join(f"{p['name']} {p['version']}" for p in result.get("packs", [])))
        commit = (result.get("target", {}).get("commit") or "")[:10]
        head = f"govgate {result['tool']['version']} · {system}"
        if commit:
            head += f" @ {commit}"
        return [head, f"packs: {packs}", ""]

    def _shown_findings(self, result: dict[str, Any]) -> tuple[list[dict[str, Any]], list[str]]:
        """The findings this mode lists, most urgent first, and a note on those --new-only
        leaves out."""
        shown = {"fail", "error"} if self.brief else {"fail", "error", "waived"}
        if self.verbose:
            shown |= {"pass", "skipped", "not_applicable"}
        # A skipped rule that fails the gate is listed in every mode: it is why the gate failed.
        findings = [
            f
            for f in result["findings"]
            if f["status"] in shown or blocks_gate(f, result.get("fail_on", "high"))
        ]
        note: list[str] = []
        changes = result.get("changes") or {}
        if changes.get("new_only"):  # the gate reads only what the change introduced
            # Errors stay in view, old or new: they fail the gate either way.
            old = [f for f in findings if f["status"] == "fail" and not f.get("new")]
            findings = [f for f in findings if f["status"] != "fail" or f.get("new")]
            if old:
                base = one_line(str(changes.get("base")))
                note = [
                    f"{len(old)} problem(s) already present at {base} "
                    "not shown (--new-only); see --format json",
                    "",
                ]
        findings.sort(
            key=lambda f: (
                _STATUS_ORDER.index(f["status"]),
                -severity_rank(f["severity"]),
                f["rule"],
                f.get("item") or "",
            )
        )
        return findings, note

    def _finding(self, finding: dict[str, Any]) -> list[str]:
        """A finding's status line, its message, and its fix or waiver."""
        mark = _MARK[finding["status"]]
        where = ""
        if finding.get("location"):
            loc = finding["location"]
            where = one_line(loc["path"]) + (f":{loc['line']}" if loc.get("line") else "")
        new = " (new)" if finding.get("new") else ""
        label = _style(f"{mark:<6}", _COLOURS.get(mark), self.colour, bold=True)
        lines = [f"{label} {finding['severity']:<8} {finding['rule']}{new}  {where}".rstrip()]
        # Messages quote file names and values from the repository: one printable line
        # each, so no name can forge a line of this report or steer the terminal.
        lines.append(f"       {one_line(finding['message'])}")
        if finding["status"] in ("fail", "error") and finding.get("remediation"):
            lines.append(f"       fix: {one_line(finding['remediation'])}")
        if finding.get("waiver") and finding["status"] == "waived":
            waiver = finding["waiver"]
            lines.append(
                "       "
                + one_line(
                    f"waiver {waiver['id']} by {waiver['approver']}{_approval(waiver)} until "
                    f"{waiver['expires']}: {waiver['justification']}"
                )
            )
        return lines

    def _diagnostics(self, result: dict[str, Any]) -> list[str]:
        """The input problems (errors only in brief mode), at most 20 of them."""
        diagnostics = result.get("diagnostics", [])
        if self.brief:
            diagnostics = [d for d in diagnostics if d["level"] == "error"]
        if not diagnostics:
            return []
        lines = [f"input problems ({len(diagnostics)}):"]
        for diag in diagnostics[:20]:
            where = one_line(diag["path"] or "")
            if diag.get("line"):
                where += f":{diag['line']}"
            lines.append(f"  {diag['level']:<7} {where}: {one_line(diag['message'])}")
        if len(diagnostics) > 20:
            lines.append(f"  … and {len(diagnostics) - 20} more (see --format json)")
        lines.append("")
        return lines

    def _unused_waivers(self, result: dict[str, Any]) -> list[str]:
        if self.brief:
            return []
        lines = [
            f"unused waiver {waiver['id']} ({waiver['source']['path']}:"
            f"{waiver['source']['line']}) matched no finding; remove it"
            for waiver in result.get("waivers", [])
            if not waiver.get("used")
        ]
        return [*lines, ""] if lines else []

    def _requirements(self, result: dict[str, Any]) -> list[str]:
        """Per framework, the tally of requirement statuses and a grid of marked ids."""
        by_framework: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for req in result["requirements"]:
            by_framework[req["framework"]].append(req)
        lines = []
        for framework in sorted(by_framework):
            reqs = by_framework[framework]
            counts = result["frameworks"].get(framework, {})
            tally = ", ".join(f"{n} {s.replace('_', ' ')}" for s, n in sorted(counts.items()))
            lines.append(f"{framework}: {tally}")
            cells = [f"{_REQ_MARK[r['status']]} {r['id']}" for r in reqs]
            for start in range(0, len(cells), 4):
                lines.append(
                    "  " + "   ".join(f"{c:<22}" for c in cells[start : start + 4]).rstrip()
                )
            uncovered = _without_evidence(reqs, result["findings"])
            if uncovered:
                # A gap in the evidence reads differently from evidence that shows a problem:
                # the first needs a scan or a document, the second a fix.
                lines.append(f"  not met for want of evidence: {', '.join(uncovered)}")
        lines.append("  (✓ met  ✗ not met  ◐ partial  ? unverified  – not applicable)")
        lines.append("")
        return lines

    def _not_applicable(self, result: dict[str, Any]) -> list[str]:
        """Why what is not applicable is not: each reason once, with what it covers."""
        groups = not_applicable_groups(result)
        if not groups:
            return []
        count = sum(1 for f in result["findings"] if f["status"] == "not_applicable")
        lines = [f"not applicable ({count} finding{'' if count == 1 else 's'}), and why:"]
        for group in groups:
            rules = group["rules"]
            covers = listed(group["requirements"], 6) if group["requirements"] else ""
            what = f"{len(rules)} rules" if len(rules) > 1 else rules[0]
            lines.append(f"  – {one_line(group['reason'])}")
            lines.append(f"      {covers} ({what})" if covers else f"      {what}")
        lines.append("")
        return lines

    def _closing(self, result: dict[str, Any]) -> list[str]:
        """Readiness and the summary counts (not in brief mode), then the gate, always last."""
        lines = []
        readiness = result.get("readiness")
        if readiness and not self.brief:
            held = readiness.get("held_back_by")
            why = f" (held back: {held} is not met)" if held else ""
            lines.append(
                f"readiness: {readiness['score']}/{readiness['of']} — {readiness['band']}{why}"
            )
        summary = result["summary"]
        if not self.brief:
            counts = " · ".join(
                f"{summary[s]} {s.replace('_', ' ')}"
                for s in summary
                if summary[s] or s in ("pass", "fail")
            )
            lines.append(f"summary: {counts}")
            run = result.get("run") or {}
            if run.get("id") is not None and run.get("hash"):
                # The locker's head after this run, as `govgate verify --witness` takes it:
                # kept outside the locker (a CI log), it shows runs deleted from it later.
                lines.append(f"locker: {run['id']}:{run['hash']}")
        gate = result["gate"].upper()
        colour = "green" if gate == "PASS" else "red"
        lines.append(
            _style(f"gate: {gate}", colour, self.colour, bold=True)
            + f" (fail-on {result['fail_on']})"
        )
        return lines


def _without_evidence(
    requirements: list[dict[str, Any]], findings: list[dict[str, Any]]
) -> list[str]:
    """The requirements not met only because evidence is missing: each failing finding of
    theirs cites no evidence at all (and none errored)."""
    bad: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for finding in findings:
        if finding["status"] in ("fail", "error"):
            for req in finding.get("requirements") or []:
                bad[req].append(finding)
    return [
        r["id"]
        for r in requirements
        if r["status"] in ("not_met", "partial")
        and bad.get(r["id"])
        and all(f["status"] == "fail" and not f.get("evidence") for f in bad[r["id"]])
    ]


def _approval(waiver: dict[str, Any]) -> str:
    """How far the waiver's approval is proven: ` (verified: signed by KEY)` or
    ` (self-reported)`; nothing for results of versions that did not say."""
    approval = waiver.get("approval")
    if not isinstance(approval, dict):
        return ""
    if approval.get("level") == "verified":
        commit = str(approval.get("commit"))[:10]
        return f" (verified: commit {commit} signed by {approval.get('key')})"
    return " (self-reported)"
