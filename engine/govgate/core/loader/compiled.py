"""The compiled-policy-set cache: a PolicySet compiled by an earlier run, read back instead of
compiled again when everything compiling reads is unchanged, authenticated with the user's key."""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import pickle
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jmespath

from govgate.core.conditions import Clock
from govgate.core.config import Config
from govgate.core.loader.files import pack_digest, pack_files
from govgate.core.loader.read import PackFiles
from govgate.core.plugins import Registry
from govgate.core.policy import PolicySet
from govgate.support.cachekey import CacheKey, load_key, user_cache_dir

#: What an entry's MAC is over, besides its name and body: a MAC of this cache, not another's.
_PURPOSE = "govgate compiled policy set v1"
#: Entries kept (an edit to a pack or govgate.yaml adds one); the oldest go first.
KEEP = 64
#: Modules whose classes an entry may name. The MAC already keeps out anything we did not
#: write; this keeps a bug (or a key that leaked) from turning an entry into code to run.
_ALLOWED_MODULES = ("govgate.", "jmespath.", "datetime", "pathlib", "copyreg", "_codecs")
_ALLOWED_BUILTINS = frozenset({"set", "frozenset", "tuple", "list", "dict", "complex", "bytearray"})


class CompiledSetCache:
    """Compiled policy sets, kept in the user's cache folder as authenticated pickles.

    Compiling (cross-references, conditions, selectors, regexes, templates, the evaluation
    order) costs a warm commit hook tens of milliseconds, and its outcome depends only on what
    `inputs_digest` hashes: the govgate version (and the identity of every file of
    govgate.core, and jmespath's version), the packs read (their files' bytes, names and
    folders), govgate.yaml, the parameter overrides, the working folder (messages name files
    relative to it) and the plugins (operators, evidence kinds, installed packs, collectors).
    When every pack is an installed one, `installed_inputs_digest` stands the identity of the
    installed packs' files in for their bytes, so that a hit reads no pack at all.
    The run's now is not among them: compiled conditions read it from the run's `Clock` when
    they are evaluated, so an entry serves every later run.

    Operators and the clock are never pickled: an entry names them, and reading it binds the
    names to this run's operators and clock (an operator no longer installed makes it a miss).
    An entry is named by an HMAC under the user's cache key and its first line is an HMAC over
    its name and body, checked before anything is unpickled; any doubt is a miss, and a miss
    compiles as a cold run does. Only compiles without a problem are stored. A control may
    name a requirement of an installed pack the run did not load (compiling then reads those
    packs for their ids), so the digest also covers which files those packs have and the
    identity of each (inode, size, times: an edit or a reinstall changes it).
    """

    def __init__(self, key: CacheKey, directory: Path) -> None:
        self._key = key
        self.directory = directory

    @classmethod
    def open(cls) -> CompiledSetCache | None:
        """The cache in the user's cache folder; None without a usable key."""
        key = load_key()
        return cls(key, user_cache_dir() / "policy-sets") if key is not None else None

    def inputs_digest(
        self,
        loaded_packs: dict[str, PackFiles],
        registry: Registry,
        config: Config | None,
        param_overrides: dict[str, dict[str, Any]],
    ) -> str | None:
        """A digest of everything compiling the packs read reads; None when part of it cannot
        be read."""
        return self._digest(_packs_read(loaded_packs, registry), registry, config, param_overrides)

    def installed_inputs_digest(
        self,
        names: list[str],
        registry: Registry,
        config: Config | None,
        param_overrides: dict[str, dict[str, Any]],
    ) -> str | None:
        """The digest for a run whose packs (the NAMES and the packs they use) are all
        installed ones, taken before reading them: the identity of every installed pack's
        files stands for their content, so a warm run neither reads nor parses any of them."""
        packs = _installed_packs(names, registry)
        return self._digest(packs, registry, config, param_overrides)

    def _digest(
        self,
        packs: Iterator[str],
        registry: Registry,
        config: Config | None,
        param_overrides: dict[str, dict[str, Any]],
    ) -> str | None:
        digest = hashlib.sha256()
        try:
            for part in _inputs(packs, registry, config, param_overrides):
                data = part.encode("utf-8", "surrogateescape")
                digest.update(len(data).to_bytes(8, "big") + data)
        except (OSError, TypeError, ValueError):
            return None
        return digest.hexdigest()

    def _entry(self, inputs: str) -> Path:
        return self.directory / f"{self._key.sign(_PURPOSE, 'name', inputs)}.pickle"

    def get(self, inputs: str, registry: Registry, clock: Clock) -> PolicySet | None:
        """The policy set compiled from these inputs, bound to this run's operators and clock;
        None when there is none, or it is not exactly as we wrote it."""
        entry = self._entry(inputs)
        try:
            tag, _, body = entry.read_bytes().partition(b"\n")
            if not self._key.verify(tag.decode("ascii"), _PURPOSE, entry.name, inputs, body):
                return None  # not written by us as it is now: compile again
        except (OSError, ValueError):
            return None
        try:
            loaded = _Unpickler(io.BytesIO(body), registry, clock).load()
        except Exception:
            # Whatever cannot be read back (a class that moved, an operator no longer
            # installed, a name refused) is a miss: compile as a cold run does.
            return None
        return loaded if isinstance(loaded, PolicySet) else None

    def put(self, inputs: str, policy_set: PolicySet, registry: Registry) -> None:
        """Keep POLICY_SET for later runs (when it is safe to; see the class)."""
        entry = self._entry(inputs)
        buffer = io.BytesIO()
        try:
            _Pickler(buffer, registry).dump(policy_set)
        except (pickle.PicklingError, TypeError, AttributeError, RecursionError):
            return  # something in it cannot be kept (a plugin's object): compile each time
        body = buffer.getvalue()
        tag = self._key.sign(_PURPOSE, entry.name, inputs, body)
        with contextlib.suppress(OSError):  # a cache that cannot be written only costs speed
            entry.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            tmp = entry.with_name(f"{entry.name}.{os.getpid()}.tmp")
            tmp.write_bytes(tag.encode("ascii") + b"\n" + body)
            tmp.replace(entry)  # atomic: a concurrent reader sees all of it or nothing
            entries = sorted(entry.parent.glob("*.pickle"), key=lambda e: e.stat().st_mtime)
            for old in entries[: max(0, len(entries) - KEEP)]:
                old.unlink(missing_ok=True)


def _packs_read(loaded_packs: dict[str, PackFiles], registry: Registry) -> Iterator[str]:
    """The packs read: names, folders, files and their bytes; the other installed packs'
    files by identity (a control may name one of their requirements)."""
    yield "packs read"
    for name, pf in loaded_packs.items():  # in order: it is the order rules are evaluated in
        yield from (
            name,
            str(pf.folder),
            str(pf.builtin),
            json.dumps([d.path for d in pf.documents]),
        )
        yield pack_digest(pack_files(pf.folder))
    loaded = {pf.folder for pf in loaded_packs.values()}
    for folder in sorted(set(registry.packs.values()) - loaded):
        yield from _identities(folder)


def _installed_packs(names: list[str], registry: Registry) -> Iterator[str]:
    """The packs asked for by name, and every installed pack's files by identity (which
    packs they `use`, and what they hold, is in those files)."""
    yield "installed packs"
    yield json.dumps(names)
    for folder in sorted(set(registry.packs.values())):
        yield from _identities(folder)


def _inputs(
    packs: Iterator[str],
    registry: Registry,
    config: Config | None,
    param_overrides: dict[str, dict[str, Any]],
) -> Iterator[str]:
    from govgate import __version__

    yield from (_PURPOSE, __version__, sys.version, str(Path.cwd()), jmespath.__version__)
    # The classes an entry holds and the code that compiles, as they are on disk: an edit to
    # govgate's core (an editable install, a patched copy) never reuses an older compile.
    # Every file of the package, imported yet or not (the compiler is imported on a miss only).
    yield from _source_identities(Path(__file__).resolve().parent.parent)
    yield from packs
    yield _canonical(param_overrides)
    if config is None:
        yield "no config"
    else:
        yield _canonical(
            [
                # Not config.root: a commit hook checks a snapshot in a new folder each time,
                # and the packs' own folders (above) are what compiling reads from it.
                config.file,
                config.packs,
                config.params,
                config.evidence,
                config.collectors,
                config.settings_checked,
                config.raw,
            ]
        )
    yield _canonical(sorted((n, _qualified(fn)) for n, fn in registry.operators.items()))
    yield repr(sorted(registry.kinds.items()))
    yield _canonical(sorted((n, str(folder)) for n, folder in registry.packs.items()))
    yield _canonical(
        sorted(
            (n, _qualified(cls), repr(getattr(cls, "settings_schema", None)))
            for n, cls in registry.collectors.items()
        )
    )
    yield _canonical(sorted(registry.backends))
    yield repr(registry.plugins)


def _identities(folder: Path) -> Iterator[str]:
    """Each YAML file of an installed pack folder with its identity, without reading it."""
    yield str(folder)
    try:
        with os.scandir(folder) as listing:
            names = sorted(e.name for e in listing if e.name.endswith((".yaml", ".yml")))
    except NotADirectoryError:
        names = [""]
    except FileNotFoundError:
        names = []
    for name in names:
        yield f"{name} {_identity(os.path.join(folder, name) if name else folder)}"  # noqa: PTH118


def _source_identities(package: Path) -> Iterator[str]:
    """Each Python file below PACKAGE (govgate.core), with its identity."""
    folders = [str(package)]
    while folders:
        folder = folders.pop()
        with os.scandir(folder) as listing:
            entries = sorted(listing, key=lambda e: e.name)
        for entry in entries:
            if entry.is_dir(follow_symlinks=False) and entry.name != "__pycache__":
                folders.append(entry.path)
            elif entry.name.endswith(".py"):
                yield f"{entry.path} {_identity(entry.path)}"


def _identity(path: str | Path) -> str:
    """Which file is at PATH and when it last changed (an edit or a reinstall changes it)."""
    info = os.stat(path)  # noqa: PTH116
    return f"{info.st_mode} {info.st_ino} {info.st_mtime_ns} {info.st_ctime_ns} {info.st_size}"


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=repr)


def _qualified(obj: Any) -> str:
    return f"{getattr(obj, '__module__', '?')}:{getattr(obj, '__qualname__', repr(obj))}"


class _Pickler(pickle.Pickler):
    """Writes operators and clocks as names, bound again when the entry is read."""

    def __init__(self, file: io.BytesIO, registry: Registry) -> None:
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self._operators = {id(fn): name for name, fn in registry.operators.items()}

    def persistent_id(self, obj: Any) -> Any:
        if isinstance(obj, Clock):
            return ("clock",)
        name = self._operators.get(id(obj))
        return ("operator", name) if name is not None else None


class _Unpickler(pickle.Unpickler):
    def __init__(self, file: io.BytesIO, registry: Registry, clock: Clock) -> None:
        super().__init__(file)
        self._registry = registry
        self._clock = clock

    def persistent_load(self, pid: Any) -> Any:
        if pid == ("clock",):
            return self._clock
        if isinstance(pid, tuple) and len(pid) == 2 and pid[0] == "operator":
            return self._registry.operators[pid[1]]  # KeyError: not installed now, a miss
        raise pickle.UnpicklingError(f"unknown reference {pid!r}")

    def find_class(self, module: str, name: str) -> Any:
        allowed = module.startswith(_ALLOWED_MODULES) or module in _ALLOWED_MODULES
        if not (allowed or (module == "builtins" and name in _ALLOWED_BUILTINS)):
            raise pickle.UnpicklingError(f"{module}.{name} is not part of a policy set")
        return super().find_class(module, name)
