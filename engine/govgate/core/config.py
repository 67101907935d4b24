"""govgate.yaml: the target repository's description of its AI system and how to check it.

Loaded once per run and validated against the shipped schema (`govgate schema config`), with
each collector's section checked against that collector's own `settings_schema` in the same
pass; every problem is reported as `govgate.yaml:LINE: key: message` with exit 2.
"""

from __future__ import annotations

import hashlib
import stat
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from govgate.core.settings import SettingsSchemas
from govgate.support.cachekey import CacheKey, cache_key, load_key
from govgate.support.errors import (
    ConfigError,
    GovgateError,
    InputError,
    InputErrors,
    UsageError,
)
from govgate.support.paths import display_path, refuse_link_outside
from govgate.support.yamlload import (
    MAX_BYTES,
    LoadedYaml,
    load_yaml_cached,
    load_yaml_file,
)

CONFIG_NAMES = ("govgate.yaml", "govgate.yml")
DEFAULT_WAIVERS = "governance/waivers.yaml"
DEFAULT_LOCKER = ".govgate/locker.db"


@dataclass
class Config:
    """The validated project configuration."""

    root: Path
    file: str
    system: dict[str, Any]
    packs: list[str]
    params: dict[str, dict[str, Any]]
    evidence: dict[str, list[str]]
    collectors: dict[str, dict[str, Any]]
    waivers: str
    fail_on: str
    locker: str
    raw: dict[str, Any] = field(default_factory=dict)
    loaded: LoadedYaml | None = None
    #: True when `collectors:` and `backend_settings` were checked against the plugins'
    #: settings schemas (or these exact bytes and schemas passed before); otherwise the policy
    #: loader checks them.
    settings_checked: bool = False

    def line_of(self, *keys: str) -> int | None:
        if self.loaded is None:
            return None
        return self.loaded.line_of("".join(f"/{k}" for k in keys))


def find_config(root: Path) -> Path | None:
    for name in CONFIG_NAMES:
        candidate = root / name
        if candidate.is_file():
            return candidate
    return None


class ValidationMarks:
    """Files that already passed a shipped schema, remembered by their exact bytes.

    Importing jsonschema and validating govgate.yaml or the waiver file costs more than the
    rest of a warm hook run, and the outcome depends only on the file's bytes, the schema and
    govgate's own code. So a file that came out clean leaves an empty mark named by the HMAC,
    under the user's cache key (`govgate.support.cachekey`), of exactly those three, and a
    later run that finds the mark skips the validation. The folder sits in the work tree,
    where a commit can plant files; a mark no key of ours named is never found, so a planted
    one changes nothing. Without a key there are no marks. Only clean files are marked: a file
    with any problem is validated every time, so every error and message is the one a cold run
    gives. A folder that cannot be written costs only speed.
    """

    #: Marks kept per folder (an edit adds one); the oldest go first.
    KEEP = 64

    def __init__(self, directory: Path, schema_name: str, key: CacheKey | None = None) -> None:
        self.directory = directory
        self._salt = _schema_salt(schema_name)
        # The caller that knows the repository checked the key against it (`cache_key`); a
        # marks folder is only handed out once that passed (`cache_directory`).
        self._key = key or load_key()

    def _mark(self, content: bytes) -> Path | None:
        if self._key is None:
            return None
        return self.directory / self._key.sign("govgate validation mark", self._salt, content)

    def seen(self, content: bytes) -> bool:
        mark = self._mark(content)
        return mark is not None and mark.is_file()

    def remember(self, content: bytes) -> None:
        mark = self._mark(content)
        if mark is None:
            return
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            mark.touch()
            marks = sorted(self.directory.iterdir(), key=lambda m: m.stat().st_mtime)
            for old in marks[: max(0, len(marks) - self.KEEP)]:
                old.unlink(missing_ok=True)
        except OSError:
            pass  # an unwritable cache only costs speed


@cache
def _schema_salt(schema_name: str) -> bytes:
    from govgate import __version__
    from govgate.core.evidence import canonical_json
    from govgate.support.schemas import load_schema

    schema = canonical_json(load_schema(schema_name))
    return hashlib.sha256(f"govgate {__version__}\0{schema_name}\0".encode() + schema).digest()


def marks_folder(root: Path, data: Any, kind: str) -> Path:
    """`<locker folder>/cache/<kind>`: where validation marks live, next to the locker.

    Read from the unvalidated `locker:` value (marks are looked up before validation); a value
    that is not a string is the default, and the schema reports it.
    """
    configured = data.get("locker") if isinstance(data, dict) else None
    locker = configured if isinstance(configured, str) and configured else DEFAULT_LOCKER
    return _under_root(root, locker).parent / "cache" / kind


# -- where the locker and its cache live -------------------------------------------------------
# Here rather than in govgate.locker: loading the config already needs the cache folder (for
# validation marks), and the locker sits above this layer.


def _under_root(root: Path, configured: str) -> Path:
    path = Path(configured)
    return path if path.is_absolute() else root / path


def locker_path(root: Path, config: Config | None) -> Path:
    """Where the repository's locker lives: `locker:` from govgate.yaml, relative to the root."""
    return _under_root(root, config.locker if config is not None else DEFAULT_LOCKER)


def cache_directory(root: Path, config: Config | None) -> Path | None:
    """`cache/` next to the locker (validated packs, validation marks); its folder is created
    like the locker's. None when nothing may be cached for this run: the user has no usable
    cache key (`govgate.support.cachekey`), or the locker path is not a file (the locker then
    refuses it; nothing is created beside a device)."""
    path = locker_path(root, config)
    if not_a_file(path) is not None or cache_key(root) is None:
        return None
    make_locker_folder(path)
    return path.parent / "cache"


def not_a_file(path: Path) -> str | None:
    """What stands at `path` when it exists and is not a regular file ("a directory", "a
    character device", ...), else None (a regular file, or nothing yet)."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return None  # missing (or unreadable: opening it says why)
    if stat.S_ISREG(mode):
        return None
    kinds = (
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISSOCK, "a socket"),
    )
    return next((what for test, what in kinds if test(mode)), "not a regular file")


def make_locker_folder(path: Path) -> None:
    """Create the folder of the locker file `path` when it is missing.

    A new `.govgate/` gets a `.gitignore` of `*`. Raises UsageError (one line, exit 2) when the
    folder cannot be created.
    """
    parent = path.parent
    if parent.is_dir():
        return
    try:
        parent.mkdir(parents=True, exist_ok=True)
        if parent.name == ".govgate":
            # Local state, not source: keep it out of commits (export it to commit it).
            (parent / ".gitignore").write_text(
                "# govgate's local state (evidence locker, caches); "
                "`govgate locker export DIR` writes a committable copy\n*\n",
                encoding="utf-8",
            )
    except OSError as exc:
        raise UsageError(
            f"{display_path(path)}: cannot create {parent}: {exc.strerror}; make it writable, "
            "or run with --no-locker"
        ) from exc


def read_yaml_bytes(
    file: Path, display: str, key: CacheKey | None = None
) -> tuple[LoadedYaml, bytes | None]:
    """Parse a YAML file and return the exact bytes parsed (None when they were not kept).

    With `key` (one the caller may cache with), a file whose exact bytes parsed before is
    read back from the user's cache instead of parsed (`load_yaml_cached`). Anything unusual
    (unreadable, too large, not UTF-8, a NUL byte) goes through `load_yaml_file`, so its error
    message is exactly the usual one.
    """
    from govgate import __version__

    try:
        content = file.read_bytes()
        if len(content) <= MAX_BYTES and b"\x00" not in content:
            text = content.decode("utf-8")
            return load_yaml_cached(text, display, key, __version__), content
    except (OSError, UnicodeDecodeError):
        pass
    return load_yaml_file(file, display=display), None


def load_config(
    root: Path,
    *,
    validated_cache: bool = False,
    settings_schemas: SettingsSchemas | None = None,
    cache_root: Path | None = None,
) -> Config:
    """Load and validate `govgate.yaml` at the repository root.

    With `validated_cache`, a file whose exact bytes validated before (`ValidationMarks`, in
    the locker's cache folder) is not validated against the schema again. `settings_schemas`
    (what the installed collectors and backends declare) checks their sections in the same
    pass; the schemas the file was checked against are part of what a mark stands for.
    `cache_root` is the folder whose cache is used when `root` is a copy of it (a git hook's
    snapshot of the staged files).
    """
    if not root.exists():
        raise ConfigError(str(root), None, "no such directory")
    if not root.is_dir():
        raise ConfigError(str(root), None, "not a directory; pass the repository's folder")
    file = find_config(root)
    if file is None:
        raise ConfigError(
            str(root / "govgate.yaml"), None, "not found; run `govgate init` to create one"
        )
    refuse_link_outside(file, root, file.name)
    if not validated_cache:
        loaded = load_yaml_file(file, display=file.name)
        return config_from_loaded(root, loaded, settings_schemas=settings_schemas)
    home = cache_root or root
    key = cache_key(home)
    loaded, content = read_yaml_bytes(file, file.name, key)
    if content is None:
        return config_from_loaded(root, loaded, settings_schemas=settings_schemas)
    if key is None:  # no key of ours: nothing cached can be trusted, validate
        return config_from_loaded(root, loaded, settings_schemas=settings_schemas)
    marks = ValidationMarks(marks_folder(home, loaded.data, "config"), "config", key)
    marked = content + (settings_schemas.salt(loaded.data) if settings_schemas else b"")
    if marks.seen(marked):
        return config_from_loaded(
            root, loaded, schema_checked=True, settings_schemas=settings_schemas
        )
    config = config_from_loaded(root, loaded, settings_schemas=settings_schemas)
    try:
        # the locker's folder, made as the locker makes it; None: nothing is cached this run
        folder = cache_directory(home, config)
    except GovgateError:
        return config  # the locker reports it; a mark is only an optimisation
    if folder is not None:
        marks.remember(marked)
    return config


def config_from_loaded(
    root: Path,
    loaded: LoadedYaml,
    *,
    schema_checked: bool = False,
    settings_schemas: SettingsSchemas | None = None,
) -> Config:
    """Validate an already parsed config document (used by `policy test` cases too).

    `schema_checked`: these exact bytes passed the schema before (see `ValidationMarks`).
    `settings_schemas`: the collectors' and backends' settings schemas, checked in the same
    pass; without them `Config.settings_checked` is False and the policy loader checks them.
    """
    data = loaded.data
    if data is None:
        raise ConfigError(loaded.path, 1, "file is empty; it needs at least `system: {name, risk}`")
    if not isinstance(data, dict):
        raise ConfigError(loaded.path, 1, "must be a mapping of keys (system:, packs:, ...)")
    if not schema_checked:
        from govgate.support.schemas import load_schema, schema_errors

        schema = load_schema("config")
        if settings_schemas is not None:
            settings_schemas.check()
            schema = settings_schemas.applied(schema, data)
        problems = schema_errors(loaded, schema)
        if problems:
            raise InputErrors([ConfigError(loaded.path, line, text) for line, text in problems])
    evidence = {
        kind: [paths] if isinstance(paths, str) else list(paths)
        for kind, paths in (data.get("evidence") or {}).items()
    }
    for kind, paths in evidence.items():
        for pattern in paths:
            if pattern.startswith("/") or ".." in pattern.split("/"):
                raise ConfigError(
                    loaded.path,
                    loaded.line_of(f"/evidence/{kind}"),
                    f"evidence.{kind}: {pattern!r} points outside the repository; "
                    "use a path relative to it",
                )
    return Config(
        root=root.resolve(),
        file=loaded.path,
        system=dict(data["system"]),
        packs=list(data.get("packs") or []),
        params={k: dict(v) for k, v in (data.get("params") or {}).items()},
        evidence=evidence,
        collectors={k: dict(v) for k, v in (data.get("collectors") or {}).items()},
        waivers=data.get("waivers", DEFAULT_WAIVERS),
        fail_on=data.get("fail_on", "high"),
        locker=data.get("locker", DEFAULT_LOCKER),
        raw=data,
        loaded=loaded,
        settings_checked=settings_schemas is not None,
    )


def config_error(config: Config, keys: tuple[str, ...], message: str) -> InputError:
    """An error about a key of govgate.yaml, pointing at its line."""
    return ConfigError(config.file, config.line_of(*keys), f"{'.'.join(keys)}: {message}")
