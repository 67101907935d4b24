"""The traceability graph as a library: build, statuses from a run, trace, coverage, impact.

Graphs are built from real runs (`run_check`) on repositories made in the test, with test packs
that carry deliberate gaps and an unrelated rule (tests/graph_packs.py).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import networkx as nx
import pytest
from graph_packs import GAPS_PACK, HO_REQUIREMENTS, HO_RULES, graph_of, with_extra_pack, with_pack

from govgate.analysis.graph import (
    UnknownNode,
    build_graph,
    coverage_report,
    find_node,
    impacted_by,
    link_file,
    rule_status,
    trace,
)
from govgate.outputs.graph_export import to_json
from govgate.run.check import CheckOptions, run_check


@pytest.fixture
def loan(example_repo: Any) -> Path:
    """The loan-approval example plus an unrelated pack reading docs/extra_card.md."""
    return with_extra_pack(example_repo("loan-approval"))


@pytest.fixture
def gaps(make_repo: Any) -> Path:
    repo = make_repo(
        {
            "govgate.yaml": "version: 1\nsystem: {name: gaps, risk: high}\n"
            "packs:\n  - human-oversight\n",
        }
    ).path
    with_pack(repo, "gaps", GAPS_PACK)
    return Path(repo)


def names(graph: nx.DiGraph, node_type: str) -> set[str]:
    return {a["name"] for _, a in graph.nodes(data=True) if a.get("type") == node_type}


# --- the graph itself -------------------------------------------------------------------------


def test_graph_carries_the_runs_statuses_evidence_and_source_files(loan: Path) -> None:
    graph, result = graph_of(loan)
    for req in result["requirements"]:
        assert graph.nodes[f"requirement:{req['id']}"]["status"] == req["status"]
    for control in result["controls"]:
        assert graph.nodes[f"control:{control['id']}"]["status"] == control["status"]
    by_rule: dict[str, dict[str, int]] = {}
    for finding in result["findings"]:
        counts = by_rule.setdefault(finding["rule"], {})
        counts[finding["status"]] = counts.get(finding["status"], 0) + 1
    for rule, counts in by_rule.items():
        attrs = graph.nodes[f"rule:{rule}"]
        assert attrs["counts"] == counts
        assert attrs["status"] == rule_status(counts)
    gdpr = graph.nodes["requirement:GDPR-22"]
    assert (gdpr["framework"], gdpr["ref"]) == ("GDPR", "Art. 22(3)")

    # The concrete evidence item and the file it came from.
    items = [a for _, a in graph.nodes(data=True) if a.get("type") == "evidence"]
    oversight = [a for a in items if a["kind"] == "oversight_config"]
    assert len(oversight) == 1
    digest = oversight[0]["name"]
    assert digest.startswith("sha256:") and len(digest) == 71
    assert digest in {e["digest"] for e in result["evidence"]}
    eid = f"evidence:{digest}"
    assert graph.edges["kind:oversight_config", eid]["relation"] == "has_item"
    assert graph.edges[eid, "file:governance/oversight.yaml"]["relation"] == "collected_from"
    assert graph.edges["rule:HO-1.gate-configured", eid]["relation"] == "cites"
    assert graph.edges["kind:oversight_config", "collector:config"]["relation"] == "produced_by"
    assert graph.nodes["collector:config"]["installed"] is True
    assert graph.nodes["kind:oversight_config"]["status"] in ("ok", "cached")
    assert graph.nodes["kind:oversight_config"]["items"] == 1


@pytest.mark.slow
def test_an_item_summarised_from_several_files_links_each_file_it_was_read_from(
    loan: Path,
) -> None:
    graph, result = graph_of(loan)
    logs = sorted(f"logs/decisions/{p.name}" for p in (loan / "logs/decisions").glob("*.jsonl"))
    (item,) = [e for e in result["evidence"] if e["kind"] == "decision_log.summary"]
    assert item["source"] == {"path": None, "files": logs}
    eid = f"evidence:{item['digest']}"
    linked = sorted(
        graph.nodes[t]["name"]
        for _, t, r in graph.out_edges(eid, data="relation")
        if r == "collected_from"
    )
    assert linked == logs
    # Items read from the same file share its one node (the PII scan reads the logs too).
    assert {graph.nodes[e]["kind"] for e in graph.predecessors(f"file:{logs[0]}")} >= {
        "decision_log.summary",
        "pii.scan",
    }

    # A file's trace reaches the requirements that rest on the summary, not the other logs.
    sub = trace(graph, find_node(graph, logs[-1]))
    assert {"GDPR-22", "AIA-14"} <= names(sub, "requirement")
    assert names(sub, "file") == {logs[-1]}

    # The general mechanism: `path` and `files` both linked (once), the overflow counted.
    extra = json.loads(json.dumps(result))
    extra["evidence"].append(
        {
            **item,
            "digest": "sha256:" + "1" * 64,
            "source": {
                "path": "logs/a.jsonl",
                "files": ["logs/a.jsonl", "logs/b.jsonl"],
                "more_files": 7,
            },
        }
    )
    outcome = run_check(CheckOptions(root=loan, use_locker=False))
    rebuilt = build_graph(outcome.policy_set, outcome.registry, extra)
    eid = "evidence:sha256:" + "1" * 64
    assert sorted(rebuilt.successors(eid)) == ["file:logs/a.jsonl", "file:logs/b.jsonl"]
    assert rebuilt.nodes[eid]["more_files"] == 7
    assert rebuilt.nodes[eid]["source"] == "logs/a.jsonl"


def test_every_edge_points_from_what_depends_to_what_it_needs(loan: Path) -> None:
    from govgate.analysis.graph import RELATIONS

    graph, _ = graph_of(loan)
    assert nx.is_directed_acyclic_graph(graph)
    for source, target, attrs in graph.edges(data=True):
        expected = RELATIONS[attrs["relation"]]
        assert (graph.nodes[source]["type"], graph.nodes[target]["type"]) == expected


def test_graph_without_a_run_has_no_statuses_and_coverage_calls_everything_unverified(
    loan: Path,
) -> None:
    outcome = run_check(CheckOptions(root=loan, use_locker=False))
    graph = build_graph(outcome.policy_set, outcome.registry)
    assert "status" not in graph.nodes["requirement:GDPR-22"]
    assert names(graph, "evidence") == set()
    report = coverage_report(graph)
    assert report["frameworks"]["GDPR"]["unverified"] >= 1
    assert report["frameworks"]["GDPR"]["partial"] == 0


@pytest.mark.slow
def test_statuses_from_an_older_run_only_annotate_what_still_exists(loan: Path) -> None:
    graph, result = graph_of(loan)
    stale = json.loads(json.dumps(result))
    stale["findings"].append({**stale["findings"][0], "rule": "GONE-1.removed"})
    stale["evidence"].append(
        {**stale["evidence"][0], "digest": "sha256:" + "0" * 64, "kind": "kind_from_a_removed_pack"}
    )
    outcome = run_check(CheckOptions(root=loan, use_locker=False))
    rebuilt = build_graph(outcome.policy_set, outcome.registry, stale)
    assert "rule:GONE-1.removed" not in rebuilt
    assert "evidence:sha256:" + "0" * 64 not in rebuilt
    assert rebuilt.number_of_nodes() == graph.number_of_nodes()


# --- trace ------------------------------------------------------------------------------------


def test_trace_of_a_requirement_reaches_controls_rules_evidence_and_files(loan: Path) -> None:
    graph, _ = graph_of(loan)
    sub = trace(graph, find_node(graph, "GDPR-22"))
    assert names(sub, "control") >= {"HO-1", "HO-2"}
    assert names(sub, "rule") >= HO_RULES
    assert "oversight_config" in names(sub, "kind")
    assert "config" in names(sub, "collector")
    assert "governance/oversight.yaml" in names(sub, "file")
    assert len(names(sub, "evidence")) >= 1
    # Nothing needs a requirement, and the unrelated pack is not behind it.
    assert list(sub.predecessors("requirement:GDPR-22")) == []
    assert not any(n.startswith(("rule:EX-", "control:EX-", "requirement:EX-")) for n in sub)
    assert "file:docs/extra_card.md" not in sub
    assert sub.graph["traced"] == "requirement:GDPR-22"


def test_trace_of_a_file_goes_up_to_requirements_and_not_sideways(loan: Path) -> None:
    graph, _ = graph_of(loan)
    node = find_node(graph, "./governance/oversight.yaml")
    assert node == "file:governance/oversight.yaml"
    sub = trace(graph, node)
    assert names(sub, "requirement") >= HO_REQUIREMENTS
    assert names(sub, "rule") >= HO_RULES
    assert not names(sub, "requirement") & {"EX-1"}
    # Upwards only: the collector (shared with other kinds) and other files are not on the way.
    assert names(sub, "collector") == set()
    assert names(sub, "file") == {"governance/oversight.yaml"}
    assert list(sub.successors(node)) == []


def test_trace_of_a_rule_shows_its_prerequisite_and_its_dependants(loan: Path) -> None:
    graph, _ = graph_of(loan)
    sub = trace(graph, "rule:HO-1.config-present")
    dependants = set(sub.predecessors("rule:HO-1.config-present"))
    assert {"rule:HO-1.types-covered", "rule:HO-1.gate-configured", "control:HO-1"} <= dependants
    sub = trace(graph, "rule:HO-1.gate-configured")
    assert sub.has_edge("rule:HO-1.gate-configured", "rule:HO-1.config-present")


def test_trace_json_round_trips_through_networkx(loan: Path) -> None:
    graph, _ = graph_of(loan)
    sub = trace(graph, "requirement:GDPR-22")
    data = json.loads(to_json(sub))
    back = nx.node_link_graph(data)
    assert back.is_directed() and not back.is_multigraph()
    assert dict(back.nodes(data=True)) == dict(sub.nodes(data=True))
    assert sorted(back.edges(data=True)) == sorted(sub.edges(data=True))
    assert back.graph == sub.graph
    assert json.loads(to_json(back)) == data


def test_find_node_explains_unknown_and_ambiguous_names(loan: Path) -> None:
    graph, _ = graph_of(loan)
    with pytest.raises(UnknownNode, match=r"did you mean 'HO-1\.gate-configured'"):
        find_node(graph, "HO-1.gate-configure")
    graph.add_node("kind:config", type="kind", name="config")  # same name as the collector
    with pytest.raises(UnknownNode, match=r"ambiguous.*collector:config.*kind:config"):
        find_node(graph, "config")
    digest = next(a["name"] for _, a in graph.nodes(data=True) if a.get("type") == "evidence")
    assert find_node(graph, digest[7:23]) == f"evidence:{digest}"


def test_link_file_attaches_a_file_no_run_has_read_to_the_kinds_that_would(loan: Path) -> None:
    (loan / "docs" / "extra_card.md").unlink()  # the run finds no model card
    graph, _ = graph_of(loan)
    assert "file:docs/extra_card.md" not in graph
    node = link_file(graph, "docs/extra_card.md")
    assert node == "file:docs/extra_card.md"
    assert graph.edges["kind:extra_card", node]["relation"] == "reads_file"
    assert names(trace(graph, node), "requirement") == {"EX-1"}
    # (Source code is read for LLM use, so "unrelated" is a file of no kind at all.)
    assert link_file(graph, "src/unrelated.bin") is None


# --- coverage ---------------------------------------------------------------------------------


def test_coverage_finds_each_kind_of_gap(gaps: Path) -> None:
    graph, result = graph_of(gaps)
    report = coverage_report(graph)

    def ours(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The entries the gaps pack causes (human-oversight may grow its own one day)."""
        return [e for e in entries if e["name"].startswith(("GAP", "gap", "tracked"))]

    uncontrolled = ours(report["requirements_without_controls"])
    assert [(r["name"], r["framework"]) for r in uncontrolled] == [("GAP-1", "Testland")]
    untested = ours(report["controls_without_rules"])
    assert [(c["name"], c["requirements"]) for c in untested] == [("GAP-C2", ["GAP-2"])]
    unfed = ours(report["rules_without_collector"])
    assert [(r["name"], r["kind"], r["collector"], r["install"]) for r in unfed] == [
        ("GAP-C1.runs-tracked", "tracked_runs", "wandb", "pip install govgate-wandb")
    ]
    unread = ours(report["kinds_not_read"])
    assert [k["name"] for k in unread] == ["gap_notes"]
    assert unread[0]["declared_in"].split(":")[0].endswith("gaps/pack.yaml")
    assert not {"GAP-2", "GAP-3"} & {r["name"] for r in report["requirements_without_controls"]}
    assert "GAP-C1" not in {c["name"] for c in report["controls_without_rules"]}
    # Kinds the catalogue offers and these packs do not read are listed apart, not as gaps.
    assert "gap_notes" not in {k["name"] for k in report["available_kinds_not_used"]}
    assert "oversight_config" not in {k["name"] for k in report["available_kinds_not_used"]}

    # Per framework, the counts are those of the run.
    expected: dict[str, dict[str, int]] = {}
    for req in result["requirements"]:
        per = expected.setdefault(req["framework"], {})
        per[req["status"]] = per.get(req["status"], 0) + 1
    for framework, counts in expected.items():
        got = report["frameworks"][framework]
        assert {k: v for k, v in got.items() if v} == counts
        assert set(got) == {"met", "not_met", "partial", "unverified", "not_applicable"}
    assert report["frameworks"]["Testland"]["unverified"] >= 1  # GAP-1: nothing behind it

    reuse = {c["name"]: c for c in report["cross_framework_controls"]}
    assert reuse["GAP-C1"]["frameworks"] == ["Otherland", "Testland"]
    assert reuse["HO-1"]["frameworks"] == ["EU AI Act", "GDPR", "Readiness"]
    assert "GAP-C2" not in reuse
    assert report["totals"]["requirement"] == len(result["requirements"])


# --- impact -----------------------------------------------------------------------------------


def test_impact_of_the_oversight_file_is_human_oversight_and_nothing_else(loan: Path) -> None:
    graph, _ = graph_of(loan)
    impact = impacted_by(["governance/oversight.yaml"], graph)
    assert set(impact.rule_ids) >= HO_RULES
    assert {c["name"] for c in impact.controls} >= {"HO-1", "HO-2"}
    assert {r["name"] for r in impact.requirements} >= HO_REQUIREMENTS
    assert "oversight_config" in [k["name"] for k in impact.kinds]
    assert any("oversight_config" in r for r in impact.reasons["governance/oversight.yaml"])
    # Nothing unrelated: not the other pack's rule, and every affected rule reads a kind
    # that reads the file (directly or through a prerequisite rule).
    assert "EX-C1.card-present" not in impact.rule_ids
    assert not {"EX-C1", "EX-1"} & {e["name"] for e in impact.controls + impact.requirements}
    touched = {f"kind:{k['name']}" for k in impact.kinds}
    for rule in impact.rule_ids:
        assert touched & nx.descendants(graph, f"rule:{rule}"), rule


def test_impact_of_the_unrelated_file_is_only_the_unrelated_rule(loan: Path) -> None:
    graph, _ = graph_of(loan)
    impact = impacted_by(["docs\\extra_card.md"], graph)  # OS separators are accepted
    assert impact.paths == ["docs/extra_card.md"]
    assert "EX-C1.card-present" in impact.rule_ids
    assert "EX-1" in [r["name"] for r in impact.requirements]
    assert not HO_RULES & set(impact.rule_ids)


@pytest.mark.parametrize(
    ("path", "reads"),
    [
        ("docs/extra_card.md", True),
        ("docs/deep/er/extra_v2.md", True),  # `**/` spans folders
        ("EXTRA_CARD.md", True),  # and none
        ("team/notes/EXTRA_CARD.md", True),
        ("docs/extra_card.txt", False),
        ("docs/extra/card.md", False),  # `*` stops at a slash
        ("documents/extra_card.md", False),
        ("extra_card.md", False),
    ],
)
def test_impact_matches_globs_as_the_collectors_do(loan: Path, path: str, reads: bool) -> None:
    graph, _ = graph_of(loan)
    impact = impacted_by([path], graph)
    assert ("EX-C1.card-present" in impact.rule_ids) is reads
    assert not HO_RULES & set(impact.rule_ids)
    # The same answer as the collectors' own glob over the repository.
    from govgate.core.collector import RepoFiles

    target = loan / path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text("x\n", encoding="utf-8")
    listed = RepoFiles(loan).glob(["docs/**/extra_*.md", "**/EXTRA_CARD.md"])
    assert (path in listed) is reads


def test_impact_of_files_nothing_reads_is_empty_and_says_so(loan: Path) -> None:
    graph, _ = graph_of(loan)
    # A misplaced oversight note: not where the oversight kind is read (any YAML file is read
    # for model names, so it is Markdown).
    impact = impacted_by(["scratch/unrelated.txt", "notes/oversight.md"], graph)
    assert impact.rules == [] and impact.requirements == []
    assert impact.unrelated_paths == ["scratch/unrelated.txt", "notes/oversight.md"]


def test_impact_of_config_waivers_and_packs_in_the_repository(loan: Path) -> None:
    graph, _ = graph_of(loan)
    everything = names(graph, "rule")
    assert set(impacted_by(["govgate.yaml"], graph).rule_ids) == everything
    pack = impacted_by(["packs/extra/pack.yaml"], graph)
    assert "EX-C1.card-present" in pack.rule_ids
    assert "EX-1" in [r["name"] for r in pack.requirements]
    assert not HO_RULES & set(pack.rule_ids)
    assert any("part of policy pack extra" in r for r in pack.reasons["packs/extra/pack.yaml"])
    # The example's waiver file waives nothing at present.
    waivers = impacted_by([graph.graph["waivers_file"]], graph)
    assert not HO_RULES & set(waivers.rule_ids)


def test_impact_of_a_waiver_file_is_the_rules_its_waivers_name(loan: Path) -> None:
    (loan / "governance" / "waivers.yaml").write_text(
        "waivers:\n"
        "  - id: W1\n"
        "    rule: HO-1.gate-configured\n"
        "    justification: launch is gated by a manual process until RISK-112 closes\n"
        "    approver: Head of Credit Risk\n"
        "    approved: 2026-01-10\n"
        "    expires: 2026-06-30\n",
        encoding="utf-8",
    )
    graph, _ = graph_of(loan)
    impact = impacted_by(["governance/waivers.yaml"], graph)
    assert HO_RULES & set(impact.rule_ids) == {"HO-1.gate-configured"}
    assert {r["name"] for r in impact.requirements} >= HO_REQUIREMENTS
    assert "waiver file: waives HO-1.gate-configured" in impact.reasons["governance/waivers.yaml"]


def test_impact_uses_paths_after_govgate_yaml_overrides(loan: Path) -> None:
    config = loan / "govgate.yaml"
    config.write_text(
        config.read_text(encoding="utf-8")
        + "evidence:\n  oversight_config: [ops/oversight.yaml]\n",
        encoding="utf-8",
    )
    graph, _ = graph_of(loan)
    assert set(impacted_by(["ops/oversight.yaml"], graph).rule_ids) >= HO_RULES
    assert not HO_RULES & set(impacted_by(["governance/oversight.yaml"], graph).rule_ids)
