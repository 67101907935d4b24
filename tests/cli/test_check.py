"""`govgate check` as a user meets it: exit codes, streams, formats and where they go."""

from __future__ import annotations

import json
import subprocess

import jsonschema


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
