"""Evidence dated in the future never satisfies a freshness rule.

The author of a change who wants a PASS can date an evaluation report 2099, stamp a JUnit
report `timestamp="2099-..."` or put `last_updated: 2099-...` in a document's front matter:
each would be the freshest evidence of all. Each is an `error` naming the file, the line and
the date, where the same file with a real date passes.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from conftest import CliResult, RepoBuilder, git

PACK = """\
pack: fresh
version: 1.0.0
title: Fresh evidence
evidence_kinds:
  policy_doc:
    collector: documents
    paths: [governance/policy.md]
requirements:
  - {id: F-1, title: Recent evidence, source: {framework: T, ref: "1"}}
controls:
  - {id: FC-1, title: Evidence is recent, satisfies: [F-1]}
rules:
  - id: FC-1.tests-recent
    control: FC-1
    severity: high
    evidence: test_results.summary
    assert: {path: run_date, op: newer_than, value: 30d}
    message: "the tests last ran {actual}"
    remediation: run the tests
  - id: FC-1.policy-updated
    control: FC-1
    severity: high
    evidence: policy_doc
    assert: {path: dates.last_updated.value, op: newer_than, value: 365d}
    message: "{source.path} was last updated {actual}"
    remediation: review the policy
  - id: FC-1.policy-dated
    control: FC-1
    severity: high
    evidence: policy_doc
    assert: {path: evidence.dated, op: newer_than, value: 365d}
    message: "{source.path} is dated {actual}"
    remediation: review the policy
"""


def junit(stamp: str) -> str:
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        f'<testsuite name="unit" tests="1" timestamp="{stamp}">\n'
        '  <testcase classname="t" name="test_ok"/>\n'
        "</testsuite>\n"
    )


def policy(updated: str) -> str:
    return (
        f"---\ntitle: AI policy\nowner: CTO\nlast_updated: {updated}\n---\n# AI policy\n\nText.\n"
    )


def check(run_cli: Callable[..., CliResult], root: Path) -> tuple[int, dict[str, Any]]:
    result = run_cli("check", root, "--no-locker", "--format", "json")
    return result.exit_code, json.loads(result.stdout)


def findings(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f["rule"]: f for f in document["findings"]}


@pytest.fixture
def fresh_repo(make_repo: Callable[..., RepoBuilder]) -> Callable[[str, str], Path]:
    def build(stamp: str, updated: str) -> Path:
        return make_repo(
            {
                "govgate.yaml": "system: {name: x, risk: high}\npacks: [./packs/fresh]\n",
                "packs/fresh/pack.yaml": PACK,
                "reports/junit.xml": junit(stamp),
                "governance/policy.md": policy(updated),
            }
        ).path

    return build


def test_a_junit_timestamp_and_a_front_matter_date_in_2099_are_errors_at_their_lines(
    fresh_repo: Callable[[str, str], Path], run_cli: Callable[..., CliResult], reliability: Any
) -> None:
    today = datetime.now(UTC)
    code, current = check(run_cli, fresh_repo(f"{today:%Y-%m-%dT%H:%M:%S}", f"{today:%Y-%m-%d}"))
    assert code == 0, current["findings"]
    assert {f["status"] for f in current["findings"]} == {"pass"}

    code, planted = check(run_cli, fresh_repo("2099-01-04T10:00:00", "2099-01-04"))
    assert code == 1
    by_rule = findings(planted)
    tests = by_rule["FC-1.tests-recent"]
    assert tests["status"] == "error"
    assert tests["location"] == {"path": "reports/junit.xml", "line": 2}
    assert tests["message"].startswith(
        "reports/junit.xml:2: run_date is 2099-01-04T10:00:00Z, a date in the future"
    )
    for rule, field in (
        ("FC-1.policy-updated", "dates.last_updated.value"),
        ("FC-1.policy-dated", "evidence.dated"),
    ):
        finding = by_rule[rule]
        assert finding["status"] == "error", finding
        assert finding["location"] == {"path": "governance/policy.md", "line": 4}
        assert finding["message"].startswith(
            f"governance/policy.md:4: {field} is 2099-01-04, a date in the future"
        )
    problems = {(d["path"], d["line"], d["level"]) for d in planted["diagnostics"]}
    assert {("reports/junit.xml", 2, "error"), ("governance/policy.md", 4, "error")} <= problems
    reliability.record(
        "future-dated-evidence",
        f"a JUnit timestamp and a front-matter date in 2099: rule error, exit {code}: "
        + tests["message"].split(" (now is")[0]
        + " | "
        + by_rule["FC-1.policy-updated"]["message"].split(" (now is")[0],
    )


@pytest.mark.slow
def test_a_2099_evaluation_report_fails_the_rule_a_current_one_passes(
    example_repo: Callable[[str], Path], run_cli: Callable[..., CliResult], reliability: Any
) -> None:
    root = example_repo("loan-approval")
    code, before = check(run_cli, root)
    assert findings(before)["RD-01.production-eval"]["status"] == "pass"
    report = root / "reports/eval/production-like.json"
    data = json.loads(report.read_text())
    data["date"] = "2099-01-04"
    report.write_text(json.dumps(data, indent=2) + "\n")
    git(root, "commit", "-qam", "an evaluation from the future")
    code, after = check(run_cli, root)
    finding = findings(after)["RD-01.production-eval"]
    assert (code, finding["status"], after["gate"]) == (1, "error", "fail")
    assert finding["location"] == {"path": "reports/eval/production-like.json", "line": 2}
    assert finding["message"].startswith(
        "reports/eval/production-like.json:2: date is 2099-01-04, a date in the future"
    )
    reliability.record(
        "future-dated-evidence",
        "an evaluation report dated 2099 in the example: RD-01.production-eval pass -> error: "
        + finding["message"].split(" (now is")[0],
    )
