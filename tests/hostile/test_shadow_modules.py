"""An author who wants the commit hook to pass commits Python modules named like govgate's own
(`govgate/`, `govgate_collectors/`) or its libraries' (`yaml.py`, `click.py`), or a
distribution's metadata folder declaring a govgate plugin, at the top of
the repository. Python run as `python -m` puts the current folder, where git runs hooks, first
on `sys.path`; the hook must never import from the repository under review."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.run.test_githooks import IDENTITY, PACK

from conftest import CliResult, RepoBuilder

CONFIG = "system: {name: shadowed, risk: high}\npacks: [./packs/p]\n"
# Imported instead of the real module, it reports a pass and ends the process before the gate.
FAKE_PASS = "import sys\nsys.stderr.write('gate: PASS (forged)\\n')\nsys.exit(0)\n"
SHADOWS = {
    "govgate": {"govgate/__init__.py": FAKE_PASS},
    "govgate_collectors": {"govgate_collectors/__init__.py": FAKE_PASS},
    "yaml.py": {"yaml.py": FAKE_PASS},
    "click.py": {"click.py": FAKE_PASS},
    # Read by `site` from the installed site folders only, before the current folder could
    # be on sys.path: these never ran, with or without -P; kept so it stays that way.
    "sitecustomize.py": {
        "sitecustomize.py": FAKE_PASS,
        "usercustomize.py": FAKE_PASS,
        "forged.pth": "import forged_pth\n",
        "forged_pth.py": FAKE_PASS,
    },
    # A distribution's metadata folder: found by entry-point discovery on every sys.path entry.
    "forged-1.0.dist-info": {
        "forged-1.0.dist-info/METADATA": "Metadata-Version: 2.1\nName: forged\nVersion: 1.0\n",
        "forged-1.0.dist-info/entry_points.txt": "[govgate]\nforged = forged_plugin\n",
        "forged_plugin.py": FAKE_PASS,
    },
}
ENV = {**os.environ, **IDENTITY}
ENV.pop("GOVGATE_DISABLE_PLUGIN_AUTOLOAD", None)  # entry-point discovery is what users have


@pytest.mark.slow
@pytest.mark.parametrize("shadow", sorted(SHADOWS))
def test_a_committed_module_cannot_stand_in_for_the_gate(
    shadow: str,
    make_repo: Callable[..., RepoBuilder],
    run_cli: Callable[..., CliResult],
    reliability,
) -> None:
    # A repository that fails the gate: its pack needs a DPIA and there is none.
    repo = make_repo({"govgate.yaml": CONFIG, "packs/p/pack.yaml": PACK})
    assert run_cli("hook", "install", repo.path).exit_code == 0
    repo.write(SHADOWS[shadow])
    subprocess.run(["git", "-C", str(repo.path), "add", "-A"], check=True, env=ENV)
    done = subprocess.run(
        ["git", "-C", str(repo.path), "commit", "-m", "add helpers"],
        capture_output=True,
        text=True,
        env=ENV,
    )
    assert "forged" not in done.stderr
    assert done.returncode == 1, done.stderr
    assert "DP-1.present" in done.stderr and "gate: FAIL" in done.stderr
    reliability.record(
        "shadow-module",
        f"committed {shadow} at the top of a failing repository, real pre-commit hook: "
        f"exit {done.returncode}, DP-1.present fails",
    )


@pytest.mark.slow
def test_the_console_script_the_pre_commit_framework_runs_is_immune(
    make_repo: Callable[..., RepoBuilder], reliability
) -> None:
    """The pre-commit framework's entry is the `govgate` console script, whose own folder (not
    the current one) heads sys.path: run from inside the repository it ignores the shadows."""
    files: dict[str, str | bytes] = {"govgate.yaml": CONFIG, "packs/p/pack.yaml": PACK}
    for shadow in SHADOWS.values():
        files.update(shadow)
    repo = make_repo(files)
    script = Path(sys.executable).with_name("govgate")
    done = subprocess.run(
        [str(script), "hook", "run", "--stage", "pre-commit", "."],
        cwd=repo.path,
        capture_output=True,
        text=True,
        env=ENV,
    )
    assert "forged" not in done.stderr
    assert done.returncode == 1 and "DP-1.present" in done.stderr, done.stderr
    reliability.record(
        "shadow-module",
        "every shadow at once, `govgate hook run` console script run from the repository: "
        f"exit {done.returncode}, DP-1.present fails",
    )
