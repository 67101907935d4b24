"""The cached entry-point scan: what a later run finds after a plugin is installed, edited,
upgraded or removed, what a forged cache entry changes (nothing), and that a warm run no longer
imports importlib.metadata. Plugins are real distributions on sys.path, as in test_plugins."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from govgate.core.entrypoints import installed_plugins

GROUP = "govgate"


def install(site: Path, dist: str, version: str, entries: dict[str, str]) -> Path:
    """A distribution folder as pip leaves it: METADATA and entry_points.txt."""
    info = site / f"{dist.replace('-', '_')}-{version}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n")
    lines = "".join(f"{name} = {value}\n" for name, value in entries.items())
    (info / "entry_points.txt").write_text(f"[{GROUP}]\n{lines}")
    return info


def found(*names: str) -> dict[str, tuple[str, str | None, str | None]]:
    wanted = installed_plugins(GROUP)
    return {n: (e.value, e.dist_name, e.dist_version) for n, e in wanted.items() if n in names}


def cache_entries(cache_dir: Path) -> list[Path]:
    return sorted((cache_dir / "entry-points").glob("*.json"))


def test_installing_editing_upgrading_and_removing_a_plugin_is_seen_by_the_next_scan(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, _isolated_cache_key: Path
) -> None:
    site = tmp_path / "site"
    site.mkdir()
    monkeypatch.syspath_prepend(str(site))
    assert found("probe", "second") == {}
    info = install(site, "acme-probe", "1.0", {"probe": "acme_probe"})
    assert found("probe") == {"probe": ("acme_probe", "acme-probe", "1.0")}
    assert cache_entries(_isolated_cache_key)  # the scan was cached ...
    assert found("probe") == {"probe": ("acme_probe", "acme-probe", "1.0")}  # ... and reused

    # entry_points.txt edited in place (same folder, same size): the new name is found.
    (info / "entry_points.txt").write_text(f"[{GROUP}]\nproxy = acme_probe\n")
    assert found("probe", "proxy") == {"proxy": ("acme_probe", "acme-probe", "1.0")}

    # Upgraded: pip writes a new folder named by the new version.
    shutil.rmtree(info)
    info = install(site, "acme-probe", "2.0", {"proxy": "acme_probe:plugin"})
    assert found("proxy") == {"proxy": ("acme_probe:plugin", "acme-probe", "2.0")}

    # A second distribution added, then the first removed.
    install(site, "acme-second", "0.1", {"second": "acme_second"})
    assert set(found("proxy", "second")) == {"proxy", "second"}
    shutil.rmtree(info)
    assert set(found("proxy", "second")) == {"second"}


def test_a_forged_or_edited_cache_entry_decides_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, _isolated_cache_key: Path
) -> None:
    site = tmp_path / "site"
    site.mkdir()
    monkeypatch.syspath_prepend(str(site))
    install(site, "acme-probe", "1.0", {"probe": "acme_probe"})
    honest = found("probe", "evil")
    [entry] = cache_entries(_isolated_cache_key)
    tag, _, body = entry.read_bytes().partition(b"\n")
    stored = json.loads(body)
    # A plugin added and the real one dropped, the MAC left as it was.
    stored["entries"] = [
        {"name": "evil", "value": "os:system", "dist_name": "x", "dist_version": "1"}
    ]
    entry.write_bytes(tag + b"\n" + json.dumps(stored).encode())
    assert found("probe", "evil") == honest
    # A whole entry signed by another key (here: a made-up MAC) is ignored too.
    entry.write_bytes(b"0" * 64 + b"\n" + json.dumps(stored).encode())
    assert found("probe", "evil") == honest == {"probe": ("acme_probe", "acme-probe", "1.0")}


PROBE = """\
import sys
from govgate.core.plugins import get_plugin_manager
pm = get_plugin_manager(["probe"])  # the installed mlflow and spark plugins stay out
print(sorted(pm.distributions), "importlib.metadata" in sys.modules)
"""


@pytest.mark.slow
def test_a_warm_run_finds_the_plugins_without_importing_importlib_metadata(
    tmp_path: Path, _isolated_cache_key: Path
) -> None:
    """importlib.metadata and its scan cost about 30 ms of every commit hook."""
    site = tmp_path / "site"
    (site / "acme_probe").mkdir(parents=True)
    (site / "acme_probe" / "__init__.py").write_text("")
    install(site, "acme-probe", "1.0", {"probe": "acme_probe"})
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")]),
        "GOVGATE_DISABLE_PLUGIN_AUTOLOAD": "1",
    }

    def run() -> str:
        done = subprocess.run(
            [sys.executable, "-c", PROBE], capture_output=True, text=True, env=env, timeout=120
        )
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()

    first, second = run(), run()
    assert first.startswith("['probe'") and first.endswith("True")
    assert second == first.replace("True", "False")


def test_the_plugin_list_names_the_cached_distribution(
    tmp_path: Path, run_cli: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`govgate plugins` shows the same distribution on a scan and on a cache hit."""
    monkeypatch.delenv("GOVGATE_DISABLE_PLUGIN_AUTOLOAD", raising=False)
    site = tmp_path / "site"
    package = f"acme_listed_{tmp_path.name[-8:]}".replace("-", "_")
    (site / package).mkdir(parents=True)
    (site / package / "__init__.py").write_text("")
    install(site, "acme-listed", "3.1", {"listed": package})
    monkeypatch.syspath_prepend(str(site))

    def listed() -> dict[str, Any]:
        result = run_cli("plugins", "--format", "json")
        assert result.exit_code == 0, result.stderr
        entry = next(e for e in json.loads(result.stdout) if e["name"] == "listed")
        return {"distribution": entry["distribution"], "version": entry["version"]}

    try:
        assert listed() == listed() == {"distribution": "acme-listed", "version": "3.1"}
    finally:
        sys.modules.pop(package, None)
