"""Load policy packs, validate them, cross-reference them and compile their conditions.

Every problem is collected (not just the first) and reported as `file:line: json.path: message`:
schema violations, unknown keys with a "did you mean", duplicate ids, dangling references
(a control satisfying an unknown requirement, a rule naming an unknown control or evidence
kind), unknown parameters and placeholders, unsafe regexes and `depends_on` cycles.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from govgate.core.collector import EvidenceKind
from govgate.core.conditions import (
    ConditionCompileError,
    Env,
    compile_condition,
    compile_selector,
)
from govgate.core.config import Config
from govgate.core.messages import check_template
from govgate.core.plugins import Registry
from govgate.core.policy import (
    Control,
    EvidenceSelector,
    Origin,
    Pack,
    PolicySet,
    Requirement,
    Rule,
)
from govgate.support.dates import parse_duration
from govgate.support.errors import InputError, InputErrors, PolicyError
from govgate.support.yamlload import LoadedYaml, load_yaml_file, pointer_join

PACK_FILE = "pack.yaml"
#: Names a condition may read without evidence; a `when` using only these is decided up front.
SYSTEM_ROOTS = ("system", "params")


def display_path(path: Path) -> str:
    """How a file is named in messages: relative to the working directory when near it."""
    try:
        rel = os.path.relpath(path)
    except ValueError:  # pragma: no cover - different drive on Windows
        return str(path)
    return str(path) if rel.startswith("../../..") else rel


@dataclass
class _PackFiles:
    name: str
    folder: Path
    builtin: bool
    documents: list[LoadedYaml]


class _Problems:
    """Collects every problem so a pack author sees them all at once."""

    def __init__(self) -> None:
        self.errors: list[PolicyError] = []

    def add(self, loaded: LoadedYaml | Origin, pointer_or_none: str | None, message: str) -> None:
        if isinstance(loaded, Origin):
            self.errors.append(PolicyError(loaded.path, loaded.line, message))
        else:
            line = loaded.line_of(pointer_or_none or "")
            self.errors.append(PolicyError(loaded.path, line, message))

    def raise_if_any(self) -> None:
        if self.errors:
            unique = {str(e): e for e in self.errors}
            ordered = sorted(unique.values(), key=lambda e: (e.path, e.line or 0, e.message))
            raise InputErrors(list(ordered))


def pack_files(folder: Path) -> list[Path]:
    """The YAML files of a pack folder (pack.yaml first), or the file itself."""
    if folder.is_file():
        return [folder]
    files = sorted(p for p in folder.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())
    files.sort(key=lambda p: p.name != PACK_FILE)
    return files


def pack_digest(files: Iterable[Path]) -> str:
    """sha256 over the pack's files (name and bytes), recorded with every run."""
    digest = hashlib.sha256()
    for file in sorted(files, key=lambda p: p.name):
        digest.update(file.name.encode() + b"\0" + file.read_bytes() + b"\0")
    return "sha256:" + digest.hexdigest()


def resolve_pack_folders(
    names: list[str], registry: Registry, config: Config | None
) -> list[tuple[str, Path, bool]]:
    """(requested name, folder, builtin) for each pack name or repository path."""
    resolved = []
    for index, name in enumerate(names):
        if name in registry.packs:
            resolved.append((name, registry.packs[name], True))
            continue
        looks_like_path = "/" in name or name.startswith(".") or name.endswith((".yaml", ".yml"))
        if looks_like_path and config is not None:
            folder = (config.root / name).resolve()
            if config.root not in folder.parents and folder != config.root:
                raise PolicyError(
                    config.file,
                    config.line_of("packs", str(index)),
                    f"packs[{index}]: {name!r} points outside the repository",
                )
            if not folder.exists():
                raise PolicyError(
                    config.file,
                    config.line_of("packs", str(index)),
                    f"packs[{index}]: no pack folder at {name!r}",
                )
            resolved.append((name, folder, False))
            continue
        hint = difflib.get_close_matches(name, list(registry.packs), n=1)
        suggestion = f"did you mean '{hint[0]}'? " if hint else ""
        available = ", ".join(sorted(registry.packs))
        where = config.file if config else "--pack"
        line = config.line_of("packs", str(index)) if config and name in config.packs else None
        raise PolicyError(where, line, f"unknown pack '{name}'; {suggestion}available: {available}")
    return resolved


def load_policy_set(
    registry: Registry,
    config: Config | None,
    pack_names: list[str] | None = None,
    *,
    now: datetime,
    param_overrides: dict[str, dict[str, Any]] | None = None,
    cache_dir: Path | None = None,
) -> PolicySet:
    """Load, validate and compile the requested packs (and the packs they `use`).

    With `cache_dir`, pack files that parsed and validated before are read from there
    (`ValidatedPackCache`), which skips YAML parsing and schema validation on warm runs.
    """
    from govgate.support.schemas import load_schema, schema_errors

    problems = _Problems()
    names = list(
        pack_names or (config.packs if config and config.packs else sorted(registry.packs))
    )
    policy_schema = load_schema("policy")
    validated = ValidatedPackCache(cache_dir, policy_schema) if cache_dir is not None else None

    loaded_packs: dict[str, _PackFiles] = {}
    queue = resolve_pack_folders(names, registry, config)
    while queue:
        requested, folder, builtin = queue.pop(0)
        files = pack_files(folder)
        documents = []
        for file in files:
            # A pack kept in the target repository is named as the user sees it there.
            shown = (
                os.path.relpath(file, config.root)
                if not builtin and config is not None
                else display_path(file)
            )
            hit = validated.get(file, shown) if validated is not None else None
            if hit is not None:
                documents.append(hit)
                continue
            try:
                doc = load_yaml_file(file, display=shown)
            except InputError as exc:  # named as shown: relative to the repository
                problems.errors.append(PolicyError(shown, exc.line, exc.message))
                continue
            if not isinstance(doc.data, dict):
                problems.add(doc, "", "a pack file must be a mapping (pack:, rules:, ...)")
                continue
            violations = schema_errors(doc, policy_schema)
            for line, text in violations:
                problems.errors.append(PolicyError(doc.path, line, text))
            if validated is not None and not violations:
                validated.put(file, doc)
            documents.append(doc)
        if not files:
            problems.errors.append(
                PolicyError(display_path(folder), None, "no pack.yaml in this folder")
            )
            continue
        headers = [d for d in documents if "pack" in d.data]
        if not headers and documents:
            problems.add(
                documents[0], "", "no pack header: pack.yaml needs pack:, version:, title:"
            )
            continue
        if len(headers) > 1:
            problems.add(headers[1], "/pack", "a pack has one header; move it to pack.yaml")
        if not headers:
            continue
        header = headers[0]
        for key in ("pack", "version", "title"):
            if key not in header.data:
                problems.add(header, "", f"missing '{key}' in the pack header")
        pack_name = str(header.data.get("pack", requested))
        if builtin and pack_name != requested:
            problems.add(
                header, "/pack", f"pack is named '{pack_name}' but registered as '{requested}'"
            )
        if pack_name in loaded_packs:
            if loaded_packs[pack_name].folder != folder:
                problems.add(
                    header,
                    "/pack",
                    f"a second pack named '{pack_name}' (first: {loaded_packs[pack_name].folder})",
                )
            continue
        loaded_packs[pack_name] = _PackFiles(pack_name, folder, builtin, documents)
        for index, used in enumerate(header.data.get("uses", []) or []):
            if used in loaded_packs:
                continue
            if used in registry.packs:
                queue.append((used, registry.packs[used], True))
            else:
                problems.add(header, f"/uses/{index}", f"uses unknown pack '{used}'")
    problems.raise_if_any()
    return _compile(loaded_packs, registry, config, problems, now, param_overrides or {})


def _compile(
    loaded_packs: dict[str, _PackFiles],
    registry: Registry,
    config: Config | None,
    problems: _Problems,
    now: datetime,
    param_overrides: dict[str, dict[str, Any]],
) -> PolicySet:
    packs: dict[str, Pack] = {}
    params: dict[str, dict[str, Any]] = {}
    kinds: dict[str, EvidenceKind] = dict(registry.kinds)
    kind_origin: dict[str, str] = {
        k: v.declared_in or f"collector {v.collector}" for k, v in kinds.items()
    }

    # Pack headers and parameters.
    for name, pf in loaded_packs.items():
        header = next(d for d in pf.documents if "pack" in d.data)
        defaults: dict[str, Any] = {}
        descriptions: dict[str, str] = {}
        for doc in pf.documents:
            for pname, spec in (doc.data.get("params") or {}).items():
                if pname in defaults:
                    problems.add(doc, f"/params/{pname}", f"parameter '{pname}' declared twice")
                if isinstance(spec, dict):
                    defaults[pname] = spec.get("default")
                    descriptions[pname] = spec.get("description", "")
                else:
                    defaults[pname] = spec
        effective = dict(defaults)
        overrides = dict(config.params.get(name, {}) if config else {})
        overrides.update(param_overrides.get(name, {}))
        for pname, value in overrides.items():
            if pname not in defaults:
                hint = difflib.get_close_matches(pname, list(defaults), n=1)
                extra = f"; did you mean '{hint[0]}'?" if hint else ""
                where = config.file if config else header.path
                line = config.line_of("params", name, pname) if config else None
                problems.errors.append(
                    PolicyError(
                        where,
                        line,
                        f"params.{name}.{pname}: pack '{name}' has no such parameter{extra}",
                    )
                )
                continue
            effective[pname] = value
        params[name] = effective
        files = pack_files(pf.folder)
        packs[name] = Pack(
            name=name,
            version=str(header.data.get("version")),
            title=str(header.data.get("title")),
            description=str(header.data.get("description", "")),
            folder=str(pf.folder),
            files=[d.path for d in pf.documents],
            digest=pack_digest(files),
            params=effective,
            param_descriptions=descriptions,
            uses=list(header.data.get("uses", []) or []),
            builtin=pf.builtin,
        )
    if config is not None:
        for pname in config.params:
            if pname not in loaded_packs and pname not in registry.packs:
                problems.errors.append(
                    PolicyError(
                        config.file,
                        config.line_of("params", pname),
                        f"params.{pname}: no pack of that name",
                    )
                )

    # Evidence kinds declared by packs.
    for pf in loaded_packs.values():
        for doc in pf.documents:
            for kname, decl in (doc.data.get("evidence_kinds") or {}).items():
                origin = Origin(doc.path, doc.line_of(f"/evidence_kinds/{kname}"))
                kind = EvidenceKind(
                    name=kname,
                    collector=decl["collector"],
                    schema=decl.get("schema"),
                    description=decl.get("description", ""),
                    paths=tuple(decl.get("paths", [])),
                    options=decl.get("options", {}),
                    declared_in=str(origin),
                    install_hint=decl.get("install"),
                )
                existing = kinds.get(kname)
                if existing is not None and _only_annotates(decl, existing):
                    # A pack naming a plugin's kind only to say how to install the plugin
                    # (`collector:` + `install:`) agrees with the plugin once it is installed.
                    if kind.install_hint and not existing.install_hint:
                        kinds[kname] = replace(existing, install_hint=kind.install_hint)
                    continue
                if existing is not None and replace(existing, declared_in="") != replace(
                    kind, declared_in=""
                ):
                    problems.add(
                        origin,
                        None,
                        f"evidence kind '{kname}' is already declared "
                        f"differently at {kind_origin[kname]}; declare it once",
                    )
                    continue
                kinds[kname] = kind
                kind_origin[kname] = str(origin)
    if config is not None:
        for kname, paths in config.evidence.items():
            if kname not in kinds:
                hint = difflib.get_close_matches(kname, list(kinds), n=1)
                extra = f"; did you mean '{hint[0]}'?" if hint else ""
                problems.errors.append(
                    PolicyError(
                        config.file,
                        config.line_of("evidence", kname),
                        f"evidence.{kname}: unknown evidence kind{extra}",
                    )
                )
                continue
            kinds[kname] = replace(kinds[kname], paths=tuple(paths))
        for cname in config.collectors:
            if cname not in registry.collectors and not any(
                k.collector == cname for k in kinds.values()
            ):
                hint = difflib.get_close_matches(cname, list(registry.collectors), n=1)
                extra = f"; did you mean '{hint[0]}'?" if hint else ""
                problems.errors.append(
                    PolicyError(
                        config.file,
                        config.line_of("collectors", cname),
                        f"collectors.{cname}: no collector of that name is installed{extra}",
                    )
                )

    # Requirements (one catalogue across packs: the same id must mean the same thing).
    requirements: dict[str, Requirement] = {}
    for name, pf in loaded_packs.items():
        env = Env(params=params[name], now=now, operators=registry.operators)
        for doc in pf.documents:
            for index, raw in enumerate(doc.data.get("requirements") or []):
                pointer = f"/requirements/{index}"
                origin = Origin(doc.path, doc.line_of(pointer))
                source = raw["source"]
                req = Requirement(
                    id=raw["id"],
                    title=raw["title"],
                    framework=source["framework"],
                    ref=source["ref"],
                    url=source.get("url"),
                    origin=origin,
                    pack=name,
                    description=raw.get("description", ""),
                    when_raw=raw.get("when"),
                )
                if "when" in raw:
                    req.when = _compile_cond(raw["when"], env, doc, f"{pointer}/when", problems)
                    if req.when is not None and not _system_only(req.when.paths()):
                        problems.add(
                            doc,
                            f"{pointer}/when",
                            "a requirement's when may read only system.* and params.*",
                        )
                earlier = requirements.get(req.id)
                if earlier is not None:
                    if earlier.pack == name:
                        problems.add(
                            origin,
                            None,
                            f"duplicate requirement id '{req.id}' (first at {earlier.origin})",
                        )
                    elif (earlier.framework, earlier.ref) != (req.framework, req.ref):
                        problems.add(
                            origin,
                            None,
                            f"requirement '{req.id}' is declared with source "
                            f"{req.framework} {req.ref} here but {earlier.framework} "
                            f"{earlier.ref} at {earlier.origin}",
                        )
                    continue
                requirements[req.id] = req

    # Controls and mappings. A control may satisfy a requirement that an installed pack which is
    # not enabled declares (readiness → GDPR-35 without the gdpr pack): the link is kept for the
    # graph, the requirement is simply out of this run's scope. An id no pack declares is a typo.
    catalog = _Catalog(registry, {pf.folder for pf in loaded_packs.values()})
    controls: dict[str, Control] = {}
    for name, pf in loaded_packs.items():
        for doc in pf.documents:
            for index, raw in enumerate(doc.data.get("controls") or []):
                pointer = f"/controls/{index}"
                origin = Origin(doc.path, doc.line_of(pointer))
                if raw["id"] in controls:
                    problems.add(
                        origin,
                        None,
                        f"duplicate control id '{raw['id']}' "
                        f"(first at {controls[raw['id']].origin})",
                    )
                    continue
                for rindex, req_id in enumerate(raw["satisfies"]):
                    if req_id not in requirements and req_id not in catalog.ids():
                        problems.add(
                            doc,
                            f"{pointer}/satisfies/{rindex}",
                            f"control '{raw['id']}' satisfies unknown requirement '{req_id}'"
                            + _hint(req_id, catalog.ids() | set(requirements)),
                        )
                controls[raw["id"]] = Control(
                    id=raw["id"],
                    title=raw["title"],
                    satisfies=list(raw["satisfies"]),
                    origin=origin,
                    pack=name,
                    description=raw.get("description", ""),
                    owner=raw.get("owner"),
                )
    for pf in loaded_packs.values():
        for doc in pf.documents:
            for index, raw in enumerate(doc.data.get("mappings") or []):
                pointer = f"/mappings/{index}"
                control = controls.get(raw["control"])
                if control is None:
                    problems.add(
                        doc,
                        f"{pointer}/control",
                        f"mapping names unknown control "
                        f"'{raw['control']}'" + _hint(raw["control"], controls),
                    )
                    continue
                for rindex, req_id in enumerate(raw["satisfies"]):
                    if req_id not in requirements and req_id not in catalog.ids():
                        problems.add(
                            doc,
                            f"{pointer}/satisfies/{rindex}",
                            f"mapping satisfies unknown requirement '{req_id}'"
                            + _hint(req_id, catalog.ids() | set(requirements)),
                        )
                    elif req_id not in control.satisfies:
                        control.satisfies.append(req_id)

    # Rules.
    rules: dict[str, Rule] = {}
    for name, pf in loaded_packs.items():
        env = Env(params=params[name], now=now, operators=registry.operators)
        for doc in pf.documents:
            for index, raw in enumerate(doc.data.get("rules") or []):
                rule = _compile_rule(
                    raw, name, doc, f"/rules/{index}", env, kinds, controls, problems
                )
                if rule is None:
                    continue
                if rule.id in rules:
                    problems.add(
                        rule.origin,
                        None,
                        f"duplicate rule id '{rule.id}' (first at {rules[rule.id].origin})",
                    )
                    continue
                rules[rule.id] = rule
    for rule in rules.values():
        for dep in rule.depends_on:
            if dep not in rules:
                problems.add(
                    rule.origin,
                    None,
                    f"rule '{rule.id}' depends on unknown rule '{dep}'" + _hint(dep, rules),
                )
    problems.raise_if_any()

    from govgate.core.order import evaluation_order

    policy_set = PolicySet(
        packs=packs,
        requirements=requirements,
        controls=controls,
        rules=rules,
        kinds=kinds,
        order=[],
        params=params,
    )
    order, cycle = evaluation_order(policy_set)
    if cycle:
        first = rules[cycle[0]]
        problems.add(first.origin, None, "depends_on cycle: " + " → ".join([*cycle, cycle[0]]))
        problems.raise_if_any()
    policy_set.order = order
    return policy_set


def _only_annotates(decl: dict[str, Any], existing: EvidenceKind) -> bool:
    """True when a pack's declaration of a known kind adds no shape, only help text."""
    return decl["collector"] == existing.collector and not (
        {"paths", "schema", "options"} & set(decl)
    )


class _Catalog:
    """Requirement ids declared by installed packs that this run did not load.

    Read only when a reference cannot be resolved from the loaded packs, so a normal run never
    pays for parsing every installed pack.
    """

    def __init__(self, registry: Registry, loaded_folders: set[Path]) -> None:
        self.registry = registry
        self.loaded_folders = loaded_folders
        self._ids: set[str] | None = None

    def ids(self) -> set[str]:
        if self._ids is None:
            found: set[str] = set()
            for folder in self.registry.packs.values():
                if folder in self.loaded_folders:
                    continue
                for file in pack_files(folder):
                    try:
                        data = load_yaml_file(file).data or {}
                    except InputError:
                        data = {}  # a broken pack is reported when it is enabled, not here
                    requirements = data.get("requirements") if isinstance(data, dict) else None
                    for raw in requirements or []:
                        if isinstance(raw, dict) and isinstance(raw.get("id"), str):
                            found.add(raw["id"])
            self._ids = found
        return self._ids


def _hint(name: str, known: Iterable[str]) -> str:
    match = difflib.get_close_matches(name, list(known), n=1)
    return f"; did you mean '{match[0]}'?" if match else ""


def _system_only(paths: list[str]) -> bool:
    return all(p.split(".")[0].split("[")[0] in SYSTEM_ROOTS for p in paths)


def _compile_cond(
    raw: Any,
    env: Env,
    doc: LoadedYaml,
    pointer: str,
    problems: _Problems,
    *,
    strict: bool = False,
) -> Any:
    try:
        return compile_condition(raw, env, strict=strict)
    except ConditionCompileError as exc:
        problems.add(doc, pointer + exc.pointer, str(exc))
        return None


def _compile_rule(
    raw: dict[str, Any],
    pack: str,
    doc: LoadedYaml,
    pointer: str,
    env: Env,
    kinds: dict[str, EvidenceKind],
    controls: dict[str, Control],
    problems: _Problems,
) -> Rule | None:
    origin = Origin(doc.path, doc.line_of(pointer))
    before = len(problems.errors)
    rule_id = raw["id"]
    if raw["control"] not in controls:
        problems.add(
            doc,
            f"{pointer}/control",
            f"rule '{rule_id}' names unknown control "
            f"'{raw['control']}'" + _hint(raw["control"], controls),
        )
    evidence_raw = raw["evidence"]
    if isinstance(evidence_raw, str):
        evidence_raw = {"kind": evidence_raw}
    kind = evidence_raw["kind"]
    if kind not in kinds:
        problems.add(
            doc,
            pointer_join(pointer, "evidence"),
            f"rule '{rule_id}' reads unknown evidence kind '{kind}'"
            + _hint(kind, kinds)
            + " (declare it under evidence_kinds: or install its collector)",
        )
    where = None
    if "where" in evidence_raw:
        where = _compile_cond(
            evidence_raw["where"], env, doc, f"{pointer}/evidence/where", problems
        )
    when = None
    when_needs_evidence = True
    if "when" in raw:
        when = _compile_cond(raw["when"], env, doc, f"{pointer}/when", problems)
        if when is not None:
            when_needs_evidence = not _system_only(when.paths())
    assertion = _compile_cond(raw["assert"], env, doc, f"{pointer}/assert", problems, strict=True)
    for_each = None
    item_label = None
    if "for_each" in raw:
        try:
            for_each = compile_selector(raw["for_each"], env)
        except ConditionCompileError as exc:
            problems.add(doc, f"{pointer}/for_each", str(exc))
    if "item_label" in raw:
        try:
            item_label = compile_selector(raw["item_label"], env)
        except ConditionCompileError as exc:
            problems.add(doc, f"{pointer}/item_label", str(exc))
    max_age = None
    if "max_age" in raw:
        try:
            max_age = parse_duration(raw["max_age"])
        except ValueError as exc:
            problems.add(doc, f"{pointer}/max_age", str(exc))
    for field_name in ("message", "remediation"):
        for problem in check_template(
            raw[field_name],
            params=env.params,
            has_item="for_each" in raw,
            has_max_age="max_age" in raw,
        ):
            problems.add(
                doc, f"{pointer}/{field_name}", f"rule '{rule_id}' {field_name}: {problem}"
            )
    if len(problems.errors) > before or assertion is None:
        return None
    return Rule(
        id=rule_id,
        control=raw["control"],
        severity=raw["severity"],
        evidence=EvidenceSelector(kind=kind, subject=evidence_raw.get("subject"), where=where),
        assertion=assertion,
        message=raw["message"],
        remediation=raw["remediation"],
        origin=origin,
        pack=pack,
        title=raw.get("title", ""),
        when=when,
        when_needs_evidence=when_needs_evidence,
        for_each=for_each,
        for_each_text=raw.get("for_each"),
        item_label=item_label,
        max_age=max_age,
        max_age_text=raw.get("max_age"),
        depends_on=list(raw.get("depends_on", [])),
        on_missing=raw.get("on_missing", "fail"),
        source=raw.get("source"),
        tags=list(raw.get("tags", [])),
        raw=raw,
    )


# -- the validated-pack cache (warm runs) ------------------------------------------------------


class ValidatedPackCache:
    """Pack files that already parsed and passed the policy schema, kept as JSON.

    Parsing YAML and validating it against the policy schema is most of what loading packs
    costs, and its outcome depends only on the file's bytes, the schema and govgate's own code.
    So a file that came out clean is stored under a key of exactly those (sha256 of the bytes,
    of the schema's canonical JSON, and the govgate version) with its data and line map, and
    read back instead of parsed. Only clean files are stored: a file with any problem is
    parsed and validated every time, so every error and message is the one a cold run gives.
    Cross-references, conditions and the evaluation order are still compiled on every run.
    JSON, never pickle: the cache is data, and a damaged entry is simply a miss.
    """

    #: Entries kept (a pack edit adds one); the oldest go first.
    KEEP = 256

    def __init__(self, directory: Path, schema: dict[str, Any]) -> None:
        from govgate import __version__
        from govgate.core.evidence import canonical_json

        self.directory = directory / "packs"
        self._salt = hashlib.sha256(
            f"govgate {__version__}\0".encode() + canonical_json(schema)
        ).digest()

    def _entry(self, file: Path) -> Path | None:
        try:
            content = file.read_bytes()
        except OSError:
            return None  # the normal path reports it
        key = hashlib.sha256(self._salt + content).hexdigest()
        return self.directory / f"{key}.json"

    def get(self, file: Path, shown: str) -> LoadedYaml | None:
        entry = self._entry(file)
        if entry is None:
            return None
        try:
            stored = json.loads(entry.read_text(encoding="utf-8"))
            data, lines = stored["data"], stored["lines"]
        except (OSError, ValueError, KeyError, TypeError):
            return None
        if not isinstance(data, dict) or not isinstance(lines, dict):
            return None
        return LoadedYaml(data=data, path=shown, lines=lines)

    def put(self, file: Path, doc: LoadedYaml) -> None:
        entry = self._entry(file)
        if entry is None:
            return
        try:
            text = json.dumps({"data": doc.data, "lines": doc.lines}, allow_nan=False)
            if json.loads(text) != {"data": doc.data, "lines": doc.lines}:
                return  # not plain JSON data (e.g. a YAML set); keep parsing this file
            entry.parent.mkdir(parents=True, exist_ok=True)
            tmp = entry.with_name(f"{entry.name}.{os.getpid()}.tmp")
            tmp.write_text(text, encoding="utf-8")
            tmp.replace(entry)  # atomic: a concurrent reader sees all of it or nothing
            entries = sorted(self.directory.glob("*.json"), key=lambda e: e.stat().st_mtime)
            for old in entries[: max(0, len(entries) - self.KEEP)]:
                old.unlink(missing_ok=True)  # pack edits add entries; keep the newest
        except (OSError, ValueError, TypeError):
            pass  # a cache that cannot be written only costs speed
