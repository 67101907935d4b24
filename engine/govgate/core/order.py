"""The order rules are evaluated in: prerequisites (`depends_on`) first, stable across runs,
or the cycle that makes an order impossible (`evaluation_order`)."""

from __future__ import annotations

import graphlib
import heapq
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from govgate.core.policy import PolicySet


def evaluation_order(policy_set: PolicySet) -> tuple[list[str], list[str] | None]:
    """Rule ids with prerequisites first, or ([], cycle) when depends_on loops.

    The order is the lexicographic topological order (among rules that are ready, the smallest
    id first), so it is stable across runs. It is computed with `graphlib` because this runs on
    every `check`; only the error path (a cycle) imports networkx, to name the cycle.
    """
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
    """The rules of one `depends_on` cycle, each depending on the next (the last on the first)."""
    import networkx as nx  # only on this error path: `check` never pays for importing it

    deps: Any = nx.DiGraph()
    deps.add_nodes_from(policy_set.rules)
    for rule in policy_set.rules.values():
        for dep in rule.depends_on:
            deps.add_edge(dep, rule.id)
    cycle_edges = nx.find_cycle(deps)
    # Edges run prerequisite → dependent; reversed, the cycle reads "A depends on B ...".
    return [edge[0] for edge in reversed(cycle_edges)]
