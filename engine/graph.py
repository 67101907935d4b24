"""The traceability graph: requirement ← control ← rule → evidence kind → collector.

Built with networkx from a loaded PolicySet. The engine uses it for the rule evaluation order
(prerequisites first, cycles refused); `trace`, `coverage`, `impact` and `graph` export read it.
Node ids are typed (`requirement:GDPR-22`, `control:HO-1`, `rule:HO-1.gate-configured`,
`kind:oversight_config`, `collector:config`) so ids from different namespaces never collide.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import networkx as nx

    from govgate.plugins import Registry
    from govgate.policy import PolicySet


def node_id(node_type: str, name: str) -> str:
    return f"{node_type}:{name}"


def build_graph(policy_set: PolicySet, registry: Registry | None = None) -> nx.DiGraph:
    """The static graph of the loaded policies (no run results yet)."""
    import networkx as nx

    graph = nx.DiGraph()
    for req in policy_set.requirements.values():
        graph.add_node(
            node_id("requirement", req.id),
            type="requirement",
            id=req.id,
            title=req.title,
            framework=req.framework,
            ref=req.ref,
            pack=req.pack,
        )
    for control in policy_set.controls.values():
        graph.add_node(
            node_id("control", control.id),
            type="control",
            id=control.id,
            title=control.title,
            pack=control.pack,
        )
        for req_id in control.satisfies:
            graph.add_edge(
                node_id("control", control.id), node_id("requirement", req_id), relation="satisfies"
            )
    for rule in policy_set.rules.values():
        graph.add_node(
            node_id("rule", rule.id),
            type="rule",
            id=rule.id,
            severity=rule.severity,
            pack=rule.pack,
            title=rule.title or rule.message,
        )
        graph.add_edge(node_id("rule", rule.id), node_id("control", rule.control), relation="tests")
        graph.add_edge(
            node_id("rule", rule.id), node_id("kind", rule.evidence.kind), relation="reads"
        )
        for dep in rule.depends_on:
            graph.add_edge(node_id("rule", rule.id), node_id("rule", dep), relation="depends_on")
    for kind in policy_set.kinds.values():
        kid = node_id("kind", kind.name)
        if kid not in graph:
            graph.add_node(kid)
        installed = registry is None or kind.collector in registry.collectors
        graph.nodes[kid].update(
            type="kind",
            id=kind.name,
            collector=kind.collector,
            paths=list(kind.paths),
        )
        cid = node_id("collector", kind.collector)
        if cid not in graph:
            graph.add_node(cid, type="collector", id=kind.collector, installed=installed)
        graph.add_edge(kid, cid, relation="produced_by")
    return graph


def evaluation_order(policy_set: PolicySet) -> tuple[list[str], list[str] | None]:
    """Rule ids with prerequisites first, or ([], cycle) when depends_on loops."""
    import networkx as nx

    deps: Any = nx.DiGraph()
    deps.add_nodes_from(policy_set.rules)
    for rule in policy_set.rules.values():
        for dep in rule.depends_on:
            deps.add_edge(dep, rule.id)
    try:
        order = list(nx.lexicographical_topological_sort(deps))
    except nx.NetworkXUnfeasible:
        cycle_edges = nx.find_cycle(deps)
        # Edges run prerequisite → dependent; reversed, the cycle reads "A depends on B ...".
        return [], [edge[0] for edge in reversed(cycle_edges)]
    return order, None
