"""Benchmark: the traceability graph at scale (2,000 requirements, 10,000 rules, < 2 s).

Generates, deterministically, a policy set of 2,000 requirements in 8 frameworks, 4,000
controls (each satisfying 1-3 requirements, often across frameworks, a few satisfying none),
10,000 rules in `depends_on` chains of up to 6, 1,000 evidence kinds on 25 collectors (3 of
them not installed), and a run's result document for it (one to three findings per rule,
1,500 evidence items from 1,200 files). Then, in the same run, it times

- the baseline: building the PolicySet objects (what loading the packs costs at least) plus
  the evaluation order the loader computes;
- `build_graph` with the run's statuses, evidence items and files;
- `trace` of 200 nodes (requirements, controls, rules, kinds and files);
- `coverage_report`;
- `impacted_by` of 100 changed files (one call, as `check --base` makes it), and of
  govgate.yaml, which touches every rule (the worst case);

and prints each time, its ratio to the baseline, and the total of the graph work against the
2 s budget.

    .venv/bin/python benchmarks/graph.py
    .venv/bin/python benchmarks/graph.py --rules 2000 --requirements 400   # quicker
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any, TypeVar

from govgate.analysis.graph import (
    build_graph,
    coverage_report,
    impacted_by,
    trace,
)
from govgate.core.collector import EvidenceKind
from govgate.core.conditions import BUILTIN_OPERATORS, Env, compile_condition
from govgate.core.evidence import utc_now
from govgate.core.order import evaluation_order
from govgate.core.policy import (
    Control,
    EvidenceSelector,
    Origin,
    Pack,
    PolicySet,
    Requirement,
    Rule,
)
from govgate.run.check import get_registry

T = TypeVar("T")
FRAMEWORKS = ("GDPR", "CCPA", "EU AI Act", "ISO 42001", "NIST AI RMF", "SOC 2", "HIPAA", "Ready")
STATUSES = ("pass", "pass", "pass", "fail", "waived", "not_applicable", "skipped", "error")


def timed(fn: Callable[[], T]) -> tuple[T, float]:
    start = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - start


def make_policy_set(n_requirements: int, n_rules: int, seed: int) -> PolicySet:
    rng = random.Random(seed)
    env = Env(params={}, now=utc_now(), operators=BUILTIN_OPERATORS)
    assertion = compile_condition({"path": "ok", "op": "eq", "value": True}, env)
    packs = {
        f"pack{i}": Pack(f"pack{i}", "1.0.0", f"Pack {i}", "", f"/packs/pack{i}", [], "", {}, {})
        for i in range(20)
    }
    requirements = {}
    for i in range(n_requirements):
        rid = f"REQ-{i:05d}"
        requirements[rid] = Requirement(
            id=rid,
            title=f"Requirement {i}",
            framework=FRAMEWORKS[i % len(FRAMEWORKS)],
            ref=f"Art. {i % 97}({i % 7})",
            origin=Origin(f"packs/pack{i % 20}/pack.yaml", i + 1),
            pack=f"pack{i % 20}",
        )
    req_ids = list(requirements)
    n_controls = max(1, n_rules * 2 // 5)
    controls = {}
    for i in range(n_controls):
        cid = f"CTL-{i:05d}"
        # 1 % of controls satisfy nothing, so coverage has something to find.
        satisfies = [] if i % 100 == 99 else rng.sample(req_ids, rng.randint(1, 3))
        controls[cid] = Control(
            id=cid,
            title=f"Control {i}",
            satisfies=satisfies,
            origin=Origin(f"packs/pack{i % 20}/pack.yaml", i + 1),
            pack=f"pack{i % 20}",
        )
    control_ids = list(controls)
    collectors = ["config", "files"] + [f"collector{i}" for i in range(23)]
    kinds = {}
    for i in range(max(1, n_rules // 10)):
        name = f"kind_{i:04d}"
        kinds[name] = EvidenceKind(
            name=name,
            collector=collectors[i % len(collectors)],
            paths=(f"area{i % 40}/doc{i}.yaml", f"area{i % 40}/extra/*{i}.md"),
            declared_in=f"packs/pack{i % 20}/pack.yaml:{i + 1}",
        )
    kind_names = list(kinds)
    rules = {}
    chain: list[str] = []
    for i in range(n_rules):
        rule_id = f"CTL-{i % n_controls:05d}.rule{i:05d}"
        if rng.random() < 0.2:
            chain = []
        depends = [chain[-1]] if chain and len(chain) < 6 else []
        if len(chain) >= 6:
            chain = []
        rules[rule_id] = Rule(
            id=rule_id,
            control=control_ids[i % n_controls],
            severity=("low", "medium", "high", "critical")[i % 4],
            evidence=EvidenceSelector(kind=kind_names[rng.randrange(len(kind_names))]),
            assertion=assertion,
            message=f"rule {i} failed",
            remediation="fix it",
            origin=Origin(f"packs/pack{i % 20}/pack.yaml", i + 1),
            pack=f"pack{i % 20}",
            depends_on=depends,
        )
        chain.append(rule_id)
    return PolicySet(packs, requirements, controls, rules, kinds, [], {})


def make_result(policy_set: PolicySet, seed: int) -> dict[str, Any]:
    rng = random.Random(seed + 1)
    files = [f"area{i % 40}/doc{i}.yaml" for i in range(1200)]
    evidence = []
    kind_names = list(policy_set.kinds)
    for i in range(1500):
        kind = kind_names[i % len(kind_names)]
        path = files[i % len(files)]
        evidence.append(
            {
                "digest": f"sha256:{i:064x}",
                "kind": kind,
                "subject": path,
                "source": {"path": path},
                "collector": {"name": policy_set.kinds[kind].collector, "version": "1"},
                "collected_at": "2026-11-26T00:00:00Z",
                "dated": None,
                "cited": True,
            }
        )
    by_kind: dict[str, list[dict[str, Any]]] = {}
    for item in evidence:
        by_kind.setdefault(item["kind"], []).append(item)
    findings = []
    for rule in policy_set.rules.values():
        cited = by_kind.get(rule.evidence.kind, [])[:1]
        for n in range(rng.randint(1, 3)):
            findings.append(
                {
                    "rule": rule.id,
                    "status": STATUSES[rng.randrange(len(STATUSES))],
                    "severity": rule.severity,
                    "control": rule.control,
                    "requirements": policy_set.requirements_of_rule(rule),
                    "item": f"item{n}",
                    "message": rule.message,
                    "location": {"path": cited[0]["subject"], "line": n + 1} if cited else None,
                    "evidence": [
                        {"digest": e["digest"], "kind": e["kind"], "source": e["source"]}
                        for e in cited
                    ],
                }
            )
    statuses = ("met", "not_met", "partial", "unverified", "not_applicable")
    return {
        "schema": "govgate/result/v1",
        "run": {"finished_at": "2026-11-26T00:00:00Z"},
        "target": {"commit": None},
        "gate": "fail",
        "findings": findings,
        "controls": [
            {"id": c, "status": ("satisfied", "not_satisfied", "unverified")[i % 3]}
            for i, c in enumerate(policy_set.controls)
        ],
        "requirements": [
            {"id": r, "status": statuses[i % 5]} for i, r in enumerate(policy_set.requirements)
        ],
        "evidence": evidence,
        "collectors": [
            {
                "name": name,
                "status": "ok",
                "kinds": [k for k, v in policy_set.kinds.items() if v.collector == name],
            }
            for name in sorted({k.collector for k in policy_set.kinds.values()})
        ],
        "waivers": [],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requirements", type=int, default=2000)
    parser.add_argument("--rules", type=int, default=10000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    registry = get_registry()
    # 20 of the 23 synthetic collectors count as installed (the graph only reads their version);
    # the other 3 give coverage its "no installed collector" findings.
    stand_in = registry.collectors["config"]
    registry = replace(
        registry,
        collectors={**registry.collectors, **{f"collector{i}": stand_in for i in range(20)}},
    )
    import networkx  # noqa: F401  # imported once up front: the CLI pays it before any graph work

    def baseline() -> PolicySet:
        policy_set = make_policy_set(args.requirements, args.rules, args.seed)
        order, cycle = evaluation_order(policy_set)
        assert cycle is None
        policy_set.order = order
        return policy_set

    policy_set, t_base = timed(baseline)
    result = make_result(policy_set, args.seed)
    graph, t_build = timed(lambda: build_graph(policy_set, registry, result))

    rng = random.Random(args.seed + 2)
    by_type: dict[str, list[str]] = {}
    for node, attrs in graph.nodes(data=True):
        by_type.setdefault(attrs["type"], []).append(node)
    targets = [
        rng.choice(by_type[t])
        for t in ("requirement", "control", "rule", "kind", "file")
        for _ in range(40)
    ]
    traced, t_trace = timed(lambda: [trace(graph, node) for node in targets])
    report, t_cov = timed(lambda: coverage_report(graph))
    changed = [f"area{rng.randrange(40)}/doc{rng.randrange(1200)}.yaml" for _ in range(90)]
    changed += [f"unrelated/file{i}.py" for i in range(10)]
    impact, t_impact = timed(lambda: impacted_by(changed, graph))
    graph.graph["config_file"] = "govgate.yaml"
    everything, t_config = timed(lambda: impacted_by(["govgate.yaml"], graph))
    assert len(everything.rules) == len(policy_set.rules)

    total = t_build + t_trace + t_cov + t_impact + t_config
    print(
        f"graph: {graph.number_of_nodes():,} nodes, {graph.number_of_edges():,} edges "
        f"({len(policy_set.requirements):,} requirements, {len(policy_set.controls):,} controls, "
        f"{len(policy_set.rules):,} rules, {len(policy_set.kinds):,} kinds)"
    )
    rows = [
        ("baseline: PolicySet objects + evaluation order", t_base, ""),
        ("build_graph (policies + run statuses + evidence)", t_build, ""),
        (
            f"trace x{len(targets)}",
            t_trace,
            f"mean {sum(s.number_of_nodes() for s in traced) / len(traced):,.0f} nodes each",
        ),
        (
            "coverage_report",
            t_cov,
            f"{len(report['requirements_without_controls'])} reqs w/o control, "
            f"{len(report['rules_without_collector'])} rules w/o collector",
        ),
        (
            f"impacted_by {len(changed)} files",
            t_impact,
            f"{len(impact.rules):,} rules, {len(impact.requirements):,} requirements",
        ),
        (
            "impacted_by govgate.yaml (touches every rule)",
            t_config,
            f"{len(everything.rules):,} rules, {len(everything.requirements):,} requirements",
        ),
    ]
    for label, seconds, note in rows:
        ratio = seconds / t_base if t_base else float("inf")
        print(f"  {label:<52} {seconds:7.3f} s  {ratio:5.2f}x baseline  {note}")
    verdict = "within" if total < 2.0 else "OVER"
    print(
        f"  {'graph work total (all of the above but the baseline)':<52} {total:7.3f} s  "
        f"{total / t_base:5.2f}x baseline  {verdict} the 2 s budget"
    )


if __name__ == "__main__":
    main()
