"""The compliance officer's report: one self-contained HTML file across a locker's recorded runs.

`runs` reads the recorded check runs back, `view` turns them into plain data (the state at a
glance, the history, the drill-down from requirement to evidence and back), `charts` draws the
SVG charts server-side, and `render` fills the autoescaped template and embeds the latest run's
result and evidence manifest so `govgate verify report.html` can check them.
"""

from govgate.outputs.report.render import REPORT_KIND, ReportWritten, write_report
from govgate.outputs.report.runs import RecordedCheck, recorded_checks

__all__ = ["REPORT_KIND", "RecordedCheck", "ReportWritten", "recorded_checks", "write_report"]
