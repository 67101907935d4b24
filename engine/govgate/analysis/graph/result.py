"""A run's result document on the graph: statuses of requirements, controls, rules, collectors
and kinds, the evidence items with the files they came from, and what the waivers name."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from govgate.analysis.graph.model import node_id, rule_status

if TYPE_CHECKING:
    import networkx as nx

#: Finding fields kept on a rule node: enough to say why, nothing personal (messages are the
#: rule's own templates filled from redacted evidence).
_FINDING_FIELDS = ("status", "item", "message", "location")


def attach_result(graph: nx.DiGraph, result: Mapping[str, Any]) -> None:
    """Add a run's statuses, evidence items and source files to the graph (in place).

    Only what the current policies know is annotated: a finding for a rule that no longer
    exists is left out, an evidence item of an unknown kind too (the run was made with other
    packs). Rules the run did not evaluate get status `not_run`.
    """
    run = result.get("run") or {}
    target = result.get("target") or {}
    graph.graph.update(
        run_finished_at=run.get("finished_at"),
        run_commit=target.get("commit"),
        run_gate=result.get("gate"),
    )
    for section, node_type in (("requirements", "requirement"), ("controls", "control")):
        for entry in result.get(section) or []:
            nid = node_id(node_type, entry["id"])
            if nid in graph:
                graph.nodes[nid]["status"] = entry["status"]
    for item in result.get("evidence") or []:
        add_evidence(graph, item)
    _attach_findings(graph, result.get("findings") or [])
    _attach_collection(graph, result.get("collectors") or [])
    graph.graph["waiver_targets"] = _waiver_targets(result.get("waivers") or [])


def _attach_findings(graph: nx.DiGraph, findings: list[Mapping[str, Any]]) -> None:
    """Each rule's status, status counts and findings, and the evidence its findings cite."""
    by_rule: dict[str, list[Mapping[str, Any]]] = {}
    for finding in findings:
        by_rule.setdefault(finding["rule"], []).append(finding)
    for node, attrs in graph.nodes(data=True):
        if attrs.get("type") != "rule":
            continue
        own = by_rule.get(attrs["name"], [])
        counts: dict[str, int] = {}
        for finding in own:
            counts[finding["status"]] = counts.get(finding["status"], 0) + 1
        attrs["status"] = rule_status(counts)
        attrs["counts"] = counts
        attrs["findings"] = [{k: f.get(k) for k in _FINDING_FIELDS} for f in own]
        cited: set[str] = set()
        for finding in own:
            for ref in finding.get("evidence") or []:
                digest = ref.get("digest")
                eid = node_id("evidence", str(digest))
                # Most citations name an item of the manifest: no need to add it again.
                if eid in graph or add_evidence(graph, ref) is not None:
                    cited.add(eid)
        graph.add_edges_from([(node, eid) for eid in sorted(cited)], relation="cites")


def _attach_collection(graph: nx.DiGraph, runs: list[Mapping[str, Any]]) -> None:
    """How each collector ran, and each kind's status and number of evidence items."""
    items_per_kind: dict[str, int] = {}
    for _, attrs in graph.nodes(data=True):
        if attrs.get("type") == "evidence":
            items_per_kind[attrs["kind"]] = items_per_kind.get(attrs["kind"], 0) + 1
    for run_record in runs:
        col = node_id("collector", run_record["name"])
        if col in graph:
            graph.nodes[col]["status"] = _collection_status(run_record)
            if run_record.get("message"):
                graph.nodes[col]["message"] = run_record["message"]
        for kind_name in run_record.get("kinds") or []:
            kid = node_id("kind", kind_name)
            if kid in graph:
                graph.nodes[kid]["status"] = _collection_status(run_record)
                graph.nodes[kid]["items"] = items_per_kind.get(kind_name, 0)


def _waiver_targets(waivers: list[Mapping[str, Any]]) -> list[str]:
    """Which rules the waivers name: a change to the waiver file touches those ("*": any rule)."""
    targets = set()
    for waiver in waivers:
        if waiver.get("rule"):
            targets.add(node_id("rule", waiver["rule"]))
        elif waiver.get("control"):
            targets.add(node_id("control", waiver["control"]))
        else:
            targets.add("*")
    return sorted(targets)


def _collection_status(run_record: Mapping[str, Any]) -> str:
    status = str(run_record.get("status") or "unknown")
    return "not_installed" if status == "missing" else status


def add_evidence(graph: nx.DiGraph, item: Mapping[str, Any]) -> str | None:
    """The evidence node for a manifest entry or a finding's citation, created once."""
    digest = item.get("digest")
    kind = item.get("kind")
    if not digest or node_id("kind", str(kind)) not in graph:
        return None
    eid = node_id("evidence", str(digest))
    source = item.get("source") or {}
    if eid not in graph:
        graph.add_node(eid, type="evidence", name=str(digest), kind=str(kind))
        graph.add_edge(node_id("kind", str(kind)), eid, relation="has_item")
    attrs = graph.nodes[eid]
    for key in ("subject", "collected_at", "dated", "cited"):
        if item.get(key) is not None:
            attrs[key] = item[key]
    collector = item.get("collector")
    if isinstance(collector, Mapping) and collector.get("name"):
        attrs["collector"] = collector["name"]
    path = source.get("path")
    if path:
        attrs["source"] = path if source.get("line") is None else f"{path}:{source['line']}"
    # One file node and edge per file the item was read from: its `path`, and the `files` an
    # item summarised from several files lists (see `govgate.core.evidence.Source`).
    listed = source.get("files")
    files = [path, *listed] if isinstance(listed, list) else [path]
    for name in dict.fromkeys(str(f) for f in files if f):
        fid = node_id("file", name)
        if fid not in graph:
            graph.add_node(fid, type="file", name=name)
        graph.add_edge(eid, fid, relation="collected_from")
    if source.get("more_files"):
        attrs["more_files"] = source["more_files"]  # files beyond the list's cap
    return eid
