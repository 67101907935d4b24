"""`govgate policy test` and `policy lint`: pack tests, two-way strict matching, coverage."""

from __future__ import annotations

import shutil
from pathlib import Path

from conftest import REPO_ROOT


def test_policy_test_passes_on_shipped_packs_and_fails_on_wrong_expectation(
    run_cli, tmp_path
) -> None:
    ok = run_cli("policy", "test", "--min-coverage", "100")
    assert ok.exit_code == 0, ok.stderr
    assert "rule coverage 100.0%" in ok.stderr
    pack = tmp_path / "human-oversight"
    shutil.copytree(REPO_ROOT / "policies" / "human-oversight", pack)
    case = pack / "tests" / "good.yaml"
    case.write_text(case.read_text().replace("HO-2.stop-control: pass", "HO-2.stop-control: fail"))
    bad = run_cli("policy", "test", pack)
    assert bad.exit_code == 1
    assert "HO-2.stop-control[governance/oversight.yaml]: expected fail, got pass" in bad.stderr


def test_policy_test_strict_both_ways(run_cli, tmp_path) -> None:
    pack = tmp_path / "human-oversight"
    shutil.copytree(REPO_ROOT / "policies" / "human-oversight", pack)
    case = pack / "tests" / "good.yaml"
    text = case.read_text().replace("  HO-2.override-allowed: pass\n", "")
    case.write_text(text + "  HO-2.no-such-rule: pass\n")
    result = run_cli("policy", "test", pack)
    assert result.exit_code == 2  # an expectation naming an unknown rule is a broken case
    assert "expect.HO-2.no-such-rule: no rule 'HO-2.no-such-rule'" in result.stderr
    case.write_text(text)
    result = run_cli("policy", "test", pack)
    assert result.exit_code == 1
    assert "unexpected finding HO-2.override-allowed[credit_decision]: pass" in result.stderr


def test_policy_test_refuses_case_data_no_collector_could_produce(run_cli, tmp_path) -> None:
    # A case that passes on impossible data proves nothing about the pack.
    pack = tmp_path / "human-oversight"
    shutil.copytree(REPO_ROOT / "policies" / "human-oversight", pack)
    case = pack / "tests" / "good.yaml"
    case.write_text(case.read_text().replace("min_approvers: 1,", "min_approvers: -5,", 1))
    result = run_cli("policy", "test", pack)
    assert result.exit_code == 2
    line = result.stderr.strip().splitlines()[-1]
    assert "tests/good.yaml:12:" in line, line
    assert "min_approvers" in line and "-5" in line and "could produce" in line


def test_policy_test_coverage_threshold(run_cli, tmp_path: Path) -> None:
    pack = tmp_path / "human-oversight"
    shutil.copytree(REPO_ROOT / "policies" / "human-oversight", pack)
    (pack / "tests" / "gaps.yaml").unlink()
    result = run_cli("policy", "test", pack, "--min-coverage", "100")
    assert result.exit_code == 1
    assert "not covered: HO-1.gate-configured" in result.stderr
    assert "is below --min-coverage 100%" in result.stderr


def test_policy_lint_clean_on_shipped_packs(run_cli) -> None:
    result = run_cli("policy", "lint")
    assert result.exit_code == 0, result.stderr
    assert "0 problem(s)" in result.stderr
