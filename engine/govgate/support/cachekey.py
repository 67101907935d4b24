"""The user's cache key: a secret that authenticates every cache entry govgate writes.

Caches sit next to the locker, inside the work tree, where a pull request can commit edited
copies. An entry counts only when it carries an HMAC made with this key, which lives in the
user's cache directory and never in a repository, so nothing committed can pass for one.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import secrets
import stat
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

#: The key file's name inside the user's cache directory.
KEY_FILE = "cache.key"
KEY_BYTES = 32


@dataclass(frozen=True)
class CacheKey:
    """A loaded key. `sign` authenticates an entry's parts; `name` derives a file name."""

    secret: bytes = field(repr=False)

    def _mac(self, parts: tuple[bytes | str, ...]) -> hmac.HMAC:
        mac = hmac.new(self.secret, digestmod=hashlib.sha256)
        for part in parts:
            data = part.encode("utf-8") if isinstance(part, str) else part
            # Length-prefixed: ("ab", "c") and ("a", "bc") must not authenticate each other.
            mac.update(len(data).to_bytes(8, "big"))
            mac.update(data)
        return mac

    def sign(self, *parts: bytes | str) -> str:
        """The HMAC-SHA256 of `parts` (in order), as hex."""
        return self._mac(parts).hexdigest()

    def verify(self, tag: object, *parts: bytes | str) -> bool:
        """Whether `tag` is the HMAC of `parts`; anything that is not one is False."""
        return isinstance(tag, str) and hmac.compare_digest(tag, self.sign(*parts))

    @property
    def key_id(self) -> str:
        """A public name of this key (16 hex), so an entry signed by another key is told apart
        from one edited after this key signed it."""
        return self.sign("govgate cache key id")[:16]


def user_cache_dir() -> Path:
    """`$GOVGATE_CACHE_DIR`, else `$XDG_CACHE_HOME/govgate`, else `~/.cache/govgate`."""
    configured = os.environ.get("GOVGATE_CACHE_DIR")
    if configured:
        return Path(configured).absolute()
    xdg = os.environ.get("XDG_CACHE_HOME")
    if xdg and Path(xdg).is_absolute():  # the XDG spec ignores a relative value
        return Path(xdg) / "govgate"
    return Path.home() / ".cache" / "govgate"


def load_key() -> CacheKey | None:
    """The user's key, created on first use; None when it cannot be read or made safely.

    Read once per process (per key file). Without a key govgate caches nothing, which costs
    speed only. Use `cache_key(repository)` for a run: it also refuses a key inside the repo.
    """
    return _load(str(user_cache_dir() / KEY_FILE))


def cache_key(repository: Path) -> CacheKey | None:
    """The key to cache with while checking `repository`; None (no cache for this run) when
    there is none, or when it lies inside the repository, where a commit could plant it."""
    directory = user_cache_dir()
    try:
        where = directory.resolve()
        root = repository.resolve()
    except (OSError, RuntimeError):
        return None
    if where == root or root in where.parents:
        return None
    return load_key()


@cache
def _load(path: str) -> CacheKey | None:
    key_file = Path(path)
    secret = _read(key_file)
    if secret is None and not os.path.lexists(key_file):
        secret = _create(key_file)
    return CacheKey(secret) if secret is not None else None


def _read(key_file: Path) -> bytes | None:
    """The key's bytes, when the file is ours alone: a regular file (not a link), owned by
    this user, readable by nobody else, of the right length."""
    try:
        fd = os.open(key_file, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size != KEY_BYTES:
            return None
        if hasattr(os, "geteuid") and (
            info.st_uid != os.geteuid() or info.st_mode & (stat.S_IRWXG | stat.S_IRWXO)
        ):
            return None  # another user could read or replace it, and forge entries
        data = os.read(fd, KEY_BYTES + 1)
    except OSError:
        return None
    finally:
        os.close(fd)
    return data if len(data) == KEY_BYTES else None


def _create(key_file: Path) -> bytes | None:
    """Write a new random key, atomically: a concurrent process either finds none or the
    whole of one, and two processes creating at once end up with the same key."""
    try:
        key_file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = key_file.with_name(f".{KEY_FILE}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError:
        return None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(secrets.token_bytes(KEY_BYTES))
            handle.flush()
            os.fsync(handle.fileno())
        with contextlib.suppress(FileExistsError):
            os.link(tmp, key_file)  # never replaces a key another process made meanwhile
    except OSError:
        return None
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()
    return _read(key_file)
