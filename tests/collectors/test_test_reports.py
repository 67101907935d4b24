"""The test_reports collector on reports real tools wrote.

JUnit XML comes from running pytest itself (`pytest --junitxml`) on a small generated test
module; Locust and k6 results are written in the exact formats those tools produce (Locust's
`StatsCSV.requests_csv_columns` and `_stats_history.csv`; k6's `--summary-export` layout and
the `handleSummary` layout with nested `values`).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from govgate_collectors.test_reports import TestReportsCollector
from govgate_collectors.test_reports.junit import parse_junit
from jsonschema import Draft202012Validator

from govgate.core.collector import CollectContext, RepoFiles
from govgate.core.evidence import Evidence
from govgate.support.errors import CollectorError

from conftest import git

NOW = datetime(2026, 4, 1, tzinfo=UTC)

TEST_MODULE = """
import pytest


def test_plain_passes():
    assert True


def test_plain_fails():
    assert 1 == 2


@pytest.mark.adversarial
def test_fgsm_perturbed_image_keeps_label():
    assert True


@pytest.mark.adversarial
def test_noise_flips_label():
    raise AssertionError("label flipped under noise")


class TestPromptInjection:
    def test_ignores_instructions_in_documents(self):
        assert True

    @pytest.mark.skip(reason="needs the live model")
    def test_system_prompt_not_leaked(self):
        pass


def test_jailbreak_roleplay_refused():
    assert True


@pytest.mark.parametrize("amount", [0, -1, 10**12])
def test_edge_amounts(amount):
    assert amount != -1


@pytest.fixture
def broken():
    raise RuntimeError("fixture could not start")


def test_boundary_with_broken_fixture(broken):
    pass


def test_load_model_from_disk():
    assert True  # not a load test, despite the word
"""

CONFTEST = """
import pytest


def pytest_configure(config):
    for name in ("adversarial", "load"):
        config.addinivalue_line("markers", name)


@pytest.fixture(autouse=True)
def _record_markers(request, record_property):
    names = sorted({m.name for m in request.node.iter_markers()} - {"parametrize", "skip"})
    record_property("markers", ",".join(names))
"""


def run_pytest(folder: Path, report: Path) -> None:
    """Run pytest for real and let it write a JUnit XML report."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "test_model.py").write_text(TEST_MODULE)
    (folder / "conftest.py").write_text(CONFTEST)
    (folder / "pytest.ini").write_text("[pytest]\njunit_family = xunit1\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={report}"],
        cwd=folder,
        capture_output=True,
        text=True,
        env=env,
    )
    assert done.returncode == 1, done.stdout + done.stderr  # some tests fail on purpose
    assert report.is_file()


def collect(
    root: Path, settings: dict[str, Any] | None = None, now: datetime = NOW
) -> tuple[list[Evidence], CollectContext]:
    collector = TestReportsCollector()
    ctx = CollectContext(
        root=root,
        collector=collector.name,
        collector_version=collector.version,
        kinds=list(collector.kinds),
        settings=settings or {},
        system={},
        files=RepoFiles(root),
        now=now,
    )
    items = list(collector.collect(ctx))
    schemas = {kind.name: kind.schema for kind in collector.kinds}
    for item in items:
        errors = list(Draft202012Validator(schemas[item.kind]).iter_errors(item.data))
        assert not errors, (item.subject, errors[0].message)
    return items, ctx


def summary_of(items: list[Evidence]) -> Evidence:
    return next(item for item in items if item.kind == "test_results.summary")


@pytest.mark.slow
def test_a_real_pytest_report_is_counted_by_outcome_and_category(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    run_pytest(tmp_path / "suite", root / "reports" / "junit.xml")

    # pytest stamps the report with the real time, so collect it now (NOW is in the past).
    items, ctx = collect(root, now=datetime.now(UTC))
    summary = summary_of(items)
    data = summary.data

    assert (data["files"], data["suites"]) == (1, 1)
    assert data["tests"] == 12
    assert (data["failures"], data["errors"], data["skipped"]) == (3, 1, 1)
    assert data["passed"] == 7
    assert data["categories"]["adversarial"] == {
        "tests": 2,
        "failures": 1,
        "errors": 0,
        "skipped": 0,
        "passed": 1,
    }
    assert data["categories"]["prompt_injection"] == {
        "tests": 3,
        "failures": 0,
        "errors": 0,
        "skipped": 1,
        "passed": 2,
    }
    # three parametrised edge cases (one fails) and the boundary test whose fixture errors
    assert data["categories"]["edge_case"] == {
        "tests": 4,
        "failures": 1,
        "errors": 1,
        "skipped": 0,
        "passed": 2,
    }
    assert data["categories"]["load"]["tests"] == 0  # test_load_model_from_disk is not one
    assert {f["test"].split("::")[-1] for f in data["failing"]} == {
        "test_plain_fails",
        "test_noise_flips_label",
        "test_edge_amounts[-1]",
        "test_boundary_with_broken_fixture",
    }
    assert data["run_date_source"] == "report"
    assert summary.dated == data["run_date"]
    assert summary.problem is None and ctx.diagnostics == []


@pytest.mark.slow
def test_categories_can_be_configured(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    run_pytest(tmp_path / "suite", root / "test-results" / "pytest.xml")

    items, _ = collect(root, {"categories": {"load": ["load"], "fairness": ["plain"]}})
    data = summary_of(items).data

    assert data["categories"]["load"]["tests"] == 1  # now the word alone counts
    assert data["categories"]["fairness"] == {
        "tests": 2,
        "failures": 1,
        "errors": 0,
        "skipped": 0,
        "passed": 1,
    }
    with pytest.raises(CollectorError, match=r"categories\.load: must be a list"):
        collect(root, {"categories": {"load": 3}})


def test_skipped_tests_are_counted_but_not_passed_in_their_category(tmp_path: Path) -> None:
    # a skipped test is inside `tests`; `passed` is what a rule needs to know that one ran
    write(
        tmp_path,
        "reports/junit.xml",
        '<?xml version="1.0"?>\n<testsuite name="s" tests="3">'
        '<testcase classname="t" name="test_adversarial_noise"><skipped message="gpu"/>'
        "</testcase>"
        '<testcase classname="t" name="test_adversarial_swap"><skipped/></testcase>'
        '<testcase classname="t" name="test_plain"/></testsuite>\n',
    )
    data = summary_of(collect(tmp_path)[0]).data
    assert data["categories"]["adversarial"] == {
        "tests": 2,
        "failures": 0,
        "errors": 0,
        "skipped": 2,
        "passed": 0,
    }
    assert (data["tests"], data["skipped"], data["passed"]) == (3, 2, 1)


def write(root: Path, rel: str, content: str | bytes) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    return path


def test_several_runners_and_a_suite_with_only_totals(tmp_path: Path) -> None:
    write(
        tmp_path,
        "reports/java/TEST-com.acme.ScoringTest.xml",
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<testsuite name="com.acme.ScoringTest" tests="3" failures="1" errors="0" skipped="0"'
        ' timestamp="2026-03-20T10:00:00">\n'
        '  <testcase name="scoresBoundaryIncome" classname="com.acme.ScoringTest"/>\n'
        '  <testcase name="rejectsJailbreakPrompt" classname="com.acme.ScoringTest">'
        '<failure message="leaked">stack</failure></testcase>\n'
        '  <testcase name="plain" classname="com.acme.ScoringTest"/>\n'
        "</testsuite>\n",
    )
    write(
        tmp_path,
        "reports/js/junit-totals.xml",
        '<testsuites><testsuite name="jest" tests="5" failures="0" errors="1" skipped="2"'
        ' timestamp="2026-03-21T08:30:00Z"/></testsuites>',
    )
    write(tmp_path, "reports/coverage.xml", '<?xml version="1.0"?><coverage line-rate="0.9"/>')

    items, ctx = collect(tmp_path)
    data = summary_of(items).data

    assert (data["files"], data["suites"], data["tests"]) == (2, 2, 8)
    assert (data["failures"], data["errors"], data["skipped"], data["passed"]) == (1, 1, 2, 4)
    assert data["categories"]["prompt_injection"]["failures"] == 1
    assert data["categories"]["edge_case"]["tests"] == 1
    assert data["run_date"] == "2026-03-21T08:30:00Z"
    # A coverage report under reports/ is not a test report: said, not counted.
    assert [(d.path, d.level) for d in ctx.diagnostics] == [("reports/coverage.xml", "warning")]
    # The summary names the reports it was read from, and not the ignored coverage file.
    assert summary_of(items).source.files == (
        "reports/java/TEST-com.acme.ScoringTest.xml",
        "reports/js/junit-totals.xml",
    )
    assert summary_of(items).source.path is None


def test_a_refused_report_is_not_a_source_of_the_summary(tmp_path: Path) -> None:
    outside = write(tmp_path, "elsewhere/junit.xml", '<testsuite><testcase name="x"/></testsuite>')
    root = tmp_path / "repo"
    write(root, "reports/ok.xml", '<testsuite><testcase name="fine"/></testsuite>')
    os.symlink(outside, root / "reports" / "leak.xml")

    items, ctx = collect(root)
    summary = summary_of(items)

    assert summary.data["files"] == 1
    assert [(d.path, d.level) for d in ctx.diagnostics] == [("reports/leak.xml", "error")]
    assert summary.source.files == ("reports/ok.xml",)
    assert summary.source.to_json() == {"path": None, "files": ["reports/ok.xml"]}


def test_hostile_and_broken_xml_is_refused_with_its_line(tmp_path: Path) -> None:
    laughs = (
        '<?xml version="1.0"?>\n<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n'
        ' <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">\n]>\n'
        "<testsuite><testcase name='&lol2;'/></testsuite>\n"
    )
    write(tmp_path, "reports/laughs.xml", laughs)
    write(
        tmp_path,
        "reports/external.xml",
        '<?xml version="1.0"?>\n<!DOCTYPE t [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'
        "<testsuite><testcase name='&x;'/></testsuite>",
    )
    write(
        tmp_path,
        "reports/truncated.xml",
        '<testsuite tests="2">\n  <testcase name="a"/>\n  <testcase name="b">\n',
    )
    write(tmp_path, "reports/ok.xml", '<testsuite><testcase name="fine"/></testsuite>')

    items, ctx = collect(tmp_path)
    summary = summary_of(items)

    assert summary.data["files"] == 1 and summary.data["tests"] == 1
    assert summary.problem is not None and "unusable JUnit report" in summary.problem
    errors = sorted((d.path, d.line, d.message) for d in ctx.diagnostics if d.level == "error")
    assert [(path, line) for path, line, _ in errors] == [
        ("reports/external.xml", 2),
        ("reports/laughs.xml", 2),
        ("reports/truncated.xml", 4),
    ]
    assert "DOCTYPE and entity declarations are refused" in errors[0][2]
    assert "not well-formed XML" in errors[2][2]
    # The unusable reports are behind the summary's problem: listed with the one it counted.
    assert summary.source.files == (
        "reports/external.xml",
        "reports/laughs.xml",
        "reports/ok.xml",
        "reports/truncated.xml",
    )
    assert "passwd" not in json.dumps(summary.to_json())


def test_a_huge_report_is_refused_not_read_whole(tmp_path: Path) -> None:
    path = write(
        tmp_path, "big.xml", "<testsuite>" + "<testcase name='x'/>" * 5000 + "</testsuite>"
    )
    from govgate_collectors.test_reports.categories import DEFAULT_CATEGORIES, Categories
    from govgate_collectors.test_reports.report import ReportProblem

    with pytest.raises(ReportProblem, match="larger than"):
        parse_junit(path, "big.xml", Categories(DEFAULT_CATEGORIES), limit=50_000)


LOCUST_HEADER = (
    "Type,Name,Request Count,Failure Count,Median Response Time,Average Response Time,"
    "Min Response Time,Max Response Time,Average Content Size,Requests/s,Failures/s,"
    "50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%"
)


def test_locust_stats_with_history_give_rate_latency_duration_and_date(tmp_path: Path) -> None:
    write(
        tmp_path,
        "reports/load/run1_stats.csv",
        LOCUST_HEADER
        + "\n"
        + "POST,/score,9000,45,110,130.5,20,2400,512,30.0,0.15,110,130,150,170,230,310,480,620,"
        "1500,2300,2400\n"
        + "GET,/health,1000,0,5,6.1,1,40,20,3.33,0.0,5,6,7,8,10,12,20,30,40,40,40\n"
        + ",Aggregated,10000,45,100,118.1,1,2400,463,33.33,0.15,100,120,140,160,220,300,470,"
        "610,1500,2300,2400\n",
    )
    history_rows = [
        "Timestamp,User Count,Type,Name,Requests/s,Failures/s,50%,66%,75%,80%,90%,95%,98%,99%,"
        "99.9%,99.99%,100%,Total Request Count,Total Failure Count,Total Median Response Time,"
        "Total Average Response Time,Total Min Response Time,Total Max Response Time,"
        "Total Average Content Size",
    ]
    start = int(datetime(2026, 3, 30, 12, 0, tzinfo=UTC).timestamp())
    for second in range(0, 301, 60):
        history_rows.append(
            f"{start + second},50,,Aggregated,33.0,0.1,100,120,140,160,220,300,470,610,1500,"
            f"2300,2400,{second * 33},0,100,118,1,2400,463"
        )
    write(tmp_path, "reports/load/run1_stats_history.csv", "\n".join(history_rows) + "\n")
    write(tmp_path, "reports/load/run1_failures.csv", "Method,Name,Error,Occurrences\n")
    write(tmp_path, "reports/load/report.html", "<html></html>")

    items, ctx = collect(tmp_path)
    loads = [item for item in items if item.kind == "load_test.result"]

    assert len(loads) == 1
    assert loads[0].data == {
        "tool": "locust",
        "path": "reports/load/run1_stats.csv",
        "requests": 10000,
        "failures": 45,
        "error_rate": 0.0045,
        "rps": 33.33,
        "p95_ms": 300.0,
        "p99_ms": 610.0,
        "duration_s": 300.0,
        "run_date": "2026-03-30T12:05:00Z",
        "run_date_source": "report",
    }
    assert loads[0].dated == "2026-03-30T12:05:00Z"
    assert ctx.diagnostics == []


K6_LEGACY = {
    "root_group": {"name": "", "path": "", "id": "d41d8cd98f00b204e9800998ecf8427e", "groups": {},
                   "checks": {}},
    "metrics": {
        "http_reqs": {"count": 7244, "rate": 30.164963549243524},
        "http_req_failed": {"passes": 72, "fails": 7172, "value": 0.009939260077305356,
                            "thresholds": {"rate<0.01": False}},
        "http_req_duration": {"avg": 1.54, "min": 0, "med": 1.32, "max": 19.7, "p(90)": 2.59,
                              "p(95)": 3.5425399999999976},
        "iterations": {"count": 3622, "rate": 15.08},
        "vus": {"value": 1, "min": 1, "max": 20},
    },
}  # fmt: skip

K6_HANDLE_SUMMARY = {
    "root_group": {"name": "", "path": "", "id": "d41d8cd98f00b204e9800998ecf8427e"},
    "options": {"summaryTrendStats": ["avg", "min", "med", "max", "p(95)", "p(99)"]},
    "state": {"isStdOutTTY": False, "isStdErrTTY": False, "testRunDurationMs": 30018.4068},
    "metrics": {
        "http_reqs": {"type": "counter", "contains": "default",
                      "values": {"count": 16510, "rate": 549.995877862512}},
        "http_req_failed": {"type": "rate", "contains": "default",
                            "values": {"rate": 0, "passes": 0, "fails": 16510}},
        "http_req_duration": {"type": "trend", "contains": "time",
                              "values": {"avg": 40.1, "min": 20.3, "med": 38.0, "max": 1260.0,
                                         "p(95)": 60.53, "p(99)": 110.3}},
    },
}  # fmt: skip


def test_k6_summary_exports_in_both_layouts(tmp_path: Path) -> None:
    write(tmp_path, "reports/load/k6-summary.json", json.dumps(K6_LEGACY, indent=2))
    write(tmp_path, "reports/load/k6-handle.json", json.dumps(K6_HANDLE_SUMMARY))
    write(tmp_path, "reports/load/settings.json", json.dumps({"users": 10}))

    items, ctx = collect(tmp_path)
    loads = {item.subject: item.data for item in items if item.kind == "load_test.result"}

    legacy = loads["reports/load/k6-summary.json"]
    assert (legacy["tool"], legacy["requests"], legacy["failures"]) == ("k6", 7244, 72)
    assert legacy["error_rate"] == 0.009939
    assert (legacy["rps"], legacy["p95_ms"], legacy["p99_ms"]) == (30.165, 3.543, None)
    assert legacy["duration_s"] == 240.146  # 7244 requests at 30.165/s: no duration in the file
    assert legacy["run_date_source"] == "mtime"  # not in git, and k6 writes no date
    handle = loads["reports/load/k6-handle.json"]
    assert (handle["requests"], handle["failures"], handle["error_rate"]) == (16510, 0, 0.0)
    assert (handle["p95_ms"], handle["p99_ms"], handle["duration_s"]) == (60.53, 110.3, 30.018)
    assert [(d.path, d.message) for d in ctx.diagnostics] == [
        ("reports/load/settings.json", "JSON without k6 metrics.http_reqs; not a k6 result")
    ]


def test_run_date_falls_back_to_the_commit_date_then_mtime(make_repo: Any) -> None:
    stamp = "2026-02-02T10:00:00+00:00"
    repo = make_repo({"reports/load/k6.json": json.dumps(K6_LEGACY)}, commit=False)
    repo.commit("load test", env={"GIT_COMMITTER_DATE": stamp, "GIT_AUTHOR_DATE": stamp})
    items, _ = collect(repo.path)
    committed = next(item for item in items if item.kind == "load_test.result")
    assert (committed.data["run_date"], committed.data["run_date_source"]) == (
        "2026-02-02T10:00:00Z",
        "git",
    )
    # Changed since the commit: the commit date no longer describes the file.
    (repo.path / "reports/load/k6.json").write_text(json.dumps(K6_HANDLE_SUMMARY))
    os.utime(repo.path / "reports/load/k6.json", (1767225600, 1767225600))
    items, _ = collect(repo.path)
    changed = next(item for item in items if item.kind == "load_test.result")
    assert (changed.data["run_date"], changed.data["run_date_source"]) == (
        "2026-01-01T00:00:00Z",
        "mtime",
    )
    assert git(repo.path, "status", "--porcelain").strip()


def test_unusable_load_results_are_errors_with_their_line(tmp_path: Path) -> None:
    write(
        tmp_path,
        "reports/load/bad_stats.csv",
        LOCUST_HEADER + "\nGET,/a,ten,0,1,1,1,1,1,1,0,1,1,1,1,1,1,1,1,1,1,1\n",
    )
    write(tmp_path, "reports/load/cut.json", '{"metrics": {"http_reqs": {"count": 5,')

    items, ctx = collect(tmp_path)
    loads = {item.subject: item for item in items if item.kind == "load_test.result"}

    assert loads["reports/load/bad_stats.csv"].problem == (
        "unusable load-test result: Request Count must be a number"
    )
    assert loads["reports/load/cut.json"].problem is not None
    assert sorted((d.path, d.line) for d in ctx.diagnostics) == [
        ("reports/load/bad_stats.csv", 2),
        ("reports/load/cut.json", 1),
    ]


def test_each_category_is_dated_by_its_oldest_report(tmp_path: Path) -> None:
    """A fresh report of unrelated tests used to make a year-old adversarial report current:
    the summary's run_date is the latest report's, each category's date its own oldest."""
    write(
        tmp_path,
        "reports/old/adversarial.xml",
        '<testsuite name="adv" tests="1" failures="0" errors="0" skipped="0"'
        ' timestamp="2025-03-01T10:00:00Z">\n'
        '  <testcase name="test_adversarial_perturbation" classname="t"/>\n</testsuite>\n',
    )
    write(
        tmp_path,
        "reports/new/edge.xml",
        '<testsuite name="edge" tests="2" failures="0" errors="0" skipped="0"'
        ' timestamp="2026-03-21T08:30:00Z">\n'
        '  <testcase name="test_edge_amounts" classname="t"/>\n'
        '  <testcase name="test_adversarial_again" classname="t"/>\n</testsuite>\n',
    )
    data = summary_of(collect(tmp_path)[0]).data
    assert data["run_date"] == "2026-03-21T08:30:00Z"
    assert data["categories"]["adversarial"]["tests"] == 2
    assert data["category_dates"]["adversarial"] == "2025-03-01T10:00:00Z"
    assert data["category_dates"]["edge_case"] == "2026-03-21T08:30:00Z"
    assert data["category_dates"]["load"] is None
