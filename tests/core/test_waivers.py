"""Waivers: expiry, maximum length, unused waivers, and who may approve a waiver a change adds
(a code owner of the waiver file in CODEOWNERS at the trusted ref)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from conftest import RepoBuilder
from gate_outputs import ALL_FORMATS, validate_outputs

PACK = """\
pack: lending
version: 1.0.0
title: Lending checks
evidence_kinds:
  rates:
    collector: config
    paths: [metrics/rates.yaml]
requirements:
  - {id: L-1, title: Approval rates are fair, source: {framework: Test, ref: "1"}}
  - {id: L-2, title: Groups are listed, source: {framework: Test, ref: "2"}}
controls:
  - {id: LC-1, title: The approval-rate gap is small, satisfies: [L-1]}
  - {id: LC-2, title: Every group is monitored, satisfies: [L-2]}
rules:
  - id: LC-1.gap
    control: LC-1
    severity: high
    evidence: rates
    assert: {path: gap, op: le, value: 0.1}
    message: "the approval-rate gap is {actual}"
    remediation: "reduce the gap in {source.path}"
  - id: LC-1.documented
    control: LC-1
    severity: medium
    evidence: rates
    assert: {path: method, op: exists}
    message: "{source.path} does not say how the gap was measured"
    remediation: "add method: to {source.path}"
  - id: LC-2.groups
    control: LC-2
    severity: high
    evidence: rates
    for_each: groups
    assert: {path: monitored, op: eq, value: true}
    message: "group {item.name} is not monitored"
    remediation: "monitor {item.name}"
"""
# These tests are about code owners, dates and formats: a waiver applies without a signed
# commit here. Approvals bound to keys have their own tests (tests/run/test_approvals.py).
CONFIG = (
    "system: {name: lender, risk: high}\npacks: [./packs/lending]\n"
    "approvals: {require_verified: none}\n"
)
RATES = "gap: 0.25\ngroups:\n  - {name: a, monitored: true}\n"
OWNERS = "# governance records need the compliance team\n/governance/ @acme/compliance\n"
TODAY = date.today()


def waiver(
    wid: str,
    approver: str,
    *,
    rule: str = "LC-1.gap",
    approved: date | None = None,
    expires: date | None = None,
) -> str:
    approved = approved or TODAY - timedelta(days=10)
    expires = expires or TODAY + timedelta(days=60)
    return (
        f"  - id: {wid}\n    rule: {rule}\n"
        "    justification: Remediation is planned for the next model release.\n"
        f'    approver: "{approver}"\n    approved: {approved}\n    expires: {expires}\n'
    )


def lending_repo(
    make_repo: Callable[..., RepoBuilder], *, waivers: str | None = None, **extra: str
) -> RepoBuilder:
    files = {
        "govgate.yaml": CONFIG,
        "packs/lending/pack.yaml": PACK,
        "metrics/rates.yaml": RATES + "method: four-fifths\n",
        **extra,
    }
    if waivers is not None:
        files["governance/waivers.yaml"] = "waivers:\n" + waivers
    repo = make_repo(files)
    repo.git("checkout", "-q", "-b", "pr")
    return repo


def result_of(run_cli: Callable[..., Any], repo: RepoBuilder, *args: str) -> dict[str, Any]:
    done = run_cli("check", repo.path, *args, "--format", "json")
    assert done.exit_code in (0, 1), done.stderr
    return dict(json.loads(done.stdout))


def status(result: dict[str, Any], rule: str) -> tuple[str, str]:
    [finding] = [f for f in result["findings"] if f["rule"] == rule]
    return finding["status"], finding["message"]


def waiver_entry(result: dict[str, Any], wid: str) -> dict[str, Any]:
    [entry] = [w for w in result["waivers"] if w["id"] == wid]
    return entry


# -- CODEOWNERS: who may approve a waiver the change adds -----------------------------------


def test_a_waiver_added_by_an_approver_who_is_not_a_code_owner_is_not_honoured(
    make_repo: Callable[..., RepoBuilder], run_cli: Callable[..., Any], tmp_path: Path
) -> None:
    repo = lending_repo(make_repo, CODEOWNERS=OWNERS)
    repo.write({"governance/waivers.yaml": "waivers:\n" + waiver("W-GAP", "@dev-alice")})
    repo.commit("waive my own finding")

    done = run_cli("check", repo.path, "--base", "main")
    assert done.exit_code == 1
    reason = (
        "(waiver W-GAP refused: added or changed by this change, and its approver "
        "'@dev-alice' is not a code owner of governance/waivers.yaml in CODEOWNERS at main "
        "(owners: @acme/compliance); name a code owner of the waiver file as approver"
    )
    assert reason in done.stderr
    assert "FAIL   high     LC-1.gap" in done.stderr

    out = tmp_path / "out"
    failed = run_cli(
        "check", repo.path, "--base", "main", "--format", ALL_FORMATS, "--output-dir", out
    )
    assert failed.exit_code == 1
    outputs = validate_outputs(out)
    result = outputs["json"]
    finding_status, message = status(result, "LC-1.gap")
    assert finding_status == "fail"
    assert message.startswith("the approval-rate gap is 0.25 (waiver W-GAP refused: added")
    assert waiver_entry(result, "W-GAP")["status"] == "refused"
    assert result["changes"]["waivers_changed"] is True
    # without --base there is no change to judge: the waiver file is applied as it is
    assert status(result_of(run_cli, repo), "LC-1.gap")[0] == "waived"


@pytest.mark.parametrize("approver", ["@acme/compliance", "@ACME/Compliance"])
def test_a_waiver_approved_by_a_code_owner_is_honoured(
    make_repo: Callable[..., RepoBuilder], run_cli: Callable[..., Any], approver: str
) -> None:
    repo = lending_repo(make_repo, CODEOWNERS=OWNERS)
    repo.write({"governance/waivers.yaml": "waivers:\n" + waiver("W-GAP", approver)})
    repo.commit("waive with the owners' approval")
    result = result_of(run_cli, repo, "--base", "main")
    assert status(result, "LC-1.gap")[0] == "waived"
    assert result["gate"] == "pass"
    assert waiver_entry(result, "W-GAP")["status"] == "active"


def test_the_change_cannot_make_its_author_a_code_owner(
    make_repo: Callable[..., RepoBuilder], run_cli: Callable[..., Any]
) -> None:
    repo = lending_repo(make_repo, **{".github/CODEOWNERS": OWNERS})
    repo.write(
        {
            ".github/CODEOWNERS": OWNERS + "/governance/waivers.yaml @dev-alice\n",
            "governance/waivers.yaml": "waivers:\n" + waiver("W-GAP", "@dev-alice"),
        }
    ).commit("make myself the owner, then waive")
    result = result_of(run_cli, repo, "--base", "main")
    finding_status, message = status(result, "LC-1.gap")
    assert finding_status == "fail"
    assert "in .github/CODEOWNERS at main (owners: @acme/compliance)" in message


def test_a_waiver_the_change_leaves_alone_is_honoured_and_one_it_extends_is_not(
    make_repo: Callable[..., RepoBuilder], run_cli: Callable[..., Any]
) -> None:
    old = waiver("W-OLD", "Head of Compliance")  # not an owner, but approved before the change
    repo = lending_repo(make_repo, waivers=old, CODEOWNERS=OWNERS)
    repo.write({"README.md": "# unrelated\n"}).commit("docs")
    result = result_of(run_cli, repo, "--base", "main")
    assert status(result, "LC-1.gap")[0] == "waived"
    assert result["changes"]["waivers_changed"] is False

    extended = waiver("W-OLD", "Head of Compliance", expires=TODAY + timedelta(days=90))
    repo.write({"governance/waivers.yaml": "waivers:\n" + extended}).commit("extend it")
    result = result_of(run_cli, repo, "--base", "main")
    finding_status, message = status(result, "LC-1.gap")
    assert finding_status == "fail"
    assert "(waiver W-OLD refused: added or changed by this change" in message
    assert "its approver 'Head of Compliance' is not a code owner" in message


def test_without_codeowners_at_the_base_no_added_waiver_is_honoured(
    make_repo: Callable[..., RepoBuilder], run_cli: Callable[..., Any]
) -> None:
    repo = lending_repo(make_repo)
    repo.write({"governance/waivers.yaml": "waivers:\n" + waiver("W-GAP", "@acme/compliance")})
    repo.commit("waive")
    message = status(result_of(run_cli, repo, "--base", "main"), "LC-1.gap")[1]
    assert (
        "main has no CODEOWNERS file (.github/CODEOWNERS, CODEOWNERS, docs/CODEOWNERS), "
        "so no approver can be checked" in message
    )


def test_an_email_owner_approves_and_is_never_shown_in_full(
    make_repo: Callable[..., RepoBuilder], run_cli: Callable[..., Any]
) -> None:
    owners = "governance/*.yaml compliance.lead@acme.example\n"
    repo = lending_repo(make_repo, CODEOWNERS=owners)
    repo.write(
        {
            "governance/waivers.yaml": "waivers:\n"
            + waiver("W-GAP", "Compliance.Lead@acme.example")
            + waiver("W-DOC", "@someone", rule="LC-1.documented"),
            "metrics/rates.yaml": RATES,  # no method: LC-1.documented fails too
        }
    ).commit("two waivers")
    result = result_of(run_cli, repo, "--base", "main")
    assert status(result, "LC-1.gap")[0] == "waived"
    doc_status, message = status(result, "LC-1.documented")
    assert doc_status == "fail"
    assert "is not a code owner of governance/waivers.yaml in CODEOWNERS at main" in message
    assert "compliance.lead@acme.example" not in message.lower()  # owners are masked


# -- expiry, length, unused ---------------------------------------------------------------


def test_an_expired_waiver_fails_its_finding_naming_it(
    make_repo: Callable[..., RepoBuilder], run_cli: Callable[..., Any]
) -> None:
    expired_on = TODAY - timedelta(days=1)
    entry = waiver(
        "W-OLD", "Head of Compliance", approved=TODAY - timedelta(days=100), expires=expired_on
    )
    repo = lending_repo(make_repo, waivers=entry)
    done = run_cli("check", repo.path)
    assert done.exit_code == 1
    assert f"(waiver W-OLD expired on {expired_on.isoformat()}; renew or fix)" in done.stderr
    result = result_of(run_cli, repo)
    assert waiver_entry(result, "W-OLD")["status"] == "expired"
    assert status(result, "LC-1.gap")[0] == "fail"


def test_a_waiver_longer_than_the_maximum_is_refused_and_the_maximum_is_configurable(
    make_repo: Callable[..., RepoBuilder], run_cli: Callable[..., Any]
) -> None:
    long_one = waiver("W-LONG", "Head of Compliance", expires=TODAY + timedelta(days=390))
    repo = lending_repo(make_repo, waivers=long_one)
    done = run_cli("check", repo.path)
    assert done.exit_code == 1
    assert (
        "(waiver W-LONG refused: runs 400 days, longer than the allowed 365; "
        "shorten it and re-approve)" in done.stderr
    )
    repo.write({"govgate.yaml": CONFIG + "waiver_max_days: 400\n"})
    allowed = result_of(run_cli, repo)
    assert status(allowed, "LC-1.gap")[0] == "waived"
    repo.write({"govgate.yaml": CONFIG + "waiver_max_days: 399\n"})
    assert status(result_of(run_cli, repo), "LC-1.gap")[0] == "fail"
    repo.write({"govgate.yaml": CONFIG + "waiver_max_days: 0\n"})
    invalid = run_cli("check", repo.path)
    assert invalid.exit_code == 2
    assert "govgate.yaml:4: $.waiver_max_days: 0 is less than the minimum of 1" in invalid.stderr


def test_an_unused_waiver_is_reported(
    make_repo: Callable[..., RepoBuilder], run_cli: Callable[..., Any]
) -> None:
    entries = waiver("W-GAP", "Head of Compliance") + waiver(
        "W-TYPO", "Head of Compliance", rule="LC-1.gapp"
    )
    repo = lending_repo(make_repo, waivers=entries)
    done = run_cli("check", repo.path)
    assert "unused waiver W-TYPO (governance/waivers.yaml:8) matched no finding" in done.stderr
    result = result_of(run_cli, repo)
    assert waiver_entry(result, "W-TYPO")["used"] == 0
    assert waiver_entry(result, "W-GAP")["used"] == 1


def test_every_format_is_valid_for_errors_waivers_and_expired_waivers(
    make_repo: Callable[..., RepoBuilder], run_cli: Callable[..., Any], tmp_path: Path
) -> None:
    entries = (
        waiver("W-GAP", "@acme/compliance")
        + waiver(
            "W-EXPIRED",
            "Head of Compliance",
            rule="LC-1.documented",
            approved=TODAY - timedelta(days=60),
            expires=TODAY - timedelta(days=5),
        )
        + waiver("W-UNUSED", "Head of Compliance", rule="LC-9.none")
    )
    repo = lending_repo(make_repo, waivers=entries, CODEOWNERS=OWNERS)
    repo.write(
        {
            "metrics/rates.yaml": "gap: 0.3\ngroups: not a list\n",  # LC-2.groups errors
            "governance/waivers.yaml": "waivers:\n"
            + entries
            + waiver("W-NEW", "@dev-alice", rule="LC-2.groups"),
        }
    ).commit("break things")
    out = tmp_path / "out"
    done = run_cli(
        "check", repo.path, "--base", "main", "--format", ALL_FORMATS, "--output-dir", out
    )
    assert done.exit_code == 1
    outputs = validate_outputs(out)
    result = outputs["json"]
    assert {f["rule"]: f["status"] for f in result["findings"]} == {
        "LC-1.gap": "waived",
        "LC-1.documented": "fail",
        "LC-2.groups": "error",
    }
    assert {w["id"]: w["status"] for w in result["waivers"]} == {
        "W-GAP": "active",
        "W-EXPIRED": "expired",
        "W-UNUSED": "active",
        "W-NEW": "refused",
    }
    sarif_results = outputs["sarif"]["runs"][0]["results"]
    assert [r["suppressions"][0]["status"] for r in sarif_results if r.get("suppressions")] == [
        "accepted"
    ]


# -- the validation cache keeps every message identical --------------------------------------


def test_waiver_and_config_errors_are_identical_with_and_without_the_cache(
    make_repo: Callable[..., RepoBuilder], run_cli: Callable[..., Any]
) -> None:
    repo = lending_repo(make_repo, waivers=waiver("W-GAP", "Head of Compliance"))
    assert run_cli("check", repo.path).exit_code == 0
    assert run_cli("check", repo.path).exit_code == 0  # valid files are marked...
    marks = repo.path / ".govgate" / "cache"
    assert len(list((marks / "config").iterdir())) == 1
    assert len(list((marks / "waivers").iterdir())) == 1
    broken = "waivers:\n" + waiver("W-GAP", "Head of Compliance").replace(
        "    approver", "    aprover"
    )
    repo.write({"governance/waivers.yaml": broken})
    warm, cold = run_cli("check", repo.path), run_cli("check", repo.path, "--no-cache")
    assert warm.exit_code == cold.exit_code == 2
    assert warm.stderr == cold.stderr
    assert "governance/waivers.yaml:5: $.waivers[0].aprover: unknown key 'aprover'" in warm.stderr
    repo.write({"governance/waivers.yaml": "waivers:\n" + waiver("W-GAP", "Head of Compliance")})
    repo.write({"govgate.yaml": CONFIG + "fail_onn: high\n"})
    warm, cold = run_cli("check", repo.path), run_cli("check", repo.path, "--no-cache")
    assert warm.exit_code == cold.exit_code == 2
    assert warm.stderr == cold.stderr
    assert "govgate.yaml:4: $.fail_onn: unknown key 'fail_onn'; did you mean 'fail_on'?" in (
        warm.stderr
    )
    assert len(list((marks / "config").iterdir())) == 1  # ...invalid ones never are
    assert len(list((marks / "waivers").iterdir())) == 1
