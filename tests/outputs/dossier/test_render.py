"""Rendering HTML from custom templates: a broken partial names its file and line, and an asset
outside the template folder is refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from govgate.outputs.dossier import DossierInput, render_html
from govgate.support.errors import UsageError


def test_template_override_with_a_syntax_error_names_file_and_line(
    example_input: DossierInput, tmp_path: Path
) -> None:
    (tmp_path / "cover.html").write_text("<h1>\n{% if %}\n", encoding="utf-8")
    with pytest.raises(UsageError, match=r"dossier template cover.html:2: "):
        render_html(example_input, templates=tmp_path)
    with pytest.raises(UsageError, match="not a directory"):
        render_html(example_input, templates=tmp_path / "cover.html")


def test_asset_outside_the_template_folder_is_refused(
    example_input: DossierInput, tmp_path: Path
) -> None:
    (tmp_path / "cover.html").write_text("{{ asset('../../etc/passwd') }}", encoding="utf-8")
    with pytest.raises(UsageError, match="no such file in the template folder"):
        render_html(example_input, templates=tmp_path)
