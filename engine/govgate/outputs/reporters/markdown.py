"""`--format markdown`: a pull-request comment summarising one check.

The gate, the readiness score and the counts come first, then what the change made new, what
is failing (with file:line and the fix), what is waived (approver, expiry), and requirement
statuses per framework in collapsible details. A banner says when the change edits packs,
parameters or waivers. The comment always fits GitHub's 65,536-character limit: sections are
filled most severe first and end with a count of what was left out. Every piece of text that
comes from a policy or a repository is escaped, so it renders as text, never as markup.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from govgate.core.reporter import Reporter
from govgate.outputs.reporters.common import (
    blocking_skip,
    blocking_skip_note,
    blocks_gate,
    finding_label,
    location_text,
    not_applicable_groups,
    one_line,
    policy_edit_notice,
    requirement_reasons,
    severity_order,
    shorten,
)

#: GitHub refuses comment bodies over 65,536 characters; stay clear of it so a CI step can
#: add its own header or marker without crossing the line.
COMMENT_LIMIT = 60_000
#: Longest message / fix shown per finding (before escaping); the JSON keeps the full text.
MESSAGE_LIMIT = 600
#: Room kept for each later section's heading and its "N more" line.
_SECTION_RESERVE = 400

# Punctuation that starts markup anywhere in GitHub-flavoured Markdown: emphasis, code, links
# and images, tables, strikethrough, math, issue references. `<`, `>` and `&` become entities.
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#!|~$^])")
# ...and what starts a block at the beginning of a line: "1." lists, "-"/"+" lists, setext "=".
_MD_ORDERED = re.compile(r"^(\d+)\.")
_MD_LEADING = re.compile(r"^([-+=])")
_HTML = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
_STATUS_WORD = {
    "met": "met",
    "not_met": "not met",
    "partial": "partial",
    "unverified": "unverified",
    "not_applicable": "not applicable",
}
_STATUS_ICON = {
    "met": "✅",
    "not_met": "❌",
    "partial": "🟡",
    "unverified": "❔",
    "not_applicable": "➖",
}


def md_text(text: Any, limit: int | None = None) -> str:
    """Untrusted text as one line of inert Markdown: no markup, HTML, links or @mentions."""
    plain = one_line(str(text))
    if limit is not None:
        plain = shorten(plain, limit)
    escaped = _MD_SPECIAL.sub(r"\\\1", plain)
    escaped = _MD_ORDERED.sub(r"\1\\.", escaped, count=1)
    escaped = _MD_LEADING.sub(r"\\\1", escaped, count=1)
    escaped = "".join(_HTML.get(ch, ch) for ch in escaped)
    # A word joiner after @ keeps "@team" from notifying anyone; it is invisible when rendered.
    return escaped.replace("@", "@\u2060")


def md_code(text: Any, limit: int | None = None, *, cell: bool = False) -> str:
    """Untrusted text as an inline code span; `cell=True` inside a table row."""
    plain = one_line(str(text))
    if limit is not None:
        plain = shorten(plain, limit)
    if cell:
        plain = plain.replace("|", "\\|")  # GFM splits cells on | even inside code spans
    longest = max((len(run) for run in re.findall(r"`+", plain)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if plain.startswith("`") or plain.endswith("`") or not plain.strip() else ""
    return f"{fence}{pad}{plain}{pad}{fence}"


@dataclass
class _Section:
    """A heading, the items under it (most severe first) and how to render one."""

    heading: str
    items: list[Any]
    render: Callable[[Any], str]
    what: str
    closing: str = ""
    #: Shown instead when there are no items (empty: the section is left out).
    when_empty: str = ""
    #: How many of `what` an item is (a framework's heading line counts for none).
    weight: Callable[[Any], int] = lambda item: 1


class _Budget:
    """Characters left for the comment body."""

    def __init__(self, limit: int) -> None:
        self.left = limit

    def fits(self, text: str, reserve: int = 0) -> bool:
        return len(text) + reserve <= self.left

    def spend(self, text: str) -> str:
        self.left -= len(text)
        return text


def _fill(budget: _Budget, section: _Section, reserve: int) -> str:
    """The section with as many items as fit, then a line counting the ones left out."""
    if not section.items:
        if section.when_empty and budget.fits(section.heading + section.when_empty):
            return budget.spend(section.heading + section.when_empty)
        return ""
    out = [budget.spend(section.heading)]
    budget.spend(section.closing)  # reserved now, written last
    shown = 0
    for item in section.items:
        text = section.render(item)
        # keep room for this section's "N more" line and the later sections' minimum
        if not budget.fits(text, reserve + 200):
            break
        out.append(budget.spend(text))
        shown += 1
    left_out = sum(section.weight(item) for item in section.items[shown:])
    if left_out:
        out.append(
            budget.spend(
                f"\n_…and {left_out} more {section.what} not shown here (most severe first); "
                "the full list is in the JSON, SARIF and JUnit outputs._\n"
            )
        )
    out.append(section.closing)
    return "".join(out)


class MarkdownReporter(Reporter):
    name = "markdown"
    filename = "govgate.md"
    media_type = "text/markdown"
    description = "pull-request summary comment (fits GitHub's 65,536-character limit)"

    def __init__(self, *, limit: int = COMMENT_LIMIT) -> None:
        self.limit = limit

    def render(self, result: dict[str, Any]) -> str:
        budget = _Budget(self.limit)
        sections = [*self._finding_sections(result), *self._detail_sections(result)]
        body = [budget.spend(self._header(result))]
        tail = budget.spend(self._footer(result))
        for index, section in enumerate(sections):
            later = sum(1 for s in sections[index + 1 :] if s.items)
            body.append(_fill(budget, section, later * _SECTION_RESERVE))
        body.append(tail)
        return "".join(body)

    def _finding_sections(self, result: dict[str, Any]) -> list[_Section]:
        """What the change made new (with --base), what fails, what is waived."""
        fail_on = result.get("fail_on", "high")
        order = severity_order(fail_on)
        findings = result.get("findings", [])
        # A skipped rule at or above fail-on fails the gate: listed with the failures, or the
        # comment would show a failed gate without its reason.
        problems = sorted(
            (f for f in findings if f["status"] in ("fail", "error") or blocking_skip(f, fail_on)),
            key=order,
        )
        waived = sorted((f for f in findings if f["status"] == "waived"), key=order)

        def show(finding: dict[str, Any]) -> str:
            return self._finding(finding, fail_on)

        sections = []
        if any(f.get("new") is not None for f in findings):
            new = [f for f in problems + waived if f.get("new")]
            sections.append(
                _Section(
                    f"\n### New in this change ({len(new)})\n\n",
                    new,
                    show,
                    "new findings",
                    when_empty="Nothing new fails in this change.\n",
                )
            )
            problems = [f for f in problems if not f.get("new")]
            title = "Already failing before this change"
        else:
            title = "Failing"
        sections.append(
            _Section(f"\n### {title} ({len(problems)})\n\n", problems, show, "failing findings")
        )
        sections.append(
            _Section(
                f"\n### Waived ({len(waived)})\n\n"
                "| Rule | Item | Waiver | Approver | Expires | Justification |\n"
                "|---|---|---|---|---|---|\n",
                waived,
                self._waived_row,
                "waived findings",
            )
        )
        return sections

    def _detail_sections(self, result: dict[str, Any]) -> list[_Section]:
        """Waivers needing attention, then requirements and input problems, collapsed."""
        attention = self._waiver_attention(result)
        requirements = result.get("requirements", [])
        met = sum(1 for r in requirements if r["status"] == "met")
        diagnostics = result.get("diagnostics", [])
        groups = not_applicable_groups(result)
        why = requirement_reasons(result)
        return [
            _Section(
                f"\n### Waivers needing attention ({len(attention)})\n\n",
                attention,
                str,
                "waivers",
            ),
            _Section(
                "\n<details><summary>Requirements by framework "
                f"({met} of {len(requirements)} met)</summary>\n",
                self._requirement_lines(requirements, why),
                str,
                "requirements",
                closing="\n</details>\n",
                weight=lambda line: 0 if line.startswith("\n#### ") else 1,
            ),
            _Section(
                "\n<details><summary>Not applicable, and why "
                f"({_count(sum(len(g['rules']) for g in groups), 'rule')})</summary>\n\n",
                groups,
                self._not_applicable,
                "reasons",
                closing="\n</details>\n",
            ),
            _Section(
                f"\n<details><summary>Input problems ({len(diagnostics)})</summary>\n\n",
                diagnostics,
                self._diagnostic,
                "input problems",
                closing="\n</details>\n",
            ),
        ]

    # -- pieces --------------------------------------------------------------------------
    def _header(self, result: dict[str, Any]) -> str:
        gate = result.get("gate", "fail")
        fail_on = result.get("fail_on", "high")
        mark = "✅ govgate: gate passed" if gate == "pass" else "❌ govgate: gate failed"
        lines = ["<!-- govgate:summary -->", f"## {mark}", ""]
        system = (result.get("system") or {}).get("name")
        target = result.get("target") or {}
        facts = []
        if system:
            facts.append(f"**{md_text(system, 120)}**")
        if target.get("commit"):
            commit = f"commit {md_code(str(target['commit'])[:12])}"
            if target.get("branch"):
                commit += f" on {md_code(target['branch'], 80)}"
            facts.append(commit)
        facts.append(f"fail-on **{md_text(fail_on)}**")
        packs = result.get("packs") or []
        if packs:
            facts.append(
                "packs: " + ", ".join(md_text(f"{p['name']} {p['version']}", 80) for p in packs)
            )
        lines.append(" · ".join(facts))
        lines.append("")
        notice = policy_edit_notice(result)
        if notice:
            lines += ["> [!CAUTION]", f"> **{md_text(notice, 2000)}**"]
            files = (result.get("changes") or {}).get("files") or []
            if files:
                shown = ", ".join(
                    md_code(f if isinstance(f, str) else f.get("path", f), 200) for f in files[:10]
                )
                more = f" and {len(files) - 10} more" if len(files) > 10 else ""
                lines.append(f"> Files changed: {shown}{more}")
            lines.append("")
        readiness = result.get("readiness")
        if readiness:
            lines.append(
                f"**Readiness:** {readiness['score']}/{readiness['of']} — "
                f"{md_text(readiness['band'])}"
            )
            lines.append("")
        summary = result.get("summary") or {}
        statuses = ("pass", "fail", "error", "waived", "not_applicable", "skipped")
        lines.append("| " + " | ".join(s.replace("_", " ") for s in statuses) + " |")
        lines.append("|" + "---:|" * len(statuses))
        lines.append("| " + " | ".join(str(summary.get(s, 0)) for s in statuses) + " |")
        blocking = sum(1 for f in result.get("findings", []) if blocks_gate(f, fail_on))
        if blocking:
            lines.append("")
            lines.append(
                f"{blocking} finding{' blocks' if blocking == 1 else 's block'} the gate "
                f"(errors, and failures and skipped rules at or above {md_text(fail_on)})."
            )
        return "\n".join(lines) + "\n"

    def _footer(self, result: dict[str, Any]) -> str:
        tool = result.get("tool") or {}
        run = result.get("run") or {}
        parts = [f"govgate {md_text(tool.get('version', '?'))}"]
        if run.get("finished_at"):
            parts.append(f"run finished {md_text(run['finished_at'])}")
        parts.append(f"{len(result.get('findings', []))} findings")
        return "\n<sub>" + " · ".join(parts) + "</sub>\n"

    def _finding(self, finding: dict[str, Any], fail_on: str) -> str:
        status = finding["status"]
        tags = [f"**{finding['severity'].upper()}**"]
        if status == "error":
            tags.append("**ERROR**")
        elif status == "waived":
            tags.append("waived")
        elif status == "skipped":
            tags.append("**SKIPPED**")
        if finding.get("new"):
            tags.append("🆕 new")
        where = location_text(finding)
        head = f"- {' '.join(tags)} {md_code(finding_label(finding), 200)}"
        if where:
            head += f" at {md_code(where, 300)}"
        if blocks_gate(finding, fail_on):
            head += " — blocks the gate"
        lines = [head, f"  {md_text(finding['message'], MESSAGE_LIMIT)}"]
        if status == "skipped":
            lines.append(f"  {md_text(blocking_skip_note(finding, fail_on))}")
        if finding.get("remediation") and status in ("fail", "error", "skipped"):
            lines.append(f"  **Fix:** {md_text(finding['remediation'], MESSAGE_LIMIT)}")
        waiver = finding.get("waiver")
        if waiver and status == "waived":
            lines.append(
                f"  Waived by {md_code(waiver['id'], 80)} "
                f"(approved by {md_text(waiver['approver'], 120)}, "
                f"expires {md_text(waiver['expires'])})"
            )
        # two trailing spaces make a line break inside the list item
        return "  \n".join(lines) + "\n"

    def _waived_row(self, finding: dict[str, Any]) -> str:
        waiver = finding.get("waiver") or {}
        cells = [
            md_code(finding["rule"], 120, cell=True),
            md_text(finding.get("item") or "", 120),
            md_code(waiver.get("id", "?"), 80, cell=True),
            md_text(waiver.get("approver", "?"), 120),
            md_text(waiver.get("expires", "?")),
            md_text(waiver.get("justification", ""), 300),
        ]
        return "| " + " | ".join(cells) + " |\n"

    def _waiver_attention(self, result: dict[str, Any]) -> list[str]:
        lines = []
        for waiver in result.get("waivers", []):
            where = (waiver.get("source") or {}).get("path")
            line = (waiver.get("source") or {}).get("line")
            at = f" ({md_code(f'{where}:{line}' if line else where, 200)})" if where else ""
            label = f"{md_code(waiver['id'], 80)}{at}"
            if waiver.get("status") == "expired":
                lines.append(
                    f"- {label} expired on {md_text(waiver['expires'])}; the findings it "
                    "covered fail again. Renew it (with a new approval) or fix them.\n"
                )
            elif waiver.get("status") == "refused":
                reason = waiver.get("refused") or "refused"
                lines.append(f"- {label} is not applied: {md_text(reason, 300)}\n")
            elif not waiver.get("used"):
                lines.append(f"- {label} matched no finding; remove it.\n")
        return lines

    def _not_applicable(self, group: dict[str, Any]) -> str:
        covers = ", ".join(md_code(r, 80) for r in group["requirements"][:12])
        rules = ", ".join(md_code(r, 120) for r in group["rules"][:12])
        more = len(group["rules"]) - 12
        rules += f" and {more} more" if more > 0 else ""
        return f"- {md_text(group['reason'], MESSAGE_LIMIT)}  \n  " + (
            f"{covers} ({rules})\n" if covers else f"{rules}\n"
        )

    def _requirement_lines(
        self, requirements: list[dict[str, Any]], why: dict[str, list[str]] | None = None
    ) -> list[str]:
        by_framework: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for req in requirements:
            by_framework[req.get("framework") or "?"].append(req)
        lines: list[str] = []
        for framework in sorted(by_framework):
            reqs = by_framework[framework]
            counts: dict[str, int] = defaultdict(int)
            for req in reqs:
                counts[req["status"]] += 1
            tally = ", ".join(f"{n} {_STATUS_WORD.get(s, s)}" for s, n in sorted(counts.items()))
            lines.append(
                f"\n#### {md_text(framework, 120)} — {md_text(tally)}\n\n"
                "| Status | Requirement | Reference | Title |\n|---|---|---|---|\n"
            )
            lines.extend(self._requirement_row(req, (why or {}).get(req["id"])) for req in reqs)
        return lines

    def _requirement_row(self, req: dict[str, Any], why: list[str] | None = None) -> str:
        status = req["status"]
        title = md_text(req.get("title") or "", 300)
        if why and status == "not_applicable":
            title += " — not applicable: " + "; ".join(md_text(r, 300) for r in why)
        cells = [
            f"{_STATUS_ICON.get(status, '')} {_STATUS_WORD.get(status, md_text(status))}",
            md_code(req["id"], 80, cell=True),
            md_text(req.get("ref") or "", 120),
            title,
        ]
        return "| " + " | ".join(cells) + " |\n"

    def _diagnostic(self, diag: dict[str, Any]) -> str:
        where = diag.get("path") or ""
        if diag.get("line"):
            where += f":{diag['line']}"
        at = f"{md_code(where, 300)}: " if where else ""
        return (
            f"- {md_text(diag.get('level', 'warning'))} {at}"
            f"{md_text(diag.get('message', ''), MESSAGE_LIMIT)}\n"
        )


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" + ("" if number == 1 else "s")
