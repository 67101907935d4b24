"""The traceability graph's exports: DOT and Mermaid quote what they must, GraphML is read back
by networkx."""

from __future__ import annotations

import json
import re
from typing import Any

import networkx as nx
import pytest
from graph_packs import graph_of, with_extra_pack

from govgate.outputs.graph_export import dot_quote, mermaid_escape, to_dot, to_graphml, to_mermaid

NASTY = ['GDPR "22"', "path\\with\\backslash\\", "new\nline", "end", "a#b<c>&[d]|{e};`f`"]


def nasty_graph() -> nx.DiGraph:
    graph = nx.DiGraph()
    for index, name in enumerate(NASTY):
        graph.add_node(f"rule:{name}", type="rule", name=name, status="fail", counts={"fail": 1})
        if index:
            graph.add_edge(f"rule:{NASTY[index - 1]}", f"rule:{name}", relation="depends_on")
    return graph


def test_dot_quotes_every_identifier_and_label_reversibly() -> None:
    text = to_dot(nasty_graph())
    quoted = re.compile(r'"((?:[^"\\]|\\.)*)"')
    assert text.startswith('digraph "govgate" {') and text.rstrip().endswith("}")
    body = text.splitlines()[3:-1]
    for line in body:
        # Outside quoted strings only DOT punctuation and bare words remain.
        assert re.fullmatch(r"[\s\[\]=,;>\-A-Za-z]*", quoted.sub("", line)), line
    found = {
        m.group(1).replace('\\"', '"').replace("\\n", "\n").replace("\\\\", "\\")
        for m in quoted.finditer(text)
    }
    assert {f"rule:{name}" for name in NASTY} <= found
    assert dot_quote('a"b\\') == '"a\\"b\\\\"'
    edge_lines = [line for line in body if " -> " in line]
    assert len(edge_lines) == len(NASTY) - 1


def test_mermaid_escapes_labels_and_uses_safe_ids() -> None:
    text = to_mermaid(nasty_graph())
    lines = text.splitlines()
    assert lines[0] == "flowchart LR"
    node_lines = [line for line in lines if re.match(r"\s+n\d+\[", line)]
    assert len(node_lines) == len(NASTY)
    for line in node_lines:
        # The only markup left in a label is the line break govgate writes itself.
        label = line.replace("<br/>", "")
        assert re.fullmatch(r'\s+n\d+\["[^"\[\]<>{}|\n]*"\]', label), line
    assert "#quot;22#quot;" in text
    assert "new<br/>line" in text
    edges = [line for line in lines if "-->" in line]
    assert all(re.fullmatch(r'\s+n\d+ -->\|"depends_on"\| n\d+', e) for e in edges)
    assert mermaid_escape('x"y') == "x#quot;y"
    assert "classDef s_fail" in text


@pytest.mark.slow
def test_graphml_is_read_back_by_networkx(example_repo: Any) -> None:
    graph, _ = graph_of(with_extra_pack(example_repo("loan-approval")))
    back = nx.read_graphml(__import__("io").BytesIO(to_graphml(graph).encode("utf-8")))
    assert set(back.nodes) == set(graph.nodes)
    assert back.number_of_edges() == graph.number_of_edges()
    rule = back.nodes["rule:HO-1.gate-configured"]
    assert rule["status"] == graph.nodes["rule:HO-1.gate-configured"]["status"]
    assert json.loads(rule["counts"]) == graph.nodes["rule:HO-1.gate-configured"]["counts"]
    assert back.nodes["collector:config"]["installed"] is True
