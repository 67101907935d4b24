"""Load policy packs, validate them, cross-reference them and compile their conditions.

Every problem is collected (not just the first) and reported as `file:line: json.path: message`:
schema violations, unknown keys with a "did you mean", duplicate ids, dangling references
(a control satisfying an unknown requirement, a rule naming an unknown control or evidence
kind), unknown parameters and placeholders, unsafe regexes and `depends_on` cycles.

Loading is `files` (where packs are), `read` (parse and schema-check, through the `cache` of
validated files) and then `compile` (parameters and kinds, `requirements` and controls,
`rules`, with the conditions and selectors of `expressions`), skipped when the `compiled` cache
holds the outcome; `problems` collects what is wrong.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from govgate.core.conditions import Clock
from govgate.core.config import Config
from govgate.core.loader.cache import ValidatedPackCache
from govgate.core.loader.compiled import CompiledSetCache
from govgate.core.loader.expressions import SYSTEM_ROOTS
from govgate.core.loader.files import (
    PACK_FILE,
    display_path,
    pack_digest,
    pack_files,
    resolve_pack_folders,
)
from govgate.core.loader.problems import Problems
from govgate.core.loader.read import read_packs
from govgate.core.plugins import Registry
from govgate.core.policy import PolicySet

__all__ = [
    "PACK_FILE",
    "SYSTEM_ROOTS",
    "ValidatedPackCache",
    "display_path",
    "load_policy_set",
    "pack_digest",
    "pack_files",
    "resolve_pack_folders",
]


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
    (`ValidatedPackCache`), which skips YAML parsing and schema validation on warm runs, and a
    policy set compiled before from the same inputs is read back from the user's cache
    (`CompiledSetCache`) instead of compiled again. Either way its conditions read `now` (and
    the clock skew) when they are evaluated.
    """
    problems = Problems()
    names = list(
        pack_names or (config.packs if config and config.packs else sorted(registry.packs))
    )
    clock = Clock(now)
    overrides = param_overrides or {}
    compiled = CompiledSetCache.open() if cache_dir is not None else None
    inputs: str | None = None
    installed = all(builtin for _, _, builtin in resolve_pack_folders(names, registry, config))
    if compiled is not None and installed:
        # Installed packs only: the key needs none of their content, so a hit reads none.
        inputs = compiled.installed_inputs_digest(names, registry, config, overrides)
        cached = compiled.get(inputs, registry, clock) if inputs is not None else None
        if cached is not None:
            return cached
    loaded_packs = read_packs(names, registry, config, problems, cache_dir)
    problems.raise_if_any()
    if compiled is not None and not installed:
        # A pack in the repository: its bytes (and how it was read) are part of the key.
        inputs = compiled.inputs_digest(loaded_packs, registry, config, overrides)
        cached = compiled.get(inputs, registry, clock) if inputs is not None else None
        if cached is not None:
            return cached
    from govgate.core.loader.compile import compile_policy_set  # on a miss only

    policy_set = compile_policy_set(
        loaded_packs, registry, config, problems, clock, overrides, cache_dir
    )
    if compiled is not None and inputs is not None:
        compiled.put(inputs, policy_set, registry)
    return policy_set
