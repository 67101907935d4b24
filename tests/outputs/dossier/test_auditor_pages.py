"""The pages an auditor reads first and would send back if they were wrong: the evidence
manifest (no path or timestamp broken mid-word), the decision-log page (counts with their
denominators and a chart), the cover (owner, risk tier, the run), readiness beside a failing
gate explained, and chart labels clear of the threshold line."""

from __future__ import annotations

import copy
import dataclasses
import re
from pathlib import Path

import pytest
from outputs.dossier.harness import html_of, text_of

from govgate.outputs.dossier import DossierInput, bar_chart, render_dossier


@pytest.fixture(scope="module")
def example_pdf(example_input: DossierInput, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("auditor") / "dossier.pdf"
    render_dossier(example_input, out)
    return out


@pytest.fixture(scope="module")
def example_pdf_pages(example_pdf: Path) -> list[str]:
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(str(example_pdf))
    try:
        return [doc[i].get_textpage().get_text_range() for i in range(len(doc))]
    finally:
        doc.close()


@pytest.fixture(scope="module")
def example_pdf_text(example_pdf_pages: list[str]) -> str:
    return "\n".join(example_pdf_pages)


@pytest.mark.slow
def test_the_embedded_files_name_tree_is_sorted(example_pdf: Path) -> None:
    from pypdf import PdfReader

    tree = PdfReader(str(example_pdf)).trailer["/Root"]["/Names"]["/EmbeddedFiles"]
    keys = [str(k) for k in tree["/Names"][::2]]
    assert sorted(keys) == keys == ["govgate-evidence-manifest.json", "govgate-result.json"]


def _broken_somewhere(value: str, text: str, allowed: str = "") -> list[str]:
    """Each way `value` appears in `text` cut by a line break, except after a character of
    `allowed` (a path may wrap after a `/`)."""
    return [
        value[:k] + "\n" + value[k:]
        for k in range(1, len(value))
        if value[k - 1] not in allowed and value[:k] + "\n" + value[k:] in text
    ]


@pytest.mark.slow
def test_every_evidence_path_and_timestamp_reads_unbroken(
    example_input: DossierInput, example_pdf_text: str
) -> None:
    text = example_pdf_text.replace("\r\n", "\n")
    found = re.search(
        r"\nEvidence manifest\n\d+ evidence item\(s\)(.*?)\nMethodology\n", text, re.S
    )
    assert found, "the manifest section"
    manifest = found.group(1)
    evidence = example_input.result.get("evidence") or []
    paths = {str(e["source"]["path"]) for e in evidence if (e.get("source") or {}).get("path")}
    assert paths
    for path in sorted(paths):
        assert path in re.sub(r"/\n", "/", manifest), f"{path} is not in the manifest"
        assert not _broken_somewhere(path, manifest, allowed="/"), f"{path} broken mid-segment"
    for entry in evidence:
        moment = entry["collected_at"]
        assert moment in manifest and not _broken_somewhere(moment, manifest), moment


def test_the_decision_log_page_gives_counts_with_denominators_and_a_chart(
    example_input: DossierInput,
) -> None:
    (summary,) = [e for e in example_input.evidence if e.kind == "decision_log.summary"]
    data = summary.data
    html = html_of(example_input)
    page = html.split('id="decision-logs"', 1)[1].split("</section>", 1)[0]
    text = text_of(page)
    high = data["high_risk"]
    share = 100 * high["with_reviewer"] / high["records"]
    assert f"{high['with_reviewer']:,} of {high['records']:,} ({share:.1f}%)" in text
    assert f"Records {data['records']:,}" in text
    for name, count in data["by_decision_type"].items():
        assert f"{name} {count:,} of {data['records']:,}" in text
    assert "<svg" in page and "Share of records carrying each field" in page
    assert "human_review.require d" not in text


def test_the_cover_names_owner_risk_tier_role_and_run(example_input: DossierInput) -> None:
    result = copy.deepcopy(dict(example_input.result))
    result["run"] = {**result["run"], "id": 7}
    cover = text_of(
        html_of(dataclasses.replace(example_input, result=result)).split("</section>")[0]
    )
    system = result["system"]
    assert f"System owner {system['owner']}" in cover
    assert f"Risk tier {system['risk']}" in cover
    assert f"Role {system['role'].replace('_', ' ')}" in cover
    assert "locker run #7" in cover
    del result["system"]["owner"]
    cover = text_of(
        html_of(dataclasses.replace(example_input, result=result)).split("</section>")[0]
    )
    assert "System owner not stated in govgate.yaml (system.owner)" in cover


@pytest.mark.parametrize(("band", "explained"), [("production-ready", True), ("close", False)])
def test_production_ready_beside_a_failing_gate_is_explained(
    example_input: DossierInput, band: str, explained: bool
) -> None:
    result = copy.deepcopy(dict(example_input.result))
    result["gate"] = "fail"
    result["readiness"] = {"score": 11, "of": 12, "band": band, "criteria": {}}
    text = text_of(html_of(dataclasses.replace(example_input, result=result)))
    assert ("Readiness and the gate answer different questions, so both hold" in text) is explained


def test_a_value_label_is_never_drawn_over_the_threshold_line() -> None:
    chart = bar_chart(
        [("just below", 0.78, False), ("far below", 0.3, False), ("above", 0.95, False)],
        title="Impact ratio",
        scale_max=1.0,
        lines=[(0.8, "0.8")],
        flag_below=0.8,
    )
    (line,) = chart["lines"]
    just, far, above = chart["bars"]
    assert just["value_x"] >= line["x"] + 4, "0.780 ▼ below would sit on the 0.8 line"
    assert far["value_x"] + 60 < line["x"] or far["value_x"] > line["x"]
    assert above["value_x"] == chart["bar_x"] + above["width"] + 4


def test_undefined_metrics_leave_no_row(example_input: DossierInput, tmp_path: Path) -> None:
    from outputs.dossier.harness import fairness_item

    fairness = fairness_item()
    data = copy.deepcopy(fairness.data)
    data["attributes"][0]["between_groups"]["scoring_rate_ratio"] = None
    data["attributes"][0]["between_groups"]["scoring_rate_difference"] = None
    item = dataclasses.replace(fairness, data=data)
    html = html_of(dataclasses.replace(example_input, evidence=(*example_input.evidence, item)))
    assert "Demographic parity ratio" in html
    assert "Scoring rate" not in html
