"""Rule evaluation end to end through `run_check`: fail-closed statuses, locations, freshness."""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from govgate import hookimpl
from govgate.core.collector import CollectContext, Collector, EvidenceKind
from govgate.core.evidence import Evidence
from govgate.core.plugins import build_registry, get_plugin_manager
from govgate.run.check import CheckOptions, run_check
from govgate.support.errors import CollectorError

from conftest import RepoBuilder

NOW = datetime(2026, 6, 1, tzinfo=UTC)

PACK = """\
pack: p
version: 1.0.0
title: Evaluation test pack
evidence_kinds:
  oversight:
    collector: config
    paths: [oversight.yaml]
  doc:
    collector: files
    paths: [docs/dpia*.md]
requirements:
  - {id: R-1, title: Gate, source: {framework: T, ref: "1"}}
  - {id: R-2, title: Docs, source: {framework: T, ref: "2"}}
  - {id: R-3, title: Probe, source: {framework: T, ref: "3"}}
  - id: R-4
    title: Only for limited-risk systems
    source: {framework: T, ref: "4"}
    when: {path: system.risk, op: eq, value: limited}
controls:
  - {id: C-1, title: Gate, satisfies: [R-1, R-4]}
  - {id: C-2, title: Docs, satisfies: [R-2]}
  - {id: C-3, title: Probe, satisfies: [R-3]}
rules:
  - id: C-1.present
    control: C-1
    severity: high
    evidence: oversight
    assert: {path: types, op: not_empty}
    message: no types
    remediation: add types
  - id: C-1.gated
    control: C-1
    severity: high
    evidence: oversight
    depends_on: [C-1.present]
    for_each: "types[?tier=='high']"
    assert: {path: gate, op: eq, value: true}
    message: "type {item.name} has no gate"
    remediation: "set gate: true for {item.name} in {source.path}"
  - id: C-1.reviewed
    control: C-1
    severity: medium
    evidence: oversight
    max_age: 90d
    assert: {path: reviewed, op: exists}
    message: never reviewed
    remediation: review it
  - id: C-2.dpia
    control: C-2
    severity: high
    evidence: doc
    assert: {path: count, op: ge, value: 1}
    message: "no DPIA matches {data.patterns}"
    remediation: write one
  - id: C-2.limited-only
    control: C-2
    severity: low
    evidence: doc
    when: {path: system.risk, op: eq, value: limited}
    assert: {path: count, op: ge, value: 1}
    message: x
    remediation: y
  - id: C-3.probe
    control: C-3
    severity: low
    evidence: probe.data
    assert: {path: ok, op: eq, value: true}
    message: probe not ok
    remediation: fix probe
"""

OVERSIGHT = """\
types:
  - name: credit
    tier: high
    gate: true
  - name: limit
    tier: high
    gate: false
  - name: promo
    tier: minimal
"""


class ProbeCollector(Collector):
    """A real collector whose behaviour the test chooses (raise, hang, or report)."""

    name = "probe"
    version = "1.0"
    kinds = (EvidenceKind("probe.data", "probe", {"type": "object", "required": ["ok"]}),)
    behaviour = "ok"

    def collect(self, ctx: CollectContext) -> Iterable[Evidence]:
        if self.behaviour == "raise":
            raise RuntimeError("disk on fire")
        if self.behaviour == "collector-error":
            raise CollectorError("probe endpoint unreachable")
        if self.behaviour == "bad-schema":
            return [ctx.evidence("probe.data", "probe", {"nope": 1})]
        if self.behaviour == "undeclared":
            return [ctx.evidence("probe.other", "probe", {})]
        return [ctx.evidence("probe.data", "probe", {"ok": True}, path="probe.cfg", line=3)]


class ProbePlugin:
    @hookimpl
    def govgate_collectors(self) -> Sequence[type[Collector]]:
        return [ProbeCollector]


def registry_with_probe(behaviour: str) -> Any:
    ProbeCollector.behaviour = behaviour
    pm = get_plugin_manager()
    pm.register(ProbePlugin(), name="probe-plugin")
    return build_registry(pm)


@pytest.fixture
def repo(make_repo: Callable[..., RepoBuilder]) -> RepoBuilder:
    return make_repo(
        {
            # approvals: waivers apply without a signed commit here (tests/run/test_approvals.py)
            "govgate.yaml": "system: {name: d, risk: high}\npacks: [./packs/p]\n"
            "approvals: {require_verified: none}\n",
            "packs/p/pack.yaml": PACK,
            "oversight.yaml": OVERSIGHT,
        }
    )


def run(repo_path: Path, behaviour: str = "ok", now: datetime = NOW) -> dict[str, Any]:
    outcome = run_check(
        CheckOptions(root=repo_path, now=now, use_locker=False, use_cache=False),
        registry=registry_with_probe(behaviour),
    )
    return outcome.result


def by_rule(result: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for finding in result["findings"]:
        out.setdefault(finding["rule"], []).append(finding)
    return out


def test_for_each_findings_point_at_their_own_lines(repo: RepoBuilder) -> None:
    findings = by_rule(run(repo.path))["C-1.gated"]
    assert [(f["item"], f["status"]) for f in findings] == [("credit", "pass"), ("limit", "fail")]
    failing = findings[1]
    assert failing["message"] == "type limit has no gate"
    assert failing["remediation"] == "set gate: true for limit in oversight.yaml"
    assert failing["location"] == {"path": "oversight.yaml", "line": 7}  # the `gate: false` line
    assert failing["requirements"] == ["R-1", "R-4"]
    assert failing["evidence"][0]["digest"].startswith("sha256:")


def test_missing_evidence_fails_naming_where_it_was_expected(repo: RepoBuilder) -> None:
    result = run(repo.path)
    dpia = by_rule(result)["C-2.dpia"][0]
    assert dpia["status"] == "fail"
    assert dpia["message"] == "no DPIA matches [docs/dpia*.md]"
    (repo.path / "oversight.yaml").unlink()
    result = run(repo.path)
    present = by_rule(result)["C-1.present"][0]
    assert present["status"] == "fail"
    assert "missing evidence: no oversight found at oversight.yaml" in present["message"]
    assert present["location"] == {"path": "oversight.yaml", "line": None}
    assert by_rule(result)["C-1.gated"][0]["status"] == "skipped"
    assert (
        "prerequisite C-1.present did not pass (fail)" in by_rule(result)["C-1.gated"][0]["message"]
    )
    assert result["gate"] == "fail"


@pytest.mark.parametrize(
    ("behaviour", "message"),
    [
        (
            "raise",
            "collector 'probe' failed, so probe.data evidence could not be read: "
            "RuntimeError: disk on fire",
        ),
        ("collector-error", "probe endpoint unreachable"),
        ("bad-schema", "breaks its schema"),
        ("undeclared", "produced undeclared evidence kind 'probe.other'"),
    ],
)
def test_collector_failures_are_errors_and_fail_the_gate(
    repo: RepoBuilder, behaviour: str, message: str
) -> None:
    result = run(repo.path, behaviour)
    probe = by_rule(result)["C-3.probe"][0]
    assert probe["status"] == "error"
    assert message in probe["message"]
    assert result["gate"] == "fail"
    control = next(c for c in result["controls"] if c["id"] == "C-3")
    assert control["status"] == "unverified"
    assert next(r for r in result["requirements"] if r["id"] == "R-3")["status"] == "unverified"


def test_low_severity_pass_and_applicability(repo: RepoBuilder) -> None:
    result = run(repo.path)
    assert by_rule(result)["C-3.probe"][0]["status"] == "pass"
    assert by_rule(result)["C-3.probe"][0]["location"] == {"path": "probe.cfg", "line": 3}
    limited = by_rule(result)["C-2.limited-only"][0]
    assert limited["status"] == "not_applicable"
    assert limited["message"] == "not applicable: system.risk is 'high', not 'limited'"
    assert limited["reason"] == "system.risk is 'high', not 'limited'"
    assert limited["evidence"] == []  # decided from the system alone, before evidence
    statuses = {r["id"]: r["status"] for r in result["requirements"]}
    assert statuses["R-4"] == "not_applicable"
    assert statuses["R-3"] == "met"


def test_max_age_fails_stale_evidence_with_its_age(repo: RepoBuilder) -> None:
    repo.write({"oversight.yaml": OVERSIGHT + "reviewed: 2026-01-01\n"})
    later = datetime(2026, 12, 1, tzinfo=UTC)
    # A config file carries no date of its own: its only age is the collection time, which
    # would make max_age always pass, so the rule cannot be evaluated (and fails the gate).
    undated = run(repo.path, now=later)
    stale = by_rule(undated)["C-1.reviewed"][0]
    assert stale["status"] == "error"
    assert "cannot evaluate max_age 90d: oversight.yaml" in stale["message"]
    assert "carries no date of its own" in stale["message"]
    assert undated["gate"] == "fail"
    # Evidence dated by its own record (as attestations are) ages with that date.
    from govgate.core.config import load_config
    from govgate.core.evaluate import Evaluator, EvidenceSet
    from govgate.core.evidence import Source
    from govgate.core.loader import load_policy_set

    config = load_config(repo.path)
    registry = registry_with_probe("ok")
    policy_set = load_policy_set(registry, config, None, now=later)
    evidence = EvidenceSet()
    evidence.add(
        Evidence.create(
            kind="oversight",
            subject="oversight.yaml",
            data={"reviewed": "x"},
            source=Source("oversight.yaml"),
            collector="config",
            collector_version="1",
            collected_at=later,
            dated="2026-01-01",
        )
    )
    finding = Evaluator(policy_set, evidence, config.system, later).evaluate_rule(
        policy_set.rules["C-1.reviewed"]
    )[0]
    assert finding.status == "fail"
    assert finding.message == (
        "stale evidence: oversight.yaml is 334 days old (dated 2026-01-01; max_age 90d)"
    )
    soon = datetime(2026, 2, 1, tzinfo=UTC)
    fresh = Evaluator(policy_set, evidence, config.system, soon).evaluate_rule(
        policy_set.rules["C-1.reviewed"]
    )[0]
    assert fresh.status == "pass"


def test_evidence_dated_after_now_is_an_error_naming_file_line_and_date(
    repo: RepoBuilder,
) -> None:
    from govgate.core.config import load_config
    from govgate.core.evaluate import Evaluator, EvidenceSet
    from govgate.core.evidence import Source
    from govgate.core.loader import load_policy_set

    config = load_config(repo.path)
    policy_set = load_policy_set(registry_with_probe("ok"), config, None, now=NOW)

    def reviewed(dated: str) -> Any:
        evidence = EvidenceSet()
        evidence.add(
            Evidence.create(
                kind="oversight",
                subject="oversight.yaml",
                data={"reviewed": "x"},
                source=Source("oversight.yaml", 7),
                collector="config",
                collector_version="1",
                collected_at=NOW,
                dated=dated,
            )
        )
        rule = policy_set.rules["C-1.reviewed"]
        return Evaluator(policy_set, evidence, config.system, NOW).evaluate_rule(rule)[0]

    assert reviewed("2026-05-01").status == "pass"
    future = reviewed("2099-01-04")
    assert future.status == "error"  # max_age 90d: the freshest date of all is a defect
    assert future.message.startswith(
        "oversight.yaml:7: its date is 2099-01-04, a date in the future (now is 2026-06-01 "
        "00:00 UTC)"
    )
    assert future.location == {"path": "oversight.yaml", "line": 7}
    assert "accepted as clock skew" in (future.remediation or "")


def test_waivers_active_expired_refused_and_unused(repo: RepoBuilder) -> None:
    repo.write(
        {
            "governance/waivers.yaml": textwrap.dedent("""\
        waivers:
          - id: W-1
            rule: C-1.gated
            scope: {items: [limit]}
            justification: Limit increases are manual until the Q3 release.
            approver: Head of Credit Risk
            approved: 2026-05-01
            expires: 2026-09-01
          - id: W-2
            rule: C-2.dpia
            justification: DPIA in legal review, tracked in LEGAL-4.
            approver: DPO
            approved: 2025-01-01
            expires: 2025-06-01
          - id: W-3
            rule: C-1.present
            justification: Nothing to waive here at all.
            approver: Nobody
            approved: 2026-01-01
            expires: 2026-03-01
        """)
        }
    )
    result = run(repo.path)
    gated = {f["item"]: f for f in by_rule(result)["C-1.gated"]}
    assert gated["limit"]["status"] == "waived"
    assert gated["limit"]["waiver"]["id"] == "W-1"
    assert gated["limit"]["waiver"]["underlying_status"] == "fail"
    dpia = by_rule(result)["C-2.dpia"][0]
    assert dpia["status"] == "fail"
    assert "waiver W-2 expired on 2025-06-01" in dpia["message"]
    waivers = {w["id"]: w for w in result["waivers"]}
    assert waivers["W-1"]["status"] == "active" and waivers["W-1"]["used"] == 1
    assert waivers["W-2"]["status"] == "expired"
    assert waivers["W-3"]["used"] == 0


def test_waiver_longer_than_a_year_is_refused(repo: RepoBuilder) -> None:
    repo.write(
        {
            "governance/waivers.yaml": textwrap.dedent("""\
        waivers:
          - rule: C-2.dpia
            justification: We will get to it eventually, promise.
            approver: CTO
            approved: 2026-01-01
            expires: 2028-01-01
        """)
        }
    )
    dpia = by_rule(run(repo.path))["C-2.dpia"][0]
    assert dpia["status"] == "fail"
    assert "waiver W1 refused: runs 730 days, longer than the allowed 365" in dpia["message"]


def test_the_fix_for_missing_evidence_keeps_a_bracketed_article_whole() -> None:
    # The qms kind is "Quality management system index (EU AI Act Art. 17)": the fix named
    # it as "(Quality management system index (EU AI Act Art)" before.
    from govgate.core.evaluate import _first_clause

    assert _first_clause("Quality management system index (EU AI Act Art. 17)") == (
        "Quality management system index (EU AI Act Art. 17)"
    )
    assert _first_clause("Oversight settings. One per system.") == "Oversight settings"
    assert _first_clause("Records of processing (GDPR Art. 30). Kept by the DPO.") == (
        "Records of processing (GDPR Art. 30)"
    )


WHERE_PACK = """\
pack: w
version: 1.0.0
title: Where test pack
requirements:
  - {id: W-R, title: Probed, source: {framework: T, ref: "1"}}
controls:
  - {id: W-1, title: Probed, satisfies: [W-R]}
rules:
  - id: W-1.required
    control: W-1
    severity: high
    evidence: {kind: probe.data, where: {path: ok, op: eq, value: false}}
    none_selected: "no probe of {system.name} reports a failure to check"
    assert: {path: ok, op: eq, value: false}
    message: x
    remediation: run a failing probe
  - id: W-1.optional
    control: W-1
    severity: high
    evidence: {kind: probe.data, where: {path: ok, op: eq, value: false}}
    on_missing: not_applicable
    none_selected: "no probe of {system.name} reports a failure to check"
    assert: {path: ok, op: eq, value: false}
    message: x
    remediation: y
  - id: W-1.unsaid
    control: W-1
    severity: high
    evidence: {kind: probe.data, where: {path: ok, op: eq, value: false}}
    assert: {path: ok, op: eq, value: false}
    message: x
    remediation: y
"""


def test_a_where_that_keeps_no_item_says_why_in_the_rules_own_words(
    make_repo: Callable[..., RepoBuilder],
) -> None:
    """The collector produced evidence, but none the rule reads: "produced no probe.data"
    would be false. The rule's none_selected sentence says what is missing instead, as the
    failure or (on_missing: not_applicable) as the reason."""
    repo = make_repo(
        {
            "govgate.yaml": "system: {name: d, risk: high}\npacks: [./packs/w]\n",
            "packs/w/pack.yaml": WHERE_PACK,
        }
    )
    found = {rid: fs[0] for rid, fs in by_rule(run(repo.path)).items()}
    required = found["W-1.required"]
    assert required["status"] == "fail"
    assert required["message"] == "missing evidence: no probe of d reports a failure to check"
    assert required["remediation"] == "run a failing probe"
    optional = found["W-1.optional"]
    assert optional["status"] == "not_applicable"
    assert optional["reason"] == "no probe of d reports a failure to check"
    # Without a sentence of its own, the rule keeps the generic message.
    assert (
        found["W-1.unsaid"]["message"]
        == "missing evidence: collector 'probe' produced no probe.data"
    )
