"""Writing the file: an existing dossier is replaced atomically."""

from __future__ import annotations

from pathlib import Path

from govgate.outputs.dossier import DossierInput, render_dossier


def test_output_is_replaced_atomically(example_input: DossierInput, tmp_path: Path) -> None:
    out = tmp_path / "d.html"
    out.write_text("old", encoding="utf-8")
    report = render_dossier(example_input, out, html=True)
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert report.size == out.stat().st_size
    assert [p.name for p in tmp_path.iterdir()] == ["d.html"]
