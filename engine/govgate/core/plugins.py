"""Plugin wiring: one `get_plugin_manager()` and the registry built from every hook's results.

Built-ins (collectors, operators, packs, reporters) are ordinary plugins registered through the
same hooks as third-party distributions found through the `govgate` entry-point group. A plugin
that fails to import, registers a misspelled hook or raises inside a hook fails the run with a
message naming it; nothing is skipped silently. `GOVGATE_DISABLE_PLUGIN_AUTOLOAD=1` turns off
entry-point discovery (then `-p NAME` loads one explicitly) and `-p no:NAME` blocks one.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pluggy

from govgate.core import hookspecs
from govgate.core.collector import Collector, EvidenceKind
from govgate.support.errors import PluginError, UsageError

if TYPE_CHECKING:
    from govgate.core.reporter import Reporter

ENTRY_POINT_GROUP = "govgate"
DISABLE_AUTOLOAD_ENV = "GOVGATE_DISABLE_PLUGIN_AUTOLOAD"

#: Modules that make up govgate itself, registered as plugins in this order.
BUILTIN_PLUGINS = (
    "govgate.builtin",
    "govgate_collectors.files",
    "govgate_collectors.config",
    "govgate_collectors.git",
    "govgate_collectors.documents",
    "govgate_collectors.attestations",
    "govgate_collectors.fairness",
    "govgate_collectors.decision_logs",
    "govgate_collectors.test_reports",
    "govgate_collectors.pii",
    "govgate_collectors.llm_usage",
    "govgate_collectors.placeholders",
)


@dataclass
class PluginInfo:
    """What `govgate plugins` shows about one registered plugin."""

    name: str
    builtin: bool
    distribution: str | None = None
    version: str | None = None
    hooks: list[str] = field(default_factory=list)
    collectors: list[str] = field(default_factory=list)
    packs: list[str] = field(default_factory=list)
    operators: list[str] = field(default_factory=list)
    reporters: list[str] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)
    backends: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "builtin": self.builtin,
            "distribution": self.distribution,
            "version": self.version,
            "hooks": self.hooks,
            "collectors": self.collectors,
            "evidence_kinds": self.kinds,
            "packs": self.packs,
            "operators": self.operators,
            "reporters": self.reporters,
            "backends": self.backends,
        }


@dataclass
class Registry:
    """Everything the plugins contributed, checked for clashes."""

    collectors: dict[str, type[Collector]]
    kinds: dict[str, EvidenceKind]
    operators: dict[str, Callable[[Any, Any], bool]]
    packs: dict[str, Path]
    reporters: dict[str, Reporter]
    backends: dict[str, Callable[..., Any]]
    plugins: list[PluginInfo]
    owner: dict[str, str] = field(default_factory=dict)  # "collector:NAME" -> plugin name


def _parse_plugin_options(options: Iterable[str]) -> tuple[set[str], list[str]]:
    blocked: set[str] = set()
    explicit: list[str] = []
    for option in options:
        if option.startswith("no:"):
            blocked.add(option[3:])
        else:
            explicit.append(option)
    return blocked, explicit


class GovgatePluginManager(pluggy.PluginManager):
    """pluggy's manager plus the distribution (name, version) each external plugin came from."""

    def __init__(self) -> None:
        super().__init__("govgate")
        self.distributions: dict[str, tuple[str, str]] = {}


def get_plugin_manager(plugin_options: Iterable[str] = ()) -> GovgatePluginManager:
    """The plugin manager with built-ins and (unless disabled) entry-point plugins loaded."""
    from importlib.metadata import entry_points

    blocked, explicit = _parse_plugin_options(plugin_options)
    pm = GovgatePluginManager()
    pm.add_hookspecs(hookspecs)
    for name in blocked:
        pm.set_blocked(name)
    for module_name in BUILTIN_PLUGINS:
        if pm.is_blocked(module_name):
            continue
        pm.register(importlib.import_module(module_name), name=module_name)

    autoload = os.environ.get(DISABLE_AUTOLOAD_ENV, "").strip() in ("", "0", "false", "no")
    available = {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)}
    for wanted in explicit:
        if wanted not in available:
            known = ", ".join(sorted(available)) or "none installed"
            raise UsageError(f"-p {wanted}: no plugin of that name (installed: {known})")
    to_load = sorted(available) if autoload else [n for n in explicit if n in available]
    for name in to_load:
        if pm.is_blocked(name) or pm.get_plugin(name) is not None:
            continue
        entry_point = available[name]
        dist = entry_point.dist
        where = f"{dist.name} {dist.version}" if dist else "unknown distribution"
        try:
            plugin = entry_point.load()
        except Exception as exc:  # any import failure of a plugin must fail the run
            raise PluginError(
                f"plugin '{name}' (distribution {where}) failed to import: "
                f"{type(exc).__name__}: {exc}"
            ) from exc
        try:
            pm.register(plugin, name=name)
        except pluggy.PluginValidationError as exc:
            raise PluginError(f"plugin '{name}' (distribution {where}) is invalid: {exc}") from exc
        if dist is not None:
            pm.distributions[name] = (dist.name, dist.version)
    try:
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        culprit = getattr(exc, "plugin", None)
        label = pm.get_name(culprit) if culprit is not None else "?"
        raise PluginError(f"plugin '{label}' is invalid: {exc}") from exc
    return pm


def call_hook(pm: pluggy.PluginManager, hook_name: str) -> list[tuple[str, Any]]:
    """Call a hook on every plugin, returning (plugin name, result) and naming any that fails."""
    caller = getattr(pm.hook, hook_name)
    results: list[tuple[str, Any]] = []
    for impl in reversed(caller.get_hookimpls()):  # registration order
        try:
            result = impl.function()
        except Exception as exc:
            raise PluginError(
                f"plugin '{impl.plugin_name}' failed in {hook_name}: {type(exc).__name__}: {exc}"
            ) from exc
        if result is not None:
            results.append((impl.plugin_name, result))
    return results


def build_registry(pm: GovgatePluginManager) -> Registry:
    """Collect every plugin's contributions and refuse clashes, naming both plugins."""
    claims = _Claims(_plugin_infos(pm))
    collectors, kinds = _collectors(pm, claims)
    for plugin, declared in call_hook(pm, "govgate_evidence_kinds"):
        for kind in declared:
            if not isinstance(kind, EvidenceKind):
                raise PluginError(
                    f"plugin '{plugin}' returned {kind!r} from govgate_evidence_kinds"
                )
            claims.claim(plugin, f"evidence kind '{kind.name}'").kinds.append(kind.name)
            kinds[kind.name] = kind
    operators: dict[str, Callable[[Any, Any], bool]] = {}
    for plugin, ops in call_hook(pm, "govgate_operators"):
        for op_name, fn in dict(ops).items():
            if not callable(fn):
                raise PluginError(f"plugin '{plugin}': operator '{op_name}' is not callable")
            claims.claim(plugin, f"operator '{op_name}'").operators.append(op_name)
            operators[op_name] = fn
    return Registry(
        collectors=collectors,
        kinds=kinds,
        operators=operators,
        packs=_packs(pm, claims),
        reporters=_reporters(pm, claims),
        backends=_backends(pm, claims),
        plugins=list(claims.infos.values()),
        owner=claims.owner,
    )


def _plugin_infos(pm: GovgatePluginManager) -> dict[str, PluginInfo]:
    """What `govgate plugins` shows of each registered plugin, before its contributions."""
    dists = pm.distributions
    infos: dict[str, PluginInfo] = {}
    for name, plugin in pm.list_name_plugin():
        if plugin is None:
            continue
        dist = dists.get(name)
        infos[name] = PluginInfo(
            name=name,
            builtin=name in BUILTIN_PLUGINS,
            distribution=dist[0] if dist else None,
            version=dist[1] if dist else None,
            hooks=sorted(h.name for h in pm.get_hookcallers(plugin) or []),
        )
    return infos


class _Claims:
    """Who provides what: a second plugin claiming a name already provided fails the run."""

    def __init__(self, infos: dict[str, PluginInfo]) -> None:
        self.infos = infos
        self.owner: dict[str, str] = {}

    def claim(self, plugin: str, key: str) -> PluginInfo:
        """Record that `plugin` provides `key`; its PluginInfo, to list the name under."""
        if key in self.owner and self.owner[key] != plugin:
            raise PluginError(f"{key} is provided by both '{self.owner[key]}' and '{plugin}'")
        self.owner[key] = plugin
        return self.infos[plugin]


def _collectors(
    pm: GovgatePluginManager, claims: _Claims
) -> tuple[dict[str, type[Collector]], dict[str, EvidenceKind]]:
    """The collector classes by name, and the fixed evidence kinds they declare."""
    collectors: dict[str, type[Collector]] = {}
    kinds: dict[str, EvidenceKind] = {}
    for plugin, classes in call_hook(pm, "govgate_collectors"):
        for cls in classes:
            if not (isinstance(cls, type) and issubclass(cls, Collector)):
                raise PluginError(
                    f"plugin '{plugin}' returned {cls!r} from govgate_collectors; "
                    "expected a subclass of govgate.core.collector.Collector"
                )
            for attr in ("name", "version"):
                if not isinstance(getattr(cls, attr, None), str) or not getattr(cls, attr):
                    raise PluginError(f"plugin '{plugin}': collector {cls.__name__} has no {attr}")
            claims.claim(plugin, f"collector '{cls.name}'").collectors.append(cls.name)
            collectors[cls.name] = cls
            for kind in cls.kinds:
                claims.claim(plugin, f"evidence kind '{kind.name}'").kinds.append(kind.name)
                kinds[kind.name] = kind
    return collectors, kinds


def _packs(pm: GovgatePluginManager, claims: _Claims) -> dict[str, Path]:
    packs: dict[str, Path] = {}
    for plugin, folders in call_hook(pm, "govgate_policy_packs"):
        for folder in folders:
            folder = Path(folder)
            name = folder.stem if folder.is_file() else folder.name
            claims.claim(plugin, f"pack '{name}'").packs.append(name)
            packs[name] = folder
    return packs


def _reporters(pm: GovgatePluginManager, claims: _Claims) -> dict[str, Reporter]:
    reporters: dict[str, Reporter] = {}
    for plugin, provided in call_hook(pm, "govgate_reporters"):
        for reporter in provided:
            claims.claim(plugin, f"output format '{reporter.name}'").reporters.append(reporter.name)
            reporters[reporter.name] = reporter
    return reporters


def _backends(pm: GovgatePluginManager, claims: _Claims) -> dict[str, Callable[..., Any]]:
    backends: dict[str, Callable[..., Any]] = {}
    for plugin, provided in call_hook(pm, "govgate_aggregation_backends"):
        for backend_name, factory in dict(provided).items():
            claims.claim(plugin, f"aggregation backend '{backend_name}'").backends.append(
                backend_name
            )
            backends[backend_name] = factory
    return backends
