"""The `test_reports` collector: one `test_results.summary` over every JUnit XML report, and one
`load_test.result` per Locust or k6 result."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from govgate.api import CollectContext, Collector, Evidence, EvidenceKind, format_timestamp
from govgate.support.clock import clock_skew, future_moment
from govgate.support.errors import CollectorError
from govgate_collectors.test_reports.categories import Categories, categories_from_settings
from govgate_collectors.test_reports.junit import Counts, JUnitSummary, parse_junit
from govgate_collectors.test_reports.load_tests import (
    IGNORED_SUFFIXES,
    LOCUST_COMPANIONS,
    empty_load,
    parse_k6,
    parse_locust,
)
from govgate_collectors.test_reports.report import ReportProblem
from govgate_collectors.test_reports.run_dates import FileDates
from govgate_collectors.test_reports.schema import (
    LOAD_TEST_SCHEMA,
    SETTINGS_SCHEMA,
    TEST_RESULTS_SCHEMA,
)

DEFAULT_JUNIT_PATHS = ("reports/**/*.xml", "test-results/**/*.xml", "**/junit*.xml")
DEFAULT_LOAD_PATHS = ("reports/load/**",)


def _patterns(ctx: CollectContext, key: str, default: Sequence[str]) -> list[str]:
    value = ctx.settings.get(key, list(default))
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise CollectorError(f"govgate.yaml collectors.test_reports.{key}: must be a list of globs")
    return list(value)


def _future_run_date(ctx: CollectContext, summary: JUnitSummary) -> tuple[str | None, int | None]:
    """(report, line) when the newest timestamp lies after now, else (None, None).

    Such a run date stays the summary's (a freshness rule on it is an error, never a pass),
    and the summary points at the report and line that claim it, so the finding names them.
    """
    moment, path = summary.run_date, summary.run_date_path
    if moment is None or summary.run_date_source != "report":
        return None, None
    if future_moment(moment, ctx.now, clock_skew()) is None:
        return None, None
    ctx.problem(
        path,
        summary.run_date_line,
        f"timestamp {format_timestamp(moment)} lies in the future: a test run cannot have "
        "happened after now, so this report shows nothing about how recent the tests are",
        level="error",
    )
    return path, summary.run_date_line


class TestReportsCollector(Collector):
    name = "test_reports"
    # 1.1.0: test_results.summary lists the reports it was read from (source.files).
    # 1.2.0: a summary whose newest timestamp lies in the future points at that report.
    # 1.3.0: category_dates, when the oldest report with tests of each category ran.
    version = "1.3.0"
    description = "JUnit XML test results by category, and Locust / k6 load-test results"
    kinds = (
        EvidenceKind(
            "test_results.summary",
            "test_reports",
            TEST_RESULTS_SCHEMA,
            description="totals and per-category counts over every JUnit XML report",
        ),
        EvidenceKind(
            "load_test.result",
            "test_reports",
            LOAD_TEST_SCHEMA,
            description="one Locust *_stats.csv or k6 --summary-export result",
        ),
    )
    settings_schema = SETTINGS_SCHEMA
    __test__ = False  # a collector, not a pytest test class

    def input_patterns(self, ctx: CollectContext) -> list[str]:
        return _patterns(ctx, "junit_paths", DEFAULT_JUNIT_PATHS) + _patterns(
            ctx, "load_paths", DEFAULT_LOAD_PATHS
        )

    def collect(self, ctx: CollectContext) -> Iterable[Evidence]:
        categories = categories_from_settings(ctx)
        dates = FileDates(ctx.root)
        if ctx.wants("test_results.summary") or not ctx.kinds:
            yield self._junit(ctx, categories, dates)
        if ctx.wants("load_test.result") or not ctx.kinds:
            yield from self._load_tests(ctx, dates)

    def _junit(self, ctx: CollectContext, categories: Categories, dates: FileDates) -> Evidence:
        patterns = _patterns(ctx, "junit_paths", DEFAULT_JUNIT_PATHS)
        summary = JUnitSummary({name: Counts() for name in categories.keywords})
        problems: list[str] = []
        # The reports the summary rests on: those counted, and unusable ones (its problem
        # comes from them). Not one that is no JUnit report (ignored) nor a refused one.
        sources: list[str] = []
        for rel, path in ctx.iter_files(patterns):
            try:
                report = parse_junit(path, rel, categories)
            except ReportProblem as exc:
                ctx.problem(rel, exc.line, f"unusable JUnit report: {exc.message}", level="error")
                where = f"{rel}:{exc.line}" if exc.line else rel
                problems.append(f"{where}: {exc.message}")
                sources.append(rel)
                continue
            except OSError as exc:
                ctx.problem(rel, None, f"cannot read: {exc.strerror}", level="error")
                problems.append(f"{rel}: cannot read")
                sources.append(rel)
                continue
            if report is None:
                ctx.problem(
                    rel, None, "not a JUnit XML report (root is not <testsuite(s)>); ignored"
                )
                continue
            sources.append(rel)
            if report.timestamps:
                newest = max(range(len(report.timestamps)), key=report.timestamps.__getitem__)
                ran = (report.timestamps[newest], "report")
                summary.add(report, ran, report.timestamp_lines[newest])
            else:
                summary.add(report, dates.of(path))
        problem = None
        if problems:
            more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
            problem = f"unusable JUnit report {problems[0]}{more}"
        claimed, line = _future_run_date(ctx, summary)
        return ctx.evidence(
            "test_results.summary",
            subject=", ".join(patterns),
            data=summary.to_json(),
            path=claimed,
            line=line,
            dated=summary.run_date,
            problem=problem,
        ).with_files(sources)

    def _load_tests(self, ctx: CollectContext, dates: FileDates) -> Iterable[Evidence]:
        for rel, path in ctx.iter_files(_patterns(ctx, "load_paths", DEFAULT_LOAD_PATHS)):
            name = path.name.lower()
            if name.endswith(IGNORED_SUFFIXES) or name.endswith(LOCUST_COMPANIONS):
                continue
            parsed: tuple[dict[str, Any], datetime | None] | None
            try:
                if name.endswith("_stats.csv"):
                    parsed = parse_locust(path)
                elif name.endswith(".json"):
                    parsed = parse_k6(path)
                    if parsed is None:
                        ctx.problem(rel, None, "JSON without k6 metrics.http_reqs; not a k6 result")
                        continue
                else:
                    ctx.problem(rel, None, "not a Locust *_stats.csv or k6 JSON result; ignored")
                    continue
            except (ReportProblem, UnicodeDecodeError, OSError) as exc:
                line = exc.line if isinstance(exc, ReportProblem) else None
                message = exc.message if isinstance(exc, ReportProblem) else str(exc)
                ctx.problem(rel, line, f"unusable load-test result: {message}", level="error")
                yield ctx.evidence(
                    "load_test.result",
                    subject=rel,
                    data=empty_load(rel, "k6" if name.endswith(".json") else "locust"),
                    path=rel,
                    line=line,
                    problem=f"unusable load-test result: {message}",
                )
                continue
            data, run_date = parsed
            source = "report"
            if run_date is None:
                run_date, source = dates.of(path)
            data.update(path=rel, run_date=format_timestamp(run_date), run_date_source=source)
            yield ctx.evidence("load_test.result", subject=rel, data=data, path=rel, dated=run_date)
