"""`govgate policy test` and `policy lint` on a pack folder being written: two-way strict
matching (a finding nobody expected fails a case as much as an expected one that did not
appear), rule coverage against `--min-coverage`, and the lint checks."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import CliResult

PACK = """\
pack: pk
version: 1.0.0
title: Pack under test
evidence_kinds:
  gates:
    collector: config
    paths: [gates.yaml]
    schema: {type: object, properties: {gates: {type: array}}}
requirements:
  - {id: R-1, title: Gates, source: {framework: T, ref: "1"}}
controls:
  - {id: G-1, title: Every gate is enabled, satisfies: [R-1]}
rules:
  - id: G-1.listed
    control: G-1
    severity: high
    evidence: gates
    assert: {path: gates, op: not_empty}
    message: no gates listed
    remediation: list the gates
  - id: G-1.enabled
    control: G-1
    severity: high
    evidence: gates
    depends_on: [G-1.listed]
    for_each: gates
    assert: {path: enabled, op: eq, value: true}
    message: "gate {item.name} is disabled"
    remediation: "enable {item.name}"
"""
GOOD = """\
case: every gate enabled
evidence:
  gates:
    - data: {gates: [{name: a, enabled: true}]}
expect:
  G-1.listed: pass
  G-1.enabled[a]: pass
"""
BAD = """\
case: a disabled gate
evidence:
  gates:
    - data: {gates: [{name: a, enabled: true}, {name: b, enabled: false}]}
expect:
  G-1.listed: pass
  G-1.enabled[a]: pass
  G-1.enabled[b]: fail
"""
EMPTY = """\
case: no gates at all
evidence:
  gates:
    - data: {gates: []}
expect:
  G-1.listed: fail
  G-1.enabled: skipped
"""


def pack_folder(root: Path, cases: dict[str, str], pack: str = PACK) -> Path:
    folder = root / "pk"
    (folder / "tests").mkdir(parents=True)
    (folder / "pack.yaml").write_text(pack, encoding="utf-8")
    for name, text in cases.items():
        (folder / "tests" / name).write_text(textwrap.dedent(text), encoding="utf-8")
    return folder


def lines(done: CliResult) -> list[str]:
    return done.stderr.splitlines()


def test_passing_cases_with_full_coverage_pass(
    tmp_path: Path, run_cli: Callable[..., CliResult]
) -> None:
    folder = pack_folder(tmp_path, {"good.yaml": GOOD, "bad.yaml": BAD, "empty.yaml": EMPTY})
    done = run_cli("policy", "test", folder, "--min-coverage", "100")
    assert done.exit_code == 0, done.output
    assert lines(done) == [
        "pk: 2/2 rules covered (100%)",
        "3/3 cases passed; rule coverage 100.0%",
    ]
    verbose = run_cli("policy", "test", folder, "-v")
    assert verbose.exit_code == 0
    passed = [line for line in lines(verbose) if line.startswith("PASS ")]
    assert len(passed) == 3
    assert any(line.endswith("tests/bad.yaml: a disabled gate") for line in passed)


def test_an_unexpected_finding_fails_the_case(
    tmp_path: Path, run_cli: Callable[..., CliResult]
) -> None:
    # The case forgot gate b: its failing finding is nobody's expectation.
    case = BAD.replace("  G-1.enabled[b]: fail\n", "")
    folder = pack_folder(tmp_path, {"good.yaml": GOOD, "bad.yaml": case})
    done = run_cli("policy", "test", folder)
    assert done.exit_code == 1, done.output
    out = lines(done)
    assert any(
        line.startswith("FAIL ") and line.endswith("bad.yaml: a disabled gate") for line in out
    )
    assert "     unexpected finding G-1.enabled[b]: fail (gate b is disabled)" in out
    assert out[-1] == "1/2 cases passed; rule coverage 0.0%"


def test_an_expected_finding_that_is_not_produced_fails_the_case(
    tmp_path: Path, run_cli: Callable[..., CliResult]
) -> None:
    case = BAD + "  G-1.enabled[c]: pass\n"
    folder = pack_folder(tmp_path, {"bad.yaml": case})
    done = run_cli("policy", "test", folder)
    assert done.exit_code == 1, done.output
    assert "     expected finding G-1.enabled[c]: pass was not produced" in lines(done)
    assert lines(done)[-1].startswith("0/1 cases passed")


def test_a_different_status_fails_the_case_with_the_findings_message(
    tmp_path: Path, run_cli: Callable[..., CliResult]
) -> None:
    case = BAD.replace("G-1.enabled[b]: fail", "G-1.enabled[b]: pass")
    folder = pack_folder(tmp_path, {"bad.yaml": case})
    done = run_cli("policy", "test", folder)
    assert done.exit_code == 1
    assert "     G-1.enabled[b]: expected pass, got fail (gate b is disabled)" in lines(done)


def test_an_expectation_by_rule_holds_for_every_item(
    tmp_path: Path, run_cli: Callable[..., CliResult]
) -> None:
    every_item = BAD.replace(
        "  G-1.enabled[a]: pass\n  G-1.enabled[b]: fail\n", "  G-1.enabled: pass\n"
    )
    folder = pack_folder(tmp_path, {"bad.yaml": every_item})
    done = run_cli("policy", "test", folder)
    assert done.exit_code == 1
    out = lines(done)
    assert "     G-1.enabled[b]: expected pass, got fail (gate b is disabled)" in out
    assert not any("G-1.enabled[a]" in line for line in out)


def test_rules_selects_what_a_case_is_about(
    tmp_path: Path, run_cli: Callable[..., CliResult]
) -> None:
    # Only G-1.listed is under test: the other rule's findings are neither expected nor
    # unexpected.
    case = "case: listed only\nrules: ['G-1.l*']\nevidence:\n  gates:\n" + (
        "    - data: {gates: [{name: b, enabled: false}]}\nexpect:\n  G-1.listed: pass\n"
    )
    folder = pack_folder(tmp_path, {"listed.yaml": case})
    done = run_cli("policy", "test", folder)
    assert done.exit_code == 0, done.output
    assert lines(done)[-1] == "1/1 cases passed; rule coverage 0.0%"


def test_a_crashed_collector_makes_errors_a_case_can_expect(
    tmp_path: Path, run_cli: Callable[..., CliResult]
) -> None:
    case = (
        "case: the config collector crashed\ncollector_errors: {config: boom}\n"
        "expect:\n  G-1.listed: error\n  G-1.enabled: skipped\n"
    )
    folder = pack_folder(tmp_path, {"crash.yaml": case})
    assert run_cli("policy", "test", folder).exit_code == 0
    wrong = case.replace("G-1.listed: error", "G-1.listed: fail")
    (folder / "tests" / "crash.yaml").write_text(wrong, encoding="utf-8")
    done = run_cli("policy", "test", folder)
    assert done.exit_code == 1
    assert any(
        line.startswith("     G-1.listed") and "expected fail, got error" in line
        for line in lines(done)
    ), done.stderr


@pytest.mark.parametrize(
    ("cases", "minimum", "exit_code"),
    [
        ({"good.yaml": GOOD, "bad.yaml": BAD}, "100", 1),  # G-1.listed never fails
        ({"good.yaml": GOOD, "bad.yaml": BAD}, "50", 0),  # exactly at the minimum
        ({"good.yaml": GOOD, "bad.yaml": BAD}, "50.1", 1),
        ({"good.yaml": GOOD, "bad.yaml": BAD}, "0", 0),
        ({"good.yaml": GOOD, "bad.yaml": BAD, "empty.yaml": EMPTY}, "100", 0),
    ],
)
def test_coverage_below_min_coverage_fails(
    tmp_path: Path,
    run_cli: Callable[..., CliResult],
    cases: dict[str, str],
    minimum: str,
    exit_code: int,
) -> None:
    folder = pack_folder(tmp_path, cases)
    done = run_cli("policy", "test", folder, "--min-coverage", minimum)
    assert done.exit_code == exit_code, done.output
    below = f"is below --min-coverage {float(minimum):g}%"
    assert (below in done.stderr) == (exit_code == 1)


def test_coverage_needs_a_pass_and_a_fail_of_the_rule_itself(
    tmp_path: Path, run_cli: Callable[..., CliResult]
) -> None:
    # G-1.enabled is expected to pass and to be skipped, never to fail: not covered.
    folder = pack_folder(tmp_path, {"good.yaml": GOOD, "empty.yaml": EMPTY})
    done = run_cli("policy", "test", folder, "--min-coverage", "100")
    assert done.exit_code == 1
    out = lines(done)
    assert "pk: 1/2 rules covered (50%)" in out
    assert "    not covered: G-1.enabled (expected so far: pass, skipped)" in out
    assert "rule coverage 50.0% is below --min-coverage 100%" in out


def test_a_pack_without_cases_has_no_coverage(
    tmp_path: Path, run_cli: Callable[..., CliResult]
) -> None:
    folder = pack_folder(tmp_path, {})
    done = run_cli("policy", "test", folder, "--min-coverage", "1")
    assert done.exit_code == 1
    out = lines(done)
    assert "pk: 0/2 rules covered (0%)" in out
    assert "    not covered: G-1.listed (expected so far: no case)" in out


@pytest.mark.parametrize(
    ("case", "message"),
    [
        (
            GOOD + "  G-1.nope: pass\n",
            "good.yaml:8: expect.G-1.nope: no rule 'G-1.nope' in pack 'pk'",
        ),
        (GOOD.replace("G-1.listed: pass", "G-1.listed: passed"), "good.yaml:6: expect.G-1.listed"),
        (GOOD + "exepct: {}\n", "good.yaml:8: unknown key 'exepct'"),
        (
            "case: no expectations\n",
            "good.yaml:1: expect: {RULE or RULE[item]: status} is required",
        ),
        (
            # Data no collector could produce is refused, rather than proving nothing.
            GOOD.replace("{gates: [{name: a, enabled: true}]}", "{gates: not-a-list}"),
            "evidence.gates[0].data: $.gates: 'not-a-list' is not of type 'array'",
        ),
    ],
)
def test_a_broken_case_is_a_usage_error_naming_its_file_and_line(
    tmp_path: Path, run_cli: Callable[..., CliResult], case: str, message: str
) -> None:
    folder = pack_folder(tmp_path, {"good.yaml": case})
    done = run_cli("policy", "test", folder)
    assert done.exit_code == 2, done.output
    assert message in done.stderr


def test_lint_accepts_a_clean_pack_and_names_each_problem(
    tmp_path: Path, run_cli: Callable[..., CliResult]
) -> None:
    folder = pack_folder(tmp_path, {"good.yaml": GOOD})
    done = run_cli("policy", "lint", folder)
    assert done.exit_code == 0, done.output
    assert lines(done) == ["2 rules checked, 0 problem(s)"]

    other = tmp_path / "other"
    other.mkdir()
    unprefixed = PACK.replace("id: G-1.enabled", "id: enabled").replace(
        "[G-1.listed]", "[G-1.listed]"
    )
    folder = pack_folder(other, {}, pack=unprefixed)
    done = run_cli("policy", "lint", folder)
    assert done.exit_code == 2
    out = lines(done)
    assert any("rule id 'enabled' should start with its control id 'G-1.'" in line for line in out)
    assert any(line.endswith("pack has no tests/*.yaml cases") for line in out)
    assert out[-1] == "2 rules checked, 2 problem(s)"
