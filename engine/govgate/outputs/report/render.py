"""Rendering and writing the report: the autoescaped, sandboxed template with its stylesheet,
script and charts inline, and the latest run's result and evidence manifest embedded."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any

from govgate.core.evidence import Evidence, format_timestamp, utc_now
from govgate.outputs.dossier.attachments import DossierAttachment, build_attachments
from govgate.outputs.dossier.inputs import DossierInput
from govgate.outputs.embedded import embed_tag, kind_tag
from govgate.outputs.report import charts
from govgate.outputs.report.runs import RecordedCheck
from govgate.outputs.report.view import SEVERITIES, anchor, report_view
from govgate.support.destinations import write_payload

#: What `<meta name="govgate-document">` says in a report.
REPORT_KIND = "report"


@dataclass(frozen=True)
class ReportWritten:
    """What `write_report` wrote: where, how big, how many runs, and the embedded files."""

    path: Path
    size: int
    runs: int
    attachments: tuple[DossierAttachment, ...]


def _templates() -> Path:
    return Path(str(files("govgate.evidence_templates"))) / "report"


def render_report(
    checks: Sequence[RecordedCheck],
    evidence: Sequence[Evidence],
    *,
    prepared_by: str,
    owners: Mapping[str, str] | None = None,
) -> tuple[str, tuple[DossierAttachment, DossierAttachment]]:
    """The report's HTML and the two files it embeds (the latest run's result and manifest)."""
    from jinja2 import FileSystemLoader, StrictUndefined
    from jinja2.sandbox import SandboxedEnvironment
    from markupsafe import Markup

    generated_at = format_timestamp(utc_now())
    latest = checks[-1]
    attachments = build_attachments(
        DossierInput(latest.result, None, tuple(evidence), generated_at, prepared_by)
    )
    view = report_view(checks, owners)
    folder = _templates()
    env = SandboxedEnvironment(
        loader=FileSystemLoader(str(folder)),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["anchor"] = lambda value, prefix: anchor(prefix, value)
    # Our own stylesheet, script and SVG (built from numbers and escaped labels) are markup;
    # everything from the repository stays data and is escaped by the template.
    trusted: dict[str, Any] = {
        "stylesheet": Markup((folder / "report.css").read_text(encoding="utf-8")),  # noqa: S704
        "script": Markup((folder / "report.js").read_text(encoding="utf-8")),  # noqa: S704
        "kind_tag": Markup(kind_tag(REPORT_KIND)),  # noqa: S704
        "embedded": Markup("".join(embed_tag(a.name, a.data) for a in attachments)),  # noqa: S704
        "charts": {
            "readiness": Markup(charts.readiness_trend(view["history"])),  # noqa: S704
            "outcomes": Markup(charts.outcome_bars(view["history"])),  # noqa: S704
            "decision_logs": Markup(charts.coverage_trend(view["decision_logs"])),  # noqa: S704
            "fairness": [
                Markup(charts.impact_bars(chart["groups"]))  # noqa: S704
                for chart in view["fairness"]
            ],
        },
    }
    html = env.get_template("report.html").render(
        **view,
        **trusted,
        severities=SEVERITIES,
        generated_at=generated_at,
        prepared_by=prepared_by,
        attachments=attachments,
    )
    return html, attachments


def write_report(
    checks: Sequence[RecordedCheck],
    evidence: Sequence[Evidence],
    out: Path,
    *,
    prepared_by: str,
    owners: Mapping[str, str] | None = None,
) -> ReportWritten:
    """Render the report and write it to `out` atomically (or to stdout for `-`); `owners`
    maps control ids to their owners (None when the run's packs cannot say)."""
    html, attachments = render_report(checks, evidence, prepared_by=prepared_by, owners=owners)
    payload = html.encode("utf-8")
    write_payload(payload, out, "the report", "--out")
    return ReportWritten(out, len(payload), len(checks), attachments)
