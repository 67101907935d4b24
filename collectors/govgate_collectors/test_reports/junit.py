"""JUnit XML reports (pytest, JUnit, Jest-junit, ...) counted per test case and category.

XML is parsed with expat directly, streaming, with DOCTYPE and entity declarations refused
(no billion-laughs, no external entities); a report that does not parse raises
`ReportProblem` with its line.
"""

from __future__ import annotations

import math
import re
import xml.parsers.expat
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from govgate.api import format_timestamp
from govgate.support.pii import redact_text
from govgate_collectors.test_reports.categories import Categories
from govgate_collectors.test_reports.report import ReportProblem, parse_moment

#: Properties (`<property name=... value=...>`) that carry markers or tags.
MARKER_PROPERTIES = frozenset({"markers", "marker", "tags", "tag", "categories", "category"})
MAX_FAILING_LISTED = 20
MAX_XML_BYTES = 512 * 1024 * 1024


@dataclass
class Counts:
    """Test cases by outcome (those not failed, errored or skipped passed)."""

    tests: int = 0
    failures: int = 0
    errors: int = 0
    skipped: int = 0

    def add(self, outcome: str) -> None:
        """Count one test case with its outcome (passed, failure, error or skipped)."""
        self.tests += 1
        if outcome == "failure":
            self.failures += 1
        elif outcome == "error":
            self.errors += 1
        elif outcome == "skipped":
            self.skipped += 1

    def add_all(self, other: Counts) -> None:
        self.tests += other.tests
        self.failures += other.failures
        self.errors += other.errors
        self.skipped += other.skipped

    def to_json(self) -> dict[str, int]:
        return {
            "tests": self.tests,
            "failures": self.failures,
            "errors": self.errors,
            "skipped": self.skipped,
            # skipped tests are inside `tests`: a rule needs the ones that ran and passed
            "passed": self.tests - self.failures - self.errors - self.skipped,
        }


@dataclass
class JUnitReport:
    """What one JUnit XML file says, counted per test case."""

    path: str
    totals: Counts = field(default_factory=Counts)
    suites: int = 0
    timestamps: list[datetime] = field(default_factory=list)
    #: The line of each `timestamp` attribute's suite, in the order of `timestamps`.
    timestamp_lines: list[int] = field(default_factory=list)
    categories: dict[str, Counts] = field(default_factory=dict)
    failing: list[tuple[str, str]] = field(default_factory=list)  # (test, outcome)


@dataclass
class JUnitSummary:
    """The counts over every report read, and when the latest of them ran."""

    categories: dict[str, Counts]
    totals: Counts = field(default_factory=Counts)
    suites: int = 0
    files: int = 0
    failing: list[dict[str, str]] = field(default_factory=list)
    run_date: datetime | None = None
    run_date_source: str | None = None
    #: The report (and line, when its timestamp says it) the run date comes from.
    run_date_path: str | None = None
    run_date_line: int | None = None
    #: Per category, when the oldest report holding tests of it ran: a fresh report of other
    #: tests must not make year-old adversarial tests current.
    category_dates: dict[str, datetime] = field(default_factory=dict)

    def add(self, report: JUnitReport, ran: tuple[datetime, str], line: int | None = None) -> None:
        """Count one report in; `ran` is when it ran and what says so (report, git, mtime),
        `line` where the report says it."""
        self.files += 1
        self.suites += report.suites
        self.totals.add_all(report.totals)
        for name, counts in report.categories.items():
            self.categories[name].add_all(counts)
        for test, outcome in report.failing:
            if len(self.failing) < MAX_FAILING_LISTED:
                self.failing.append({"path": report.path, "test": test, "outcome": outcome})
        moment, source = ran
        for name, counts in report.categories.items():
            if counts.tests and (
                name not in self.category_dates or moment < self.category_dates[name]
            ):
                self.category_dates[name] = moment
        if self.run_date is None or moment > self.run_date:
            self.run_date, self.run_date_source = moment, source
            self.run_date_path, self.run_date_line = report.path, line

    def to_json(self) -> dict[str, Any]:
        totals = self.totals
        return {
            "files": self.files,
            "tests": totals.tests,
            "failures": totals.failures,
            "errors": totals.errors,
            "skipped": totals.skipped,
            "passed": totals.tests - totals.failures - totals.errors - totals.skipped,
            "suites": self.suites,
            "categories": {name: counts.to_json() for name, counts in self.categories.items()},
            "run_date": format_timestamp(self.run_date) if self.run_date else None,
            "run_date_source": self.run_date_source,
            "category_dates": {
                name: format_timestamp(self.category_dates[name])
                if name in self.category_dates
                else None
                for name in self.categories
            },
            "failing": self.failing,
        }


class _Refused(Exception):
    pass


class _NotJUnit(Exception):
    pass


def _refuse(*_: Any) -> None:
    raise _Refused("DOCTYPE and entity declarations are refused in test reports")


def parse_junit(
    path: Path, rel: str, categories: Categories, limit: int = MAX_XML_BYTES
) -> JUnitReport | None:
    """Count a JUnit XML report; None when the XML is well formed but not a JUnit report.

    Streaming expat with DOCTYPE, entity and external-entity declarations refused. Test cases
    are counted from their elements (`<failure>`, `<error>`, `<skipped>` children); a suite
    without test cases contributes its own `tests`/`failures`/... attributes instead.
    """
    report = JUnitReport(rel, categories={name: Counts() for name in categories.keywords})
    parser = xml.parsers.expat.ParserCreate()
    handler = _JUnitHandler(report, categories, parser)
    parser.StartElementHandler = handler.start
    parser.EndElementHandler = handler.end
    parser.StartDoctypeDeclHandler = _refuse
    parser.EntityDeclHandler = _refuse
    parser.ExternalEntityRefHandler = _refuse  # type: ignore[assignment]
    parser.SetParamEntityParsing(xml.parsers.expat.XML_PARAM_ENTITY_PARSING_NEVER)
    size = 0
    try:
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                size += len(block)
                if size > limit:
                    raise ReportProblem(None, f"larger than {limit // (1 << 20)} MB; refused")
                parser.Parse(block, False)
            parser.Parse(b"", True)
    except _NotJUnit:
        return None
    except _Refused as exc:
        raise ReportProblem(parser.CurrentLineNumber, str(exc)) from None
    except xml.parsers.expat.ExpatError as exc:
        message = xml.parsers.expat.ErrorString(exc.code)
        raise ReportProblem(exc.lineno, f"not well-formed XML: {message}") from None
    return report


class _JUnitHandler:
    """The expat callbacks of one report: the open elements, and the test case being read."""

    def __init__(self, report: JUnitReport, categories: Categories, parser: Any) -> None:
        self.report = report
        self.categories = categories
        self.parser = parser
        self.stack: list[str] = []
        self.case: dict[str, Any] | None = None
        self.suite_cases: list[int] = []  # test cases seen in each open <testsuite>
        self.suite_attrs: list[dict[str, str]] = []
        self.root_seen = False

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        """An element opens: a suite, a test case, or an outcome or marker of the open case."""
        if not self.root_seen:
            self.root_seen = True
            if tag not in ("testsuites", "testsuite"):
                raise _NotJUnit(tag)
        self.stack.append(tag)
        case = self.case
        if tag == "testsuite":
            self._open_suite(attrs)
        elif tag == "testcase":
            self.case = {
                "name": attrs.get("name", ""),
                "classname": attrs.get("classname", ""),
                "outcome": "passed",
                "markers": [],
            }
            if self.suite_cases:
                self.suite_cases[-1] += 1
        elif case is not None and tag in ("failure", "error", "skipped"):
            # A failing teardown after a failure keeps the first, harsher outcome.
            if case["outcome"] in ("passed", "skipped"):
                case["outcome"] = tag
        elif (
            case is not None
            and tag == "property"
            and attrs.get("name", "").lower() in MARKER_PROPERTIES
        ):
            case["markers"].extend(re.split(r"[,\s]+", attrs.get("value", "")))

    def _open_suite(self, attrs: dict[str, str]) -> None:
        self.report.suites += 1
        self.suite_cases.append(0)
        self.suite_attrs.append(dict(attrs))
        stamp = attrs.get("timestamp")
        if stamp:
            moment = parse_moment(stamp)
            if moment is not None:
                self.report.timestamps.append(moment)
                self.report.timestamp_lines.append(self.parser.CurrentLineNumber)

    def end(self, tag: str) -> None:
        """An element closes: a test case is counted; a suite without cases gives its totals."""
        self.stack.pop()
        if tag == "testcase" and self.case is not None:
            self._count_case(self.case)
            self.case = None
        elif tag == "testsuite":
            cases = self.suite_cases.pop()
            attrs = self.suite_attrs.pop()
            if cases == 0 and not any(s == "testsuite" for s in self.stack):
                _add_suite_attributes(self.report, attrs, self.parser.CurrentLineNumber)

    def _count_case(self, case: dict[str, Any]) -> None:
        report = self.report
        report.totals.add(case["outcome"])
        for category in self.categories.of(case["name"], case["classname"], case["markers"]):
            report.categories[category].add(case["outcome"])
        if case["outcome"] in ("failure", "error") and len(report.failing) < MAX_FAILING_LISTED:
            label = "::".join(p for p in (case["classname"], case["name"]) if p)
            report.failing.append((redact_text(label), case["outcome"]))


def _add_suite_attributes(report: JUnitReport, attrs: Mapping[str, str], line: int) -> None:
    """Counts of a suite that lists no test cases (some runners write only totals).

    A count that is not a whole non-negative number (`inf`, `1e400`, `-3`, `many`) makes the
    report unusable: read as 0 it could turn failures into a pass.
    """

    def number(key: str) -> int:
        text = (attrs.get(key) or "0").strip()
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not math.isfinite(value) or value < 0 or value != int(value):
            raise ReportProblem(line, f"testsuite {key}={text[:40]!r} is not a count")
        return int(value)

    tests = number("tests")
    failures, errors = number("failures"), number("errors")
    skipped = number("skipped") or number("skip")
    if failures + errors + skipped > tests:
        raise ReportProblem(
            line,
            f"testsuite counts {failures} failures, {errors} errors and {skipped} skipped "
            f"among only {tests} tests",
        )
    report.totals.tests += tests
    report.totals.failures += failures
    report.totals.errors += errors
    report.totals.skipped += skipped
