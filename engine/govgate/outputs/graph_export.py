"""The traceability graph in formats other tools read: node-link JSON (networkx reads it back),
GraphML, Graphviz DOT and Mermaid (`EXPORTS`, used by `govgate graph --format`)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import networkx as nx


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
