"""Questions about one node: which node a user means (`find_node`), a file the run did not
read linked to the kinds that would (`link_file`), and everything linked to a node (`trace`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from govgate.analysis.graph.model import GRAPH_SCHEMA, NODE_TYPES, node_id, normal_path
from govgate.analysis.graph.patterns import KindPatterns
from govgate.support.suggest import closest

if TYPE_CHECKING:
    import networkx as nx


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

    if ident in graph:
        return ident
    path = normal_path(ident)
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
    close = closest(ident, names, n=3)
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
    path = normal_path(path)
    fid = node_id("file", path)
    kinds = sorted(KindPatterns(graph).kinds_for(path))
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
