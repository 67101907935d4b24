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

import csv
import io
import json
import math
import re
import xml.parsers.expat
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from govgate import hookimpl
from govgate.core.collector import CollectContext, Collector, EvidenceKind
from govgate.core.evidence import Evidence, format_timestamp
from govgate.support.errors import CollectorError
from govgate.support.pii import redact_text

DEFAULT_JUNIT_PATHS = ("reports/**/*.xml", "test-results/**/*.xml", "**/junit*.xml")
DEFAULT_LOAD_PATHS = ("reports/load/**",)
#: Keywords per category, matched against test names and class names as whole words (or word
#: prefixes: "edge" matches "edges" but not "knowledge"), and exactly against marker names.
#: A marker equal to the category name always counts. `load` has no bare "load" keyword on
#: purpose: `test_load_model` is not a load test.
DEFAULT_CATEGORIES: dict[str, tuple[str, ...]] = {
    "adversarial": ("adversarial", "evasion", "perturbation"),
    "prompt_injection": ("prompt_injection", "injection", "jailbreak"),
    "edge_case": ("edge", "boundary", "corner_case"),
    "load": ("load_test", "loadtest", "stress_test", "soak", "spike_test"),
    # A tested human override path (EU AI Act Art. 14(4)(d)); a bare "override" would also
    # match configuration overrides, so names must say whose override it is.
    "override": ("human_override", "reviewer_override", "manual_override", "override_decision"),
}
#: Properties (`<property name=... value=...>`) that carry markers or tags.
MARKER_PROPERTIES = frozenset({"markers", "marker", "tags", "tag", "categories", "category"})
MAX_FAILING_LISTED = 20
MAX_XML_BYTES = 512 * 1024 * 1024
#: Largest Locust CSV or k6 JSON read: they are summaries (kilobytes), read whole.
MAX_LOAD_REPORT_BYTES = 64 * 1024 * 1024
#: Latest Unix time a Locust history may hold (9999-12-31): later ones are not dates.
_MAX_EPOCH = 253_402_300_799

_COUNT = {"type": "integer", "minimum": 0}
_CATEGORY = {
    "type": "object",
    "required": ["tests", "failures", "errors", "skipped"],
    "additionalProperties": False,
    "properties": {"tests": _COUNT, "failures": _COUNT, "errors": _COUNT, "skipped": _COUNT},
}
_RUN_DATE_SOURCE = {"enum": ["report", "git", "mtime", None]}

TEST_RESULTS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": [
        "files",
        "tests",
        "failures",
        "errors",
        "skipped",
        "passed",
        "suites",
        "categories",
        "run_date",
        "run_date_source",
        "failing",
    ],
    "properties": {
        "files": _COUNT,
        "tests": _COUNT,
        "failures": _COUNT,
        "errors": _COUNT,
        "skipped": _COUNT,
        "passed": _COUNT,
        "suites": _COUNT,
        "categories": {
            "type": "object",
            "required": list(DEFAULT_CATEGORIES),
            "additionalProperties": _CATEGORY,
        },
        "run_date": {"type": ["string", "null"]},
        "run_date_source": _RUN_DATE_SOURCE,
        "failing": {
            "type": "array",
            "maxItems": MAX_FAILING_LISTED,
            "items": {
                "type": "object",
                "required": ["path", "test", "outcome"],
                "additionalProperties": False,
                "properties": {
                    "path": {"type": "string"},
                    "test": {"type": "string"},
                    "outcome": {"enum": ["failure", "error"]},
                },
            },
        },
    },
}

_NUMBER_OR_NULL = {"type": ["number", "null"], "minimum": 0}
LOAD_TEST_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": [
        "tool",
        "path",
        "requests",
        "failures",
        "error_rate",
        "rps",
        "p95_ms",
        "p99_ms",
        "duration_s",
        "run_date",
        "run_date_source",
    ],
    "properties": {
        "tool": {"enum": ["locust", "k6"]},
        "path": {"type": "string"},
        "requests": _COUNT,
        "failures": _COUNT,
        "error_rate": {"type": ["number", "null"], "minimum": 0, "maximum": 1},
        "rps": _NUMBER_OR_NULL,
        "p95_ms": _NUMBER_OR_NULL,
        "p99_ms": _NUMBER_OR_NULL,
        "duration_s": _NUMBER_OR_NULL,
        "run_date": {"type": ["string", "null"]},
        "run_date_source": _RUN_DATE_SOURCE,
    },
}


class ReportProblem(Exception):
    """A report file that cannot be used, with the line where that became clear."""

    def __init__(self, line: int | None, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


# ---------------------------------------------------------------------------------------------
# Names and categories
# ---------------------------------------------------------------------------------------------


def _normalise(text: str) -> str:
    """`TestPromptInjection.test_edge[x]` -> `_test_prompt_injection_test_edge_x_`."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", text)
    tokens = [t for t in re.split(r"[^A-Za-z0-9]+", spaced.lower()) if t]
    return "_" + "_".join(tokens) + "_"


class Categories:
    """Which categories a test belongs to, from its markers and names."""

    def __init__(self, keywords: Mapping[str, tuple[str, ...]]) -> None:
        self.keywords = dict(keywords)
        # Normalised once: a marker must equal one of `markers`; a name must contain a needle.
        self._markers = {
            name: {_normalise(name).strip("_")} | {_normalise(w).strip("_") for w in words}
            for name, words in self.keywords.items()
        }
        self._needles = {
            name: tuple("_" + _normalise(w).strip("_") for w in words if w.strip("_ "))
            for name, words in self.keywords.items()
        }

    def of(self, name: str, classname: str, markers: Iterable[str]) -> list[str]:
        text = _normalise(name) + _normalise(classname)
        marker_set = {_normalise(m).strip("_") for m in markers if m.strip()}
        return [
            category
            for category in self.keywords
            if marker_set & self._markers[category]
            or any(needle in text for needle in self._needles[category])
        ]


def categories_from_settings(ctx: CollectContext) -> Categories:
    raw = ctx.settings.get("categories")
    merged = dict(DEFAULT_CATEGORIES)
    if raw is None:
        return Categories(merged)
    if not isinstance(raw, dict):
        raise CollectorError(
            "govgate.yaml collectors.test_reports.categories: must map a category to keywords"
        )
    for name, words in raw.items():
        if isinstance(words, str):
            words = [words]
        if not isinstance(words, list) or not all(isinstance(w, str) for w in words):
            raise CollectorError(
                f"govgate.yaml collectors.test_reports.categories.{name}: must be a list of "
                "keywords"
            )
        merged[str(name)] = tuple(words)
    return Categories(merged)


# ---------------------------------------------------------------------------------------------
# JUnit XML
# ---------------------------------------------------------------------------------------------


@dataclass
class _Counts:
    tests: int = 0
    failures: int = 0
    errors: int = 0
    skipped: int = 0

    def add(self, outcome: str) -> None:
        self.tests += 1
        if outcome == "failure":
            self.failures += 1
        elif outcome == "error":
            self.errors += 1
        elif outcome == "skipped":
            self.skipped += 1

    def to_json(self) -> dict[str, int]:
        return {
            "tests": self.tests,
            "failures": self.failures,
            "errors": self.errors,
            "skipped": self.skipped,
        }


@dataclass
class JUnitReport:
    """What one JUnit XML file says, counted per test case."""

    path: str
    totals: _Counts = field(default_factory=_Counts)
    suites: int = 0
    timestamps: list[datetime] = field(default_factory=list)
    categories: dict[str, _Counts] = field(default_factory=dict)
    failing: list[tuple[str, str]] = field(default_factory=list)  # (test, outcome)


class _Refused(Exception):
    pass


def parse_junit(
    path: Path, rel: str, categories: Categories, limit: int = MAX_XML_BYTES
) -> JUnitReport | None:
    """Count a JUnit XML report; None when the XML is well formed but not a JUnit report.

    Streaming expat with DOCTYPE, entity and external-entity declarations refused. Test cases
    are counted from their elements (`<failure>`, `<error>`, `<skipped>` children); a suite
    without test cases contributes its own `tests`/`failures`/... attributes instead.
    """
    report = JUnitReport(rel, categories={name: _Counts() for name in categories.keywords})
    parser = xml.parsers.expat.ParserCreate()
    stack: list[str] = []
    case: dict[str, Any] | None = None
    suite_cases: list[int] = []  # test cases seen in each open <testsuite>
    suite_attrs: list[dict[str, str]] = []
    root: list[str] = []

    def refuse(*_: Any) -> None:
        raise _Refused("DOCTYPE and entity declarations are refused in test reports")

    def start(tag: str, attrs: dict[str, str]) -> None:
        nonlocal case
        if not root:
            root.append(tag)
            if tag not in ("testsuites", "testsuite"):
                raise _NotJUnit(tag)
        stack.append(tag)
        if tag == "testsuite":
            report.suites += 1
            suite_cases.append(0)
            suite_attrs.append(dict(attrs))
            stamp = attrs.get("timestamp")
            if stamp:
                moment = _parse_moment(stamp)
                if moment is not None:
                    report.timestamps.append(moment)
        elif tag == "testcase":
            case = {
                "name": attrs.get("name", ""),
                "classname": attrs.get("classname", ""),
                "outcome": "passed",
                "markers": [],
            }
            if suite_cases:
                suite_cases[-1] += 1
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

    def end(tag: str) -> None:
        nonlocal case
        stack.pop()
        if tag == "testcase" and case is not None:
            report.totals.add(case["outcome"])
            for category in categories.of(case["name"], case["classname"], case["markers"]):
                report.categories[category].add(case["outcome"])
            if case["outcome"] in ("failure", "error") and len(report.failing) < MAX_FAILING_LISTED:
                label = "::".join(p for p in (case["classname"], case["name"]) if p)
                report.failing.append((redact_text(label), case["outcome"]))
            case = None
        elif tag == "testsuite":
            cases = suite_cases.pop()
            attrs = suite_attrs.pop()
            if cases == 0 and not any(s == "testsuite" for s in stack):
                _add_suite_attributes(report, attrs, parser.CurrentLineNumber)

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.ExternalEntityRefHandler = refuse  # type: ignore[assignment]
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


class _NotJUnit(Exception):
    pass


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


def _parse_moment(text: str) -> datetime | None:
    """An ISO 8601 timestamp; one without a zone is taken as UTC (documented)."""
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return moment.astimezone(UTC)
    except (ValueError, OverflowError):  # not ISO 8601, or a zone shift past year 1 or 9999
        return None


# ---------------------------------------------------------------------------------------------
# Load tests
# ---------------------------------------------------------------------------------------------

_LOCUST_COLUMNS = {
    "requests": ("Request Count", "# requests"),
    "failures": ("Failure Count", "# failures"),
    "rps": ("Requests/s",),
    "p95": ("95%",),
    "p99": ("99%",),
}
_LOCUST_COMPANIONS = ("_stats_history.csv", "_failures.csv", "_exceptions.csv")
_IGNORED_SUFFIXES = (".html", ".htm", ".png", ".svg", ".jpg", ".log", ".txt", ".md")


def _number(value: Any, where: str) -> float | None:
    """A finite non-negative number from a report field; N/A and empty are None."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise ReportProblem(None, f"{where} must be a number, not {value!r}")
    if isinstance(value, int | float):
        number = float(value)
    else:
        text = str(value).strip()
        if text in ("", "N/A", "n/a", "-"):
            return None
        try:
            number = float(text)
        except ValueError:
            raise ReportProblem(None, f"{where} must be a number") from None
    if not math.isfinite(number) or number < 0:
        raise ReportProblem(None, f"{where} must be a finite, non-negative number")
    return number


def _rounded(value: float | None, digits: int = 3) -> float | None:
    return None if value is None else round(value, digits)


def _read_summary(path: Path) -> str:
    """A load-test summary's text; ReportProblem when it is too large to be one."""
    if path.stat().st_size > MAX_LOAD_REPORT_BYTES:
        raise ReportProblem(
            None, f"larger than {MAX_LOAD_REPORT_BYTES >> 20} MB; not a load-test summary"
        )
    return path.read_text(encoding="utf-8-sig")


def parse_locust(path: Path) -> tuple[dict[str, Any], datetime | None]:
    """A Locust `*_stats.csv` (and its `_stats_history.csv` for duration and date, if any)."""
    try:
        return _parse_locust(path)
    except csv.Error as exc:  # a field over the csv module's limit, say
        raise ReportProblem(None, f"malformed CSV: {exc}") from None


def _parse_locust(path: Path) -> tuple[dict[str, Any], datetime | None]:
    text = _read_summary(path)
    reader = csv.reader(io.StringIO(text))
    try:
        header = next(reader)
    except StopIteration:
        raise ReportProblem(1, "empty file; expected Locust's header row") from None
    index = {name.strip(): position for position, name in enumerate(header)}

    def column(key: str) -> int | None:
        for name in _LOCUST_COLUMNS[key]:
            if name in index:
                return index[name]
        return None

    if column("requests") is None or "Name" not in index:
        raise ReportProblem(1, "not a Locust stats file: no 'Name' and 'Request Count' columns")
    aggregated: list[str] | None = None
    rows: list[tuple[int, list[str]]] = []
    for row in reader:
        if not row or not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            raise ReportProblem(
                reader.line_num, f"expected {len(header)} fields (the header's), found {len(row)}"
            )
        rows.append((reader.line_num, row))
        if row[index["Name"]].strip() in ("Aggregated", "Total"):
            aggregated = row
    if not rows:
        raise ReportProblem(2, "no rows after the header")

    def value(row: list[str], key: str, line: int) -> float | None:
        position = column(key)
        if position is None:
            return None
        try:
            return _number(row[position], _LOCUST_COLUMNS[key][0])
        except ReportProblem as exc:
            raise ReportProblem(line, exc.message) from None

    if aggregated is not None:
        line = next(line for line, row in rows if row is aggregated)
        requests = value(aggregated, "requests", line) or 0.0
        failures = value(aggregated, "failures", line) or 0.0
        rps = value(aggregated, "rps", line)
        p95 = value(aggregated, "p95", line)
        p99 = value(aggregated, "p99", line)
    else:  # no aggregate row: totals are sums; percentiles cannot be combined
        requests = sum(value(row, "requests", line) or 0.0 for line, row in rows)
        failures = sum(value(row, "failures", line) or 0.0 for line, row in rows)
        rates = [value(row, "rps", line) for line, row in rows]
        rps = sum(r for r in rates if r is not None) if any(r is not None for r in rates) else None
        p95 = p99 = None
    duration, run_date = _locust_history(path)
    if duration is None and rps:
        duration = requests / rps
    data = {
        "tool": "locust",
        "requests": int(requests),
        "failures": int(failures),
        "error_rate": _rounded(failures / requests, 6) if requests else None,
        "rps": _rounded(rps),
        "p95_ms": _rounded(p95),
        "p99_ms": _rounded(p99),
        "duration_s": _rounded(duration),
    }
    return data, run_date


def _locust_history(stats_path: Path) -> tuple[float | None, datetime | None]:
    """(duration, run date) from the `_stats_history.csv` Locust writes next to the stats."""
    history = stats_path.with_name(stats_path.name[: -len("_stats.csv")] + "_stats_history.csv")
    if not history.is_file() or history.is_symlink():
        return None, None
    stamps: list[float] = []
    reader = csv.DictReader(io.StringIO(_read_summary(history)))
    for row in reader:
        cell = row.get("Timestamp")
        try:
            stamp = float(cell if isinstance(cell, str) else "")
        except ValueError:
            continue  # Locust leaves it empty on rows written before the first request
        if not 0 <= stamp <= _MAX_EPOCH:  # nan, inf and years past 9999 are not times
            raise ReportProblem(
                None, f"{history.name}:{reader.line_num}: Timestamp {cell!r} is not a Unix time"
            )
        stamps.append(stamp)
    if not stamps:
        return None, None
    return max(stamps) - min(stamps), datetime.fromtimestamp(max(stamps), tz=UTC)


def parse_k6(path: Path) -> tuple[dict[str, Any], datetime | None] | None:
    """A k6 `--summary-export` file (or `handleSummary` JSON); None if it is not k6's."""
    try:
        document = json.loads(_read_summary(path))
    except json.JSONDecodeError as exc:
        raise ReportProblem(exc.lineno, f"invalid JSON: {exc.msg}") from None
    except RecursionError:
        raise ReportProblem(None, "JSON nested too deeply") from None
    except ValueError as exc:  # an integer of more digits than Python converts
        raise ReportProblem(None, f"invalid JSON: {str(exc).split(';')[0]}") from None
    metrics = document.get("metrics") if isinstance(document, dict) else None
    if not isinstance(metrics, dict) or "http_reqs" not in metrics:
        return None

    def metric(name: str) -> dict[str, Any]:
        raw = metrics.get(name) or {}
        if not isinstance(raw, dict):
            raise ReportProblem(None, f"metrics.{name} must be an object")
        # --summary-export writes the values flat; handleSummary nests them under "values".
        values = raw.get("values", raw)
        return values if isinstance(values, dict) else {}

    reqs = metric("http_reqs")
    requests = _number(reqs.get("count"), "metrics.http_reqs.count") or 0.0
    rps = _number(reqs.get("rate"), "metrics.http_reqs.rate")
    failed = metric("http_req_failed")
    # A Rate metric counts true values as "passes": for http_req_failed, the failed requests.
    failures = _number(failed.get("passes"), "metrics.http_req_failed.passes")
    rate = _number(failed.get("value", failed.get("rate")), "metrics.http_req_failed.value")
    if failures is None and rate is not None:
        failures = round(rate * requests)
    duration_ms = metric("http_req_duration")
    state = document.get("state") if isinstance(document.get("state"), dict) else {}
    run_ms = _number(state.get("testRunDurationMs"), "state.testRunDurationMs")
    duration = run_ms / 1000 if run_ms is not None else (requests / rps if rps else None)
    run_date = None
    for key in ("timestamp", "date", "run_date"):
        if isinstance(document.get(key), str):
            run_date = _parse_moment(document[key])
            if run_date is not None:
                break
    data = {
        "tool": "k6",
        "requests": int(requests),
        "failures": int(failures or 0),
        "error_rate": _rounded(rate, 6)
        if rate is not None
        else (_rounded((failures or 0) / requests, 6) if requests else None),
        "rps": _rounded(rps),
        "p95_ms": _rounded(_number(duration_ms.get("p(95)"), "http_req_duration.p(95)")),
        "p99_ms": _rounded(_number(duration_ms.get("p(99)"), "http_req_duration.p(99)")),
        "duration_s": _rounded(duration),
    }
    return data, run_date


# ---------------------------------------------------------------------------------------------
# Run dates from git or the file system
# ---------------------------------------------------------------------------------------------


class FileDates:
    """When a report was produced, when the report itself does not say.

    The commit date of the last commit touching the file when it is committed and unchanged
    (a checkout resets mtimes, so git is the better witness), else the file's mtime.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self._git: Any = None
        self._opened = False

    def _runner(self) -> Any:
        if not self._opened:
            self._opened = True
            try:
                from govgate.support.git import Repository

                self._git = Repository.find(self.root)
            except Exception:  # not a repository, or git missing: mtime it is
                self._git = None
        return self._git

    def of(self, path: Path) -> tuple[datetime, str]:
        runner = self._runner()
        if runner is not None:
            try:
                from govgate.support.git_history import is_unchanged, last_commit_date

                moment = last_commit_date(runner, [path]) if is_unchanged(runner, path) else None
                if moment is not None:
                    return moment, "git"
            except Exception:  # noqa: S110 - no commits yet or shallow oddities: use mtime
                pass
        return datetime.fromtimestamp(path.stat().st_mtime, tz=UTC), "mtime"


# ---------------------------------------------------------------------------------------------
# The collector
# ---------------------------------------------------------------------------------------------


def _patterns(ctx: CollectContext, key: str, default: Sequence[str]) -> list[str]:
    value = ctx.settings.get(key, list(default))
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise CollectorError(f"govgate.yaml collectors.test_reports.{key}: must be a list of globs")
    return list(value)


class TestReportsCollector(Collector):
    name = "test_reports"
    # 1.1.0: test_results.summary lists the reports it was read from (source.files).
    version = "1.1.0"
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
        totals = _Counts()
        suites = 0
        per_category = {name: _Counts() for name in categories.keywords}
        failing: list[dict[str, str]] = []
        run_date: datetime | None = None
        run_date_source: str | None = None
        files = 0
        problems: list[str] = []
        # The reports the summary rests on: those counted, and unusable ones (its problem
        # comes from them). Not one that is no JUnit report (ignored) nor a refused one.
        sources: list[str] = []
        for rel, path in ctx.iter_files(_patterns(ctx, "junit_paths", DEFAULT_JUNIT_PATHS)):
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
            files += 1
            sources.append(rel)
            suites += report.suites
            for name in ("tests", "failures", "errors", "skipped"):
                setattr(totals, name, getattr(totals, name) + getattr(report.totals, name))
            for name, counts in report.categories.items():
                for attr in ("tests", "failures", "errors", "skipped"):
                    target = per_category[name]
                    setattr(target, attr, getattr(target, attr) + getattr(counts, attr))
            for test, outcome in report.failing:
                if len(failing) < MAX_FAILING_LISTED:
                    failing.append({"path": rel, "test": test, "outcome": outcome})
            if report.timestamps:
                moment, source = max(report.timestamps), "report"
            else:
                moment, source = dates.of(path)
            if run_date is None or moment > run_date:
                run_date, run_date_source = moment, source
        data = {
            "files": files,
            "tests": totals.tests,
            "failures": totals.failures,
            "errors": totals.errors,
            "skipped": totals.skipped,
            "passed": totals.tests - totals.failures - totals.errors - totals.skipped,
            "suites": suites,
            "categories": {name: counts.to_json() for name, counts in per_category.items()},
            "run_date": format_timestamp(run_date) if run_date else None,
            "run_date_source": run_date_source,
            "failing": failing,
        }
        problem = None
        if problems:
            more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
            problem = f"unusable JUnit report {problems[0]}{more}"
        return ctx.evidence(
            "test_results.summary",
            subject=", ".join(_patterns(ctx, "junit_paths", DEFAULT_JUNIT_PATHS)),
            data=data,
            dated=run_date,
            problem=problem,
        ).with_files(sources)

    def _load_tests(self, ctx: CollectContext, dates: FileDates) -> Iterable[Evidence]:
        for rel, path in ctx.iter_files(_patterns(ctx, "load_paths", DEFAULT_LOAD_PATHS)):
            name = path.name.lower()
            if name.endswith(_IGNORED_SUFFIXES) or name.endswith(_LOCUST_COMPANIONS):
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
                    data=_empty_load(rel, "k6" if name.endswith(".json") else "locust"),
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


def _empty_load(rel: str, tool: str) -> dict[str, Any]:
    return {
        "tool": tool,
        "path": rel,
        "requests": 0,
        "failures": 0,
        "error_rate": None,
        "rps": None,
        "p95_ms": None,
        "p99_ms": None,
        "duration_s": None,
        "run_date": None,
        "run_date_source": None,
    }


@hookimpl
def govgate_collectors() -> Sequence[type[Collector]]:
    return [TestReportsCollector]
