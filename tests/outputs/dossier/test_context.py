"""The sections' data as the whole document shows it: "not available" when the evidence is
absent, the collected evidence when present, and what the run's result says."""

from __future__ import annotations

import copy
import dataclasses
import re

from outputs.dossier.harness import html_of, text_of, without_section_evidence

from govgate.outputs.dossier import DossierInput, build_context


def test_sections_without_their_evidence_say_not_available(example_input: DossierInput) -> None:
    html = html_of(without_section_evidence(example_input))
    text = re.sub(r"<[^>]+>", " ", html)
    text = re.sub(r"\s+", " ", text)
    assert "Not available: no fairness analysis (evidence kind fairness.analysis)" in text
    assert "Not available: no decision-log summary (evidence kind decision_log.summary)" in text
    assert "Not available: no attestation (evidence kind attestation)" in text
    assert "Not available: the git history of governance files" in text
    assert "Not available: no model card was collected in this run" in text
    if example_input.result["readiness"] is None:
        assert "Not available: the production-readiness score is computed only when" in text
    # invented content would be worse than a gap: no group, no chart, no signature names
    assert "<svg" not in html
    assert "Dana Sponsor" not in html


def test_rich_sections_show_the_collected_evidence(rich_input: DossierInput) -> None:
    html = html_of(rich_input)
    # fairness: per-group table with undefined rates as "undefined", never 0
    assert "female" in html and "0.420" in html and "0.700 ▼" in html
    assert "undefined" in html
    assert "excluded (small group)" in html
    assert "Demographic parity difference" in html and "0.180" in html
    assert "Intersection: sex×age" in html
    # decision logs, attestations, git approvals, model card
    assert "120,345" in html and "0.973" in html  # records with a thousands separator
    assert "Dana Sponsor" in html and "Executive sponsor" in html
    assert "Pat Approver" in html and "(unsigned)" in html
    assert "Loan scoring model" in html and "812 words" in html
    assert "limitations" in html


def test_without_the_policy_set_owners_and_rules_say_so(example_input: DossierInput) -> None:
    html = html_of(dataclasses.replace(example_input, policy_set=None))
    assert "not available: policies not loaded" in html
    # the matrix falls back to the result's links
    context = build_context(dataclasses.replace(example_input, policy_set=None), (), mode="html")
    assert context["traceability"]["tables"]


def test_readiness_score_and_band_are_shown_when_scored(example_input: DossierInput) -> None:
    result = dict(example_input.result)
    result["readiness"] = {"score": 8, "of": 12, "band": "close", "criteria": {}}
    html = html_of(dataclasses.replace(example_input, result=result))
    assert "8 / 12" in html
    assert "<strong>close</strong>" in html
    assert "◀ this system" in html


def test_cover_and_scope_say_when_the_run_had_uncommitted_changes(
    example_input: DossierInput,
) -> None:
    def target(dirty: object) -> DossierInput:
        result = dict(example_input.result)
        result["target"] = {**result["target"], "dirty": dirty}
        return dataclasses.replace(example_input, result=result)

    flagged = text_of(html_of(target(True)))
    assert "uncommitted changes present at the time of the run" in flagged
    clean = text_of(html_of(target(False)))
    assert "uncommitted changes present" not in clean
    assert "no uncommitted changes to tracked files at the time of the run" in clean
    # results of older versions carry no flag: nothing is claimed either way
    assert "uncommitted changes" not in text_of(html_of(target(None)))


def test_not_applicable_controls_are_one_table_with_their_reasons(
    example_input: DossierInput,
) -> None:
    result = copy.deepcopy(example_input.result)
    control = result["controls"][0]
    control["status"] = "not_applicable"
    reason = "the oversight rules apply to high-risk systems; system.risk is minimal"
    for finding in result["findings"]:
        if finding["control"] == control["id"]:
            finding.update(status="not_applicable", reason=reason)
    na_input = dataclasses.replace(example_input, result=result)
    context = build_context(na_input, (), mode="html")
    [row] = context["not_applicable_controls"]
    assert row["id"] == control["id"]
    assert row["reasons"] == [reason]
    assert row["rules"] and row["satisfies"]
    # ...and no page of its own: the per-control sections are those that apply.
    assert control["id"] not in {c["id"] for c in context["controls"]}
    assert {c["id"] for c in context["controls"]} == {
        c["id"] for c in result["controls"] if c["status"] != "not_applicable"
    }
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html_of(na_input)))
    assert "Not applicable to this system (1 control)" in text
    assert reason in text


def test_the_exceptions_register_shows_how_far_each_approval_is_proven(
    example_input: DossierInput,
) -> None:
    result = copy.deepcopy(example_input.result)
    base = {"id": "W-9", "rule": "HO-1.gate-configured", "justification": "j", "approver": "A"}
    base |= {"approved": "2026-11-01", "expires": "2027-01-01", "status": "active", "used": 1}
    result["waivers"] = [
        {**base, "approval": {"level": "verified", "commit": "a" * 40, "key": "SHA256:abc"}},
        {**base, "id": "W-8", "approval": {"level": "self-reported", "reason": "not signed"}},
    ]
    text = text_of(html_of(dataclasses.replace(example_input, result=result)))
    assert "verified: commit aaaaaaaaaa signed by SHA256:abc" in text
    assert "self-reported: not signed" in text
