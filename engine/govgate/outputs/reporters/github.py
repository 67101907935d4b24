"""`--format github`: GitHub Actions workflow commands that annotate the pull request.

`::error file=…,line=…,title=…::message` for each failing or erroring finding (`warning` for
medium, `notice` for low and info; an `error` finding is always `error`) and each skipped
rule that fails the gate (an `error` saying why it was skipped and that it blocks the gate),
after a summary line and, when the change edits packs, parameters, waivers or the system
description, a warning saying so. `file` is relative to the git repository's root (a target
in a sub-folder of a monorepo gets its folder in front), as the runner resolves it from the
workspace. Values are escaped with the runner's rules (`%`, CR and LF in the message; also
`:` and `,` in properties), so no message can end its line early or smuggle in a command of
its own.
Print the file in a workflow step (`cat govgate.github.txt`) to make the runner read it.
"""

from __future__ import annotations

from typing import Any

from govgate.core.reporter import Reporter
from govgate.outputs.reporters.common import (
    blocking_skip,
    blocking_skip_note,
    finding_label,
    location_text,
    policy_edit_notice,
    printable,
    repository_path,
    severity_order,
    shorten,
)

COMMANDS = {
    "critical": "error",
    "high": "error",
    "medium": "warning",
    "low": "notice",
    "info": "notice",
}
#: Where a finding without a location of its own is annotated.
CONFIG_FILE = "govgate.yaml"
#: The runner keeps annotations short; longer text stays in the JSON and SARIF outputs.
MESSAGE_LIMIT = 4000


def escape_data(text: str) -> str:
    """The message part of a workflow command (actions/toolkit `escapeData`)."""
    return printable(text).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A `key=value` property of a workflow command (actions/toolkit `escapeProperty`)."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(name: str, message: str, **properties: Any) -> str:
    """One workflow command line, e.g. `::error file=a.py,line=3,title=T::message`."""
    props = ",".join(
        f"{key}={escape_property(str(value))}"
        for key, value in properties.items()
        if value is not None and value != ""
    )
    if len(message) > MESSAGE_LIMIT:
        message = message[: MESSAGE_LIMIT - 1] + "…"
    return f"::{name}{' ' + props if props else ''}::{escape_data(message)}"


class GithubReporter(Reporter):
    name = "github"
    filename = "govgate.github.txt"
    description = "GitHub Actions annotations (::error file=…,line=…::)"

    def render(self, result: dict[str, Any]) -> str:
        fail_on = result.get("fail_on", "high")
        findings = sorted(
            (
                f
                for f in result.get("findings", [])
                if f["status"] in ("fail", "error") or blocking_skip(f, fail_on)
            ),
            key=severity_order(fail_on),
        )
        # The summary and the policy-edit warning come first: the runner shows a limited
        # number of annotations per step, and these must never be the ones crowded out.
        lines = [self._summary(result)]
        notice = policy_edit_notice(result)
        if notice:
            lines.append(command("warning", notice, title="govgate: policies edited"))
        for finding in findings:
            lines.append(self._annotation(finding, result))
        return "\n".join(lines) + "\n"

    def _summary(self, result: dict[str, Any]) -> str:
        summary = result.get("summary") or {}
        counts = ", ".join(
            f"{summary[s]} {s.replace('_', ' ')}"
            for s in ("fail", "error", "waived", "pass", "skipped", "not_applicable")
            if summary.get(s)
        )
        readiness = result.get("readiness")
        text = f"gate {result.get('gate', 'fail')} (fail-on {result.get('fail_on', 'high')})"
        if counts:
            text += f": {counts}"
        if readiness:
            text += f"; readiness {readiness['score']}/{readiness['of']} ({readiness['band']})"
        name = "notice" if result.get("gate") == "pass" else "error"
        title = "govgate gate passed" if result.get("gate") == "pass" else "govgate gate failed"
        return command(name, text, title=title)

    def _annotation(self, finding: dict[str, Any], result: dict[str, Any]) -> str:
        status = finding["status"]
        # a skipped rule is annotated only when it blocks the gate: always an error then
        name = "error" if status in ("error", "skipped") else COMMANDS[finding["severity"]]
        location = finding.get("location") or {}
        message = finding["message"]
        if status == "skipped":
            message += "\n" + blocking_skip_note(finding, result.get("fail_on", "high"))
        if finding.get("remediation"):
            message += f"\nFix: {finding['remediation']}"
        if not location.get("path"):
            message += "\n(no file of its own: reported on the govgate configuration)"
        elif not location.get("line"):
            message += f"\n(in {location_text(finding)})"
        label = shorten(finding_label(finding), 200)
        title = f"{label} ({finding['severity']}{', new' if finding.get('new') else ''})"
        if status == "error":
            title = f"{label} could not be evaluated"
        elif status == "skipped":
            title = f"{label} ({finding['severity']}) skipped: blocks the gate"
        return command(
            name,
            message,
            # the runner resolves `file` from the repository root, not from the target
            file=repository_path(result, location.get("path") or CONFIG_FILE),
            line=location.get("line"),
            title=title,
        )
