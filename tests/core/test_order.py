"""The order rules are evaluated in: the same as networkx's lexicographic topological sort on
random dependency graphs, the cycle named when there is one, and no networkx on `check`."""

from __future__ import annotations

import random
import subprocess
import sys
from typing import Any

import networkx as nx
import pytest
from graph_packs import with_extra_pack

from govgate.core.conditions import BUILTIN_OPERATORS, Env, compile_condition
from govgate.core.evidence import utc_now
from govgate.core.order import evaluation_order
from govgate.core.policy import EvidenceSelector, Origin, PolicySet, Rule


def _rules(edges: dict[str, list[str]]) -> PolicySet:
    env = Env(params={}, now=utc_now(), operators=BUILTIN_OPERATORS)
    condition = compile_condition({"path": "x", "op": "exists"}, env)
    rules = {
        rule_id: Rule(
            id=rule_id,
            control="C",
            severity="low",
            evidence=EvidenceSelector(kind="k"),
            assertion=condition,
            message="m",
            remediation="r",
            origin=Origin("pack.yaml", 1),
            pack="p",
            depends_on=deps,
        )
        for rule_id, deps in edges.items()
    }
    return PolicySet({}, {}, {}, rules, {}, [], {})


def _networkx_order(policy_set: PolicySet) -> tuple[list[str], list[str] | None]:
    """The previous implementation, entirely in networkx: the reference for behaviour."""
    deps: Any = nx.DiGraph()
    deps.add_nodes_from(policy_set.rules)
    for rule in policy_set.rules.values():
        for dep in rule.depends_on:
            deps.add_edge(dep, rule.id)
    try:
        return list(nx.lexicographical_topological_sort(deps)), None
    except nx.NetworkXUnfeasible:
        return [], [edge[0] for edge in reversed(nx.find_cycle(deps))]


@pytest.mark.parametrize("seed", range(40))
def test_evaluation_order_is_the_same_as_networkx_on_random_dependency_graphs(seed: int) -> None:
    rng = random.Random(seed)
    ids = [f"R-{rng.randrange(10**6)}.{i}" for i in range(rng.randrange(1, 60))]
    rng.shuffle(ids)
    edges = {
        rule_id: rng.sample(ids[:index], min(index, rng.randrange(0, 4)))
        for index, rule_id in enumerate(ids)
    }
    looped = seed % 3 == 0 and len(ids) > 2
    if looped:  # a third of the cases: ids[0] → ids[-1] → ids[middle] → ids[0]
        middle = ids[len(ids) // 2]
        edges[ids[0]] = [ids[-1]]
        edges[ids[-1]] = [*edges[ids[-1]], middle]
        edges[middle] = [*edges[middle], ids[0]]
    order, cycle = evaluation_order(_rules(edges))
    assert (order, cycle) == _networkx_order(_rules(edges))
    assert (cycle is not None) == looped
    if cycle is None:
        position = {rule_id: index for index, rule_id in enumerate(order)}
        assert all(position[d] < position[r] for r, deps in edges.items() for d in deps)


def test_evaluation_order_names_the_cycle_and_runs_prerequisites_first() -> None:
    order, cycle = evaluation_order(_rules({"B": ["A"], "A": [], "C": ["B"], "AA": []}))
    assert (order, cycle) == (["A", "AA", "B", "C"], None)
    order, cycle = evaluation_order(_rules({"A": ["C"], "B": ["A"], "C": ["B"]}))
    assert order == []
    assert cycle is not None and sorted(cycle) == ["A", "B", "C"]


@pytest.mark.slow
def test_check_does_not_import_networkx(example_repo: Any) -> None:
    """The hook path stays free of the graph library (about 0.1 s of imports)."""
    loan = with_extra_pack(example_repo("loan-approval"))
    code = (
        "import sys\nfrom pathlib import Path\n"
        "from govgate.run.check import CheckOptions, run_check\n"
        f"run_check(CheckOptions(root=Path({str(loan)!r}), use_locker=False))\n"
        "print('networkx' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
