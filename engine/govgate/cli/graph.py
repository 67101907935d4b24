"""`govgate trace`, `coverage`, `impact` and `graph`: the traceability graph on the command line.

Parse, load the graph (policies + the latest run), call `govgate.analysis.graph`, print. The
text forms are rendered here; the JSON forms are the library's documents. networkx is imported only
inside the commands, never when the CLI starts.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from govgate.cli.common import plugin_options, write_output
from govgate.support.errors import UsageError

if TYPE_CHECKING:
    import networkx as nx

    from govgate.analysis.graph import Impact
    from govgate.core.config import Config
    from govgate.core.plugins import Registry
    from govgate.core.policy import PolicySet

TEXT_OR_JSON = click.Choice(["text", "json"])
TYPE_LABELS = {"kind": "evidence kind"}
TYPE_ORDER = ("requirement", "control", "rule", "kind", "collector", "evidence", "file")
#: Finding statuses worth a line of their own under a rule in a trace.
NOTEWORTHY = ("fail", "error", "skipped", "waived")
MAX_FINDING_LINES = 5


def latest_result(root: Path) -> dict[str, Any] | None:
    """The result document of the evidence locker's latest `check` run on ROOT.

    When nothing has been recorded yet, a check is run (and recorded) first, so statuses are
    never invented. Everything else takes the document, wherever it came from.
    """
    from govgate.core.config import load_config
    from govgate.locker import latest_check_run
    from govgate.run.check import CheckOptions, run_check

    config = load_config(root)

    def recorded() -> dict[str, Any] | None:
        latest = latest_check_run(root, config)
        return latest.result if latest is not None else None

    # Read back what the locker holds even after a fresh run, so the document is always
    # the recorded one (the same bytes whichever command asks).
    existing = recorded()
    if existing is not None:
        return existing
    fresh = run_check(CheckOptions(root=root)).result
    return recorded() or fresh


@dataclass
class LoadedGraph:
    root: Path
    config: Config
    registry: Registry
    policy_set: PolicySet
    result: dict[str, Any] | None
    graph: nx.DiGraph


def load_graph(root: Path, plugin_options: tuple[str, ...]) -> LoadedGraph:
    """Config, plugins, packs and the latest run of the repository at ROOT, as one graph."""
    from govgate.analysis.graph import full_graph
    from govgate.core.config import load_config
    from govgate.core.evidence import utc_now
    from govgate.core.loader import load_policy_set
    from govgate.run.check import get_registry

    config = load_config(root.resolve())
    registry = get_registry(plugin_options)
    policy_set = load_policy_set(registry, config, None, now=utc_now())
    result = latest_result(config.root)
    if result is None:
        click.echo(
            "govgate: no run recorded yet; statuses are unknown (run `govgate check`)", err=True
        )
    graph = full_graph(policy_set, registry, config, result)
    return LoadedGraph(config.root, config, registry, policy_set, result, graph)


def find_repository(start: Path) -> Path | None:
    """The nearest folder at or above START that holds a govgate.yaml."""
    from govgate.core.config import find_config

    here = start.absolute()
    if not here.is_dir():
        here = here.parent
    for folder in (here, *here.parents):
        if find_config(folder) is not None:
            return folder
    return None


def repo_relative(path: str, root: Path) -> str:
    """PATH as the repository names it. A path that names something inside ROOT from the
    working directory is taken as such; otherwise PATH is read as relative to ROOT (a file the
    change deleted no longer exists anywhere)."""
    candidate = Path(path)
    real_root = root.resolve()
    from_cwd = candidate if candidate.is_absolute() else Path.cwd() / candidate
    # normpath, not resolve(): a symlink inside the repository is named as the user wrote it.
    for resolved in (Path(os.path.normpath(from_cwd)), from_cwd.resolve()):
        for base in (Path(os.path.normpath(Path.cwd() / root)), real_root):
            try:
                rel = resolved.relative_to(base)
            except ValueError:
                continue
            return rel.as_posix()
    if candidate.is_absolute():
        raise UsageError(f"{path}: not inside the repository {root}")
    inside = Path(os.path.normpath(real_root / candidate))
    try:
        return inside.relative_to(real_root).as_posix()
    except ValueError:
        raise UsageError(f"{path}: points outside the repository {root}") from None


def _emit(payload: str, output: Path | None = None) -> None:
    # Whole or not at all into a file, straight into a FIFO or device, an error when lost.
    write_output(payload, output)


# --- text rendering ---------------------------------------------------------------------------


def describe(attrs: Mapping[str, Any]) -> str:
    """One line naming a node with its status and what identifies it."""
    node_type = str(attrs.get("type"))
    parts = [f"{TYPE_LABELS.get(node_type, node_type)} {attrs.get('name')}"]
    status = attrs.get("status")
    if status is None and node_type == "collector" and attrs.get("installed") is False:
        status = "not_installed"
    if status:
        parts.append(f"[{status}]")
    if node_type == "requirement":
        parts.append(f"{attrs.get('framework')} {attrs.get('ref')}: {attrs.get('title')}")
    elif node_type == "control":
        parts.append(str(attrs.get("title")))
    elif node_type == "rule":
        counts = attrs.get("counts") or {}
        detail = ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
        parts.append(str(attrs.get("severity")) + (f" ({detail})" if detail else ""))
    elif node_type == "kind":
        bits = [f"from collector {attrs.get('collector')}"]
        if attrs.get("items") is not None:
            bits.append(f"{attrs['items']} item{'s' if attrs['items'] != 1 else ''}")
        if attrs.get("paths"):
            bits.append("paths " + ", ".join(attrs["paths"]))
        parts.append("; ".join(bits))
    elif node_type == "collector":
        if attrs.get("installed") is False and attrs.get("install"):
            parts.append(f"install: {attrs['install']}")
        elif attrs.get("version"):
            parts.append(f"version {attrs['version']}")
    elif node_type == "evidence":
        parts[0] = f"evidence {str(attrs.get('name'))[:19]}…"
        parts.append(f"{attrs.get('kind')} {attrs.get('subject') or ''}".rstrip())
        if attrs.get("collected_at"):
            parts.append(f"collected {attrs['collected_at']}")
    return "  ".join(parts)


def _finding_lines(attrs: Mapping[str, Any]) -> list[str]:
    lines = []
    noteworthy = [f for f in attrs.get("findings") or [] if f.get("status") in NOTEWORTHY]
    for finding in noteworthy[:MAX_FINDING_LINES]:
        location = finding.get("location") or {}
        where = location.get("path") or ""
        if where and location.get("line"):
            where += f":{location['line']}"
        item = f" ({finding['item']})" if finding.get("item") else ""
        lines.append(
            f"finding [{finding['status']}]{item} {where}: {finding.get('message') or ''}".rstrip()
        )
    if len(noteworthy) > MAX_FINDING_LINES:
        lines.append(f"… and {len(noteworthy) - MAX_FINDING_LINES} more")
    return lines


def _sort_key(graph: nx.DiGraph, node: str) -> tuple[int, str]:
    node_type = str(graph.nodes[node].get("type"))
    rank = TYPE_ORDER.index(node_type) if node_type in TYPE_ORDER else len(TYPE_ORDER)
    return rank, str(graph.nodes[node].get("name"))


def tree_lines(
    graph: nx.DiGraph, root: str, neighbours: Callable[[str], Iterable[str]], *, findings: bool
) -> list[str]:
    """A tree below ROOT (excluded) following NEIGHBOURS; a node met again says "see above"."""
    lines: list[str] = []
    shown = {root}

    def walk(node: str, prefix: str) -> None:
        children = sorted(neighbours(node), key=lambda n: _sort_key(graph, n))
        extra = _finding_lines(graph.nodes[node]) if findings and node != root else []
        entries: list[tuple[str, str | None]] = [(text, None) for text in extra]
        entries += [(describe(graph.nodes[c]), c) for c in children]
        for index, (text, child) in enumerate(entries):
            last = index == len(entries) - 1
            branch = "└── " if last else "├── "
            if child is not None and child in shown:
                lines.append(f"{prefix}{branch}{text.split('  ')[0]} (see above)")
                continue
            lines.append(f"{prefix}{branch}{text}")
            if child is not None:
                shown.add(child)
                walk(child, prefix + ("    " if last else "│   "))

    walk(root, "")
    return lines


def render_trace(sub: nx.DiGraph, node: str) -> str:
    attrs = sub.nodes[node]
    lines = [describe(attrs), *_finding_lines(attrs)]
    down = tree_lines(sub, node, sub.successors, findings=True)
    up = tree_lines(sub, node, sub.predecessors, findings=False)
    lines += ["", "depends on:" if down else "depends on: nothing", *down]
    lines += ["", "needed by:" if up else "needed by: nothing", *up]
    if not down and not up:
        lines += ["", f"nothing in the loaded packs is linked to {attrs.get('name')}"]
    return "\n".join(lines) + "\n"


def render_coverage(report: Mapping[str, Any]) -> str:
    totals = report["totals"]
    lines = [
        f"coverage: {totals['requirement']} requirements · {totals['control']} controls · "
        f"{totals['rule']} rules · {totals['kind']} evidence kinds",
        "",
    ]

    def section(title: str, entries: list[str]) -> None:
        lines.append(f"{title} ({len(entries)})" if entries else f"{title}: none")
        lines.extend(f"  {entry}" for entry in entries)

    section(
        "requirements without controls",
        [
            f"{r['name']}  {r.get('framework')} {r.get('ref')}: {r.get('title')}"
            f"  (pack {r['pack']})"
            for r in report["requirements_without_controls"]
        ],
    )
    section(
        "controls without rules",
        [
            f"{c['name']}  {c.get('title')}  (serves {', '.join(c['requirements']) or 'nothing'})"
            for c in report["controls_without_rules"]
        ],
    )
    section(
        "rules no installed collector can feed",
        [
            f"{r['name']}  reads {r['kind']}; collector '{r['collector']}' is not installed"
            + (f" ({r['install']})" if r.get("install") else "")
            for r in report["rules_without_collector"]
        ],
    )
    section(
        "evidence kinds nothing reads",
        [
            f"{k['name']}  (collector {k['collector']}"
            + (f", declared at {k['declared_in']})" if k.get("declared_in") else ")")
            for k in report["kinds_not_read"]
        ],
    )
    if report["available_kinds_not_used"]:
        unused = [k["name"] for k in report["available_kinds_not_used"]]
        names = ", ".join(unused[:8]) + (f" and {len(unused) - 8} more" if len(unused) > 8 else "")
        lines.append(f"  (available but not read by the enabled packs: {names})")
    lines.append("")
    header = ("met", "not met", "partial", "unverified", "n/a")
    keys = ("met", "not_met", "partial", "unverified", "not_applicable")
    width = max([len("framework"), *(len(f) for f in report["frameworks"])])
    lines.append(f"{'framework':<{width}}  " + "  ".join(f"{h:>10}" for h in header))
    for framework, counts in report["frameworks"].items():
        lines.append(f"{framework:<{width}}  " + "  ".join(f"{counts.get(k, 0):>10}" for k in keys))
    lines.append("")
    section(
        "controls serving several frameworks",
        [
            f"{c['name']}  {', '.join(c['frameworks'])}  ({', '.join(c['requirements'])})"
            for c in report["cross_framework_controls"]
        ],
    )
    return "\n".join(lines) + "\n"


def render_impact(impact: Impact) -> str:
    lines = []
    for path in impact.paths:
        lines.append(path)
        reasons = impact.reasons.get(path) or ["nothing in the loaded packs reads it"]
        lines.extend(f"  {reason}" for reason in reasons)
    lines.append("")
    if not impact.rules and not impact.controls and not impact.requirements:
        lines.append("nothing in the loaded packs depends on these files")
        return "\n".join(lines) + "\n"
    lines.append(
        f"affects {len(impact.rules)} rules, {len(impact.controls)} controls, "
        f"{len(impact.requirements)} requirements"
    )
    for title, entries in (
        ("rules", impact.rules),
        ("controls", impact.controls),
        ("requirements", impact.requirements),
    ):
        if not entries:
            continue
        lines.append(f"{title}:")
        for entry in entries:
            status = f"[{entry['status']}]" if entry.get("status") else ""
            if title == "rules":
                detail = str(entry.get("severity", ""))
            elif title == "requirements":
                detail = f"{entry.get('framework')} {entry.get('ref')}: {entry.get('title')}"
            else:
                detail = str(entry.get("title", ""))
            lines.append(f"  {entry['name']}  {status}  {detail}".replace("    ", "  "))
    return "\n".join(lines) + "\n"


# --- commands ---------------------------------------------------------------------------------


def register(main: click.Group) -> None:
    main.add_command(trace_command)
    main.add_command(coverage_command)
    main.add_command(impact_command)
    main.add_command(graph_command)


@click.command("trace")
@click.argument("ident", metavar="ID")
@click.argument("path", type=click.Path(path_type=Path), required=False)
@click.option("--format", "fmt", type=TEXT_OR_JSON, default="text", show_default=True)
@click.pass_context
def trace_command(ctx: click.Context, ident: str, path: Path | None, fmt: str) -> None:
    """Everything linked to ID, both ways, with statuses from the latest run.

    ID is a requirement, control, rule, evidence kind, collector, evidence digest or a
    repository file. PATH is the repository (default: the one holding ID if it is a file,
    else the working directory).
    """
    from govgate.analysis.graph import UnknownNode, find_node, link_file, trace
    from govgate.outputs.graph_export import to_json

    if path is None:
        path = find_repository(Path(ident)) if Path(ident).exists() else None
        path = path or Path()
    loaded = load_graph(path, plugin_options(ctx))
    graph = loaded.graph
    try:
        node = find_node(graph, ident)
    except UnknownNode as unknown:
        rel = _as_repo_path(ident, loaded.root)
        node_or_none = link_file(graph, rel) if rel else None
        if node_or_none is None and rel and (loaded.root / rel).is_file():
            node_or_none = f"file:{rel}"
            graph.add_node(node_or_none, type="file", name=rel)
        if node_or_none is None:
            raise UsageError(unknown.message) from None
        node = node_or_none
    sub = trace(graph, node)
    _emit(to_json(sub) if fmt == "json" else render_trace(sub, node))


def _as_repo_path(ident: str, root: Path) -> str | None:
    try:
        return repo_relative(ident, root)
    except UsageError:
        return None


@click.command("coverage")
@click.argument("path", type=click.Path(path_type=Path), default=".")
@click.option("--format", "fmt", type=TEXT_OR_JSON, default="text", show_default=True)
@click.pass_context
def coverage_command(ctx: click.Context, path: Path, fmt: str) -> None:
    """Gaps in the traceability graph and how each framework stands.

    Requirements without controls, controls without rules, rules no installed collector can
    feed, evidence kinds nothing reads, met / not met / partial / unverified / not applicable
    per framework, and controls reused across frameworks.
    """
    from govgate.analysis.graph import coverage_report

    report = coverage_report(load_graph(path, plugin_options(ctx)).graph)
    if fmt == "json":
        _emit(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    else:
        _emit(render_coverage(report))


@click.command("impact")
@click.argument("paths", nargs=-1, required=True, type=str)
@click.option(
    "--repo",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="The repository (default: the nearest folder above PATH with a govgate.yaml).",
)
@click.option("--format", "fmt", type=TEXT_OR_JSON, default="text", show_default=True)
@click.pass_context
def impact_command(ctx: click.Context, paths: tuple[str, ...], repo: Path | None, fmt: str) -> None:
    """Which rules, controls and requirements depend on the files at PATHS.

    A PATH may be a file that no longer exists (a change deleted it) or a folder (every file
    in it). Matches evidence kinds' paths (after govgate.yaml overrides), collectors' inputs,
    the files the latest run took evidence from, govgate.yaml, the waiver file and packs kept
    in the repository.
    """
    from govgate.analysis.graph import impacted_by
    from govgate.core.collector import RepoFiles

    if repo is None:
        repo = find_repository(Path(paths[0]))
        if repo is None:
            raise UsageError(f"{paths[0]}: no govgate.yaml in any folder above it; pass --repo DIR")
    loaded = load_graph(repo, plugin_options(ctx))
    relative: list[str] = []
    for raw in paths:
        rel = repo_relative(raw, loaded.root)
        if rel == "." or (loaded.root / rel).is_dir():
            prefix = "" if rel == "." else rel + "/"
            relative.extend(RepoFiles(loaded.root).glob([prefix + "**"]) or [rel])
        else:
            relative.append(rel)
    impact = impacted_by(relative, loaded.graph)
    if fmt == "json":
        _emit(json.dumps(impact.to_json(), indent=2, ensure_ascii=False) + "\n")
    else:
        _emit(render_impact(impact))


@click.command("graph")
@click.argument("path", type=click.Path(path_type=Path), default=".")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["json", "graphml", "dot", "mermaid"]),
    default="json",
    show_default=True,
    help="json is networkx node-link data.",
)
@click.option("--output", "-o", type=click.Path(path_type=Path), help="Write here, not stdout.")
@click.pass_context
def graph_command(ctx: click.Context, path: Path, fmt: str, output: Path | None) -> None:
    """The whole traceability graph for other tools, with statuses from the latest run."""
    from govgate.outputs.graph_export import EXPORTS

    graph = load_graph(path, plugin_options(ctx)).graph
    _emit(EXPORTS[fmt](graph), output)
