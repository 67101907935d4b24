"""What has nothing behind it (`coverage_report`): requirements without controls, controls
without rules, rules no collector feeds, unread kinds; and how each framework stands."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from govgate.analysis.graph.model import NODE_TYPES, brief
from govgate.core.rollup import REQUIREMENT_STATUSES

if TYPE_CHECKING:
    import networkx as nx


class _Typed:
    """The graph's nodes by type, and a node's neighbours of one type."""

    def __init__(self, graph: nx.DiGraph) -> None:
        self.graph = graph
        self.nodes = graph.nodes
        self.by_type: dict[str, list[str]] = {t: [] for t in NODE_TYPES}
        for node, attrs in graph.nodes(data=True):
            self.by_type.setdefault(str(attrs.get("type")), []).append(node)

    def succ(self, node: str, node_type: str) -> list[str]:
        return [s for s in self.graph.successors(node) if self.nodes[s].get("type") == node_type]

    def pred(self, node: str, node_type: str) -> list[str]:
        return [p for p in self.graph.predecessors(node) if self.nodes[p].get("type") == node_type]


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
    typed = _Typed(graph)
    nodes = typed.nodes
    uncontrolled = [
        brief(nodes[r]) for r in typed.by_type["requirement"] if not typed.succ(r, "control")
    ]
    untested = [
        {
            **brief(nodes[c]),
            "requirements": [nodes[r]["name"] for r in typed.pred(c, "requirement")],
        }
        for c in typed.by_type["control"]
        if not typed.succ(c, "rule")
    ]
    unread, available_unused = _kinds_not_read(typed)
    return {
        "schema": "govgate/coverage/v1",
        "totals": {
            t: len(typed.by_type.get(t, [])) for t in ("requirement", "control", "rule", "kind")
        },
        "requirements_without_controls": uncontrolled,
        "controls_without_rules": untested,
        "rules_without_collector": _rules_without_collector(typed),
        "kinds_not_read": unread,
        "available_kinds_not_used": available_unused,
        "frameworks": _frameworks(typed),
        "cross_framework_controls": _cross_framework_controls(typed),
    }


def _rules_without_collector(typed: _Typed) -> list[dict[str, Any]]:
    """Rules reading a kind whose collector is not installed, with what to install."""
    nodes = typed.nodes
    unfed = []
    for r in typed.by_type["rule"]:
        for kid in typed.succ(r, "kind"):
            for col in typed.succ(kid, "collector"):
                if nodes[col].get("installed") is False:
                    unfed.append(
                        {
                            **brief(nodes[r]),
                            "kind": nodes[kid]["name"],
                            "collector": nodes[col]["name"],
                            "install": nodes[kid].get("install") or nodes[col].get("install"),
                        }
                    )
    return unfed


def _kinds_not_read(typed: _Typed) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Kinds no rule reads: (declared by an enabled pack, offered by a plugin or catalogue)."""
    nodes = typed.nodes
    unread = []
    available_unused = []
    for kid in typed.by_type["kind"]:
        if typed.pred(kid, "rule"):
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
    return unread, available_unused


def _frameworks(typed: _Typed) -> dict[str, dict[str, int]]:
    """Per framework, its requirements counted by status (`unverified` without a run)."""
    nodes = typed.nodes
    frameworks: dict[str, dict[str, int]] = {}
    for r in typed.by_type["requirement"]:
        counts = frameworks.setdefault(
            str(nodes[r]["framework"]), dict.fromkeys(REQUIREMENT_STATUSES, 0)
        )
        status = str(nodes[r].get("status") or "unverified")
        counts[status] = counts.get(status, 0) + 1
    return dict(sorted(frameworks.items()))


def _cross_framework_controls(typed: _Typed) -> list[dict[str, Any]]:
    """Controls serving requirements of several frameworks, the most widely reused first."""
    nodes = typed.nodes
    reuse = []
    for c in typed.by_type["control"]:
        reqs = typed.pred(c, "requirement")
        served = sorted({str(nodes[r]["framework"]) for r in reqs})
        if len(served) > 1:
            reuse.append(
                {
                    **brief(nodes[c]),
                    "frameworks": served,
                    "requirements": sorted(nodes[r]["name"] for r in reqs),
                }
            )
    reuse.sort(key=lambda e: (-len(e["frameworks"]), e["name"]))
    return reuse
