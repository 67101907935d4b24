"""Building the graph from the loaded policies: requirements, controls, rules, evidence kinds
and collectors, the repository files that configure a run, and each kind's collector inputs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from govgate.analysis.graph.model import GRAPH_SCHEMA, node_id
from govgate.analysis.graph.result import attach_result

if TYPE_CHECKING:
    import networkx as nx

    from govgate.core.config import Config
    from govgate.core.plugins import Registry
    from govgate.core.policy import PolicySet


def build_graph(
    policy_set: PolicySet,
    registry: Registry | None = None,
    result: Mapping[str, Any] | None = None,
    *,
    config: Config | None = None,
    inputs: Mapping[str, Sequence[str]] | None = None,
) -> nx.DiGraph:
    """The graph of the loaded policies, with a run's statuses and evidence when `result` is given.

    `registry` tells which collectors are installed (unknown without it); `config` records which
    repository files configure the run (govgate.yaml, the waiver file, local packs) for
    `impacted_by`; `inputs` maps an evidence kind to the globs its collector reads for it (see
    `collector_inputs`), beyond the kind's own `paths`.
    """
    import networkx as nx

    graph = nx.DiGraph(schema=GRAPH_SCHEMA)
    _add_requirements(graph, policy_set)
    _add_controls(graph, policy_set)
    _add_rules(graph, policy_set)
    _add_kinds(graph, policy_set, registry, inputs)
    if config is not None:
        _add_configuration(graph, policy_set, config)
    if result is not None:
        attach_result(graph, result)
    return graph


def _add_requirements(graph: nx.DiGraph, policy_set: PolicySet) -> None:
    for req in policy_set.requirements.values():
        graph.add_node(
            node_id("requirement", req.id),
            type="requirement",
            name=req.id,
            title=req.title,
            framework=req.framework,
            ref=req.ref,
            pack=req.pack,
        )


def _add_controls(graph: nx.DiGraph, policy_set: PolicySet) -> None:
    for control in policy_set.controls.values():
        cid = node_id("control", control.id)
        graph.add_node(cid, type="control", name=control.id, title=control.title, pack=control.pack)
        if control.owner:
            graph.nodes[cid]["owner"] = control.owner
        for req_id in control.satisfies:
            if req_id in policy_set.requirements:  # others belong to packs not enabled here
                graph.add_edge(node_id("requirement", req_id), cid, relation="satisfied_by")


def _add_rules(graph: nx.DiGraph, policy_set: PolicySet) -> None:
    for rule in policy_set.rules.values():
        rid = node_id("rule", rule.id)
        graph.add_node(
            rid,
            type="rule",
            name=rule.id,
            title=rule.title or rule.message,
            severity=rule.severity,
            pack=rule.pack,
            origin=str(rule.origin),
        )
        graph.add_edge(node_id("control", rule.control), rid, relation="tested_by")
        graph.add_edge(rid, node_id("kind", rule.evidence.kind), relation="reads")
        for dep in rule.depends_on:
            graph.add_edge(rid, node_id("rule", dep), relation="depends_on")


def _add_kinds(
    graph: nx.DiGraph,
    policy_set: PolicySet,
    registry: Registry | None,
    inputs: Mapping[str, Sequence[str]] | None,
) -> None:
    """Each evidence kind and the collector that produces it (installed or not)."""
    # A kind an enabled pack declares itself, as opposed to one a plugin or the built-in
    # catalogue offers (which the enabled packs need not read).
    pack_files = {file for pack in policy_set.packs.values() for file in pack.files}
    for kind in policy_set.kinds.values():
        kid = node_id("kind", kind.name)
        graph.add_node(
            kid,
            type="kind",
            name=kind.name,
            collector=kind.collector,
            paths=list(kind.paths),
            inputs=sorted(set(inputs.get(kind.name, ())) - set(kind.paths)) if inputs else [],
            declared_by="pack" if _declared_in_file(kind.declared_in) in pack_files else "registry",
            declared_in=kind.declared_in,
        )
        if kind.install_hint:
            graph.nodes[kid]["install"] = kind.install_hint
        col = node_id("collector", kind.collector)
        if col not in graph:
            graph.add_node(col, type="collector", name=kind.collector)
            if registry is not None:
                installed = kind.collector in registry.collectors
                graph.nodes[col]["installed"] = installed
                if installed:
                    graph.nodes[col]["version"] = registry.collectors[kind.collector].version
        if kind.install_hint and "install" not in graph.nodes[col]:
            graph.nodes[col]["install"] = kind.install_hint
        graph.add_edge(kid, col, relation="produced_by")


def _add_configuration(graph: nx.DiGraph, policy_set: PolicySet, config: Config) -> None:
    """The repository files that configure the run: govgate.yaml, waivers, local packs."""
    graph.graph["config_file"] = config.file
    graph.graph["waivers_file"] = config.waivers
    local = {}
    for pack in policy_set.packs.values():
        if pack.builtin:
            continue
        try:
            local[pack.name] = Path(pack.folder).resolve().relative_to(config.root).as_posix()
        except ValueError:  # a pack outside the repository cannot be changed by a commit
            continue
    graph.graph["pack_folders"] = local


def _declared_in_file(declared_in: str) -> str:
    """The file part of an origin written as `path:line`."""
    head, _, tail = declared_in.rpartition(":")
    return head if head and tail.isdigit() else declared_in


def collector_inputs(
    policy_set: PolicySet, registry: Registry, config: Config
) -> dict[str, list[str]]:
    """Per evidence kind, the globs of the files its collector reads to produce it.

    Asks each installed collector's `input_patterns` with a context holding only that kind, so
    a file is attributed to the kinds it feeds and not to everything the collector produces.
    A collector whose `input_patterns` fails is assumed to read every file (`**`): for impact
    analysis an over-estimate is safe, an under-estimate is not.
    """
    from govgate.core.collector import CollectContext, RepoFiles
    from govgate.core.evidence import utc_now

    files = RepoFiles(config.root)
    now = utc_now()
    inputs: dict[str, list[str]] = {}
    for kind in policy_set.kinds.values():
        cls = registry.collectors.get(kind.collector)
        if cls is None:
            inputs[kind.name] = list(kind.paths)
            continue
        ctx = CollectContext(
            root=files.root,
            collector=cls.name,
            collector_version=cls.version,
            kinds=[kind],
            settings=dict(config.collectors.get(cls.name, {})),
            system=config.system,
            files=files,
            now=now,
            run_kinds=[k for k in policy_set.kinds.values() if k.paths],
        )
        try:
            inputs[kind.name] = list(cls().impact_patterns(ctx))
        except Exception:  # a plugin's bug must not hide what a change touches
            inputs[kind.name] = ["**"]
    return inputs


def full_graph(
    policy_set: PolicySet,
    registry: Registry,
    config: Config,
    result: Mapping[str, Any] | None,
) -> nx.DiGraph:
    """The graph a user means by "the graph": policies, collectors' inputs, and the run."""
    return build_graph(
        policy_set,
        registry,
        result,
        config=config,
        inputs=collector_inputs(policy_set, registry, config),
    )
