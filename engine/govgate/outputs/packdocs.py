"""Reference pages for the built-in policy packs, generated from the pack files.

`govgate policy docs` writes one Markdown page per pack (`docs/packs/<pack>.md`) plus an index:
requirements, controls with what they satisfy across frameworks (including mappings other
packs add), rules with their evidence, sources, messages and remediations, and parameters.
Everything is read from the packs' YAML after the packs have been validated together, and the
output depends on nothing else (no dates, no absolute paths), so `--check` can tell whether
the committed pages are stale.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from govgate.core.collector import EvidenceKind
from govgate.core.loader import load_policy_set, pack_files
from govgate.core.plugins import Registry
from govgate.support.yamlload import load_yaml_file

INDEX_PAGE = "README.md"
#: Conditions are compiled against a date; any fixed one will do, nothing here depends on it.
_COMPILE_NOW = datetime(2026, 1, 1, tzinfo=UTC)
_OPERATOR_TEXT = {
    "eq": "=",
    "ne": "≠",
    "lt": "<",
    "le": "≤",
    "gt": ">",
    "ge": "≥",
    "in": "is one of",
    "not_in": "is not one of",
    "contains": "contains",
    "matches": "matches",
    "exists": "is set",
    "not_exists": "is not set",
    "empty": "is empty",
    "not_empty": "is not empty",
    "len_eq": "has length",
    "len_ge": "has length ≥",
    "len_le": "has length ≤",
    "within": "is within",
    "older_than": "is older than",
    "newer_than": "is newer than",
}


@dataclass
class PackSource:
    """One pack's merged YAML sections, as written (anchors expanded)."""

    name: str
    folder: str  # as shown in the pages: policies/<folder name>
    header: dict[str, Any]
    requirements: list[dict[str, Any]] = field(default_factory=list)
    controls: list[dict[str, Any]] = field(default_factory=list)
    mappings: list[dict[str, Any]] = field(default_factory=list)
    rules: list[dict[str, Any]] = field(default_factory=list)
    params: dict[str, Any] = field(default_factory=dict)
    evidence_kinds: dict[str, Any] = field(default_factory=dict)


@dataclass
class Catalogue:
    """What every built-in pack declares, for cross-pack links."""

    packs: dict[str, PackSource]
    #: requirement id → (declaring pack, raw requirement); the first pack by name wins.
    requirements: dict[str, tuple[str, dict[str, Any]]]
    #: control id → owning pack
    control_pack: dict[str, str]
    #: control id → [(requirement id, pack that links it)] (own satisfies and mappings)
    links: dict[str, list[tuple[str, str]]]
    kinds: dict[str, EvidenceKind]


def read_pack(folder: Path) -> PackSource:
    """Merge a pack folder's YAML files (pack.yaml first) into one PackSource."""
    documents = [load_yaml_file(file).data or {} for file in pack_files(folder)]
    header = next((d for d in documents if isinstance(d, dict) and "pack" in d), {})
    source = PackSource(
        name=str(header.get("pack", folder.name)),
        folder=f"policies/{folder.name}",
        header=header,
    )
    for doc in documents:
        if not isinstance(doc, dict):
            continue
        source.requirements.extend(doc.get("requirements") or [])
        source.controls.extend(doc.get("controls") or [])
        source.mappings.extend(doc.get("mappings") or [])
        source.rules.extend(doc.get("rules") or [])
        source.params.update(doc.get("params") or {})
        source.evidence_kinds.update(doc.get("evidence_kinds") or {})
    return source


def builtin_packs(registry: Registry) -> dict[str, Path]:
    """The registry's packs that ship with govgate (name → folder), by name: those a built-in
    plugin provides (the registry records the one plugin that provides each pack name)."""
    shipped = {name for info in registry.plugins if info.builtin for name in info.packs}
    return {name: folder for name, folder in sorted(registry.packs.items()) if name in shipped}


def build_catalogue(registry: Registry, packs: Mapping[str, Path]) -> Catalogue:
    """Validate the packs together (errors raise InputErrors) and index what they declare."""
    policy_set = load_policy_set(registry, None, list(packs), now=_COMPILE_NOW)
    sources = {name: read_pack(folder) for name, folder in packs.items()}
    requirements: dict[str, tuple[str, dict[str, Any]]] = {}
    control_pack: dict[str, str] = {}
    links: dict[str, list[tuple[str, str]]] = {}
    for name, source in sources.items():
        for raw in source.requirements:
            requirements.setdefault(raw["id"], (name, raw))
        for raw in source.controls:
            control_pack[raw["id"]] = name
            links.setdefault(raw["id"], []).extend((req, name) for req in raw["satisfies"])
    for name, source in sources.items():
        for raw in source.mappings:
            known = {req for req, _ in links.get(raw["control"], [])}
            links.setdefault(raw["control"], []).extend(
                (req, name) for req in raw["satisfies"] if req not in known
            )
    return Catalogue(sources, requirements, control_pack, links, dict(policy_set.kinds))


# -- Markdown helpers ---------------------------------------------------------------------


def code(text: Any) -> str:
    """`text` as an inline code span that survives backticks inside it."""
    value = str(text)
    longest = max((len(run) for run in re.findall(r"`+", value)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if value.startswith("`") or value.endswith("`") or longest else ""
    return f"{fence}{pad}{value}{pad}{fence}"


def cell(text: Any) -> str:
    """Text safe inside a Markdown table cell (pipes escaped, one line)."""
    return " ".join(str(text).split()).replace("|", "\\|")


def show_value(value: Any) -> str:
    if isinstance(value, dict) and set(value) == {"param"}:
        return f"parameter {code(value['param'])}"
    if isinstance(value, dict) and set(value) == {"path"}:
        return code(value["path"])
    if isinstance(value, bool):
        return code("true" if value else "false")
    if value is None:
        return code("null")
    if isinstance(value, list):
        return "[" + ", ".join(code(v) for v in value) + "]"
    return code(value)


def condition_text(raw: Any) -> str:
    """A condition written for people: `path` op value, joined with and / or / not."""
    if not isinstance(raw, dict):
        return code(raw)
    if "all" in raw:
        return " and ".join(_grouped(child) for child in raw["all"])
    if "any" in raw:
        return " or ".join(_grouped(child) for child in raw["any"])
    if "not" in raw:
        return f"not ({condition_text(raw['not'])})"
    op = str(raw.get("op"))
    if op in ("older_than", "newer_than") and raw.get("value") == "0d":
        # A date compared with the run's now: say so rather than "older than 0d".
        moment = "is in the past" if op == "older_than" else "is today or later"
        return f"{code(raw.get('path'))} {moment}"
    text = f"{code(raw.get('path'))} {_OPERATOR_TEXT.get(op, op)}"
    if "value" in raw:
        text += f" {show_value(raw['value'])}"
    return text


def _grouped(raw: Any) -> str:
    text = condition_text(raw)
    return f"({text})" if isinstance(raw, dict) and ("all" in raw or "any" in raw) else text


def _param_default(spec: Any) -> Any:
    return spec.get("default") if isinstance(spec, dict) else spec


def _param_description(spec: Any) -> str:
    return str(spec.get("description", "")) if isinstance(spec, dict) else ""


# -- pages ----------------------------------------------------------------------------------


def _framework_of(catalogue: Catalogue, req_id: str) -> str:
    found = catalogue.requirements.get(req_id)
    return str(found[1]["source"]["framework"]) if found else "?"


def _satisfies_text(catalogue: Catalogue, control_id: str, page_pack: str) -> str:
    """What a control satisfies, grouped by framework, marking links other packs add."""
    by_framework: dict[str, list[str]] = {}
    for req_id, linked_by in catalogue.links.get(control_id, []):
        label = req_id if linked_by == page_pack else f"{req_id} (mapped by `{linked_by}`)"
        by_framework.setdefault(_framework_of(catalogue, req_id), []).append(label)
    return "; ".join(f"{fw}: {', '.join(ids)}" for fw, ids in by_framework.items()) or "—"


def _controls_for(catalogue: Catalogue, req_id: str) -> list[str]:
    found = []
    for control_id, links in catalogue.links.items():
        if any(req == req_id for req, _ in links):
            found.append(f"{control_id} ({catalogue.control_pack.get(control_id, '?')})")
    return found


def _kind_where(kind: EvidenceKind | None, name: str) -> str:
    if kind is None:
        return f"{code(name)} (no collector installed)"
    where = ", ".join(code(p) for p in kind.paths) if kind.paths else "its collector's inputs"
    return f"{code(name)} from {where} (collector {code(kind.collector)})"


def _rule_lines(rule: dict[str, Any], catalogue: Catalogue) -> list[str]:
    evidence = rule["evidence"]
    kind_name = evidence if isinstance(evidence, str) else evidence["kind"]
    kind = catalogue.kinds.get(kind_name)
    lines = [f"### `{rule['id']}`", ""]
    if rule.get("title"):
        lines += [str(rule["title"]), ""]
    lines.append(f"- **severity**: {rule['severity']} · **control**: {rule['control']}")
    where = _kind_where(kind, kind_name)
    if isinstance(evidence, dict):
        if evidence.get("subject"):
            where += f", subject {code(evidence['subject'])}"
        if evidence.get("where"):
            where += f", where {condition_text(evidence['where'])}"
    lines.append(f"- **evidence**: {where}")
    if rule.get("on_missing") == "not_applicable":
        lines.append("- **when the evidence is missing**: not applicable")
    if rule.get("when"):
        lines.append(f"- **applies when**: {condition_text(rule['when'])}")
    if rule.get("depends_on"):
        lines.append("- **depends on**: " + ", ".join(code(d) for d in rule["depends_on"]))
    if rule.get("for_each"):
        lines.append(f"- **for each**: {code(rule['for_each'])}")
    lines.append(f"- **checks**: {condition_text(rule['assert'])}")
    if rule.get("max_age"):
        lines.append(f"- **max age**: {rule['max_age']}")
    lines.append(f"- **source**: {rule.get('source') or 'the requirements of ' + rule['control']}")
    lines.append(f"- **message**: {code(rule['message'])}")
    lines.append(f"- **remediation**: {code(rule['remediation'])}")
    lines.append("")
    return lines


def render_pack_page(catalogue: Catalogue, name: str) -> str:
    """The Markdown page of one pack."""
    pack = catalogue.packs[name]
    out = _pack_intro(pack, name)
    out += _requirements_section(catalogue, pack)
    out += _controls_section(catalogue, pack, name)
    out += _mappings_section(catalogue, pack)
    out += _rules_section(catalogue, pack)
    out += _evidence_section(catalogue, pack)
    out += _parameters_section(pack, name)
    return "\n".join(out)


def _pack_intro(pack: PackSource, name: str) -> list[str]:
    """Title, the do-not-edit marker, the pack's size, what it maps, and its description."""
    header = pack.header
    out = [
        f"# `{name}`: {header.get('title', '')}",
        "",
        f"<!-- generated by `govgate policy docs` from {pack.folder}/; do not edit by hand -->",
        "",
    ]
    out += [
        f"Version {header.get('version')} · {len(pack.requirements)} requirements · "
        f"{len(pack.controls)} controls · {len(pack.rules)} rules · files in `{pack.folder}/`",
        "",
    ]
    if header.get("uses"):
        out += ["Maps controls of: " + ", ".join(f"`{u}`" for u in header["uses"]), ""]
    if header.get("description"):
        out += [" ".join(str(header["description"]).split()), ""]
    return out


def _requirements_section(catalogue: Catalogue, pack: PackSource) -> list[str]:
    out = ["## Requirements", ""]
    if pack.requirements:
        out += [
            "| id | title | framework | reference | applies when | controls (pack) |",
            "|---|---|---|---|---|---|",
        ]
        for raw in pack.requirements:
            when = condition_text(raw["when"]) if raw.get("when") else "always"
            controls = ", ".join(_controls_for(catalogue, raw["id"])) or "none (unverified)"
            out.append(
                f"| {raw['id']} | {cell(raw['title'])} | {cell(raw['source']['framework'])} "
                f"| {cell(raw['source']['ref'])} | {cell(when)} | {cell(controls)} |"
            )
    else:
        out.append("This pack declares no requirements of its own.")
    out.append("")
    return out


def _controls_section(catalogue: Catalogue, pack: PackSource, name: str) -> list[str]:
    out = ["## Controls", ""]
    if pack.controls:
        out += ["| id | title | owner | satisfies |", "|---|---|---|---|"]
        for raw in pack.controls:
            out.append(
                f"| {raw['id']} | {cell(raw['title'])} | {cell(raw.get('owner') or '—')} "
                f"| {cell(_satisfies_text(catalogue, raw['id'], name))} |"
            )
    else:
        out.append("This pack has no controls of its own.")
    out.append("")
    return out


def _mappings_section(catalogue: Catalogue, pack: PackSource) -> list[str]:
    """Other packs' controls this pack links to its requirements; nothing when there are none."""
    if not pack.mappings:
        return []
    out = [
        "## Mappings",
        "",
        "Existing controls this pack attaches to its requirements:",
        "",
        "| control | pack | title | satisfies here |",
        "|---|---|---|---|",
    ]
    titles = {c["id"]: c["title"] for source in catalogue.packs.values() for c in source.controls}
    for raw in pack.mappings:
        owner = catalogue.control_pack.get(raw["control"], "?")
        out.append(
            f"| {raw['control']} | {owner} | {cell(titles.get(raw['control'], ''))} "
            f"| {cell(', '.join(raw['satisfies']))} |"
        )
    out.append("")
    return out


def _rules_section(catalogue: Catalogue, pack: PackSource) -> list[str]:
    out = ["## Rules", ""]
    if pack.rules:
        for raw in pack.rules:
            out += _rule_lines(raw, catalogue)
    else:
        out += [
            "This pack has no rules of its own; its requirements are answered by mapped controls.",
            "",
        ]
    return out


def _evidence_section(catalogue: Catalogue, pack: PackSource) -> list[str]:
    out = ["## Evidence", ""]
    kinds = _kinds_read(pack.rules)
    if kinds:
        out += ["| kind | collector | expected at | read by |", "|---|---|---|---|"]
        for kind_name, rule_ids in kinds.items():
            kind = catalogue.kinds.get(kind_name)
            collector = kind.collector if kind else "not installed"
            paths = ", ".join(kind.paths) if kind and kind.paths else "collector settings"
            out.append(
                f"| {code(kind_name)} | {collector} | {cell(paths)} | {cell(', '.join(rule_ids))} |"
            )
    else:
        out.append("This pack reads no evidence itself.")
    out.append("")
    return out


def _parameters_section(pack: PackSource, name: str) -> list[str]:
    out = ["## Parameters", ""]
    if pack.params:
        out += [
            f"Override them in `govgate.yaml` under `params: {{{name}: {{...}}}}`.",
            "",
            "| name | default | description |",
            "|---|---|---|",
        ]
        for pname, spec in pack.params.items():
            default = show_value(_param_default(spec))
            description = _param_description(spec)
            out.append(f"| {code(pname)} | {cell(default)} | {cell(description)} |")
    else:
        out.append("This pack has no parameters.")
    out.append("")
    return out


def _kinds_read(rules: Iterable[dict[str, Any]]) -> dict[str, list[str]]:
    kinds: dict[str, list[str]] = {}
    for raw in rules:
        evidence = raw["evidence"]
        kind = evidence if isinstance(evidence, str) else evidence["kind"]
        kinds.setdefault(kind, []).append(raw["id"])
    return dict(sorted(kinds.items()))


def render_index(catalogue: Catalogue) -> str:
    """The index page: every pack with its size and what it maps."""
    out = [
        "# Built-in policy packs",
        "",
        "<!-- generated by `govgate policy docs`; do not edit by hand -->",
        "",
        "One page per pack, generated from the pack files by `govgate policy docs`; "
        "`govgate policy docs --check` fails when a page is out of date.",
        "",
        "| pack | title | version | requirements | controls | rules | maps controls of |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, pack in catalogue.packs.items():
        uses = ", ".join(pack.header.get("uses") or []) or "—"
        out.append(
            f"| [{name}]({name}.md) | {cell(pack.header.get('title', ''))} "
            f"| {pack.header.get('version')} | {len(pack.requirements)} | {len(pack.controls)} "
            f"| {len(pack.rules)} | {cell(uses)} |"
        )
    out.append("")
    return "\n".join(out)


def generate(registry: Registry) -> dict[str, str]:
    """File name → page text for every built-in pack and the index."""
    catalogue = build_catalogue(registry, builtin_packs(registry))
    pages = {f"{name}.md": render_pack_page(catalogue, name) for name in catalogue.packs}
    pages[INDEX_PAGE] = render_index(catalogue)
    return dict(sorted(pages.items()))


def stale_pages(pages: Mapping[str, str], out_dir: Path) -> list[str]:
    """Problems that make `out_dir` differ from `pages` (missing, different or extra files)."""
    problems = []
    for name, text in pages.items():
        target = out_dir / name
        if not target.is_file():
            problems.append(f"{target}: missing")
        elif target.read_text(encoding="utf-8") != text:
            problems.append(f"{target}: out of date")
    if out_dir.is_dir():
        for extra in sorted(out_dir.glob("*.md")):
            if extra.name not in pages:
                problems.append(f"{extra}: no pack of that name (delete it)")
    return problems


def write_pages(pages: Mapping[str, str], out_dir: Path) -> list[Path]:
    """Write the pages that changed; returns the files written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in pages.items():
        target = out_dir / name
        if target.is_file() and target.read_text(encoding="utf-8") == text:
            continue
        tmp = target.with_name(target.name + ".tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(target)
        written.append(target)
    return written
