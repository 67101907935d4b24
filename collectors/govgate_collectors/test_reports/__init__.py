"""The `test_reports` collector: JUnit XML test results and Locust / k6 load-test results.

`test_results.summary` totals every JUnit XML report (pytest, JUnit, Jest-junit, ...): tests,
failures, errors, skipped, and the same counts for the categories a policy asks about
(adversarial, prompt injection, edge cases, load), found by marker property, test name or class
name. `load_test.result` is one item per Locust `*_stats.csv` or k6 `--summary-export` JSON:
requests, failures, error rate, requests per second, p95/p99 latency, duration, run date.

XML is parsed with expat directly, streaming, with DOCTYPE and entity declarations refused
(no billion-laughs, no external entities); a report that does not parse is reported with its
file and line, and makes the summary unusable rather than quietly smaller.
"""

from __future__ import annotations

from collections.abc import Sequence

from govgate.api import Collector, hookimpl
from govgate_collectors.test_reports.collector import TestReportsCollector

__all__ = ["TestReportsCollector", "govgate_collectors"]


@hookimpl
def govgate_collectors() -> Sequence[type[Collector]]:
    return [TestReportsCollector]
