"""Compiling the conditions and selectors a pack writes, each problem reported at its place in
the pack file; and whether a condition reads only the system and the parameters."""

from __future__ import annotations

from typing import Any

from govgate.core.conditions import ConditionCompileError, Env, compile_condition, compile_selector
from govgate.core.loader.problems import Problems
from govgate.support.yamlload import LoadedYaml

#: Names a condition may read without evidence; a `when` using only these is decided up front.
SYSTEM_ROOTS = ("system", "params")


def system_only(paths: list[str]) -> bool:
    """True when every path a condition reads is under `system` or `params`."""
    return all(p.split(".")[0].split("[")[0] in SYSTEM_ROOTS for p in paths)


def compile_cond(
    raw: Any,
    env: Env,
    doc: LoadedYaml,
    pointer: str,
    problems: Problems,
    *,
    strict: bool = False,
) -> Any:
    """The compiled condition at `pointer`, or None after reporting why it does not compile."""
    try:
        return compile_condition(raw, env, strict=strict)
    except ConditionCompileError as exc:
        problems.add(doc, pointer + exc.pointer, str(exc))
        return None


def compile_selector_at(
    raw: dict[str, Any], key: str, env: Env, doc: LoadedYaml, pointer: str, problems: Problems
) -> Any:
    """The compiled selector under `key` of a rule (None when absent or broken, reported)."""
    if key not in raw:
        return None
    try:
        return compile_selector(raw[key], env)
    except ConditionCompileError as exc:
        problems.add(doc, f"{pointer}/{key}", str(exc))
        return None
