"""The traceability graph: requirement → control → rule → evidence kind → evidence → source file.

Built with networkx from a loaded PolicySet and, optionally, a run's result document
(`govgate/result/v1`), whose statuses, evidence items and source files it adds. It answers three
questions: what lies behind a node (`trace`), what has nothing behind it (`coverage_report`) and
what a change to some files touches (`impacted_by`). Its exports (node-link JSON, GraphML, DOT,
Mermaid) are in `govgate.outputs.graph_export`; the rules' evaluation order, which the engine
needs on every `check`, is `govgate.core.order` (standard library only, no networkx).

Every edge points from what depends to what it depends on, so `networkx.ancestors` of a node is
everything that needs it (up to requirements) and `networkx.descendants` everything it needs
(down to files). Node ids are typed (`requirement:GDPR-22`, `control:HO-1`,
`rule:HO-1.gate-configured`, `kind:oversight_config`, `collector:config`,
`evidence:sha256:…`, `file:governance/oversight.yaml`) so names from different namespaces never
collide; the untyped name is the node's `name` attribute (not `id`, which node-link JSON uses).

The modules: `model` (node types, ids, statuses), `build` (policies to graph), `result` (a
run on the graph), `patterns` (which kinds read a file), `queries` (find, link, trace),
`impact` and `coverage`.
"""

from govgate.analysis.graph.build import build_graph, collector_inputs, full_graph
from govgate.analysis.graph.coverage import coverage_report
from govgate.analysis.graph.impact import Impact, impacted_by
from govgate.analysis.graph.model import (
    GRAPH_SCHEMA,
    NODE_TYPES,
    RELATIONS,
    RULE_STATUS_PRECEDENCE,
    node_id,
    rule_status,
    split_node_id,
)
from govgate.analysis.graph.queries import UnknownNode, find_node, link_file, trace
from govgate.analysis.graph.result import attach_result

__all__ = [
    "GRAPH_SCHEMA",
    "NODE_TYPES",
    "RELATIONS",
    "RULE_STATUS_PRECEDENCE",
    "Impact",
    "UnknownNode",
    "attach_result",
    "build_graph",
    "collector_inputs",
    "coverage_report",
    "find_node",
    "full_graph",
    "impacted_by",
    "link_file",
    "node_id",
    "rule_status",
    "split_node_id",
    "trace",
]
