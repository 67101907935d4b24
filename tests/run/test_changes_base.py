"""`govgate check --base REF [--new-only]` in real git repositories: new findings, what the
change touched, the temporary worktree, and the cache shared with hook runs."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from jsonschema import Draft202012Validator

from govgate.support.schemas import load_schema
from tests.cli.test_check import DEPENDENT_PACK

from conftest import RepoBuilder

PACK = """\
pack: gates
version: 1.0.0
title: Release gates
params:
  min_reviewers: 1
evidence_kinds:
  gate_list:
    collector: config
    paths: [gates.yaml]
requirements:
  - {id: T-1, title: Gates are enabled and reviewed, source: {framework: Test, ref: "1"}}
  - {id: T-2, title: Changes are recorded, source: {framework: Test, ref: "2"}}
controls:
  - {id: G-1, title: Every gate is enabled and reviewed, satisfies: [T-1]}
  - {id: G-2, title: The change log is not edited, satisfies: [T-2]}
rules:
  - id: G-1.enabled
    control: G-1
    severity: high
    evidence: gate_list
    for_each: gates
    assert: {path: enabled, op: eq, value: true}
    message: "gate {item.name} is disabled"
    remediation: "set enabled: true for {item.name} in {source.path}"
  - id: G-1.reviewers
    control: G-1
    severity: high
    evidence: gate_list
    for_each: gates
    assert: {path: reviewers, op: ge, value: {param: min_reviewers}}
    message: "gate {item.name} has {actual} reviewers"
    remediation: "give {item.name} more reviewers"
  - id: G-2.changelog-untouched
    control: G-2
    severity: low
    evidence: git.changes
    on_missing: not_applicable
    assert: {path: "files[?path=='CHANGELOG.md']", op: empty}
    message: the change edits CHANGELOG.md
    remediation: leave CHANGELOG.md to the release tooling
"""
CONFIG = "system: {name: gated, risk: high}\npacks: [./packs/gates]\n"
GATES = """\
gates:
  - {name: alpha, enabled: true, reviewers: 2}
  - {name: beta, enabled: false, reviewers: 1}
"""


def gated_repo(make_repo: Callable[..., RepoBuilder]) -> RepoBuilder:
    """main: one gate already disabled (beta); then a branch `pr` checked out."""
    repo = make_repo(
        {
            "govgate.yaml": CONFIG,
            "packs/gates/pack.yaml": PACK,
            "gates.yaml": GATES,
            "CHANGELOG.md": "# Changes\n",
        }
    )
    repo.git("checkout", "-q", "-b", "pr")
    return repo


def json_result(run_cli: Callable[..., Any], *args: Any) -> tuple[int, dict[str, Any], str]:
    done = run_cli("check", *args, "--format", "json")
    return done.exit_code, json.loads(done.stdout) if done.stdout else {}, done.stderr


def by_key(result: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f"{f['rule']}|{f['item'] or ''}": f for f in result["findings"]}


def worktrees(repo: RepoBuilder) -> list[str]:
    listing = repo.git("worktree", "list", "--porcelain")
    return [line for line in listing.splitlines() if line.startswith("worktree ")]


def test_new_only_fails_naming_only_the_violation_the_branch_adds(
    make_repo: Callable[..., RepoBuilder], run_cli: Callable[..., Any]
) -> None:
    repo = gated_repo(make_repo)
    repo.write({"gates.yaml": GATES + "  - {name: gamma, enabled: false, reviewers: 1}\n"}).commit(
        "add the gamma gate, disabled"
    )

    done = run_cli("check", repo.path, "--base", "main", "--new-only")
    assert done.exit_code == 1
    assert "gate gamma is disabled" in done.stderr
    assert "G-1.enabled (new)" in done.stderr
    assert "gate beta is disabled" not in done.stderr  # already failing on main
    assert "1 problem(s) already present at main not shown (--new-only)" in done.stderr

    code, result, _ = json_result(run_cli, repo.path, "--base", "main", "--new-only")
    assert code == 1
    findings = by_key(result)
    assert findings["G-1.enabled|gamma"]["new"] is True
    assert findings["G-1.enabled|beta"]["new"] is False  # failing now and at the base
    assert findings["G-1.enabled|alpha"]["new"] is False  # passing: not a new problem
    assert [k for k, f in findings.items() if f["new"]] == ["G-1.enabled|gamma"]
    changes = result["changes"]
    assert changes["files"] == ["gates.yaml"]
    assert changes["new_findings"] == 1
    assert changes["new_only"] is True
    assert changes["base_evaluation"]["status"] == "evaluated"
    assert changes["merge_base"] == repo.git("rev-parse", "main").strip()
    assert changes["impact"] == {
        "rules": ["G-1.enabled", "G-1.reviewers"],
        "controls": ["G-1"],
        "requirements": ["T-1"],
    }
    assert (changes["packs_changed"], changes["params_changed"], changes["waivers_changed"]) == (
        [],
        False,
        False,
    )
    assert not list(Draft202012Validator(load_schema("result")).iter_errors(result))
    assert len(worktrees(repo)) == 1  # the base's temporary worktree is gone again


def test_a_branch_that_only_keeps_old_debt_passes_with_new_only_and_fails_without(
    make_repo: Callable[..., RepoBuilder], run_cli: Callable[..., Any]
) -> None:
    repo = gated_repo(make_repo)
    repo.write({"README.md": "# docs only\n"}).commit("docs")
    new_only = run_cli("check", repo.path, "--base", "main", "--new-only")
    assert new_only.exit_code == 0, new_only.stderr
    assert "gate: PASS" in new_only.stderr
    everything = run_cli("check", repo.path, "--base", "main")
    assert everything.exit_code == 1
    assert "gate beta is disabled" in everything.stderr
    assert "(new)" not in everything.stderr


def test_an_old_failure_the_branch_makes_worse_is_new_and_fails_a_new_only_gate(
    make_repo: Callable[..., RepoBuilder], run_cli: Callable[..., Any]
) -> None:
    # main already fails delta (4 reviewers of 5 required); the branch drops it to none:
    # same rule, same item, a much worse value - judging by (rule, item) alone passed it
    repo = make_repo(
        {
            "govgate.yaml": CONFIG + "params: {gates: {min_reviewers: 5}}\n",
            "packs/gates/pack.yaml": PACK,
            "gates.yaml": "gates:\n  - {name: delta, enabled: true, reviewers: 4}\n",
        }
    )
    repo.git("checkout", "-q", "-b", "pr")
    repo.write({"README.md": "docs\n"}).commit("an unrelated change keeps the old debt")
    assert run_cli("check", repo.path, "--base", "main", "--new-only").exit_code == 0
    repo.write({"gates.yaml": "gates:\n  - {name: delta, enabled: true, reviewers: 0}\n"})
    repo.commit("remove every reviewer")
    code, result, stderr = json_result(run_cli, repo.path, "--base", "main", "--new-only")
    assert code == 1, stderr
    worse = by_key(result)["G-1.reviewers|delta"]
    assert (worse["status"], worse["new"]) == ("fail", True)
    assert worse["message"] == "gate delta has 0 reviewers"
    assert result["changes"]["new_findings"] == 1


def test_an_error_the_base_had_too_still_fails_a_new_only_gate(
    make_repo: Callable[..., RepoBuilder], run_cli: Callable[..., Any]
) -> None:
    # "many" cannot be compared with a number: G-1.reviewers errors on main and on the branch.
    repo = make_repo(
        {
            "govgate.yaml": CONFIG,
            "packs/gates/pack.yaml": PACK,
            "gates.yaml": "gates:\n  - {name: alpha, enabled: true, reviewers: many}\n",
        }
    )
    repo.git("checkout", "-q", "-b", "pr")
    repo.write({"README.md": "# docs only\n"}).commit("docs")
    done = run_cli("check", repo.path, "--base", "main", "--new-only")
    assert done.exit_code == 1, done.stderr
    assert "ERROR" in done.stderr and "G-1.reviewers" in done.stderr
    assert "gate: FAIL" in done.stderr
    code, result, _ = json_result(run_cli, repo.path, "--base", "main", "--new-only")
    error = by_key(result)["G-1.reviewers|alpha"]
    assert (code, result["gate"], error["status"], error["new"]) == (1, "fail", "error", False)


REPORT_PACK = """\
pack: reports
version: 1.0.0
title: Test reports
requirements:
  - {id: R-1, title: The model resists adversarial input, source: {framework: Test, ref: "1"}}
controls:
  - {id: RC-1, title: Adversarial tests exist and pass, satisfies: [R-1]}
rules:
  - id: RC-1.adversarial
    control: RC-1
    severity: high
    evidence: test_results.summary
    assert:
      all:
        - {path: categories.adversarial.tests, op: gt, value: 0}
        - {path: categories.adversarial.failures, op: eq, value: 0}
    message: >-
      adversarial tests: {data.categories.adversarial.tests},
      failing: {data.categories.adversarial.failures}
    remediation: write and fix the adversarial tests
"""
UNIT = """\
<testsuite name="unit" tests="1" failures="0" errors="0" skipped="0">
  <testcase classname="test_model" name="test_accuracy"/>
</testsuite>
"""
ADVERSARIAL = """\
<testsuite name="adversarial" tests="2" failures="1" errors="0" skipped="0">
  <testcase classname="test_adversarial" name="test_adversarial_typos"/>
  <testcase classname="test_adversarial" name="test_adversarial_prompt">
    <failure message="jailbroken"/>
  </testcase>
</testsuite>
"""


def test_a_regression_in_a_report_kept_out_of_git_is_new(
    make_repo: Callable[..., RepoBuilder], run_cli: Callable[..., Any]
) -> None:
    # Unit-test results are committed; CI writes the adversarial report into an ignored
    # folder. On main the rule fails (no adversarial tests in the reports it can see); on the
    # branch it fails on a failing adversarial test. The base never saw that report, so the
    # failure is new, and --new-only must not pass it as old debt.
    repo = make_repo(
        {
            "govgate.yaml": "system: {name: gated, risk: high}\npacks: [./packs/reports]\n",
            "packs/reports/pack.yaml": REPORT_PACK,
            ".gitignore": "/reports/\n",
            "test-results/unit.xml": UNIT,
        }
    )
    repo.git("checkout", "-q", "-b", "pr")
    repo.write({"README.md": "# docs\n"}).commit("docs")
    repo.write({"reports/adversarial.xml": ADVERSARIAL})
    code, result, stderr = json_result(run_cli, repo.path, "--base", "main", "--new-only")
    (finding,) = [f for f in result["findings"] if f["rule"] == "RC-1.adversarial"]
    assert (finding["status"], finding["new"]) == ("fail", True)
    assert "failing: 1" in finding["message"]
    assert (code, result["gate"]) == (1, "fail"), stderr
    # With the report committed on main as well, the base judged it: old debt, not new.
    repo.git("checkout", "-q", "main")
    repo.write({".gitignore": ""}).commit("commit the reports")
    repo.git("checkout", "-q", "pr")
    repo.git("rebase", "-q", "main")
    code, result, stderr = json_result(run_cli, repo.path, "--base", "main", "--new-only")
    (finding,) = [f for f in result["findings"] if f["rule"] == "RC-1.adversarial"]
    assert (finding["status"], finding["new"]) == ("fail", False)
    assert (code, result["gate"]) == (0, "pass"), stderr


def test_a_fixed_finding_and_a_new_item_of_an_old_rule_are_told_apart(
    make_repo: Callable[..., RepoBuilder], run_cli: Callable[..., Any]
) -> None:
    repo = gated_repo(make_repo)
    repo.write(
        {
            "gates.yaml": "gates:\n"
            "  - {name: alpha, enabled: true, reviewers: 0}\n"  # alpha newly under-reviewed
            "  - {name: beta, enabled: true, reviewers: 1}\n",  # beta fixed
            "CHANGELOG.md": "# Changes\n\n- edited by hand\n",
        }
    ).commit("fix beta, break alpha, touch the change log")
    code, result, _ = json_result(run_cli, repo.path, "--base", "main", "--new-only")
    assert code == 1
    problems = {k: f["new"] for k, f in by_key(result).items() if f["status"] == "fail"}
    # a git.changes finding is about the diff, and named by it
    assert problems == {
        "G-1.reviewers|alpha": True,
        "G-2.changelog-untouched|main...HEAD": True,
    }
    assert by_key(result)["G-1.enabled|beta"]["status"] == "pass"
    assert sorted(result["changes"]["files"]) == ["CHANGELOG.md", "gates.yaml"]
    # gates.yaml feeds the G-1 rules; git.changes reads the diff, not a file
    assert result["changes"]["impact"]["rules"] == ["G-1.enabled", "G-1.reviewers"]


def test_uncommitted_and_untracked_files_count_as_part_of_the_change(
    make_repo: Callable[..., RepoBuilder], run_cli: Callable[..., Any]
) -> None:
    repo = gated_repo(make_repo)
    (repo.path / "gates.yaml").write_text(GATES + "  - {name: delta, enabled: false}\n")
    (repo.path / "notes.txt").write_text("untracked\n")
    code, result, _ = json_result(run_cli, repo.path, "--base", "main")
    assert code == 1
    assert result["changes"]["files"] == ["gates.yaml", "notes.txt"]
    assert by_key(result)["G-1.enabled|delta"]["new"] is True
    # the locker's own folder is never part of a change
    assert not [f for f in result["changes"]["files"] if f.startswith(".govgate")]


def test_new_only_needs_base_and_an_unknown_base_names_the_fetch(
    make_repo: Callable[..., RepoBuilder], run_cli: Callable[..., Any]
) -> None:
    repo = gated_repo(make_repo)
    alone = run_cli("check", repo.path, "--new-only")
    assert alone.exit_code == 2
    assert "--new-only needs --base REF" in alone.stderr
    unknown = run_cli("check", repo.path, "--base", "origin/release")
    assert unknown.exit_code == 2
    assert (
        "--base origin/release: not known in this clone; fetch it first: "
        "git fetch origin release" in unknown.stderr
    )
    option_like = run_cli("check", repo.path, "--base=--output=/tmp/x")
    assert option_like.exit_code == 2
    assert "not a git ref" in option_like.stderr


def test_outside_a_git_repository_base_is_a_usage_error(
    make_repo: Callable[..., RepoBuilder], run_cli: Callable[..., Any]
) -> None:
    folder = make_repo({"govgate.yaml": CONFIG, "packs/gates/pack.yaml": PACK}, init=False)
    done = run_cli("check", folder.path, "--base", "main")
    assert done.exit_code == 2
    assert "not inside a git repository" in done.stderr


def test_a_base_without_govgate_yaml_makes_every_problem_new(
    make_repo: Callable[..., RepoBuilder], run_cli: Callable[..., Any]
) -> None:
    repo = make_repo({"README.md": "# before govgate\n"})
    repo.git("checkout", "-q", "-b", "adopt")
    repo.write({"govgate.yaml": CONFIG, "packs/gates/pack.yaml": PACK, "gates.yaml": GATES})
    repo.commit("adopt govgate")
    code, result, _ = json_result(run_cli, repo.path, "--base", "main", "--new-only")
    assert code == 1
    assert by_key(result)["G-1.enabled|beta"]["new"] is True
    evaluation = result["changes"]["base_evaluation"]
    assert evaluation["status"] == "no_config"
    assert "every problem counts as new" in evaluation["message"]
    assert result["changes"]["packs_changed"] == ["gates"]  # added by the change
    assert len(worktrees(repo)) == 1


def test_a_base_that_cannot_be_checked_fails_closed_and_its_worktree_is_removed(
    make_repo: Callable[..., RepoBuilder], run_cli: Callable[..., Any]
) -> None:
    repo = make_repo(
        {
            "govgate.yaml": CONFIG + "fail_on: hihg\n",  # invalid at the base
            "packs/gates/pack.yaml": PACK,
            "gates.yaml": GATES,
        }
    )
    repo.git("checkout", "-q", "-b", "fix-config")
    repo.write({"govgate.yaml": CONFIG}).commit("fix the config")
    code, result, _ = json_result(run_cli, repo.path, "--base", "main", "--new-only")
    assert code == 1
    evaluation = result["changes"]["base_evaluation"]
    assert evaluation["status"] == "failed"
    assert "govgate.yaml:3" in evaluation["message"]
    assert by_key(result)["G-1.enabled|beta"]["new"] is True
    assert result["changes"]["params_changed"] == ["fail_on"]
    assert len(worktrees(repo)) == 1


def test_a_target_in_a_sub_folder_is_compared_inside_that_folder(
    make_repo: Callable[..., RepoBuilder], run_cli: Callable[..., Any]
) -> None:
    repo = make_repo(
        {
            "svc/govgate.yaml": CONFIG,
            "svc/packs/gates/pack.yaml": PACK,
            "svc/gates.yaml": GATES,
            "other/readme.md": "elsewhere\n",
        }
    )
    repo.git("checkout", "-q", "-b", "pr")
    repo.write(
        {
            "svc/gates.yaml": GATES + "  - {name: gamma, enabled: false, reviewers: 1}\n",
            "other/readme.md": "changed elsewhere\n",
        }
    ).commit("two folders")
    code, result, _ = json_result(run_cli, repo.path / "svc", "--base", "main", "--new-only")
    assert code == 1
    assert result["changes"]["files"] == ["gates.yaml"]  # relative to svc/, nothing outside
    assert [k for k, f in by_key(result).items() if f["new"]] == ["G-1.enabled|gamma"]


def test_a_base_run_reuses_the_hook_cache_for_collectors_the_base_does_not_feed(
    make_repo: Callable[..., RepoBuilder], run_cli: Callable[..., Any]
) -> None:
    repo = gated_repo(make_repo)
    repo.write({"README.md": "# docs\n"}).commit("docs")

    def statuses(*args: str) -> dict[str, str]:
        _, result, _ = json_result(run_cli, repo.path, *args)
        return {c["name"]: c["status"] for c in result["collectors"]}

    assert statuses() == {"config": "ok", "git": "ok"}
    assert statuses() == {"config": "cached", "git": "cached"}
    # The base does not change what the config collector reads: served from the hook's cache.
    # git.changes depends on the base, so the git collector runs, then is cached per base.
    assert statuses("--base", "main") == {"config": "cached", "git": "ok"}
    assert statuses("--base", "main") == {"config": "cached", "git": "cached"}
    # main moves on (without checking it out, which would change HEAD's reflog)
    tree = repo.git("rev-parse", "main^{tree}").strip()
    release = repo.git("commit-tree", tree, "-p", "main", "-m", "release").strip()
    repo.git("update-ref", "refs/heads/main", release)
    # same name, another commit: the diff is collected again
    assert statuses("--base", "main") == {"config": "cached", "git": "ok"}
    assert statuses() == {"config": "cached", "git": "cached"}  # the hook's entry is intact


def test_a_change_cannot_raise_its_own_fail_on_under_base(make_repo, run_cli) -> None:
    """The PR writes fail_on: critical; its high finding still fails the gate under --base."""
    repo = gated_repo(make_repo)
    repo.write({"govgate.yaml": CONFIG + "fail_on: critical\nwaiver_max_days: 3650\n"})
    repo.commit("pr: only critical findings block")

    code, result, _ = json_result(run_cli, repo.path, "--base", "main")

    assert code == 1 and result["gate"] == "fail" and result["fail_on"] == "high"
    messages = [d["message"] for d in result["diagnostics"]]
    assert any(m.startswith("the change raises fail_on from high to critical") for m in messages)
    assert any(m.startswith("the change raises waiver_max_days from 365") for m in messages)
    # Given on the command line, the setting is the caller's choice.
    code, result, _ = json_result(run_cli, repo.path, "--base", "main", "--fail-on", "critical")
    assert code == 0 and result["fail_on"] == "critical"


def test_a_change_may_tighten_fail_on_under_base(make_repo, run_cli) -> None:
    repo = gated_repo(make_repo)
    repo.write({"govgate.yaml": CONFIG + "fail_on: low\n"})
    repo.commit("pr: stricter")

    code, result, _ = json_result(run_cli, repo.path, "--base", "main")

    assert code == 1 and result["fail_on"] == "low" and result["diagnostics"] == []


# The model-card pack of the `depends_on` tests, its dependent rule critical.
CARD_PACK = DEPENDENT_PACK.replace("SEVERITY", "critical")


def test_a_rule_the_change_newly_skips_fails_a_new_only_gate(make_repo, run_cli) -> None:
    """Dropping the medium owner hides the critical rule: that is new, not old debt."""
    repo = make_repo(
        {
            "govgate.yaml": "system: {name: s, risk: high}\npacks: [./packs/p]\n",
            "packs/p/pack.yaml": CARD_PACK,
            "card.yaml": "owner: ml-team\nintended_use: loans\n",
        }
    )
    repo.git("checkout", "-q", "-b", "pr")
    repo.write({"card.yaml": "name: m\n"})
    repo.commit("pr: a shorter card")

    code, result, _ = json_result(run_cli, repo.path, "--base", "main", "--new-only")

    assert code == 1 and result["gate"] == "fail"
    skipped = by_key(result)["C-1.intended-use|"]
    assert skipped["status"] == "skipped" and skipped["new"] is True
