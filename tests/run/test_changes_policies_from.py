"""`--policies-from REF`: a change that weakens its own packs, parameters or waivers is still
judged by REF's, and every output format says what it edited."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from conftest import RepoBuilder
from gate_outputs import ALL_FORMATS, policy_edit_statements, validate_outputs

PACK = """\
pack: fairness-lite
version: 1.0.0
title: Approval-rate gap
params:
  max_gap:
    default: 0.1
    description: largest allowed gap between group approval rates
evidence_kinds:
  rates:
    collector: config
    paths: [metrics/rates.yaml]
requirements:
  - {id: F-1, title: No large approval-rate gap, source: {framework: Test, ref: "1"}}
controls:
  - {id: FL-1, title: Approval rates are close across groups, satisfies: [F-1]}
rules:
  - id: FL-1.gap
    control: FL-1
    severity: high
    evidence: rates
    assert: {path: gap, op: le, value: {param: max_gap}}
    message: "the approval-rate gap is {actual}, above {param.max_gap}"
    remediation: "reduce the gap in {source.path}, or record a justified waiver"
"""
# A waiver applies here without a signed commit: tests/run/test_approvals.py covers that.
CONFIG = (
    "system: {name: lender, risk: high}\npacks: [./packs/fairness-lite]\n"
    "approvals: {require_verified: none}\n"
)
RATES = "gap: 0.25\n"


def lender_repo(make_repo: Callable[..., RepoBuilder], **extra: str) -> RepoBuilder:
    """main fails FL-1.gap (0.25 > 0.1); a branch `pr` is checked out."""
    repo = make_repo(
        {
            "govgate.yaml": CONFIG,
            "packs/fairness-lite/pack.yaml": PACK,
            "metrics/rates.yaml": RATES,
            **extra,
        }
    )
    repo.git("checkout", "-q", "-b", "pr")
    return repo


def check_all_formats(
    run_cli: Callable[..., Any], repo: RepoBuilder, tmp_path: Path, *args: str
) -> tuple[int, dict[str, Any]]:
    out = tmp_path / "out"
    done = run_cli(
        "check", repo.path, *args, "--format", ALL_FORMATS, "--output-dir", out, "--no-cache"
    )
    assert done.exit_code in (0, 1), done.stderr
    outputs = validate_outputs(out)
    assert outputs["text"] == done.stderr  # the text file is the report printed on stderr
    return done.exit_code, outputs


def test_a_branch_that_only_weakens_a_pack_threshold_still_fails_with_main_policies(
    make_repo: Callable[..., RepoBuilder], run_cli: Callable[..., Any], tmp_path: Path
) -> None:
    repo = lender_repo(make_repo)
    repo.write(
        {"packs/fairness-lite/pack.yaml": PACK.replace("default: 0.1", "default: 0.5")}
    ).commit("relax the gap threshold")

    own = run_cli("check", repo.path, "--base", "main")
    assert own.exit_code == 0  # judged by its own, weakened pack the change passes...
    assert "This change edits policy packs (fairness-lite) compared with main" in own.stderr

    code, outputs = check_all_formats(
        run_cli, repo, tmp_path, "--base", "main", "--policies-from", "main"
    )
    assert code == 1  # ...but main's pack still fails it
    result = outputs["json"]
    [finding] = result["findings"]
    assert (finding["rule"], finding["status"]) == ("FL-1.gap", "fail")
    assert finding["message"] == "the approval-rate gap is 0.25, above 0.1"
    assert result["params"]["fairness-lite"]["max_gap"] == 0.1
    changes = result["changes"]
    assert changes["policies_from"] == "main"
    assert changes["packs_changed"] == ["fairness-lite"]
    assert changes["files"] == ["packs/fairness-lite/pack.yaml"]
    assert changes["impact"]["rules"] == ["FL-1.gap"]
    statements = policy_edit_statements(outputs)
    for fmt, said in statements.items():
        if fmt == "oscal":
            assert json.loads(said)["packs-edited"] == "true", said
        elif fmt == "json":
            assert json.loads(said)["packs_changed"] == ["fairness-lite"]
        else:
            assert "edits policy packs (fairness-lite)" in said, fmt
    assert "This change edits policy packs (fairness-lite)" in statements["oscal"]


def test_a_branch_that_only_weakens_a_param_in_govgate_yaml_still_fails(
    make_repo: Callable[..., RepoBuilder], run_cli: Callable[..., Any], tmp_path: Path
) -> None:
    repo = lender_repo(make_repo)
    repo.write(
        {"govgate.yaml": CONFIG + "params:\n  fairness-lite: {max_gap: 0.3}\nfail_on: critical\n"}
    ).commit("override the threshold and the gate")
    assert run_cli("check", repo.path).exit_code == 0  # the change's own config lets it pass

    code, outputs = check_all_formats(run_cli, repo, tmp_path, "--policies-from", "main")
    assert code == 1
    result = outputs["json"]
    assert result["fail_on"] == "high"  # main's fail_on, not the change's
    assert result["findings"][0]["status"] == "fail"
    changes = result["changes"]
    assert changes["base"] == "main"
    assert changes["params_changed"] == ["fail_on", "fairness-lite.max_gap"]
    assert changes["packs_changed"] == []
    assert changes["config_changed"] == ["fail_on", "params"]
    statements = policy_edit_statements(outputs)
    for fmt, said in statements.items():
        if fmt == "oscal":
            assert json.loads(said)["params-edited"] == "true"
        elif fmt == "json":
            assert json.loads(said)["params_changed"] == ["fail_on", "fairness-lite.max_gap"]
        else:
            assert "parameters (fail_on, fairness-lite.max_gap)" in said, fmt


def test_a_branch_that_lowers_the_risk_tier_is_reported_in_every_format(
    make_repo: Callable[..., RepoBuilder], run_cli: Callable[..., Any], tmp_path: Path
) -> None:
    # `system:` is the change's own even with --policies-from (it describes the system being
    # changed), so lowering the risk tier turns a high-risk rule off: every format must say so.
    when = "    when: {path: system.risk, op: eq, value: high}\n"
    pack = PACK.replace("    evidence: rates\n", "    evidence: rates\n" + when)
    repo = lender_repo(make_repo, **{"packs/fairness-lite/pack.yaml": pack})
    assert run_cli("check", repo.path, "--policies-from", "main").exit_code == 1  # main: fails
    repo.write(
        {"govgate.yaml": CONFIG.replace("risk: high", "risk: minimal, owner: ann@corp.example")}
    ).commit("the lender is minimal risk now")

    code, outputs = check_all_formats(run_cli, repo, tmp_path, "--policies-from", "main")
    assert code == 0  # the rule no longer applies...
    result = outputs["json"]
    [finding] = result["findings"]
    assert (finding["rule"], finding["status"]) == ("FL-1.gap", "not_applicable")
    changes = result["changes"]  # ...and nothing but the system description changed
    assert changes["config_changed"] == ["system"]
    assert (changes["packs_changed"], changes["params_changed"]) == ([], False)
    assert changes["waivers_changed"] is False
    assert changes["system_changed"] == [
        {"key": "system.owner", "after": "a***@c***.example"},
        {"key": "system.risk", "before": "high", "after": "minimal"},
    ]
    statements = policy_edit_statements(outputs)
    for fmt, said in statements.items():
        if fmt == "json":
            assert json.loads(said)["system_changed"] == changes["system_changed"]
            continue
        if fmt == "oscal":
            assert json.loads(said)["system-edited"] == "true"
        said = said.replace("\u2060", "")  # Markdown keeps `@` from mentioning anyone
        assert "the system description (" in said, fmt
        assert "system.risk: high -> minimal" in said, fmt
        assert "system.owner: (unset) -> a***@c***.example" in said, fmt
        assert "ann@corp.example" not in said, fmt  # the notice is as PII-safe as the rest
    assert "NOTE: This change edits the system description (system.owner:" in outputs["text"]


def test_waivers_come_from_the_ref_too(
    make_repo: Callable[..., RepoBuilder], run_cli: Callable[..., Any], tmp_path: Path
) -> None:
    owners = "/governance/ @acme/compliance\n"
    repo = lender_repo(make_repo, CODEOWNERS=owners)
    today = date.today()
    waiver = f"""\
waivers:
  - id: W-GAP
    rule: FL-1.gap
    justification: Remediation is planned for the next model release.
    approver: "@acme/compliance"
    approved: {today - timedelta(days=10)}
    expires: {today + timedelta(days=60)}
"""
    repo.write({"governance/waivers.yaml": waiver}).commit("waive the gap")
    with_base = run_cli("check", repo.path, "--base", "main")
    assert with_base.exit_code == 0  # an owner approved it: honoured...
    assert "WAIVED" in with_base.stderr
    code, outputs = check_all_formats(run_cli, repo, tmp_path, "--policies-from", "main")
    assert code == 1  # ...but main has no such waiver
    result = outputs["json"]
    assert result["waivers"] == []
    assert result["changes"]["waivers_changed"] is True
    statements = policy_edit_statements(outputs)
    assert json.loads(statements["oscal"])["waivers-edited"] == "true"
    for fmt in ("sarif", "junit", "markdown", "github", "text"):
        assert "edits waivers" in statements[fmt], fmt


def test_a_pack_added_to_the_list_by_the_change_is_reported_and_not_run(
    make_repo: Callable[..., RepoBuilder], run_cli: Callable[..., Any]
) -> None:
    repo = lender_repo(make_repo)
    repo.write(
        {
            "govgate.yaml": "system: {name: lender, risk: high}\n"
            "packs: [./packs/fairness-lite, ./packs/lenient]\n",
            "packs/lenient/pack.yaml": PACK.replace("fairness-lite", "lenient")
            .replace("FL-", "LN-")
            .replace("F-1", "LN-R1"),
        }
    ).commit("add a second pack")
    done = run_cli("check", repo.path, "--policies-from", "main", "--format", "json")
    result = json.loads(done.stdout)
    assert [p["name"] for p in result["packs"]] == ["fairness-lite"]  # main's list
    assert result["changes"]["packs_changed"] == ["./packs/lenient"]


def test_errors_in_the_refs_policies_say_they_come_from_the_ref(
    make_repo: Callable[..., RepoBuilder], run_cli: Callable[..., Any]
) -> None:
    repo = make_repo(
        {
            "govgate.yaml": CONFIG,
            "packs/fairness-lite/pack.yaml": PACK.replace("severity: high", "sevrity: high"),
            "metrics/rates.yaml": RATES,
        }
    )
    repo.git("checkout", "-q", "-b", "fix")
    repo.write({"packs/fairness-lite/pack.yaml": PACK}).commit("fix the pack")
    done = run_cli("check", repo.path, "--policies-from", "main")
    assert done.exit_code == 2
    assert "--policies-from main: packs/fairness-lite/pack.yaml:" in done.stderr
    assert "unknown key 'sevrity'" in done.stderr
    assert len(repo.git("worktree", "list").splitlines()) == 1  # removed after the failure


@pytest.mark.parametrize("ref", ["empty", "nope"])
def test_a_ref_without_policies_or_unknown_is_a_usage_error(
    make_repo: Callable[..., RepoBuilder], run_cli: Callable[..., Any], ref: str
) -> None:
    repo = lender_repo(make_repo)
    if ref == "empty":
        repo.git("checkout", "-q", "--orphan", "empty")
        repo.git("rm", "-rq", "--cached", ".")
        repo.git("commit", "-q", "--allow-empty", "-m", "nothing")
        repo.git("checkout", "-q", "-f", "pr")
    done = run_cli("check", repo.path, "--policies-from", ref)
    assert done.exit_code == 2
    expected = "it has no govgate.yaml" if ref == "empty" else "not known in this clone"
    assert f"--policies-from {ref}" in done.stderr and expected in done.stderr
    assert len(repo.git("worktree", "list").splitlines()) == 1
