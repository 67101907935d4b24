"""Reading packs: each requested pack's YAML files parsed and checked against the policy schema
(or read back from the validated-pack cache), its header checked, and the packs it `uses`."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from govgate.core.config import Config
from govgate.core.loader.cache import ValidatedPackCache
from govgate.core.loader.files import display_path, pack_files, resolve_pack_folders
from govgate.core.loader.problems import Problems
from govgate.core.plugins import Registry
from govgate.support.errors import InputError, PolicyError
from govgate.support.paths import refuse_link_outside
from govgate.support.yamlload import LoadedYaml, load_yaml_file


@dataclass
class PackFiles:
    """One pack as read: its name, folder, whether it is built in, and its parsed files."""

    name: str
    folder: Path
    builtin: bool
    documents: list[LoadedYaml]


def read_packs(
    names: list[str],
    registry: Registry,
    config: Config | None,
    problems: Problems,
    cache_dir: Path | None,
) -> dict[str, PackFiles]:
    """The named packs and every pack they `use`, by pack name; problems go to `problems`."""
    reader = DocumentReader(config, problems, cache_dir)
    loaded: dict[str, PackFiles] = {}
    queue = resolve_pack_folders(names, registry, config)
    while queue:
        requested, folder, builtin = queue.pop(0)
        files = pack_files(folder)
        documents = [doc for file in files if (doc := reader.read(file, builtin)) is not None]
        if not files:
            problems.errors.append(
                PolicyError(display_path(folder), None, "no pack.yaml in this folder")
            )
            continue
        header = _header(documents, problems)
        if header is None:
            continue
        pack_name = _pack_name(header, requested, builtin, problems)
        if pack_name in loaded:
            if loaded[pack_name].folder != folder:
                problems.add(
                    header,
                    "/pack",
                    f"a second pack named '{pack_name}' (first: {loaded[pack_name].folder})",
                )
            continue
        loaded[pack_name] = PackFiles(pack_name, folder, builtin, documents)
        queue.extend(_used_packs(header, loaded, registry, problems))
    return loaded


class DocumentReader:
    """Parses and schema-checks pack files, through the validated-pack cache when there is one."""

    def __init__(self, config: Config | None, problems: Problems, cache_dir: Path | None) -> None:
        from govgate.support.schemas import load_schema

        self.config = config
        self.problems = problems
        self.schema = load_schema("policy")
        self.validated = (
            ValidatedPackCache(cache_dir, self.schema) if cache_dir is not None else None
        )

    def read(self, file: Path, builtin: bool) -> LoadedYaml | None:
        """The parsed file (kept even with schema violations), or None when it is unusable."""
        from govgate.support.schemas import schema_errors

        # A pack kept in the target repository is named as the user sees it there.
        config = self.config
        shown = (
            os.path.relpath(file, config.root)
            if not builtin and config is not None
            else display_path(file)
        )
        try:
            if not builtin and config is not None:  # a pack in the repository stays in it
                refuse_link_outside(file, config.root, shown)
        except InputError as exc:
            self.problems.errors.append(PolicyError(shown, exc.line, exc.message))
            return None
        hit = self.validated.get(file, shown) if self.validated is not None else None
        if hit is not None:
            return hit
        try:
            doc = load_yaml_file(file, display=shown)
        except InputError as exc:  # named as shown: relative to the repository
            self.problems.errors.append(PolicyError(shown, exc.line, exc.message))
            return None
        if not isinstance(doc.data, dict):
            self.problems.add(doc, "", "a pack file must be a mapping (pack:, rules:, ...)")
            return None
        violations = schema_errors(doc, self.schema)
        for line, text in violations:
            self.problems.errors.append(PolicyError(doc.path, line, text))
        if self.validated is not None and not violations:
            self.validated.put(file, doc)
        return doc


def _header(documents: list[LoadedYaml], problems: Problems) -> LoadedYaml | None:
    """The pack's one header document (pack:, version:, title:), or None without one."""
    headers = [d for d in documents if "pack" in d.data]
    if not headers and documents:
        problems.add(documents[0], "", "no pack header: pack.yaml needs pack:, version:, title:")
        return None
    if len(headers) > 1:
        problems.add(headers[1], "/pack", "a pack has one header; move it to pack.yaml")
    if not headers:
        return None
    header = headers[0]
    for key in ("pack", "version", "title"):
        if key not in header.data:
            problems.add(header, "", f"missing '{key}' in the pack header")
    return header


def _pack_name(header: LoadedYaml, requested: str, builtin: bool, problems: Problems) -> str:
    """The name the header gives; a built-in pack must be named as it is registered."""
    pack_name = str(header.data.get("pack", requested))
    if builtin and pack_name != requested:
        problems.add(
            header, "/pack", f"pack is named '{pack_name}' but registered as '{requested}'"
        )
    return pack_name


def _used_packs(
    header: LoadedYaml,
    loaded: dict[str, PackFiles],
    registry: Registry,
    problems: Problems,
) -> list[tuple[str, Path, bool]]:
    """The installed packs this one `uses` that are not loaded yet, to read next."""
    queued: list[tuple[str, Path, bool]] = []
    for index, used in enumerate(header.data.get("uses", []) or []):
        if used in loaded:
            continue
        if used in registry.packs:
            queued.append((used, registry.packs[used], True))
        else:
            problems.add(header, f"/uses/{index}", f"uses unknown pack '{used}'")
    return queued
