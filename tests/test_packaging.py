"""The built wheel holds every sub-package and data file (a missing one silently vanishes)."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from conftest import REPO_ROOT

#: Source folder → its place in the wheel. engine/ and collectors/ are source roots (their
#: folders are the packages); the packs and templates are data mapped into `govgate`.
SOURCE_TO_PACKAGE = {
    "engine": "",
    "collectors": "",
    "policies": "govgate/policies",
    "evidence_templates": "govgate/evidence_templates",
}
IGNORED_PARTS = {"__pycache__", ".pytest_cache"}


def expected_members() -> set[str]:
    members = set()
    for source, target in SOURCE_TO_PACKAGE.items():
        base = REPO_ROOT / source
        for path in base.rglob("*"):
            if path.is_dir() or IGNORED_PARTS & set(path.parts) or path.suffix == ".pyc":
                continue
            if any(part.endswith(".egg-info") for part in path.parts):
                continue  # build metadata an editable install leaves in the source root
            members.add(f"{target}/{path.relative_to(base).as_posix()}".lstrip("/"))
    return members


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "build",
            "--wheel",
            "--no-isolation",
            "--outdir",
            str(out),
            str(REPO_ROOT),
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    (found,) = out.glob("govgate-*.whl")
    return found


@pytest.mark.slow
def test_wheel_contains_every_module_and_data_file(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    missing = sorted(expected_members() - names)
    assert not missing, f"missing from the wheel: {missing[:20]}"
    assert "govgate/support/schemas/policy.schema.json" in names
    assert any(n.startswith("govgate/policies/human-oversight/tests/") for n in names)


@pytest.mark.slow
def test_wheel_declares_the_console_script(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        entry_points = next(n for n in archive.namelist() if n.endswith("entry_points.txt"))
        text = archive.read(entry_points).decode()
    assert "govgate = govgate.cli.main:main" in text


def test_importing_source_folders_directly_is_banned(tmp_path: Path) -> None:
    offender = tmp_path / "offender.py"
    offender.write_text("import engine\nfrom collectors import files\n")
    ruff = Path(sys.executable).parent / "ruff"
    result = subprocess.run(
        [
            str(ruff),
            "check",
            "--no-cache",
            "--config",
            str(REPO_ROOT / "pyproject.toml"),
            "--select",
            "TID251",
            str(offender),
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1
    assert "`engine` is banned" in result.stdout
    assert "`collectors` is banned" in result.stdout
