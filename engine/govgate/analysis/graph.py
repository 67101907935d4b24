"""The traceability graph: requirement → control → rule → evidence kind → evidence → source file.

Built with networkx from a loaded PolicySet and, optionally, a run's result document
(`govgate/result/v1`), whose statuses, evidence items and source files it adds. It answers three
questions: what lies behind a node (`trace`), what has nothing behind it (`coverage_report`) and
what a change to some files touches (`impacted_by`); it exports to node-link JSON, GraphML, DOT
and Mermaid. The engine itself only needs `evaluation_order`, which uses the standard library so
that the `check` hot path never imports networkx (about 0.1 s).

Every edge points from what depends to what it depends on, so `networkx.ancestors` of a node is
everything that needs it (up to requirements) and `networkx.descendants` everything it needs
(down to files). Node ids are typed (`requirement:GDPR-22`, `control:HO-1`,
`rule:HO-1.gate-configured`, `kind:oversight_config`, `collector:config`,
`evidence:sha256:…`, `file:governance/oversight.yaml`) so names from different namespaces never
collide; the untyped name is the node's `name` attribute (not `id`, which node-link JSON uses).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from govgate.core.collector import glob_to_regex

if TYPE_CHECKING:
    import networkx as nx

    from govgate.core.config import Config
    from govgate.core.plugins import Registry
    from govgate.core.policy import PolicySet

#: Identifies the JSON export (node-link form) for other tools.
GRAPH_SCHEMA = "govgate/graph/v1"
#: Node types from the top of the graph to the bottom.
NODE_TYPES = ("requirement", "control", "rule", "kind", "collector", "evidence", "file")
#: Edge relations, each read "source RELATION target".
RELATIONS = {
    "satisfied_by": ("requirement", "control"),
    "tested_by": ("control", "rule"),
    "depends_on": ("rule", "rule"),
    "reads": ("rule", "kind"),
    "cites": ("rule", "evidence"),
    "produced_by": ("kind", "collector"),
    "has_item": ("kind", "evidence"),
    "collected_from": ("evidence", "file"),
    "reads_file": ("kind", "file"),
}
#: A rule's status over its findings: the first of these that occurs (a fail outweighs passes).
RULE_STATUS_PRECEDENCE = ("error", "fail", "skipped", "waived", "pass", "not_applicable")
REQUIREMENT_STATUSES = ("met", "not_met", "partial", "unverified", "not_applicable")
#: Finding fields kept on a rule node: enough to say why, nothing personal (messages are the
#: rule's own templates filled from redacted evidence).
_FINDING_FIELDS = ("status", "item", "message", "location")


def node_id(node_type: str, name: str) -> str:
    return f"{node_type}:{name}"


def split_node_id(node: str) -> tuple[str, str]:
    """(type, name) of a typed node id."""
    node_type, _, name = node.partition(":")
    return node_type, name


def build_graph(
    policy_set: PolicySet,
    registry: Registry | None = None,
    result: Mapping[str, Any] | None = None,
    *,
    config: Config | None = None,
    inputs: Mapping[str, Sequence[str]] | None = None,
) -> nx.DiGraph:
    """The graph of the loaded policies, with a run's statuses and evidence when `result` is given.

    `registry` tells which collectors are installed (unknown without it); `config` records which
    repository files configure the run (govgate.yaml, the waiver file, local packs) for
    `impacted_by`; `inputs` maps an evidence kind to the globs its collector reads for it (see
    `collector_inputs`), beyond the kind's own `paths`.
    """
    import networkx as nx

    graph = nx.DiGraph(schema=GRAPH_SCHEMA)
    for req in policy_set.requirements.values():
        graph.add_node(
            node_id("requirement", req.id),
            type="requirement",
            name=req.id,
            title=req.title,
            framework=req.framework,
            ref=req.ref,
            pack=req.pack,
        )
    for control in policy_set.controls.values():
        cid = node_id("control", control.id)
        graph.add_node(cid, type="control", name=control.id, title=control.title, pack=control.pack)
        if control.owner:
            graph.nodes[cid]["owner"] = control.owner
        for req_id in control.satisfies:
            if req_id in policy_set.requirements:  # others belong to packs not enabled here
                graph.add_edge(node_id("requirement", req_id), cid, relation="satisfied_by")
    for rule in policy_set.rules.values():
        rid = node_id("rule", rule.id)
        graph.add_node(
            rid,
            type="rule",
            name=rule.id,
            title=rule.title or rule.message,
            severity=rule.severity,
            pack=rule.pack,
            origin=str(rule.origin),
        )
        graph.add_edge(node_id("control", rule.control), rid, relation="tested_by")
        graph.add_edge(rid, node_id("kind", rule.evidence.kind), relation="reads")
        for dep in rule.depends_on:
            graph.add_edge(rid, node_id("rule", dep), relation="depends_on")
    # A kind an enabled pack declares itself, as opposed to one a plugin or the built-in
    # catalogue offers (which the enabled packs need not read).
    pack_files = {file for pack in policy_set.packs.values() for file in pack.files}
    for kind in policy_set.kinds.values():
        kid = node_id("kind", kind.name)
        graph.add_node(
            kid,
            type="kind",
            name=kind.name,
            collector=kind.collector,
            paths=list(kind.paths),
            inputs=sorted(set(inputs.get(kind.name, ())) - set(kind.paths)) if inputs else [],
            declared_by="pack" if _declared_in_file(kind.declared_in) in pack_files else "registry",
            declared_in=kind.declared_in,
        )
        if kind.install_hint:
            graph.nodes[kid]["install"] = kind.install_hint
        col = node_id("collector", kind.collector)
        if col not in graph:
            graph.add_node(col, type="collector", name=kind.collector)
            if registry is not None:
                installed = kind.collector in registry.collectors
                graph.nodes[col]["installed"] = installed
                if installed:
                    graph.nodes[col]["version"] = registry.collectors[kind.collector].version
        if kind.install_hint and "install" not in graph.nodes[col]:
            graph.nodes[col]["install"] = kind.install_hint
        graph.add_edge(kid, col, relation="produced_by")
    if config is not None:
        graph.graph["config_file"] = config.file
        graph.graph["waivers_file"] = config.waivers
        local = {}
        for pack in policy_set.packs.values():
            if pack.builtin:
                continue
            try:
                local[pack.name] = Path(pack.folder).resolve().relative_to(config.root).as_posix()
            except ValueError:  # a pack outside the repository cannot be changed by a commit
                continue
        graph.graph["pack_folders"] = local
    if result is not None:
        attach_result(graph, result)
    return graph


def _declared_in_file(declared_in: str) -> str:
    """The file part of an origin written as `path:line`."""
    head, _, tail = declared_in.rpartition(":")
    return head if head and tail.isdigit() else declared_in


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
    for req in result.get("requirements") or []:
        rid = node_id("requirement", req["id"])
        if rid in graph:
            graph.nodes[rid]["status"] = req["status"]
    for control in result.get("controls") or []:
        cid = node_id("control", control["id"])
        if cid in graph:
            graph.nodes[cid]["status"] = control["status"]

    for item in result.get("evidence") or []:
        _add_evidence(graph, item)

    by_rule: dict[str, list[Mapping[str, Any]]] = {}
    for finding in result.get("findings") or []:
        by_rule.setdefault(finding["rule"], []).append(finding)
    for node, attrs in graph.nodes(data=True):
        if attrs.get("type") != "rule":
            continue
        findings = by_rule.get(attrs["name"], [])
        counts: dict[str, int] = {}
        for finding in findings:
            counts[finding["status"]] = counts.get(finding["status"], 0) + 1
        attrs["status"] = rule_status(counts)
        attrs["counts"] = counts
        attrs["findings"] = [{k: f.get(k) for k in _FINDING_FIELDS} for f in findings]
        cited: set[str] = set()
        for finding in findings:
            for ref in finding.get("evidence") or []:
                digest = ref.get("digest")
                eid = node_id("evidence", str(digest))
                # Most citations name an item of the manifest: no need to add it again.
                if eid in graph or _add_evidence(graph, ref) is not None:
                    cited.add(eid)
        graph.add_edges_from([(node, eid) for eid in sorted(cited)], relation="cites")

    items_per_kind: dict[str, int] = {}
    for _, attrs in graph.nodes(data=True):
        if attrs.get("type") == "evidence":
            items_per_kind[attrs["kind"]] = items_per_kind.get(attrs["kind"], 0) + 1
    for run_record in result.get("collectors") or []:
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
    # Which rules the waivers name: a change to the waiver file touches those ("*": any rule).
    targets = set()
    for waiver in result.get("waivers") or []:
        if waiver.get("rule"):
            targets.add(node_id("rule", waiver["rule"]))
        elif waiver.get("control"):
            targets.add(node_id("control", waiver["control"]))
        else:
            targets.add("*")
    graph.graph["waiver_targets"] = sorted(targets)


def _collection_status(run_record: Mapping[str, Any]) -> str:
    status = str(run_record.get("status") or "unknown")
    return "not_installed" if status == "missing" else status


def _add_evidence(graph: nx.DiGraph, item: Mapping[str, Any]) -> str | None:
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


def rule_status(counts: Mapping[str, int]) -> str:
    """One status for a rule from its findings' status counts (`not_run` without findings)."""
    for status in RULE_STATUS_PRECEDENCE:
        if counts.get(status):
            return status
    return "not_run"


def collector_inputs(
    policy_set: PolicySet, registry: Registry, config: Config
) -> dict[str, list[str]]:
    """Per evidence kind, the globs of the files its collector reads to produce it.

    Asks each installed collector's `input_patterns` with a context holding only that kind, so
    a file is attributed to the kinds it feeds and not to everything the collector produces.
    A collector whose `input_patterns` fails is assumed to read every file (`**`): for impact
    analysis an over-estimate is safe, an under-estimate is not.
    """
    from govgate.core.collector import CollectContext, RepoFiles
    from govgate.core.evidence import utc_now

    files = RepoFiles(config.root)
    now = utc_now()
    inputs: dict[str, list[str]] = {}
    for kind in policy_set.kinds.values():
        cls = registry.collectors.get(kind.collector)
        if cls is None:
            inputs[kind.name] = list(kind.paths)
            continue
        ctx = CollectContext(
            root=files.root,
            collector=cls.name,
            collector_version=cls.version,
            kinds=[kind],
            settings=dict(config.collectors.get(cls.name, {})),
            system=config.system,
            files=files,
            now=now,
        )
        try:
            inputs[kind.name] = list(cls().impact_patterns(ctx))
        except Exception:  # a plugin's bug must not hide what a change touches
            inputs[kind.name] = ["**"]
    return inputs


def full_graph(
    policy_set: PolicySet,
    registry: Registry,
    config: Config,
    result: Mapping[str, Any] | None,
) -> nx.DiGraph:
    """The graph a user means by "the graph": policies, collectors' inputs, and the run."""
    return build_graph(
        policy_set,
        registry,
        result,
        config=config,
        inputs=collector_inputs(policy_set, registry, config),
    )


def evaluation_order(policy_set: PolicySet) -> tuple[list[str], list[str] | None]:
    """Rule ids with prerequisites first, or ([], cycle) when depends_on loops.

    The order is the lexicographic topological order (among rules that are ready, the smallest
    id first), so it is stable across runs. It is computed with `graphlib` because this runs on
    every `check`; only the error path (a cycle) imports networkx, to name the cycle.
    """
    import graphlib
    import heapq

    sorter: graphlib.TopologicalSorter[str] = graphlib.TopologicalSorter()
    for rule_id in policy_set.rules:
        sorter.add(rule_id)
    for rule in policy_set.rules.values():
        sorter.add(rule.id, *rule.depends_on)
    try:
        sorter.prepare()
    except graphlib.CycleError:
        return [], _dependency_cycle(policy_set)
    order: list[str] = []
    ready = list(sorter.get_ready())
    heapq.heapify(ready)
    while ready:
        rule_id = heapq.heappop(ready)
        order.append(rule_id)
        sorter.done(rule_id)
        for newly_ready in sorter.get_ready():
            heapq.heappush(ready, newly_ready)
    return order, None


def _dependency_cycle(policy_set: PolicySet) -> list[str]:
    import networkx as nx

    deps: Any = nx.DiGraph()
    deps.add_nodes_from(policy_set.rules)
    for rule in policy_set.rules.values():
        for dep in rule.depends_on:
            deps.add_edge(dep, rule.id)
    cycle_edges = nx.find_cycle(deps)
    # Edges run prerequisite → dependent; reversed, the cycle reads "A depends on B ...".
    return [edge[0] for edge in reversed(cycle_edges)]


# --- questions -------------------------------------------------------------------------------


class UnknownNode(LookupError):
    """`find_node` found nothing (or several things) for what the user typed."""

    def __init__(self, message: str, candidates: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.candidates = list(candidates)


def find_node(graph: nx.DiGraph, ident: str) -> str:
    """The node a user means by IDENT: a typed id, a requirement/control/rule/kind/collector
    name, an evidence digest (or a unique prefix of at least 12 characters), or a file path.

    Raises UnknownNode with close matches, or with the candidates when the name is ambiguous.
    """
    import difflib

    if ident in graph:
        return ident
    path = _normal_path(ident)
    matches = [
        node_id(node_type, name)
        for node_type, name in (
            *((t, ident) for t in NODE_TYPES if t != "file"),
            ("file", path),
        )
        if node_id(node_type, name) in graph
    ]
    if not matches and len(ident) >= 12:
        prefix = ident if ident.startswith("sha256:") else "sha256:" + ident
        matches = [
            n
            for n, a in graph.nodes(data=True)
            if a.get("type") == "evidence" and str(a["name"]).startswith(prefix)
        ]
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise UnknownNode(
            f"'{ident}' is ambiguous; write one of: {', '.join(sorted(matches))}", matches
        )
    names = {
        str(a.get("name")): n for n, a in graph.nodes(data=True) if a.get("type") != "evidence"
    }
    close = difflib.get_close_matches(ident, list(names), n=3)
    hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    raise UnknownNode(
        f"'{ident}' is not a requirement, control, rule, evidence kind, collector, evidence "
        f"digest or file in the graph{hint}",
        [names[c] for c in close],
    )


def link_file(graph: nx.DiGraph, path: str) -> str | None:
    """Add a file node for PATH, linked from every kind whose globs match it; None if none do.

    Used to trace a file that the latest run took no evidence from (it did not exist yet, or
    the run is older than the file). A file the run did read is already in the graph.
    """
    path = _normal_path(path)
    fid = node_id("file", path)
    kinds = sorted(_KindPatterns(graph).kinds_for(path))
    if fid in graph:
        for kid in kinds:
            if not graph.has_edge(kid, fid) and not _reaches(graph, kid, fid):
                graph.add_edge(kid, fid, relation="reads_file")
        return fid
    if not kinds:
        return None
    graph.add_node(fid, type="file", name=path)
    for kid in kinds:
        graph.add_edge(kid, fid, relation="reads_file")
    return fid


def _reaches(graph: nx.DiGraph, kind: str, file: str) -> bool:
    """True when an evidence item of the kind already links the kind to the file."""
    return any(graph.has_edge(e, file) for e in graph.successors(kind))


def trace(graph: nx.DiGraph, node: str) -> nx.DiGraph:
    """The subgraph of everything linked to NODE: what it needs (down to source files) and what
    needs it (up to requirements), never turning around on the way (a file's trace does not
    wander into other files of the same collector). Graph attribute `traced` names NODE."""
    import networkx as nx

    if node not in graph:
        raise UnknownNode(f"'{node}' is not in the graph")
    keep = {node} | nx.ancestors(graph, node) | nx.descendants(graph, node)
    sub: nx.DiGraph = graph.subgraph(keep).copy()
    sub.graph = {"schema": GRAPH_SCHEMA, "traced": node}
    for key in ("run_finished_at", "run_commit", "run_gate"):
        if graph.graph.get(key) is not None:
            sub.graph[key] = graph.graph[key]
    return sub


def coverage_report(graph: nx.DiGraph) -> dict[str, Any]:
    """The gaps in the graph and how each framework stands.

    - requirements no control satisfies, controls no rule tests;
    - rules no installed collector can feed (their kind's collector is not installed);
    - evidence kinds an enabled pack declares that no rule reads (and, apart, kinds that
      plugins or the built-in catalogue offer and the enabled packs do not use, which is
      normal: another pack reads them);
    - per framework, requirements by status (`unverified` when there is no run);
    - cross-framework reuse: controls that serve requirements of several frameworks.
    """
    nodes = graph.nodes
    by_type: dict[str, list[str]] = {t: [] for t in NODE_TYPES}
    for node, attrs in graph.nodes(data=True):
        by_type.setdefault(str(attrs.get("type")), []).append(node)

    def succ(node: str, node_type: str) -> list[str]:
        return [s for s in graph.successors(node) if nodes[s].get("type") == node_type]

    def pred(node: str, node_type: str) -> list[str]:
        return [p for p in graph.predecessors(node) if nodes[p].get("type") == node_type]

    uncontrolled = [_brief(nodes[r]) for r in by_type["requirement"] if not succ(r, "control")]
    untested = [
        {**_brief(nodes[c]), "requirements": [nodes[r]["name"] for r in pred(c, "requirement")]}
        for c in by_type["control"]
        if not succ(c, "rule")
    ]
    unfed = []
    for r in by_type["rule"]:
        for kid in succ(r, "kind"):
            for col in succ(kid, "collector"):
                if nodes[col].get("installed") is False:
                    unfed.append(
                        {
                            **_brief(nodes[r]),
                            "kind": nodes[kid]["name"],
                            "collector": nodes[col]["name"],
                            "install": nodes[kid].get("install") or nodes[col].get("install"),
                        }
                    )
    unread = []
    available_unused = []
    for kid in by_type["kind"]:
        if pred(kid, "rule"):
            continue
        entry = {
            "name": nodes[kid]["name"],
            "collector": nodes[kid].get("collector"),
            "declared_in": nodes[kid].get("declared_in") or None,
        }
        if nodes[kid].get("declared_by") != "pack":
            available_unused.append(entry)
        else:
            unread.append(entry)
    frameworks: dict[str, dict[str, int]] = {}
    for r in by_type["requirement"]:
        counts = frameworks.setdefault(
            str(nodes[r]["framework"]), dict.fromkeys(REQUIREMENT_STATUSES, 0)
        )
        status = str(nodes[r].get("status") or "unverified")
        counts[status] = counts.get(status, 0) + 1
    reuse = []
    for c in by_type["control"]:
        reqs = pred(c, "requirement")
        served = sorted({str(nodes[r]["framework"]) for r in reqs})
        if len(served) > 1:
            reuse.append(
                {
                    **_brief(nodes[c]),
                    "frameworks": served,
                    "requirements": sorted(nodes[r]["name"] for r in reqs),
                }
            )
    reuse.sort(key=lambda e: (-len(e["frameworks"]), e["name"]))
    return {
        "schema": "govgate/coverage/v1",
        "totals": {t: len(by_type.get(t, [])) for t in ("requirement", "control", "rule", "kind")},
        "requirements_without_controls": uncontrolled,
        "controls_without_rules": untested,
        "rules_without_collector": unfed,
        "kinds_not_read": unread,
        "available_kinds_not_used": available_unused,
        "frameworks": dict(sorted(frameworks.items())),
        "cross_framework_controls": reuse,
    }


def _brief(attrs: Mapping[str, Any]) -> dict[str, Any]:
    """The fields of a node that identify it in a report."""
    out = {"name": attrs.get("name"), "type": attrs.get("type")}
    for key in ("title", "framework", "ref", "pack", "status", "severity"):
        if attrs.get(key) is not None:
            out[key] = attrs[key]
    return out


@dataclass
class Impact:
    """What a change to some repository files touches, and why."""

    paths: list[str]
    #: path -> the reasons it matters ("read as evidence kind x", "configures every rule").
    reasons: dict[str, list[str]] = field(default_factory=dict)
    kinds: list[dict[str, Any]] = field(default_factory=list)
    rules: list[dict[str, Any]] = field(default_factory=list)
    controls: list[dict[str, Any]] = field(default_factory=list)
    requirements: list[dict[str, Any]] = field(default_factory=list)

    @property
    def unrelated_paths(self) -> list[str]:
        return [p for p in self.paths if not self.reasons.get(p)]

    @property
    def rule_ids(self) -> list[str]:
        return [r["name"] for r in self.rules]

    def to_json(self) -> dict[str, Any]:
        return {
            "schema": "govgate/impact/v1",
            "paths": [{"path": p, "reasons": self.reasons.get(p, [])} for p in self.paths],
            "kinds": self.kinds,
            "rules": self.rules,
            "controls": self.controls,
            "requirements": self.requirements,
        }


def impacted_by(paths: Iterable[str], graph: nx.DiGraph) -> Impact:
    """Which evidence kinds, rules, controls and requirements depend on the given files.

    PATHS are relative to the repository (POSIX or OS separators; deleted files too). A file
    matters when an evidence kind's `paths` or its collector's inputs match it, when the latest
    run took evidence from it, when it is govgate.yaml (configures every rule), the waiver file
    (the rules its waivers name) or inside a pack kept in the repository (that pack's rules).
    Everything that needs those nodes, up to requirements, is affected; nothing else.
    """
    import networkx as nx

    nodes = graph.nodes
    wanted = list(dict.fromkeys(_normal_path(p) for p in paths))
    impact = Impact(paths=wanted)
    direct: set[str] = set()
    all_rules = [n for n, a in graph.nodes(data=True) if a.get("type") == "rule"]
    pack_folders: Mapping[str, str] = graph.graph.get("pack_folders") or {}
    patterns = _KindPatterns(graph)
    for path in wanted:
        reasons: list[str] = []
        if path == graph.graph.get("config_file"):
            reasons.append("configures every rule (system, params, evidence paths, packs)")
            direct.update(all_rules)
        if path == graph.graph.get("waivers_file"):
            targets = graph.graph.get("waiver_targets")
            if targets is None or "*" in targets:
                reasons.append("waiver file: its waivers can apply to any rule")
                direct.update(all_rules)
            else:
                named = [t for t in targets if t in graph]
                reasons.append(
                    "waiver file: waives "
                    + (", ".join(split_node_id(t)[1] for t in named) or "nothing at present")
                )
                for target in named:
                    direct.add(target)
                    if nodes[target].get("type") == "control":
                        direct.update(graph.successors(target))
        for pack, folder in pack_folders.items():
            if path == folder or path.startswith(folder.rstrip("/") + "/"):
                reasons.append(f"part of policy pack {pack}")
                direct.update(
                    n
                    for n, a in graph.nodes(data=True)
                    if a.get("pack") == pack and a.get("type") in ("rule", "control", "requirement")
                )
        for kid, via_paths in sorted(patterns.kinds_for(path).items()):
            attrs = nodes[kid]
            via = "paths" if via_paths else "collector inputs"
            reasons.append(
                f"read as evidence kind {attrs['name']} (collector {attrs.get('collector')}, {via})"
            )
            direct.add(kid)
        fid = node_id("file", path)
        if fid in graph:
            for eid in graph.predecessors(fid):
                if nodes[eid].get("type") == "evidence" and not any(
                    k in direct for k in graph.predecessors(eid)
                ):
                    reasons.append(f"evidence {nodes[eid]['name'][:19]}… came from it")
                direct.add(eid)
        impact.reasons[path] = reasons
    # Everything that needs a directly touched node: one breadth-first search upwards from all
    # of them at once (one search per node would be quadratic when govgate.yaml touches all).
    affected: set[str] = set()
    if direct:
        for layer in nx.bfs_layers(graph.reverse(copy=False), sorted(direct)):
            affected.update(layer)
    for node_type, bucket in (
        ("kind", impact.kinds),
        ("rule", impact.rules),
        ("control", impact.controls),
        ("requirement", impact.requirements),
    ):
        chosen = sorted(n for n in affected if nodes[n].get("type") == node_type)
        bucket.extend(_brief(nodes[n]) for n in chosen)
    return impact


def _normal_path(path: str) -> str:
    """A repository path as the graph spells it: POSIX separators, no leading `./`."""
    text = path.replace("\\", "/")
    while text.startswith("./"):
        text = text[2:]
    return text.rstrip("/") if text != "/" else text


class _KindPatterns:
    """The globs of the kinds some rule reads, compiled once and indexed by their first folder,
    so matching a changed file tries a few regexes rather than one per kind (the lru cache of
    `glob_to_regex` is far smaller than a large policy set's patterns).

    A kind no rule reads is left out: it is not collected, so its files affect nothing.
    """

    def __init__(self, graph: nx.DiGraph) -> None:
        #: literal path (or folder) -> [(kind node, matched through the kind's own paths)]
        self.literal: dict[str, list[tuple[str, bool]]] = {}
        #: first folder of the pattern ("" when it starts with a wildcard) -> [(regex, kind, own)]
        self.by_head: dict[str, list[tuple[re.Pattern[str], str, bool]]] = {}
        for node, attrs in graph.nodes(data=True):
            if attrs.get("type") != "kind" or not any(
                graph.nodes[p].get("type") == "rule" for p in graph.predecessors(node)
            ):
                continue
            own = [(str(p), True) for p in attrs.get("paths") or []]
            others = [(str(p), False) for p in attrs.get("inputs") or []]
            for raw, via_paths in own + others:
                pattern = _normal_path(raw)
                if not pattern:
                    continue
                if not any(ch in pattern for ch in "*?["):
                    self.literal.setdefault(pattern, []).append((node, via_paths))
                    continue
                head, slash, _ = pattern.partition("/")
                key = head if slash and not any(ch in head for ch in "*?[") else ""
                self.by_head.setdefault(key, []).append((glob_to_regex(pattern), node, via_paths))

    def kinds_for(self, path: str) -> dict[str, bool]:
        """Kind nodes reading PATH -> True when the kind's own `paths` match (not only the
        collector's inputs)."""
        found: dict[str, bool] = {}
        parts = path.split("/")
        # A literal pattern is the file itself or a folder above it.
        for end in range(1, len(parts) + 1):
            for node, via_paths in self.literal.get("/".join(parts[:end]), ()):
                found[node] = found.get(node, False) or via_paths
        candidates = list(self.by_head.get("", ()))
        if len(parts) > 1:
            candidates += self.by_head.get(parts[0], ())
        for regex, node, via_paths in candidates:
            if found.get(node) is not True and regex.match(path):
                found[node] = found.get(node, False) or via_paths
        return found


# --- exports ---------------------------------------------------------------------------------


def node_label(attrs: Mapping[str, Any]) -> str:
    """A short human label: type, name, status."""
    node_type = str(attrs.get("type", ""))
    name = str(attrs.get("name", ""))
    if node_type == "evidence":
        name = name[:19] + "…"
    label = f"{'evidence kind' if node_type == 'kind' else node_type} {name}"
    status = attrs.get("status")
    if status is None and node_type == "collector" and attrs.get("installed") is False:
        status = "not_installed"
    return f"{label} [{status}]" if status else label


def to_node_link(graph: nx.DiGraph) -> dict[str, Any]:
    """networkx node-link data (edges under `edges`); `networkx.node_link_graph` reads it back."""
    import networkx as nx

    data: dict[str, Any] = nx.node_link_data(graph, edges="edges")
    return data


def to_json(graph: nx.DiGraph) -> str:
    return json.dumps(to_node_link(graph), indent=2, ensure_ascii=False) + "\n"


def _scalar(value: Any) -> str | int | float | bool | None:
    """GraphML and DOT attributes are scalars: lists and mappings become JSON text."""
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def to_graphml(graph: nx.DiGraph) -> str:
    """GraphML through networkx (no lxml needed); list and mapping attributes as JSON text."""
    import networkx as nx

    flat = nx.DiGraph()
    flat.graph.update({k: _scalar(v) for k, v in graph.graph.items() if _scalar(v) is not None})
    for node, attrs in graph.nodes(data=True):
        flat.add_node(
            node,
            label=node_label(attrs),
            **{k: _scalar(v) for k, v in attrs.items() if _scalar(v) is not None},
        )
    for source, target, attrs in graph.edges(data=True):
        flat.add_edge(source, target, **{k: _scalar(v) for k, v in attrs.items() if v is not None})
    return "\n".join(nx.generate_graphml(flat)) + "\n"


def dot_quote(text: str) -> str:
    """A DOT quoted string. In DOT only `\\"` is an escape inside quotes, so a backslash is
    doubled (a trailing one would otherwise swallow the closing quote) and line breaks become
    `\\n` (Graphviz's own line-break escape in labels)."""
    escaped = (
        text.replace("\\", "\\\\")
        .replace('"', '\\"')
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "\\n")
    )
    return f'"{escaped}"'


_DOT_SHAPES = {
    "requirement": "note",
    "control": "box",
    "rule": "box",
    "kind": "folder",
    "collector": "component",
    "evidence": "ellipse",
    "file": "tab",
}
_STATUS_COLOURS = {
    "met": "palegreen",
    "satisfied": "palegreen",
    "pass": "palegreen",
    "partial": "khaki",
    "waived": "khaki",
    "not_met": "lightpink",
    "not_satisfied": "lightpink",
    "fail": "lightpink",
    "error": "orange",
    "not_installed": "orange",
    "unverified": "lightgrey",
    "skipped": "lightgrey",
}


def to_dot(graph: nx.DiGraph, name: str = "govgate") -> str:
    """Graphviz DOT, written here because networkx's writers need pygraphviz or pydot."""
    lines = [f"digraph {dot_quote(name)} {{", "  rankdir=LR;", '  node [style="filled"];']
    for node, attrs in graph.nodes(data=True):
        status = attrs.get("status") or ("not_installed" if attrs.get("installed") is False else "")
        shown: dict[str, Any] = {
            "label": node_label(attrs),
            "shape": _DOT_SHAPES.get(str(attrs.get("type")), "box"),
            "fillcolor": _STATUS_COLOURS.get(str(status), "white"),
        }
        for key, value in attrs.items():
            if key not in shown and _scalar(value) is not None:
                shown[key] = _scalar(value)
        lines.append(f"  {dot_quote(node)} [{_dot_attrs(shown)}];")
    for source, target, attrs in graph.edges(data=True):
        relation = str(attrs.get("relation", ""))
        lines.append(
            f"  {dot_quote(source)} -> {dot_quote(target)} "
            f"[{_dot_attrs({'label': relation, 'relation': relation})}];"
        )
    lines.append("}")
    return "\n".join(lines) + "\n"


def _dot_attrs(attrs: Mapping[str, Any]) -> str:
    parts = []
    for key, value in attrs.items():
        text = str(value).lower() if isinstance(value, bool) else str(value)
        parts.append(f"{dot_quote(key)}={dot_quote(text)}")
    return ", ".join(parts)


def mermaid_escape(text: str) -> str:
    """Text safe inside a Mermaid quoted label: quotes, markup and `#` as entity codes."""
    out = []
    for char in text:
        if char == '"':
            out.append("#quot;")
        elif char in "#<>&|[]{}()`;":
            out.append(f"#{ord(char)};")
        elif char in "\r\n":
            out.append("<br/>")
        else:
            out.append(char)
    return "".join(out)


def to_mermaid(graph: nx.DiGraph) -> str:
    """A Mermaid `flowchart LR`; node ids are generated (n0, n1…) and labels escaped."""
    ids = {node: f"n{index}" for index, node in enumerate(graph.nodes)}
    lines = ["flowchart LR"]
    for node, attrs in graph.nodes(data=True):
        lines.append(f'  {ids[node]}["{mermaid_escape(node_label(attrs))}"]')
    for source, target, attrs in graph.edges(data=True):
        relation = mermaid_escape(str(attrs.get("relation", "")))
        lines.append(f'  {ids[source]} -->|"{relation}"| {ids[target]}')
    classes: dict[str, list[str]] = {}
    for node, attrs in graph.nodes(data=True):
        status = str(attrs.get("status") or "")
        if status in _STATUS_COLOURS:
            classes.setdefault(status, []).append(ids[node])
    for status, members in sorted(classes.items()):
        # Prefixed: a class named like a Mermaid keyword (`end`) would break the chart.
        lines.append(f"  classDef s_{status} fill:{_STATUS_COLOURS[status]}")
        lines.append(f"  class {','.join(members)} s_{status}")
    return "\n".join(lines) + "\n"


EXPORTS = {"json": to_json, "graphml": to_graphml, "dot": to_dot, "mermaid": to_mermaid}
