"""Every hook govgate calls, in one place (docs/plugins.md documents each).

Built-in collectors, operators, packs and reporters are registered through these same hooks,
so a third-party plugin has exactly the powers a built-in has. All hooks are called with
keyword arguments and collect results from every plugin (none stops at the first result).
A plugin that raises in a hook (SystemExit and every other BaseException included), or does
not return within the collector timeout, fails the run with a message naming it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from govgate.core.collector import Collector, EvidenceKind
    from govgate.core.reporter import Reporter

hookspec = pluggy.HookspecMarker("govgate")


@hookspec
def govgate_collectors() -> Sequence[type[Collector]]:
    """Return the collector classes this plugin provides.

    Called once per run, before any collection. Each class subclasses
    :class:`govgate.core.collector.Collector` and declares ``name``, ``version`` and the evidence
    kinds it produces. Two collectors with the same name are a load error naming both plugins.

    A plugin may: import its dependencies lazily inside ``collect`` (keeps ``govgate check``
    fast). A plugin may not: read policy packs, decide pass/fail, or read outside the target
    repository except through the ``CollectContext`` it is given.
    """
    raise NotImplementedError


@hookspec
def govgate_evidence_kinds() -> Sequence[EvidenceKind]:
    """Return evidence kinds declared without a collector class of this plugin.

    Use it to declare a kind that another collector produces (a path-bound ``config`` kind
    with its JSON Schema, say). Kinds a collector class lists in ``kinds`` need not be repeated.
    A kind declared twice with different collectors is a load error.
    """
    raise NotImplementedError


@hookspec
def govgate_operators() -> dict[str, Callable[[Any, Any], bool]]:
    """Return condition operators, name → ``function(actual, expected) -> bool``.

    The function must be pure and fast; it is called once per condition leaf per evidence item,
    and must return ``True`` or ``False`` (a real ``bool``: ``"false"`` or ``None`` is an error,
    never a verdict). It may raise ``TypeError`` or ``ValueError`` for values it cannot compare;
    the rule then reports ``error`` naming the operator, as it does for any other exception.
    Overriding a built-in operator name is a load error.
    """
    raise NotImplementedError


@hookspec
def govgate_policy_packs() -> Sequence[Path]:
    """Return folders (or single YAML files) of policy packs this plugin ships.

    Packs are validated exactly like built-in ones; an invalid pack fails the run with exit 2
    and the pack's file and line. Pack names must be unique across all plugins.
    """
    raise NotImplementedError


@hookspec
def govgate_reporters() -> Sequence[Reporter]:
    """Return reporter instances (output formats), each with a unique ``name``.

    A reporter turns the finished result document into text (``render`` returns a ``str``);
    it must not re-evaluate rules or read the repository. Its ``filename`` is a plain file
    name, written inside ``--output-dir``. ``govgate check --format NAME`` selects it.
    """
    raise NotImplementedError


@hookspec
def govgate_aggregation_backends() -> dict[str, Callable[..., Any]]:
    """Return aggregation backend factories, name → ``factory(settings) -> AggregationBackend``.

    A backend computes the decision-log summary and fairness aggregates (DuckDB by default).
    ``backend: NAME`` in govgate.yaml selects one. A backend that cannot reach its engine must
    raise; govgate never falls back to another backend silently.
    """
    raise NotImplementedError


#: Hook names documented in docs/plugins.md; a test keeps this list, the specs and the docs in step.
HOOK_NAMES = tuple(name for name in dir() if name.startswith("govgate_"))
