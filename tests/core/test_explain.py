"""`govgate explain RULE`: the rule, its control and requirements, the evidence it reads (and
whether that evidence's collector is installed), its conditions and its sentences; an unknown
rule id is a usage error suggesting the closest one."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from govgate.core.explain import explain_rule
from govgate.support.errors import ExitCode, UsageError

from conftest import CliResult

PACK = """\
pack: p
version: 2.1.0
title: Explained
params:
  min_share: {default: 0.5, description: lowest share}
evidence_kinds:
  runs: {collector: not_installed_runs, paths: [mlruns/]}
  shares: {collector: config, paths: [metrics/shares.yaml, metrics/*.json]}
requirements:
  - {id: R-1, title: Shares are fair, source: {framework: T, ref: "§1"}}
  - {id: R-2, title: Runs are tracked, source: {framework: U, ref: "2"}}
controls:
  - {id: C-1, title: Shares stay above the floor, satisfies: [R-1, R-2]}
rules:
  - id: C-1.share
    control: C-1
    title: Every group's share is above the floor
    severity: medium
    evidence: shares
    max_age: 30d
    for_each: groups
    assert: {path: share, op: ge, value: {param: min_share}}
    message: "group {item.name} has share {actual}"
    remediation: "raise {item.name} to {param.min_share}"
  - id: C-1.runs
    control: C-1
    severity: low
    evidence: runs
    depends_on: [C-1.share]
    assert: {path: count, op: ge, value: 1}
    message: no runs
    remediation: track runs
"""


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / "p").mkdir(parents=True)
    (root / "p" / "pack.yaml").write_text(PACK, encoding="utf-8")
    (root / "govgate.yaml").write_text(
        "system: {name: e, risk: high}\npacks: [./p]\n", encoding="utf-8"
    )
    return root


def test_explain_prints_everything_about_the_rule(
    repo: Path, run_cli: Callable[..., CliResult]
) -> None:
    done = run_cli("explain", "C-1.share", "--path", repo)
    assert done.exit_code == 0, done.output
    assert done.stdout.splitlines() == [
        "C-1.share  (medium, pack p, p/pack.yaml:15)",
        "  Every group's share is above the floor",
        "",
        "control   C-1: Shares stay above the floor",
        "satisfies R-1: Shares are fair — T §1",
        "satisfies R-2: Runs are tracked — U 2",
        "",
        "evidence  shares from collector 'config' (installed); looked for at: "
        "metrics/shares.yaml, metrics/*.json",
        "max age   30d",
        "",
        "for_each: groups",
        "assert:",
        "  path: share",
        "  op: ge",
        "  value:",
        "    param: min_share",
        "",
        # Rendered as far as a run is not needed: the parameter filled in, what only a
        # finding knows named.
        "message      group <item.name> has share <actual>",
        "remediation  raise <item.name> to 0.5",
    ]


def test_explain_says_when_the_evidence_collector_is_missing(
    repo: Path, run_cli: Callable[..., CliResult]
) -> None:
    done = run_cli("explain", "C-1.runs", "--path", repo)
    assert done.exit_code == 0, done.output
    out = done.stdout.splitlines()
    # A rule without its own title is described by its control's.
    assert out[1] == "  Shares stay above the floor"
    assert (
        "evidence  runs from collector 'not_installed_runs' (NOT INSTALLED); looked for at: mlruns/"
        in out
    )
    assert "needs     C-1.share to pass first" in out
    assert not any(line.startswith("max age") for line in out)


def test_explain_reads_where_govgate_yaml_moved_the_evidence(
    repo: Path, run_cli: Callable[..., CliResult]
) -> None:
    config = repo / "govgate.yaml"
    config.write_text(
        config.read_text(encoding="utf-8") + "evidence: {shares: [data/s.yaml]}\n",
        encoding="utf-8",
    )
    done = run_cli("explain", "C-1.share", "--path", repo)
    assert done.exit_code == 0, done.output
    assert "looked for at: data/s.yaml" in done.stdout
    assert "metrics/shares.yaml" not in done.stdout


def test_explain_rule_returns_the_rule_with_what_it_rests_on(repo: Path) -> None:
    facts = explain_rule("C-1.runs", repo, ())
    assert facts.rule.id == "C-1.runs"
    assert facts.control.id == "C-1"
    assert [r.id for r in facts.requirements] == ["R-1", "R-2"]
    assert facts.kind is not None and facts.kind.collector == "not_installed_runs"
    assert facts.collector_installed is False
    assert explain_rule("C-1.share", repo, ()).collector_installed is True


def test_without_a_govgate_yaml_every_installed_pack_is_searched(
    tmp_path: Path, run_cli: Callable[..., CliResult]
) -> None:
    for path in ((), ("--path", tmp_path)):
        done = run_cli("explain", "HO-1.gate-configured", *path)
        assert done.exit_code == 0, done.output
        first = done.stdout.splitlines()[0]
        assert first.startswith("HO-1.gate-configured  (high, pack human-oversight, ")
        assert "satisfies GDPR-22: " in done.stdout


@pytest.mark.parametrize(
    ("asked", "suggested"),
    [
        ("C-1.shares", "C-1.share"),
        ("c-1.runs", "C-1.runs"),
        ("C-1.rnus", "C-1.runs"),
    ],
)
def test_an_unknown_rule_suggests_the_closest(
    repo: Path, run_cli: Callable[..., CliResult], asked: str, suggested: str
) -> None:
    done = run_cli("explain", asked, "--path", repo)
    assert done.exit_code == ExitCode.USAGE_ERROR
    assert done.stdout == ""
    assert (
        f"no rule, control or requirement '{asked}' in the loaded packs; "
        f"did you mean '{suggested}'?" in done.stderr
    ), done.stderr


def test_an_unknown_rule_with_nothing_close_names_no_rule(
    repo: Path, run_cli: Callable[..., CliResult]
) -> None:
    done = run_cli("explain", "zzz", "--path", repo)
    assert done.exit_code == ExitCode.USAGE_ERROR
    assert "no rule, control or requirement 'zzz' in the loaded packs" in done.stderr
    assert "did you mean" not in done.stderr


def test_a_rule_of_a_pack_the_repository_does_not_enable_is_unknown(repo: Path) -> None:
    with pytest.raises(UsageError, match=r"no rule 'HO-1\.gate-configured' in the loaded packs"):
        explain_rule("HO-1.gate-configured", repo, ())


def test_explain_renders_literal_braces_and_where_the_evidence_is(
    run_cli: Callable[..., CliResult],
) -> None:
    done = run_cli("explain", "HO-2.stop-control")
    assert done.exit_code == 0, done.output
    assert (
        "remediation  add kill_switch: {enabled: true, owner: <role>, how: <runbook link>} "
        "to governance/oversight.yaml" in done.stdout
    )
    assert "{{" not in done.stdout and "{source.path}" not in done.stdout


def test_explain_of_a_control_lists_its_rules(
    repo: Path, run_cli: Callable[..., CliResult]
) -> None:
    done = run_cli("explain", "C-1", "--path", repo)
    assert done.exit_code == 0, done.output
    out = done.stdout.splitlines()
    assert out[0] == "C-1  (control, pack p, p/pack.yaml:13)"
    assert "satisfies R-1: Shares are fair — T §1" in out
    assert "rule      C-1.share  medium   Every group's share is above the floor" in out
    assert "rule      C-1.runs   low      no runs" in out


def test_explain_of_a_requirement_lists_its_controls_and_rules(
    run_cli: Callable[..., CliResult],
) -> None:
    done = run_cli("explain", "HO-2")
    assert done.exit_code == 0, done.output
    assert "HO-2.stop-control" in done.stdout and "HO-2.override-allowed" in done.stdout
    requirement = run_cli("explain", "GDPR-22")
    assert requirement.exit_code == 0, requirement.output
    lines = requirement.stdout.splitlines()
    assert lines[0] == "GDPR-22  (requirement, GDPR Art. 22(3), pack gdpr)"
    assert "control   HO-1: High-risk decision types require a human approval gate" in lines
    assert any(line.startswith("rule      HO-1.gate-configured") for line in lines)
