"""The command line as a user meets it: exit codes, streams, formats, schemas, pack tests."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import jsonschema

from conftest import REPO_ROOT


def test_check_example_is_mixed_and_fails_the_gate(run_cli, example_repo) -> None:
    repo = example_repo("loan-approval")
    result = run_cli("check", repo, "--no-locker", "--format", "json")
    assert result.exit_code == 1
    document = json.loads(result.stdout)
    schema = json.loads(run_cli("schema", "result").stdout)
    jsonschema.validate(document, schema)
    statuses = {f["status"] for f in document["findings"]}
    assert {"pass", "fail"} <= statuses
    head = subprocess.run(
        ["git", "-C", str(repo), "rev-parse", "HEAD"], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert document["target"]["commit"] == head
    assert document["target"]["branch"] == "main"
    assert document["gate"] == "fail"
    # the fairness analysis travels with the result, and the text report shows its table
    (analysis,) = document["fairness"]
    female = next(g for g in analysis["attributes"][0]["groups"] if g["value"] == "female")
    assert female["n"] == 310
    assert f"female  {female['n']}" in result.stderr
    # human text on stderr, payload on stdout
    assert "gate: FAIL" in result.stderr
    assert "gate:" not in result.stdout


def test_output_dir_writes_every_format_with_fixed_names(run_cli, example_repo, tmp_path) -> None:
    repo = example_repo("loan-approval")
    out = tmp_path / "out"
    result = run_cli("check", repo, "--no-locker", "--format", "json,text", "--output-dir", out)
    assert result.exit_code == 1
    assert json.loads((out / "govgate.json").read_text())["schema"] == "govgate/result/v1"
    assert "gate: FAIL" in (out / "govgate.txt").read_text()
    assert not list(out.glob("*.tmp"))


def test_exit_codes_are_the_same_whatever_the_format(run_cli, example_repo, tmp_path) -> None:
    repo = example_repo("loan-approval")
    for fmt in ("text", "json"):
        assert run_cli("check", repo, "--no-locker", "--format", fmt).exit_code == 1
    # --fail-on critical: the failing finding is `high`, so the gate passes
    assert run_cli("check", repo, "--no-locker", "--fail-on", "critical").exit_code == 0
    usage = run_cli("check", repo, "--format", "json,text")
    assert usage.exit_code == 2
    assert "needs --output-dir" in usage.stderr
    unknown = run_cli("check", repo, "--format", "yaml")
    assert unknown.exit_code == 2
    assert "--format yaml: unknown format" in unknown.stderr


def test_schema_commands_print_valid_json_schemas(run_cli) -> None:
    for name in ("policy", "config", "result", "waivers", "fairness"):
        result = run_cli("schema", name)
        assert result.exit_code == 0
        jsonschema.Draft202012Validator.check_schema(json.loads(result.stdout))


def test_explain_shows_rule_requirements_and_evidence(run_cli) -> None:
    result = run_cli("explain", "HO-1.gate-configured")
    assert result.exit_code == 0
    assert "HO-1.gate-configured  (high, pack human-oversight" in result.stdout
    assert "satisfies GDPR-22" in result.stdout
    assert "evidence  oversight_config from collector 'config' (installed)" in result.stdout
    missing = run_cli("explain", "HO-1.gate-configure")
    assert missing.exit_code == 2
    assert "did you mean 'HO-1.gate-configured'?" in missing.stderr


def test_plugins_lists_builtins(run_cli) -> None:
    result = run_cli("plugins", "--format", "json")
    assert result.exit_code == 0
    plugins = {p["name"]: p for p in json.loads(result.stdout)}
    assert "config" in plugins["govgate_collectors.config"]["collectors"]
    assert "human-oversight" in plugins["govgate.builtin"]["packs"]
    assert plugins["govgate.builtin"]["builtin"] is True


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


def test_internal_error_is_exit_3_with_traceback(run_cli, make_repo, monkeypatch) -> None:
    import govgate.run.check

    def broken(*args, **kwargs):
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(govgate.run.check, "evaluate_collection", broken)
    repo = make_repo({"govgate.yaml": "system: {name: d, risk: high}\npacks: [human-oversight]\n"})
    from click.testing import CliRunner

    from govgate.cli.main import main

    result = CliRunner().invoke(main, ["check", str(repo.path), "--no-locker"])
    assert result.exit_code == 3
    assert "ZeroDivisionError: a bug" in result.stderr
    assert "internal error (a bug in govgate" in result.stderr
