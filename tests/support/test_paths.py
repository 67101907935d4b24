"""The one check that a file read as part of a folder does not leave it through a symlink."""

from __future__ import annotations

from pathlib import Path

import pytest

from govgate.support.errors import InputError
from govgate.support.paths import links_leaving, refuse_link_outside


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / "packs" / "f").mkdir(parents=True)
    (root / "shared.yaml").write_text("a: 1\n")
    (tmp_path / "outside.yaml").write_text("a: 2\n")
    (root / "inside-link.yaml").symlink_to(root / "shared.yaml")
    (root / "packs" / "f" / "pack.yaml").symlink_to(tmp_path / "outside.yaml")
    (root / "packs" / "away").symlink_to(tmp_path, target_is_directory=True)
    return root


def test_a_link_inside_is_read_and_a_link_outside_is_refused_naming_both(tree: Path) -> None:
    refuse_link_outside(tree / "inside-link.yaml", tree, "inside-link.yaml")
    refuse_link_outside(tree / "shared.yaml", tree, "shared.yaml")
    refuse_link_outside(tree / "missing.yaml", tree, "missing.yaml")  # its reader says so
    outside = (tree.parent / "outside.yaml").resolve()
    with pytest.raises(InputError) as refused:
        refuse_link_outside(tree / "packs/f/pack.yaml", tree, "packs/f/pack.yaml")
    assert str(refused.value) == (
        f"packs/f/pack.yaml: is a symlink to {outside}, outside the repository; refused: "
        "put the file itself in the repository instead of a link"
    )
    with pytest.raises(InputError, match=r"^through-folder\.yaml: is a symlink to"):
        # A folder on the way counts as much as the file itself.
        refuse_link_outside(tree / "packs/away/outside.yaml", tree, "through-folder.yaml")


def test_every_link_leaving_a_folder_is_listed_files_and_folders(tree: Path) -> None:
    found = [(link.relative_to(tree).as_posix(), target) for link, target in links_leaving(tree)]
    assert found == [
        ("packs/away", tree.parent.resolve()),
        ("packs/f/pack.yaml", (tree.parent / "outside.yaml").resolve()),
    ]
