"""The user's cache key: made once, private, shared by concurrent processes, and never taken
from inside the repository being checked."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from govgate.support.cachekey import KEY_FILE, cache_key, load_key, user_cache_dir


def test_the_key_is_made_once_private_and_read_back(tmp_path: Path, monkeypatch) -> None:
    folder = tmp_path / "user" / "cache"
    monkeypatch.setenv("GOVGATE_CACHE_DIR", str(folder))
    key = load_key()
    assert key is not None
    key_file = folder / KEY_FILE
    assert key_file.read_bytes() == key.secret and len(key.secret) == 32
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert sorted(p.name for p in folder.iterdir()) == [KEY_FILE]  # no temporary file left
    assert load_key() is key  # read once per process
    assert key.verify(key.sign("a", b"b"), "a", b"b")
    assert not key.verify(key.sign("ab", b""), "a", b"b")  # parts are length-prefixed
    assert not key.verify(None, "a", b"b")


def test_processes_starting_together_end_up_with_one_key(tmp_path: Path) -> None:
    folder = tmp_path / "shared"
    code = (
        "from govgate.support.cachekey import load_key; k = load_key(); "
        "print(k.key_id if k else 'none')"
    )
    env = {**os.environ, "GOVGATE_CACHE_DIR": str(folder)}
    processes = [
        subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, env=env)
        for _ in range(6)
    ]
    ids = {process.communicate()[0].strip() for process in processes}
    assert len(ids) == 1 and "none" not in ids, ids
    assert sorted(p.name for p in folder.iterdir()) == [KEY_FILE]


def test_a_key_inside_the_repository_is_refused(tmp_path: Path, monkeypatch) -> None:
    repo = tmp_path / "repo"
    (repo / "sub").mkdir(parents=True)
    monkeypatch.setenv("GOVGATE_CACHE_DIR", str(repo / ".cache"))
    assert load_key() is not None  # a key exists...
    assert cache_key(repo) is None  # ...but a commit could have planted it: no cache
    monkeypatch.setenv("GOVGATE_CACHE_DIR", str(repo))
    assert cache_key(repo) is None
    monkeypatch.setenv("GOVGATE_CACHE_DIR", str(tmp_path / "elsewhere"))
    assert cache_key(repo) is not None
    assert cache_key(repo / "sub") is not None


def test_a_symlink_into_the_repository_is_refused(tmp_path: Path, monkeypatch) -> None:
    repo = tmp_path / "repo"
    (repo / "keys").mkdir(parents=True)
    (tmp_path / "link").symlink_to(repo / "keys")
    monkeypatch.setenv("GOVGATE_CACHE_DIR", str(tmp_path / "link"))
    assert cache_key(repo) is None


@pytest.mark.parametrize("damage", ["shared", "short", "symlink", "foreign-owner"])
def test_a_key_file_others_could_read_or_replace_is_not_used(
    tmp_path: Path, monkeypatch, damage: str
) -> None:
    folder = tmp_path / damage
    folder.mkdir()
    key_file = folder / KEY_FILE
    if damage == "shared":
        key_file.write_bytes(b"k" * 32)
        key_file.chmod(0o644)
    elif damage == "foreign-owner":
        if os.geteuid() != 0:
            pytest.skip("giving a file to another user needs root")
        key_file.write_bytes(b"k" * 32)
        key_file.chmod(0o600)
        os.chown(key_file, 65534, 65534)
    elif damage == "short":
        key_file.write_bytes(b"k" * 16)
        key_file.chmod(0o600)
    else:
        target = tmp_path / "target"
        target.write_bytes(b"k" * 32)
        target.chmod(0o600)
        key_file.symlink_to(target)
    monkeypatch.setenv("GOVGATE_CACHE_DIR", str(folder))
    assert load_key() is None  # never trusted, never replaced: caching is off
    assert key_file.is_symlink() or key_file.read_bytes() in (b"k" * 32, b"k" * 16)


def test_where_the_key_lives(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("GOVGATE_CACHE_DIR", str(tmp_path / "explicit"))
    assert user_cache_dir() == tmp_path / "explicit"
    monkeypatch.delenv("GOVGATE_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert user_cache_dir() == tmp_path / "xdg" / "govgate"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/xdg")  # ignored, as the XDG spec says
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert user_cache_dir() == tmp_path / "home" / ".cache" / "govgate"
