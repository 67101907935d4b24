"""Pack loading: every mistake a pack author makes is reported with file:line, exit 2."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import CliResult, RepoBuilder

CONFIG = """\
system: {name: demo, risk: high, decision_types: [{name: credit, risk_tier: high}]}
packs: [./packs/p]
"""

GOOD_PACK = """\
pack: p
version: 1.0.0
title: Test pack
params:
  min_share: 0.9
evidence_kinds:
  settings:
    collector: config
    paths: [settings.yaml]
requirements:
  - id: REQ-1
    title: A requirement
    source: {framework: Test, ref: "Art. 1"}
controls:
  - id: C-1
    title: A control
    satisfies: [REQ-1]
rules:
  - id: C-1.share
    control: C-1
    severity: high
    evidence: settings
    assert: {path: share, op: ge, value: {param: min_share}}
    message: "share is {actual}, needs {value}"
    remediation: "raise share in {source.path}"
"""


@pytest.fixture
def pack_repo(make_repo: Callable[..., RepoBuilder]) -> Callable[[str], RepoBuilder]:
    def build(pack_text: str, settings: str = "share: 0.95\n") -> RepoBuilder:
        return make_repo(
            {"govgate.yaml": CONFIG, "packs/p/pack.yaml": pack_text, "settings.yaml": settings}
        )

    return build


def check(run_cli: Callable[..., CliResult], repo: RepoBuilder) -> CliResult:
    return run_cli("check", repo.path, "--no-locker", "--no-cache")


def test_good_pack_passes_and_fails_on_data(run_cli, pack_repo) -> None:
    assert check(run_cli, pack_repo(GOOD_PACK)).exit_code == 0
    low = check(run_cli, pack_repo(GOOD_PACK, settings="share: 0.5\n"))
    assert low.exit_code == 1
    assert "share is 0.5, needs 0.9" in low.stderr
    assert "settings.yaml:1" in low.stderr


def test_typo_in_key_names_file_line_and_suggestion(run_cli, pack_repo) -> None:
    result = check(run_cli, pack_repo(GOOD_PACK.replace("    severity: high", "    sevrity: high")))
    assert result.exit_code == 2
    assert (
        "packs/p/pack.yaml:21: $.rules[0].sevrity: unknown key 'sevrity'; did you mean 'severity'?"
        in result.stderr
    )
    # the missing required key is reported as well, on the rule's line
    assert "'severity' is a required property" in result.stderr


def test_dangling_control_reference(run_cli, pack_repo) -> None:
    result = check(run_cli, pack_repo(GOOD_PACK.replace("    control: C-1", "    control: C-2")))
    assert result.exit_code == 2
    assert (
        "packs/p/pack.yaml:20: rule 'C-1.share' names unknown control 'C-2'; did you mean 'C-1'?"
        in result.stderr
    )


def test_control_satisfying_unknown_requirement(run_cli, pack_repo) -> None:
    result = check(
        run_cli, pack_repo(GOOD_PACK.replace("satisfies: [REQ-1]", "satisfies: [REQ-1, GDPR-99]"))
    )
    assert result.exit_code == 2
    assert (
        "packs/p/pack.yaml:17: control 'C-1' satisfies unknown requirement 'GDPR-99'"
        in result.stderr
    )


def test_unknown_evidence_kind_and_param_and_placeholder(run_cli, pack_repo) -> None:
    broken = (
        GOOD_PACK.replace("evidence: settings", "evidence: setings")
        .replace("{param: min_share}", "{param: min_shar}")
        .replace("raise share in {source.path}", "raise {shares} in {item.name}")
    )
    result = check(run_cli, pack_repo(broken))
    assert result.exit_code == 2
    err = result.stderr
    assert "reads unknown evidence kind 'setings'; did you mean 'settings'?" in err
    assert "unknown parameter 'min_shar'" in err
    assert "unknown placeholder '{shares}'" in err
    assert "'{item...}' needs for_each on the rule" in err
    assert all(line.startswith("govgate: error: packs/p/pack.yaml:") for line in err.splitlines())


def test_depends_on_cycle_prints_the_cycle(run_cli, pack_repo) -> None:
    cyclic = (
        GOOD_PACK
        + "\n".join(
            "  " + line if line else line
            for line in textwrap.dedent("""\
        - id: C-1.a
          control: C-1
          severity: low
          evidence: settings
          depends_on: [C-1.b]
          assert: {path: share, op: exists}
          message: a
          remediation: a
        - id: C-1.b
          control: C-1
          severity: low
          evidence: settings
          depends_on: [C-1.a]
          assert: {path: share, op: exists}
          message: b
          remediation: b
    """).splitlines()
        )
        + "\n"
    )
    result = check(run_cli, pack_repo(cyclic))
    assert result.exit_code == 2
    assert "depends_on cycle: C-1." in result.stderr
    assert "C-1.a → C-1.b → C-1.a" in result.stderr or "C-1.b → C-1.a → C-1.b" in result.stderr
    assert "packs/p/pack.yaml:" in result.stderr


def test_duplicate_rule_id(run_cli, pack_repo) -> None:
    rule = GOOD_PACK[GOOD_PACK.index("  - id: C-1.share") :]
    result = check(run_cli, pack_repo(GOOD_PACK + rule))
    assert result.exit_code == 2
    assert "duplicate rule id 'C-1.share' (first at packs/p/pack.yaml:19)" in result.stderr


def test_unknown_pack_and_param_override_in_config(run_cli, make_repo) -> None:
    repo = make_repo({"govgate.yaml": "system: {name: d, risk: high}\npacks: [human-oversigt]\n"})
    result = run_cli("check", repo.path, "--no-locker")
    assert result.exit_code == 2
    assert (
        "govgate.yaml:2: unknown pack 'human-oversigt'; did you mean 'human-oversight'?"
        in result.stderr
    )
    repo = make_repo(
        {
            "govgate.yaml": "system: {name: d, risk: high}\npacks: [human-oversight]\n"
            "params:\n  human-oversight:\n    min_approver: 2\n"
        }
    )
    result = run_cli("check", repo.path, "--no-locker")
    assert result.exit_code == 2
    assert (
        "govgate.yaml:5: params.human-oversight.min_approver: pack 'human-oversight' has no "
        "such parameter; did you mean 'min_approvers_high_risk'?"
    ) in result.stderr


def test_config_errors_name_key_and_line(run_cli, make_repo, tmp_path: Path) -> None:
    repo = make_repo({"govgate.yaml": "system:\n  name: d\n  risk: severe\n  jurisdiction: [EU]\n"})
    result = run_cli("check", repo.path, "--no-locker")
    assert result.exit_code == 2
    assert (
        "govgate.yaml:3: $.system.risk: 'severe' is not one of: prohibited, high, limited, minimal"
        in result.stderr
    )
    assert (
        "govgate.yaml:4: $.system.jurisdiction: unknown key 'jurisdiction'; "
        "did you mean 'jurisdictions'?" in result.stderr
    )
    empty = tmp_path / "empty"
    empty.mkdir()
    result = run_cli("check", empty, "--no-locker")
    assert result.exit_code == 2
    assert "govgate.yaml: not found; run `govgate init` to create one" in result.stderr


@pytest.mark.slow
def test_a_warm_run_parses_no_pack_file_not_even_for_the_catalogue(make_repo, monkeypatch) -> None:
    """readiness names requirements of packs this run does not load (NIST, ISO 42001): their
    ids come from the validated-pack cache on a warm run, as the loaded packs' files do."""
    import govgate.core.loader.read as read
    import govgate.core.loader.requirements as requirements
    from govgate.run.check import CheckOptions, run_check

    repo = make_repo({"govgate.yaml": "system: {name: s, risk: high}\npacks: [readiness]\n"})
    options = CheckOptions(root=repo.path)
    cold = run_check(options)
    assert "NIST-GOVERN-1.1" in {r for c in cold.policy_set.controls.values() for r in c.satisfies}
    parsed: list[Path] = []
    for module in (read, requirements):
        real = module.load_yaml_file

        def spy(file: Path, _real=real, **kwargs):
            parsed.append(file)
            return _real(file, **kwargs)

        monkeypatch.setattr(module, "load_yaml_file", spy)
    warm = run_check(options)
    assert parsed == []
    assert warm.policy_set.controls.keys() == cold.policy_set.controls.keys()
