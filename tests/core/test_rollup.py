"""Roll-up: rule findings → control status → requirement status → readiness score and band.

The rules are those of docs/policies.md ("Statuses and roll-up"): a control is satisfied when
every applicable finding passed or is waived and one was evaluated, not satisfied when one
failed, unverified when one errored or was skipped or none was evaluated, not applicable when
all were; a requirement is met, partial, not met, unverified (also: no control at all) or not
applicable. The readiness score counts the READY-01..12 requirements met, banded 10-12
production-ready, 7-9 close, 4-6 a demo, not a pilot, 0-3 a science experiment.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from govgate.core.config import load_config
from govgate.core.findings import Finding
from govgate.core.loader import load_policy_set
from govgate.core.policy import PolicySet
from govgate.core.rollup import control_status, readiness_band, requirement_status, roll_up
from govgate.run.check import get_registry

from conftest import CliResult, RepoBuilder

NOW = datetime(2026, 6, 1, tzinfo=UTC)

# -- control status ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("statuses", "expected"),
    [
        (["pass"], "satisfied"),
        (["pass", "pass", "waived"], "satisfied"),
        (["waived"], "satisfied"),
        (["pass", "not_applicable"], "satisfied"),
        (["fail"], "not_satisfied"),
        (["pass", "fail", "waived"], "not_satisfied"),
        # A failure outranks an error: the control is known to be broken.
        (["error", "fail"], "not_satisfied"),
        (["skipped", "fail"], "not_satisfied"),
        (["pass", "error"], "unverified"),
        (["pass", "skipped"], "unverified"),
        (["waived", "skipped"], "unverified"),
        (["not_applicable", "error"], "unverified"),
        ([], "unverified"),
        (["not_applicable"], "not_applicable"),
        (["not_applicable", "not_applicable"], "not_applicable"),
    ],
)
def test_control_status_from_its_rules_findings(statuses: list[str], expected: str) -> None:
    assert control_status(statuses) == expected


def test_a_control_nobody_evaluated_is_never_satisfied() -> None:
    # Fail closed: no evidence of the control working is not evidence of it working.
    assert control_status(iter(())) == "unverified"


# -- requirement status --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("controls", "expected"),
    [
        (["satisfied"], "met"),
        (["satisfied", "satisfied"], "met"),
        (["satisfied", "not_applicable"], "met"),
        (["satisfied", "not_satisfied"], "partial"),
        (["satisfied", "unverified"], "partial"),
        (["not_satisfied"], "not_met"),
        (["not_satisfied", "unverified"], "not_met"),
        (["not_satisfied", "not_applicable"], "not_met"),
        (["unverified"], "unverified"),
        (["unverified", "not_applicable"], "unverified"),
        ([], "unverified"),
        (["not_applicable"], "not_applicable"),
        (["not_applicable", "not_applicable"], "not_applicable"),
    ],
)
def test_requirement_status_from_its_controls(controls: list[str], expected: str) -> None:
    assert requirement_status(controls) == expected


# -- readiness band ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("score", "band"),
    [
        (12, "production-ready"),
        (11, "production-ready"),
        (10, "production-ready"),
        (9, "close"),
        (8, "close"),
        (7, "close"),
        (6, "a demo, not a pilot"),
        (5, "a demo, not a pilot"),
        (4, "a demo, not a pilot"),
        (3, "a science experiment"),
        (1, "a science experiment"),
        (0, "a science experiment"),
    ],
)
def test_readiness_bands(score: int, band: str) -> None:
    assert readiness_band(score) == band


# -- roll_up over a loaded pack ------------------------------------------------------------------

PACK = """\
pack: p
version: 1.0.0
title: Roll-up
evidence_kinds:
  k: {collector: config, paths: [k.yaml]}
requirements:
  - {id: R-1, title: Two controls, source: {framework: T, ref: "1"}}
  - {id: R-2, title: No control maps it, source: {framework: T, ref: "2"}}
  - id: R-3
    title: Only for limited-risk systems
    source: {framework: T, ref: "3"}
    when: {path: system.risk, op: eq, value: limited}
  - {id: R-4, title: One control, source: {framework: U, ref: "4"}}
  - id: R-5
    title: A condition that cannot be evaluated on this system
    source: {framework: T, ref: "5"}
    when: {path: system.risk, op: gt, value: 3}
controls:
  - {id: C-1, title: First, satisfies: [R-1, R-3, R-5]}
  - {id: C-2, title: Second, satisfies: [R-1, R-4]}
  - {id: C-3, title: No rules yet, satisfies: [R-4]}
rules:
  - {id: C-1.a, control: C-1, severity: high, evidence: k,
     assert: {path: a, op: exists}, message: m, remediation: r}
  - {id: C-1.b, control: C-1, severity: low, evidence: k,
     assert: {path: b, op: exists}, message: m, remediation: r}
  - {id: C-2.a, control: C-2, severity: high, evidence: k,
     assert: {path: a, op: exists}, message: m, remediation: r}
"""


def load_pack(root: Path, pack: str) -> PolicySet:
    (root / "p").mkdir(parents=True)
    (root / "p" / "pack.yaml").write_text(pack, encoding="utf-8")
    (root / "govgate.yaml").write_text(
        "system: {name: r, risk: high}\npacks: [./p]\n", encoding="utf-8"
    )
    return load_policy_set(get_registry(), load_config(root), now=NOW)


def finding(rule: str, status: str, item: str | None = None) -> Finding:
    return Finding(
        rule=rule,
        status=status,
        severity="high",
        control=rule.split(".", 1)[0],
        requirements=[],
        message="m",
        remediation=None,
        pack="p",
        item=item,
    )


def test_roll_up_counts_each_controls_findings_and_lists_its_rules(tmp_path: Path) -> None:
    policy_set = load_pack(tmp_path, PACK)
    findings = [
        finding("C-1.a", "pass", "x"),
        finding("C-1.a", "fail", "y"),
        finding("C-1.b", "waived"),
        finding("C-2.a", "pass"),
    ]
    controls, _, _ = roll_up(policy_set, findings, {"name": "r", "risk": "high"})
    by_id = {c.id: c for c in controls}
    assert by_id["C-1"].status == "not_satisfied"
    assert by_id["C-1"].counts == {"pass": 1, "fail": 1, "waived": 1}
    assert by_id["C-1"].rules == ["C-1.a", "C-1.b"]
    assert by_id["C-2"].status == "satisfied"
    assert by_id["C-2"].counts == {"pass": 1}
    # A control with no rule at all is listed, unverified, not dropped.
    assert by_id["C-3"].status == "unverified"
    assert by_id["C-3"].rules == [] and by_id["C-3"].counts == {}
    assert [c.id for c in controls] == ["C-1", "C-2", "C-3"]


def test_roll_up_requirement_statuses(tmp_path: Path) -> None:
    policy_set = load_pack(tmp_path, PACK)
    findings = [finding("C-1.a", "pass"), finding("C-1.b", "pass"), finding("C-2.a", "fail")]
    _, requirements, readiness = roll_up(policy_set, findings, {"name": "r", "risk": "high"})
    by_id = {r.id: r for r in requirements}
    assert by_id["R-1"].status == "partial"  # C-1 satisfied, C-2 not
    assert by_id["R-1"].controls == ["C-1", "C-2"]
    assert by_id["R-2"].status == "unverified"  # no control maps it: not silently met
    assert by_id["R-2"].controls == []
    # `when` does not hold for a high-risk system: not applicable whatever C-1 says.
    assert by_id["R-3"].status == "not_applicable"
    assert by_id["R-4"].status == "not_met"  # C-2 not satisfied, C-3 unverified
    assert (by_id["R-4"].framework, by_id["R-4"].ref) == ("U", "4")
    assert readiness is None  # no READY-* requirements: no score


def test_a_requirement_whose_condition_cannot_be_evaluated_is_not_hidden(tmp_path: Path) -> None:
    # `"high" > 3` cannot be told: the requirement keeps its status rather than becoming
    # not applicable (which would drop a failing control from view).
    policy_set = load_pack(tmp_path, PACK)
    findings = [finding("C-1.a", "fail"), finding("C-1.b", "pass")]
    _, requirements, _ = roll_up(policy_set, findings, {"name": "r", "risk": "high"})
    assert {r.id: r.status for r in requirements}["R-5"] == "not_met"


def test_a_requirement_whose_condition_holds_keeps_its_computed_status(tmp_path: Path) -> None:
    policy_set = load_pack(tmp_path, PACK)
    findings = [finding("C-1.a", "fail"), finding("C-1.b", "pass")]
    _, requirements, _ = roll_up(policy_set, findings, {"name": "r", "risk": "limited"})
    assert {r.id: r.status for r in requirements}["R-3"] == "not_met"


def readiness_pack(criteria: int) -> str:
    """A pack with READY-01..`criteria`, each satisfied by its own control with one rule."""
    lines = [
        "pack: p",
        "version: 1.0.0",
        "title: Readiness",
        "evidence_kinds:",
        "  k: {collector: config, paths: [k.yaml]}",
        "requirements:",
    ]
    lines += [
        f'  - {{id: READY-{n:02d}, title: c{n}, source: {{framework: Readiness, ref: "{n}"}}}}'
        for n in range(1, criteria + 1)
    ]
    lines.append("controls:")
    lines += [
        f"  - {{id: RC-{n:02d}, title: c{n}, satisfies: [READY-{n:02d}]}}"
        for n in range(1, criteria + 1)
    ]
    lines.append("rules:")
    lines += [
        f"  - {{id: RC-{n:02d}.ok, control: RC-{n:02d}, severity: high, evidence: k, "
        "assert: {path: a, op: exists}, message: m, remediation: r}"
        for n in range(1, criteria + 1)
    ]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(
    ("met", "band"),
    [
        (12, "production-ready"),
        (10, "production-ready"),
        (9, "close"),
        (7, "close"),
        (6, "a demo, not a pilot"),
        (4, "a demo, not a pilot"),
        (3, "a science experiment"),
        (0, "a science experiment"),
    ],
)
def test_readiness_score_counts_the_criteria_met(tmp_path: Path, met: int, band: str) -> None:
    policy_set = load_pack(tmp_path, readiness_pack(12))
    # The first `met` criteria pass; the rest fail, error or are skipped: none of those counts.
    statuses = ["pass"] * met + ["fail", "error", "skipped"] * 4
    findings = [finding(f"RC-{n:02d}.ok", statuses[n - 1]) for n in range(1, 13)]
    _, requirements, readiness = roll_up(policy_set, findings, {"risk": "high"})
    assert readiness is not None
    assert readiness["score"] == met
    assert readiness["of"] == 12
    assert readiness["band"] == band
    assert readiness["criteria"] == {r.id: r.status for r in requirements}
    assert sum(status == "met" for status in readiness["criteria"].values()) == met


def test_a_waived_criterion_counts_as_met(tmp_path: Path) -> None:
    policy_set = load_pack(tmp_path, readiness_pack(12))
    findings = [finding(f"RC-{n:02d}.ok", "waived" if n == 1 else "pass") for n in range(1, 13)]
    _, _, readiness = roll_up(policy_set, findings, {"risk": "high"})
    assert readiness is not None and readiness["score"] == 12


def with_precondition(pack: str) -> str:
    """The readiness pack of `readiness_pack(12)` with READY-00, its precondition."""
    pack = pack.replace(
        "requirements:\n",
        'requirements:\n  - {id: READY-00, title: pre, source: {framework: Readiness, ref: "0"}}\n',
    )
    pack = pack.replace(
        "controls:\n", "controls:\n  - {id: RC-00, title: pre, satisfies: [READY-00]}\n"
    )
    return pack.replace(
        "rules:\n",
        "rules:\n  - {id: RC-00.ok, control: RC-00, severity: high, evidence: k, "
        "assert: {path: a, op: exists}, message: m, remediation: r}\n",
    )


@pytest.mark.parametrize(
    ("precondition", "band", "held"),
    [
        ("pass", "production-ready", None),
        ("fail", "close", "READY-00"),
        ("error", "close", "READY-00"),
    ],
)
def test_the_precondition_holds_twelve_criteria_below_production_ready(
    tmp_path: Path, precondition: str, band: str, held: str | None
) -> None:
    policy_set = load_pack(tmp_path, with_precondition(readiness_pack(12)))
    findings = [finding(f"RC-{n:02d}.ok", "pass") for n in range(1, 13)]
    findings.append(finding("RC-00.ok", precondition))
    _, _, readiness = roll_up(policy_set, findings, {"risk": "high"})
    assert readiness is not None
    assert readiness["score"] == 12  # the precondition is no criterion: the score stands
    assert readiness["band"] == band
    assert readiness.get("held_back_by") == held
    assert "READY-00" not in readiness["criteria"]


def test_no_score_unless_all_twelve_criteria_are_judged(tmp_path: Path) -> None:
    # A pack mapping eleven criteria (or one) does not make a score of 11/12 (or 1/12).
    policy_set = load_pack(tmp_path, readiness_pack(11))
    findings = [finding(f"RC-{n:02d}.ok", "pass") for n in range(1, 12)]
    _, requirements, readiness = roll_up(policy_set, findings, {"risk": "high"})
    assert readiness is None
    assert all(r.status == "met" for r in requirements)


# -- what a user reads: the result document of a real check --------------------------------------


def test_a_checks_result_carries_the_roll_up(
    make_repo: Callable[..., RepoBuilder], run_cli: Callable[..., CliResult]
) -> None:
    repo = make_repo(
        {
            "govgate.yaml": "system: {name: r, risk: high}\npacks: [./p]\n",
            "p/pack.yaml": readiness_pack(12),
            # Every rule reads `a`: all twelve criteria are met.
            "k.yaml": "a: 1\n",
        }
    )
    done = run_cli("check", repo.path, "--no-locker", "--format", "json")
    assert done.exit_code == 0, done.output
    result = json.loads(done.stdout)
    assert result["readiness"]["score"] == 12
    assert result["readiness"]["band"] == "production-ready"
    assert {c["status"] for c in result["controls"]} == {"satisfied"}
    assert {r["status"] for r in result["requirements"]} == {"met"}
    assert "readiness: 12/12 — production-ready" in done.stderr

    repo.write({"k.yaml": "b: 1\n"}).commit("drop a")
    done = run_cli("check", repo.path, "--no-locker", "--format", "json")
    assert done.exit_code == 1
    result = json.loads(done.stdout)
    assert result["readiness"]["score"] == 0
    assert result["readiness"]["band"] == "a science experiment"
    assert {c["status"] for c in result["controls"]} == {"not_satisfied"}
    assert {r["status"] for r in result["requirements"]} == {"not_met"}
