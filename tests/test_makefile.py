"""`make demo` installs govgate's runtime package alone; `make test` everything."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import REPO_ROOT


def planned(target: str, tmp_path: Path) -> str:
    """The commands make would run for `target` (make -n), with fresh environments."""
    done = subprocess.run(
        [
            "make",
            "-n",
            "-C",
            str(REPO_ROOT),
            f"VENV={tmp_path}/full",
            f"DEMO_VENV={tmp_path}/demo",
            target,
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_demo_installs_the_runtime_package_only(tmp_path: Path) -> None:
    demo = planned(f"{tmp_path}/demo/.installed", tmp_path)
    installs = [line for line in demo.splitlines() if "pip install" in line]
    assert installs == [f"{tmp_path}/demo/bin/python -m pip install -q --no-compile -e ."]
    assert "plugins/" not in demo and f"{tmp_path}/full" not in demo
    full = planned(f"{tmp_path}/full/.installed", tmp_path)
    assert "-e '.[test,dev]'" in full and "plugins/govgate-spark" in full
