"""The PDF of rich evidence: repository content stays literal text, nothing outside the template
folder is fetched, and progress reports every page and the end."""

from __future__ import annotations

from pathlib import Path

import pypdf
import pytest
from outputs.dossier.harness import HOSTILE, squash

from govgate.outputs.dossier import DossierInput, render_dossier


@pytest.fixture(scope="module")
def rich_pdf(
    rich_input: DossierInput, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, object, list[tuple[int, int | None, str]]]:
    calls: list[tuple[int, int | None, str]] = []
    out = tmp_path_factory.mktemp("rich") / "rich.pdf"
    report = render_dossier(rich_input, out, progress=lambda *a: calls.append(a))
    return out, report, calls


def test_repository_content_is_literal_text_and_nothing_outside_was_fetched(
    rich_pdf: tuple[Path, object, list[tuple[int, int | None, str]]],
) -> None:
    path, report, _ = rich_pdf
    text = squash("\n".join(p.extract_text() or "" for p in pypdf.PdfReader(path).pages))
    assert squash(f"Loan scoring model {HOSTILE}") in text  # the model card title
    assert squash(f"Intended use {HOSTILE}") in text
    assert squash(HOSTILE) in text
    fetches = report.fetches  # type: ignore[attr-defined]
    outside = [r for r in fetches if not r.served]
    assert outside == []
    assert not any("passwd" in r.url or "evil.invalid" in r.url for r in fetches)


def test_progress_reports_pages_and_completion(
    rich_pdf: tuple[Path, object, list[tuple[int, int | None, str]]],
) -> None:
    path, report, calls = rich_pdf
    pages = [done for done, _, label in calls if label == "laying out pages"]
    assert pages[:3] == [1, 2, 3]
    assert calls[-1] == (report.pages, report.pages, "done")  # type: ignore[attr-defined]
    assert len(pypdf.PdfReader(path).pages) == report.pages  # type: ignore[attr-defined]
