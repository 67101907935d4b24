"""What a change to some repository files touches (`impacted_by`): the evidence kinds, rules,
controls and requirements that depend on them, and why each file matters."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from govgate.analysis.graph.model import brief, node_id, normal_path, split_node_id
from govgate.analysis.graph.patterns import KindPatterns

if TYPE_CHECKING:
    import networkx as nx


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
    wanted = list(dict.fromkeys(normal_path(p) for p in paths))
    impact = Impact(paths=wanted)
    touched = _Touched(graph)
    for path in wanted:
        impact.reasons[path] = touched.reasons_for(path)
    affected = _needing(graph, touched.direct)
    nodes = graph.nodes
    for node_type, bucket in (
        ("kind", impact.kinds),
        ("rule", impact.rules),
        ("control", impact.controls),
        ("requirement", impact.requirements),
    ):
        chosen = sorted(n for n in affected if nodes[n].get("type") == node_type)
        bucket.extend(brief(nodes[n]) for n in chosen)
    return impact


class _Touched:
    """The nodes the changed files touch directly, gathered path by path with the reasons."""

    def __init__(self, graph: nx.DiGraph) -> None:
        self.graph = graph
        self.direct: set[str] = set()
        self.all_rules = [n for n, a in graph.nodes(data=True) if a.get("type") == "rule"]
        self.pack_folders: Mapping[str, str] = graph.graph.get("pack_folders") or {}
        self.patterns = KindPatterns(graph)

    def reasons_for(self, path: str) -> list[str]:
        """Why PATH matters (empty when it does not); the nodes it touches join `direct`."""
        reasons: list[str] = []
        if path == self.graph.graph.get("config_file"):
            reasons.append("configures every rule (system, params, evidence paths, packs)")
            self.direct.update(self.all_rules)
        if path == self.graph.graph.get("waivers_file"):
            reasons.append(self._waivers())
        reasons.extend(self._packs(path))
        reasons.extend(self._kinds(path))
        reasons.extend(self._evidence(path))
        return reasons

    def _waivers(self) -> str:
        targets = self.graph.graph.get("waiver_targets")
        if targets is None or "*" in targets:
            self.direct.update(self.all_rules)
            return "waiver file: its waivers can apply to any rule"
        named = [t for t in targets if t in self.graph]
        for target in named:
            self.direct.add(target)
            if self.graph.nodes[target].get("type") == "control":
                self.direct.update(self.graph.successors(target))
        return "waiver file: waives " + (
            ", ".join(split_node_id(t)[1] for t in named) or "nothing at present"
        )

    def _packs(self, path: str) -> list[str]:
        reasons = []
        for pack, folder in self.pack_folders.items():
            if path == folder or path.startswith(folder.rstrip("/") + "/"):
                reasons.append(f"part of policy pack {pack}")
                self.direct.update(
                    n
                    for n, a in self.graph.nodes(data=True)
                    if a.get("pack") == pack and a.get("type") in ("rule", "control", "requirement")
                )
        return reasons

    def _kinds(self, path: str) -> list[str]:
        reasons = []
        for kid, via_paths in sorted(self.patterns.kinds_for(path).items()):
            attrs = self.graph.nodes[kid]
            via = "paths" if via_paths else "collector inputs"
            reasons.append(
                f"read as evidence kind {attrs['name']} (collector {attrs.get('collector')}, {via})"
            )
            self.direct.add(kid)
        return reasons

    def _evidence(self, path: str) -> list[str]:
        """Evidence the latest run took from PATH, named unless its kind already reads it."""
        reasons: list[str] = []
        fid = node_id("file", path)
        if fid not in self.graph:
            return reasons
        nodes = self.graph.nodes
        for eid in self.graph.predecessors(fid):
            if nodes[eid].get("type") == "evidence" and not any(
                k in self.direct for k in self.graph.predecessors(eid)
            ):
                reasons.append(f"evidence {nodes[eid]['name'][:19]}… came from it")
            self.direct.add(eid)
        return reasons


def _needing(graph: nx.DiGraph, direct: set[str]) -> set[str]:
    """Every node that needs one of `direct` (and those themselves)."""
    import networkx as nx

    # One breadth-first search upwards from all of them at once (one search per node would be
    # quadratic when govgate.yaml touches all).
    affected: set[str] = set()
    if direct:
        for layer in nx.bfs_layers(graph.reverse(copy=False), sorted(direct)):
            affected.update(layer)
    return affected
