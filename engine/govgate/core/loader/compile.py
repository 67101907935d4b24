"""Compiling the packs read into one PolicySet: parameters, evidence kinds (with govgate.yaml's
overrides), requirements, controls and rules, then the order the rules run in."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from govgate.core.collector import EvidenceKind
from govgate.core.conditions import Clock
from govgate.core.config import Config
from govgate.core.loader.files import pack_digest, pack_files
from govgate.core.loader.problems import Problems
from govgate.core.loader.read import PackFiles
from govgate.core.loader.requirements import compile_controls, compile_requirements
from govgate.core.loader.rules import compile_rules
from govgate.core.order import evaluation_order
from govgate.core.plugins import Registry
from govgate.core.policy import Origin, Pack, PolicySet
from govgate.core.settings import SettingsSchemas
from govgate.support.errors import PolicyError
from govgate.support.suggest import did_you_mean
from govgate.support.yamlload import LoadedYaml


def compile_policy_set(
    loaded_packs: dict[str, PackFiles],
    registry: Registry,
    config: Config | None,
    problems: Problems,
    clock: Clock,
    param_overrides: dict[str, dict[str, Any]],
    cache_dir: Path | None = None,
) -> PolicySet:
    """The PolicySet of the packs read, or InputErrors listing every problem found.
    `cache_dir` is the validated-pack cache, for installed packs read only for their ids.
    Conditions read the run's now from `clock` when evaluated, never when compiled."""
    packs, params = _compile_packs(loaded_packs, registry, config, problems, param_overrides)
    kinds = _compile_kinds(loaded_packs, registry, config, problems)
    requirements = compile_requirements(loaded_packs, params, registry, clock, problems)
    controls = compile_controls(loaded_packs, requirements, registry, problems, cache_dir)
    rules = compile_rules(loaded_packs, params, kinds, controls, registry, clock, problems)
    problems.raise_if_any()
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


# -- packs and their parameters ------------------------------------------------------------------


def _compile_packs(
    loaded_packs: dict[str, PackFiles],
    registry: Registry,
    config: Config | None,
    problems: Problems,
    param_overrides: dict[str, dict[str, Any]],
) -> tuple[dict[str, Pack], dict[str, dict[str, Any]]]:
    """Each pack, and its parameters: defaults, then govgate.yaml's values, then overrides."""
    packs: dict[str, Pack] = {}
    params: dict[str, dict[str, Any]] = {}
    for name, pf in loaded_packs.items():
        header = next(d for d in pf.documents if "pack" in d.data)
        defaults, descriptions = _declared_params(pf, problems)
        overrides = dict(config.params.get(name, {}) if config else {})
        overrides.update(param_overrides.get(name, {}))
        effective = _effective_params(name, defaults, overrides, header, config, problems)
        params[name] = effective
        packs[name] = Pack(
            name=name,
            version=str(header.data.get("version")),
            title=str(header.data.get("title")),
            description=str(header.data.get("description", "")),
            folder=str(pf.folder),
            files=[d.path for d in pf.documents],
            digest=pack_digest(pack_files(pf.folder)),
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
    return packs, params


def _declared_params(pf: PackFiles, problems: Problems) -> tuple[dict[str, Any], dict[str, str]]:
    """(default, description) of each parameter the pack's files declare."""
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
    return defaults, descriptions


def _effective_params(
    name: str,
    defaults: dict[str, Any],
    overrides: dict[str, Any],
    header: LoadedYaml,
    config: Config | None,
    problems: Problems,
) -> dict[str, Any]:
    """The defaults with the overrides applied; an override of no declared parameter is refused."""
    effective = dict(defaults)
    for pname, value in overrides.items():
        if pname not in defaults:
            extra = did_you_mean(pname, defaults)
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
    return effective


# -- evidence kinds --------------------------------------------------------------------------------


def _compile_kinds(
    loaded_packs: dict[str, PackFiles],
    registry: Registry,
    config: Config | None,
    problems: Problems,
) -> dict[str, EvidenceKind]:
    """The plugins' kinds, those the packs declare, and govgate.yaml's paths for them."""
    kinds: dict[str, EvidenceKind] = dict(registry.kinds)
    kind_origin: dict[str, str] = {
        k: v.declared_in or f"collector {v.collector}" for k, v in kinds.items()
    }
    for pf in loaded_packs.values():
        for doc in pf.documents:
            for kname, decl in (doc.data.get("evidence_kinds") or {}).items():
                _declare_kind(kname, decl, doc, kinds, kind_origin, problems)
    if config is not None:
        _apply_evidence_paths(config, kinds, problems)
        _check_collector_settings(config, kinds, registry, problems)
    return kinds


def _declare_kind(
    kname: str,
    decl: dict[str, Any],
    doc: LoadedYaml,
    kinds: dict[str, EvidenceKind],
    kind_origin: dict[str, str],
    problems: Problems,
) -> None:
    """Add a pack's kind; a kind declared twice must be declared the same way."""
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
        return
    if existing is not None and replace(existing, declared_in="") != replace(kind, declared_in=""):
        problems.add(
            origin,
            None,
            f"evidence kind '{kname}' is already declared "
            f"differently at {kind_origin[kname]}; declare it once",
        )
        return
    kinds[kname] = kind
    kind_origin[kname] = str(origin)


def _only_annotates(decl: dict[str, Any], existing: EvidenceKind) -> bool:
    """True when a pack's declaration of a known kind adds no shape, only help text."""
    return decl["collector"] == existing.collector and not (
        {"paths", "schema", "options"} & set(decl)
    )


def _apply_evidence_paths(
    config: Config, kinds: dict[str, EvidenceKind], problems: Problems
) -> None:
    """govgate.yaml's `evidence:` moves a kind's files; an unknown kind is refused."""
    for kname, paths in config.evidence.items():
        if kname not in kinds:
            extra = did_you_mean(kname, kinds)
            problems.errors.append(
                PolicyError(
                    config.file,
                    config.line_of("evidence", kname),
                    f"evidence.{kname}: unknown evidence kind{extra}",
                )
            )
            continue
        kinds[kname] = replace(kinds[kname], paths=tuple(paths))


def _check_collector_settings(
    config: Config, kinds: dict[str, EvidenceKind], registry: Registry, problems: Problems
) -> None:
    """Settings under `collectors:` must name a collector that is installed or expected, and
    match its `settings_schema`, as `backend_settings` its backend's (unless loading
    govgate.yaml already checked that)."""
    if not config.settings_checked and config.loaded is not None:
        schemas = SettingsSchemas.of(registry.collectors, registry.backends)
        for line, text in schemas.problems(config.loaded):
            problems.errors.append(PolicyError(config.file, line, text))
    for cname in config.collectors:
        if cname not in registry.collectors and not any(
            k.collector == cname for k in kinds.values()
        ):
            extra = did_you_mean(cname, registry.collectors)
            problems.errors.append(
                PolicyError(
                    config.file,
                    config.line_of("collectors", cname),
                    f"collectors.{cname}: no collector of that name is installed{extra}",
                )
            )
