"""`--format oscal-poam`: an OSCAL POA&M of the open and the waived findings, read by
compliance-trestle's OSCAL 1.1 model, with every reference resolving."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from gates_pack import FAILING
from trestle.oscal.poam import PlanOfActionAndMilestones

from conftest import CliResult, RepoBuilder

WAIVERS = """\
waivers:
  - id: W-1
    rule: G-1.owner
    justification: Ownership moves to the new team in January.
    approver: Head of Release
    approved: '2026-11-01'
    expires: '2027-01-31'
"""


def poam(
    run_cli: Callable[..., CliResult], repo: RepoBuilder
) -> tuple[dict[str, Any], dict[str, Any]]:
    text = run_cli("check", repo.path, "--no-locker", "--format", "oscal-poam").stdout
    document = json.loads(text)["plan-of-action-and-milestones"]
    PlanOfActionAndMilestones.parse_obj(document)  # trestle's OSCAL model reads it
    result = json.loads(run_cli("check", repo.path, "--no-locker", "--format", "json").stdout)
    return document, result


def test_open_and_waived_findings_become_poam_items(
    gates_repo: Callable[..., RepoBuilder], run_cli: Callable[..., CliResult]
) -> None:
    repo = gates_repo(FAILING, owned=True, files={"governance/waivers.yaml": WAIVERS})
    document, result = poam(run_cli, repo)
    listed = [f for f in result["findings"] if f["status"] in ("fail", "error", "waived")]
    assert len(document["poam-items"]) == len(listed) == 2
    risks = {r["uuid"]: r for r in document["risks"]}
    observations = {o["uuid"] for o in document["observations"]}
    by_rule = {}
    for item in document["poam-items"]:
        (risk,) = item["related-risks"]
        (observation,) = item["related-observations"]
        assert observation["observation-uuid"] in observations
        by_rule[item["title"]] = risks[risk["risk-uuid"]]
    failing = by_rule["G-1.enabled[alpha]"]
    assert failing["status"] == "open"
    assert failing["remediations"][0]["lifecycle"] == "planned"
    assert "set enabled: true for alpha" in failing["remediations"][0]["description"]
    waived = by_rule["G-1.owner[alpha]"]
    assert waived["status"] == "deviation-approved"
    assert waived["deadline"] == "2027-01-31T23:59:59Z"
    props = {p["name"]: p["value"] for p in waived["props"]}
    assert props["approval"] == "self-reported"
    assert "approved by Head of Release (self-reported)" in waived["statement"]


def test_a_run_with_nothing_open_says_so(
    gates_repo: Callable[..., RepoBuilder], run_cli: Callable[..., CliResult]
) -> None:
    repo = gates_repo("gates:\n  - {name: alpha, enabled: true, owner: ann}\n", owned=True)
    document, _ = poam(run_cli, repo)
    (item,) = document["poam-items"]
    assert item["title"] == "No open findings and no waived findings in this run"
    assert "risks" not in document
