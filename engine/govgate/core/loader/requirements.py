"""Compiling requirements and controls: one requirement catalogue across packs, controls and the
`mappings` that add requirements to them, each reference checked against the catalogue."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from govgate.core.applicability import reason_problems
from govgate.core.conditions import Clock, Env
from govgate.core.loader.expressions import compile_cond, system_only
from govgate.core.loader.files import pack_files
from govgate.core.loader.problems import Problems
from govgate.core.loader.read import DocumentReader, PackFiles
from govgate.core.plugins import Registry
from govgate.core.policy import Control, Origin, Requirement
from govgate.support.errors import InputError
from govgate.support.suggest import did_you_mean
from govgate.support.yamlload import LoadedYaml, load_yaml_file


def compile_requirements(
    loaded_packs: dict[str, PackFiles],
    params: dict[str, dict[str, Any]],
    registry: Registry,
    clock: Clock,
    problems: Problems,
) -> dict[str, Requirement]:
    """One catalogue across packs: the same id must mean the same thing wherever declared."""
    requirements: dict[str, Requirement] = {}
    for name, pf in loaded_packs.items():
        env = Env(params=params[name], now=clock.now, operators=registry.operators, clock=clock)
        for doc in pf.documents:
            for index, raw in enumerate(doc.data.get("requirements") or []):
                req = _requirement(raw, name, doc, f"/requirements/{index}", env, problems)
                earlier = requirements.get(req.id)
                if earlier is None:
                    requirements[req.id] = req
                elif earlier.pack == name:
                    problems.add(
                        req.origin,
                        None,
                        f"duplicate requirement id '{req.id}' (first at {earlier.origin})",
                    )
                elif (earlier.framework, earlier.ref) != (req.framework, req.ref):
                    problems.add(
                        req.origin,
                        None,
                        f"requirement '{req.id}' is declared with source "
                        f"{req.framework} {req.ref} here but {earlier.framework} "
                        f"{earlier.ref} at {earlier.origin}",
                    )
    return requirements


def _requirement(
    raw: dict[str, Any], pack: str, doc: LoadedYaml, pointer: str, env: Env, problems: Problems
) -> Requirement:
    source = raw["source"]
    req = Requirement(
        id=raw["id"],
        title=raw["title"],
        framework=source["framework"],
        ref=source["ref"],
        url=source.get("url"),
        origin=Origin(doc.path, doc.line_of(pointer)),
        pack=pack,
        description=raw.get("description", ""),
        when_raw=raw.get("when"),
    )
    if "when" in raw:
        req.when = compile_cond(raw["when"], env, doc, f"{pointer}/when", problems)
        if req.when is not None and not system_only(req.when.paths()):
            problems.add(
                doc,
                f"{pointer}/when",
                "a requirement's when may read only system.* and params.*",
            )
        for where, problem in reason_problems(raw["when"], params=env.params, pointer="/when"):
            problems.add(doc, f"{pointer}{where}", f"requirement '{req.id}' when reason: {problem}")
    return req


def compile_controls(
    loaded_packs: dict[str, PackFiles],
    requirements: dict[str, Requirement],
    registry: Registry,
    problems: Problems,
    cache_dir: Path | None = None,
) -> dict[str, Control]:
    """Every control by id, with the requirements its `mappings` add.

    A control may satisfy a requirement that an installed pack which is not enabled declares
    (readiness → GDPR-35 without the gdpr pack): the link is kept for the graph, the
    requirement is simply out of this run's scope. An id no pack declares is a typo.
    """
    catalog = _Catalog(registry, {pf.folder for pf in loaded_packs.values()}, cache_dir)
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
                            + did_you_mean(req_id, catalog.ids() | set(requirements)),
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
            _apply_mappings(doc, controls, requirements, catalog, problems)
    return controls


def _apply_mappings(
    doc: LoadedYaml,
    controls: dict[str, Control],
    requirements: dict[str, Requirement],
    catalog: _Catalog,
    problems: Problems,
) -> None:
    """A file's `mappings`: more requirements a control satisfies (one pack mapping another's)."""
    for index, raw in enumerate(doc.data.get("mappings") or []):
        pointer = f"/mappings/{index}"
        control = controls.get(raw["control"])
        if control is None:
            problems.add(
                doc,
                f"{pointer}/control",
                f"mapping names unknown control '{raw['control']}'"
                + did_you_mean(raw["control"], controls),
            )
            continue
        for rindex, req_id in enumerate(raw["satisfies"]):
            if req_id not in requirements and req_id not in catalog.ids():
                problems.add(
                    doc,
                    f"{pointer}/satisfies/{rindex}",
                    f"mapping satisfies unknown requirement '{req_id}'"
                    + did_you_mean(req_id, catalog.ids() | set(requirements)),
                )
            elif req_id not in control.satisfies:
                control.satisfies.append(req_id)


class _Catalog:
    """Requirement ids declared by installed packs that this run did not load.

    Read only when a reference cannot be resolved from the loaded packs, so a normal run never
    pays for parsing every installed pack; read through the validated-pack cache when the run
    has one, so a warm run that needs it does not parse those packs either.
    """

    def __init__(
        self, registry: Registry, loaded_folders: set[Path], cache_dir: Path | None = None
    ) -> None:
        self.registry = registry
        self.loaded_folders = loaded_folders
        self.cache_dir = cache_dir
        self._ids: set[str] | None = None

    def ids(self) -> set[str]:
        if self._ids is None:
            found: set[str] = set()
            # Its problems go nowhere: a broken pack is reported when it is enabled, not here.
            reader = DocumentReader(None, Problems(), self.cache_dir)
            for folder in self.registry.packs.values():
                if folder in self.loaded_folders:
                    continue
                for file in pack_files(folder):
                    data = self._data(reader, file)
                    requirements = data.get("requirements") if isinstance(data, dict) else None
                    for raw in requirements or []:
                        if isinstance(raw, dict) and isinstance(raw.get("id"), str):
                            found.add(raw["id"])
            self._ids = found
        return self._ids

    def _data(self, reader: DocumentReader, file: Path) -> Any:
        """The file's data; {} when it cannot be read. Without a cache it is only parsed (no
        schema check, which the cache needs before it keeps a file)."""
        if self.cache_dir is not None:
            doc = reader.read(file, builtin=True)
            return (doc.data if doc is not None else None) or {}
        try:
            return load_yaml_file(file).data or {}
        except InputError:
            return {}
