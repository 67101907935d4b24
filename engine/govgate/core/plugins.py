"""Plugin wiring: one `get_plugin_manager()` and the registry built from every hook's results.

Built-ins (collectors, operators, packs, reporters) are ordinary plugins registered through the
same hooks as third-party distributions found through the `govgate` entry-point group. A plugin
that fails to import, registers a misspelled hook, raises inside a hook (SystemExit and the other
BaseExceptions included: a plugin never decides govgate's exit code), returns what its hook's
contract forbids or does not return within the collector timeout fails the run with a message
naming it; nothing is skipped silently. `GOVGATE_DISABLE_PLUGIN_AUTOLOAD=1` turns off
entry-point discovery (then `-p NAME` loads one explicitly) and `-p no:NAME` blocks one.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pluggy

from govgate.core import hookspecs
from govgate.core.collector import Collector, EvidenceKind
from govgate.core.entrypoints import installed_plugins
from govgate.core.reporter import Reporter
from govgate.support.bounded import TIMEOUT_ENV, Overrun, run_bounded, timeout_setting
from govgate.support.errors import (
    PluginError,
    UsageError,
    describe_exception,
    is_real_interrupt,
    watch_for_interrupts,
)

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
    "govgate_collectors.redteam",
    "govgate_collectors.aibom",
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


def _blocked_names(blocked: Iterable[str], available: Iterable[str]) -> set[str]:
    """The plugins `-p no:NAME` blocks. NAME is an installed plugin's name or a built-in's
    short name (`documents` for govgate_collectors.documents); a misspelt name would block
    nothing and let the plugin run, so it is a usage error."""
    short = {module.rpartition(".")[2]: module for module in BUILTIN_PLUGINS}
    installed = set(BUILTIN_PLUGINS) | set(available)
    names: set[str] = set()
    for name in sorted(blocked):
        if name in installed:
            names.add(name)
        elif name in short:
            names.add(short[name])
        else:
            known = ", ".join(sorted(installed | set(short)))
            raise UsageError(f"-p no:{name}: no plugin of that name (installed: {known})")
    return names


class GovgatePluginManager(pluggy.PluginManager):
    """pluggy's manager plus the distribution (name, version) each external plugin came from."""

    def __init__(self) -> None:
        super().__init__("govgate")
        self.distributions: dict[str, tuple[str, str]] = {}


def get_plugin_manager(plugin_options: Iterable[str] = ()) -> GovgatePluginManager:
    """The plugin manager with built-ins and (unless disabled) entry-point plugins loaded."""
    watch_for_interrupts()  # from here on plugin code runs: tell a real Ctrl-C from its own
    seconds = timeout_setting()
    blocked, explicit = _parse_plugin_options(plugin_options)
    pm = GovgatePluginManager()
    pm.add_hookspecs(hookspecs)
    available = installed_plugins(ENTRY_POINT_GROUP)
    for name in _blocked_names(blocked, available):
        pm.set_blocked(name)
    for module_name in BUILTIN_PLUGINS:
        if pm.is_blocked(module_name):
            continue
        pm.register(importlib.import_module(module_name), name=module_name)

    autoload = os.environ.get(DISABLE_AUTOLOAD_ENV, "").strip() in ("", "0", "false", "no")
    for wanted in explicit:
        if wanted not in available:
            known = ", ".join(sorted(available)) or "none installed"
            raise UsageError(f"-p {wanted}: no plugin of that name (installed: {known})")
    to_load = sorted(available) if autoload else [n for n in explicit if n in available]
    for name in to_load:
        if pm.is_blocked(name) or pm.get_plugin(name) is not None:
            continue
        entry_point = available[name]
        dist_name, dist_version = entry_point.dist_name, entry_point.dist_version
        where = f"{dist_name} {dist_version}" if dist_name is not None else "unknown distribution"
        plugin = _import_plugin(name, where, entry_point.load, seconds)
        try:
            pm.register(plugin, name=name)
        except pluggy.PluginValidationError as exc:
            raise PluginError(f"plugin '{name}' (distribution {where}) is invalid: {exc}") from exc
        except BaseException as exc:  # registering reads the module's attributes: its code
            if is_real_interrupt(exc):
                raise
            raise PluginError(
                f"plugin '{name}' (distribution {where}) cannot be registered: "
                f"{describe_exception(exc)}"
            ) from exc
        if dist_name is not None:
            pm.distributions[name] = (dist_name, str(dist_version))
    try:
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        culprit = getattr(exc, "plugin", None)
        label = pm.get_name(culprit) if culprit is not None else "?"
        raise PluginError(f"plugin '{label}' is invalid: {exc}") from exc
    return pm


def _import_plugin(name: str, where: str, load: Callable[[], Any], seconds: float) -> Any:
    """The plugin's module, imported under the collector timeout; whatever the import raises
    or a hang fails the run naming the plugin."""
    with _blamed(f"plugin '{name}' (distribution {where}) failed to import"):
        try:
            return run_bounded(load, seconds, "govgate-plugin-import")
        except Overrun:
            raise PluginError(
                f"plugin '{name}' (distribution {where}) did not finish importing within "
                f"{seconds:g} s ({TIMEOUT_ENV}); fix the plugin, or block it with -p no:{name}"
            ) from None


@contextmanager
def _blamed(failure: str) -> Iterator[None]:
    """Whatever plugin code raises inside becomes `PluginError("{failure}: {what}")`.

    BaseExceptions included: a plugin's `sys.exit(0)`, `KeyboardInterrupt` or `GeneratorExit`
    must fail the run, never end it with the plugin's exit code. Only a real Ctrl-C passes.
    govgate's own PluginErrors (a clash, a broken contract) pass unchanged.
    """
    try:
        yield
    except PluginError:
        raise
    except BaseException as exc:
        if is_real_interrupt(exc):
            raise
        raise PluginError(f"{failure}: {describe_exception(exc)}") from exc


#: Hooks whose result is a mapping (name → callable); the others return sequences.
_MAPPING_HOOKS = frozenset({"govgate_operators", "govgate_aggregation_backends"})


@dataclass
class _Running:
    """Which plugin's hook runs now: named when it does not return in time."""

    plugin: str = "?"
    hook: str = "?"


def call_hook(
    pm: pluggy.PluginManager, hook_name: str, running: _Running | None = None
) -> list[tuple[str, Any]]:
    """Call a hook on every plugin, returning (plugin name, result) and naming any that fails.

    Each result is read to the end here (a list, or a dict for operators and backends), so a
    generator or a mapping that raises half-way is blamed on its plugin too.
    """
    caller = getattr(pm.hook, hook_name)
    results: list[tuple[str, Any]] = []
    for impl in reversed(caller.get_hookimpls()):  # registration order
        if running is not None:
            running.plugin, running.hook = impl.plugin_name, hook_name
        with _blamed(f"plugin '{impl.plugin_name}' failed in {hook_name}"):
            result = impl.function()
            if result is not None:
                result = dict(result) if hook_name in _MAPPING_HOOKS else list(result)
        if result is not None:
            results.append((impl.plugin_name, result))
    return results


def build_registry(pm: GovgatePluginManager, *, timeout: float | None = None) -> Registry:
    """Collect every plugin's contributions and refuse clashes, naming both plugins.

    The hooks run under the collector timeout (`timeout`, else `GOVGATE_COLLECTOR_TIMEOUT`,
    else 300 s): a plugin whose hook never returns fails the run, named, instead of hanging it.
    """
    seconds = timeout_setting(timeout)
    running = _Running()
    try:
        return run_bounded(lambda: _build_registry(pm, running), seconds, "govgate-plugin-hooks")
    except Overrun:
        raise PluginError(
            f"plugin '{running.plugin}' did not return from {running.hook} within {seconds:g} s "
            f"({TIMEOUT_ENV}); fix the plugin, or block it with -p no:{running.plugin}"
        ) from None


def _build_registry(pm: GovgatePluginManager, running: _Running) -> Registry:
    claims = _Claims(_plugin_infos(pm), running)
    collectors, kinds = _collectors(pm, claims)
    for plugin, declared in call_hook(pm, "govgate_evidence_kinds", running):
        with claims.blaming(plugin, "govgate_evidence_kinds"):
            for kind in declared:
                if not isinstance(kind, EvidenceKind):
                    raise PluginError(
                        f"plugin '{plugin}' returned {_shown(kind)} from govgate_evidence_kinds"
                    )
                claims.claim(plugin, f"evidence kind '{kind.name}'").kinds.append(kind.name)
                kinds[kind.name] = kind
    operators: dict[str, Callable[[Any, Any], bool]] = {}
    for plugin, ops in call_hook(pm, "govgate_operators", running):
        with claims.blaming(plugin, "govgate_operators"):
            for op_name, fn in ops.items():
                if not isinstance(op_name, str) or not callable(fn):
                    raise PluginError(
                        f"plugin '{plugin}': operator {_shown(op_name)} is not a name and a "
                        "function(actual, expected) -> bool"
                    )
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


def _shown(value: object) -> str:
    """A plugin's value for a message: short, and never raising (its __repr__ is its code)."""
    try:
        text = repr(value)
    except BaseException:
        text = f"a {type(value).__name__}"
    return text if len(text) <= 80 else text[:77] + "..."


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

    def __init__(self, infos: dict[str, PluginInfo], running: _Running) -> None:
        self.infos = infos
        self.owner: dict[str, str] = {}
        self.running = running

    @contextmanager
    def blaming(self, plugin: str, hook_name: str) -> Iterator[None]:
        """Reading what `plugin` returned runs its code too (properties, __iter__, __eq__)."""
        self.running.plugin, self.running.hook = plugin, hook_name
        with _blamed(f"plugin '{plugin}' failed in {hook_name}"):
            yield

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
    for plugin, classes in call_hook(pm, "govgate_collectors", claims.running):
        with claims.blaming(plugin, "govgate_collectors"):
            for cls in classes:
                if not (isinstance(cls, type) and issubclass(cls, Collector)):
                    raise PluginError(
                        f"plugin '{plugin}' returned {_shown(cls)} from govgate_collectors; "
                        "expected a subclass of govgate.core.collector.Collector"
                    )
                for attr in ("name", "version"):
                    if not isinstance(getattr(cls, attr, None), str) or not getattr(cls, attr):
                        raise PluginError(
                            f"plugin '{plugin}': collector {cls.__name__} has no {attr}"
                        )
                claims.claim(plugin, f"collector '{cls.name}'").collectors.append(cls.name)
                collectors[cls.name] = cls
                for kind in cls.kinds:
                    claims.claim(plugin, f"evidence kind '{kind.name}'").kinds.append(kind.name)
                    kinds[kind.name] = kind
    return collectors, kinds


def _packs(pm: GovgatePluginManager, claims: _Claims) -> dict[str, Path]:
    packs: dict[str, Path] = {}
    for plugin, folders in call_hook(pm, "govgate_policy_packs", claims.running):
        with claims.blaming(plugin, "govgate_policy_packs"):
            for folder in folders:
                folder = Path(folder)
                name = folder.stem if folder.is_file() else folder.name
                claims.claim(plugin, f"pack '{name}'").packs.append(name)
                packs[name] = folder
    return packs


def _reporters(pm: GovgatePluginManager, claims: _Claims) -> dict[str, Reporter]:
    reporters: dict[str, Reporter] = {}
    for plugin, provided in call_hook(pm, "govgate_reporters", claims.running):
        with claims.blaming(plugin, "govgate_reporters"):
            for reporter in provided:
                _check_reporter(plugin, reporter)
                claims.claim(plugin, f"output format '{reporter.name}'").reporters.append(
                    reporter.name
                )
                reporters[reporter.name] = reporter
    return reporters


def _check_reporter(plugin: str, reporter: object) -> None:
    """A reporter is a `Reporter` with a name and a plain file name for --output-dir (a name
    with a folder in it would write outside the folder the user chose)."""
    if not isinstance(reporter, Reporter):
        raise PluginError(
            f"plugin '{plugin}' returned {_shown(reporter)} from govgate_reporters; "
            "expected an instance of a govgate.core.reporter.Reporter subclass"
        )
    name, filename = getattr(reporter, "name", None), getattr(reporter, "filename", None)
    if not isinstance(name, str) or not name.strip():
        raise PluginError(f"plugin '{plugin}': reporter {type(reporter).__name__} has no name")
    if (
        not isinstance(filename, str)
        or filename in ("", ".", "..")
        or "/" in filename
        or "\\" in filename
        or "\0" in filename
    ):
        raise PluginError(
            f"plugin '{plugin}': output format '{name}' has filename {_shown(filename)}; "
            "it must be a plain file name (written inside --output-dir)"
        )


def _backends(pm: GovgatePluginManager, claims: _Claims) -> dict[str, Callable[..., Any]]:
    backends: dict[str, Callable[..., Any]] = {}
    for plugin, provided in call_hook(pm, "govgate_aggregation_backends", claims.running):
        with claims.blaming(plugin, "govgate_aggregation_backends"):
            for backend_name, factory in provided.items():
                if not isinstance(backend_name, str) or not callable(factory):
                    raise PluginError(
                        f"plugin '{plugin}': aggregation backend {_shown(backend_name)} is not "
                        "a name and a factory(settings) -> AggregationBackend"
                    )
                claims.claim(plugin, f"aggregation backend '{backend_name}'").backends.append(
                    backend_name
                )
                backends[backend_name] = factory
    return backends
