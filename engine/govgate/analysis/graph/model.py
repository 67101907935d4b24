"""The graph's vocabulary: node types, edge relations, typed node ids, a rule's status over its
findings, and the few node fields that identify a node in a report."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

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


def node_id(node_type: str, name: str) -> str:
    return f"{node_type}:{name}"


def split_node_id(node: str) -> tuple[str, str]:
    """(type, name) of a typed node id."""
    node_type, _, name = node.partition(":")
    return node_type, name


def rule_status(counts: Mapping[str, int]) -> str:
    """One status for a rule from its findings' status counts (`not_run` without findings)."""
    for status in RULE_STATUS_PRECEDENCE:
        if counts.get(status):
            return status
    return "not_run"


def normal_path(path: str) -> str:
    """A repository path as the graph spells it: POSIX separators, no leading `./`."""
    text = path.replace("\\", "/")
    while text.startswith("./"):
        text = text[2:]
    return text.rstrip("/") if text != "/" else text


def brief(attrs: Mapping[str, Any]) -> dict[str, Any]:
    """The fields of a node that identify it in a report."""
    out = {"name": attrs.get("name"), "type": attrs.get("type")}
    for key in ("title", "framework", "ref", "pack", "status", "severity"):
        if attrs.get(key) is not None:
            out[key] = attrs[key]
    return out
