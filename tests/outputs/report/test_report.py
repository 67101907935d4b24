"""`govgate report`: what the officer's HTML file holds, read as text (the browser tests click
through it). Three recorded runs of the loan-approval example; see conftest.py."""

from __future__ import annotations

import copy
import re
from html import unescape
from pathlib import Path

import pytest

from govgate.outputs.report.render import render_report
from govgate.outputs.report.runs import RecordedCheck

from .conftest import ThreeRuns

pytestmark = pytest.mark.slow


def _rows(html: str, table_id: str) -> list[str]:
    body = html.split(f'id="{table_id}"', 1)[1].split("</table>", 1)[0]
    return [unescape(re.sub(r"<[^>]+>", " ", row)) for row in body.split("<tr>")[2:]]


def test_the_history_shows_each_recorded_run_with_its_commit(three_runs: ThreeRuns) -> None:
    html = three_runs.report.read_text(encoding="utf-8")
    rows = _rows(html, "runs")
    assert [row.split()[0] for row in rows] == ["#1", "#2", "#3"]
    for row, commit in zip(rows, three_runs.commits, strict=True):
        assert commit[:10] in row
    assert "3 recorded run(s)" in three_runs.stderr
    assert "History across 3 recorded runs" in html


def test_the_change_of_status_names_the_run_and_the_commit_that_made_it(
    three_runs: ThreeRuns,
) -> None:
    html = three_runs.report.read_text(encoding="utf-8")
    changes = [" ".join(row.split()) for row in _rows(html, "changes")]
    assert changes, "deleting the privacy notice changes at least one requirement"
    assert all(row.startswith(f"#3 {three_runs.commits[2][:10]} ") for row in changes)
    by_id = {r["id"]: r["status"] for r in three_runs.latest["requirements"]}
    for row in changes:
        _seq, _commit, requirement, _old, new = row.split()
        assert by_id[requirement] == new


def test_the_overview_states_the_latest_gate_readiness_and_owner(three_runs: ThreeRuns) -> None:
    html = three_runs.report.read_text(encoding="utf-8")
    latest = three_runs.latest
    gate = re.search(r'id="gate">([^<]*)<', html)
    readiness = re.search(r'id="readiness">([^<]*)<', html)
    assert gate and gate.group(1) == latest["gate"].upper() == "FAIL"
    assert readiness and readiness.group(1) == (
        f"{latest['readiness']['score']}/{latest['readiness']['of']}"
    )
    assert "Owner: Credit Risk Engineering. Risk tier: high." in html


def test_every_requirement_control_and_cited_evidence_has_an_anchor(three_runs: ThreeRuns) -> None:
    html = three_runs.report.read_text(encoding="utf-8")
    ids = re.findall(r' id="([^"]+)"', html)
    assert len(ids) == len(set(ids)), "an id used twice breaks the links"
    targets = set(re.findall(r'href="#([^"]+)"', html))
    assert targets <= set(ids), f"links to nothing: {sorted(targets - set(ids))[:5]}"
    for requirement in three_runs.latest["requirements"]:
        assert f'href="#req-{requirement["id"]}"' in html or requirement["id"] in ids


def test_nothing_is_loaded_from_elsewhere(three_runs: ThreeRuns) -> None:
    html = three_runs.report.read_text(encoding="utf-8")
    assert not re.search(r'(?:src|href)="(?:https?:)?//', html)
    assert "@import" not in html and "url(http" not in html
    assert "default-src 'none'" in html


def test_repository_text_is_escaped_and_personal_data_masked(three_runs: ThreeRuns) -> None:
    result = copy.deepcopy(three_runs.latest)
    hostile = '<img src=x onerror="alert(1)"></script><script>alert(2)</script>'
    result["system"]["name"] = hostile
    result["findings"][0]["message"] = f"{hostile} mail jane.doe@example.com"
    result["evidence"][0]["source"]["path"] = "docs/<b>bold</b>.md"
    html, _ = render_report(
        [RecordedCheck(int(result["run"]["id"]), str(result["run"]["hash"]), result)],
        (),
        prepared_by="<i>someone</i>",
    )
    visible = html.split('<script type="application/vnd.govgate', 1)[0]
    assert "<img src=x" not in visible and "<script>alert" not in visible
    assert "&lt;img src=x onerror=" in visible
    assert "docs/&lt;b&gt;bold&lt;/b&gt;.md" in visible
    assert "<i>someone</i>" not in html
    assert "jane.doe@example.com" not in html


def test_no_locker_is_a_usage_error_not_an_empty_report(tmp_path: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    done = run_cli("report", tmp_path, "--out", tmp_path / "r.html")
    assert done.exit_code == 2
    assert "no evidence locker; run `govgate check` first" in done.stderr
    assert not (tmp_path / "r.html").exists()


@pytest.mark.parametrize(("gate", "explained"), [("fail", True), ("pass", False)])
def test_production_ready_beside_a_failing_gate_is_explained(
    three_runs: ThreeRuns, gate: str, explained: bool
) -> None:
    result = copy.deepcopy(three_runs.latest)
    result["gate"] = gate
    result["readiness"]["band"] = "production-ready"
    html, _ = render_report(
        [RecordedCheck(int(result["run"]["id"]), str(result["run"]["hash"]), result)],
        (),
        prepared_by="Audit Team",
    )
    assert ('id="disagree"' in html) is explained
    if explained:
        assert "another pack has a failing finding that blocks the gate" in html


def test_verify_checks_the_report_untouched_and_after_one_changed_byte(
    three_runs: ThreeRuns,
    tmp_path: Path,
    run_cli,  # type: ignore[no-untyped-def]
) -> None:
    import base64

    verified = run_cli("verify", three_runs.report)
    assert verified.exit_code == 0, verified.stderr
    assert "ok    govgate HTML document: an HTML report written by govgate" in verified.stderr
    assert "ok    recorded run 3: the embedded result and evidence match" in verified.stderr
    text = three_runs.report.read_text(encoding="utf-8")
    found = re.search(r'data-name="govgate-result.json" data-sha256="[^"]*">([^<]*)<', text)
    assert found
    data = bytearray(base64.b64decode(found.group(1)))
    at = data.index(b'"gate": "fail"') + 9
    data[at] = ord("p")  # "fail" becomes "pail": one byte
    forged = tmp_path / "forged.html"
    forged.write_text(
        text.replace(found.group(1), base64.b64encode(bytes(data)).decode("ascii")),
        encoding="utf-8",
    )
    failed = run_cli("verify", forged)
    assert failed.exit_code == 1
    assert "FAIL  attachment govgate-result.json: sha256 is" in failed.stderr
    assert failed.stderr.splitlines()[-1] == f"{forged}: NOT verified (1 check(s) failed)"


def test_verify_says_it_does_not_check_the_page_text(
    three_runs: ThreeRuns,
    tmp_path: Path,
    run_cli,  # type: ignore[no-untyped-def]
) -> None:
    """An edit of the visible text alone keeps the embedded files intact: verify cannot see it
    and must not let "verified" read as if it had."""
    text = three_runs.report.read_text(encoding="utf-8")
    edited = tmp_path / "edited.html"
    edited.write_text(text.replace('id="gate">FAIL<', 'id="gate">PASS<'), encoding="utf-8")
    assert edited.read_text(encoding="utf-8") != text
    done = run_cli("verify", edited)
    assert "skip  page text: not checked: the visible text is not compared" in done.stderr


def test_top_risks_name_the_owner_of_their_control(three_runs: ThreeRuns) -> None:
    import yaml

    owners = {}
    for pack in (Path(__file__).resolve().parents[3] / "policies").glob("*/pack.yaml"):
        for control in yaml.safe_load(pack.read_text(encoding="utf-8")).get("controls") or []:
            if isinstance(control, dict) and control.get("owner"):
                owners[str(control["id"])] = str(control["owner"])
    html = three_runs.report.read_text(encoding="utf-8")
    table = html.split("<h3>Top risks</h3>", 1)[1].split("</table>", 1)[0]
    rows = table.split("<tr>")[2:]
    assert rows
    for row in rows:
        rule = re.search(r'href="#rule-([^"]+)"', row)
        assert rule
        control = rule.group(1).split(".")[0]
        assert f"<td>{owners[control]}</td></tr>" in unescape(row)


def test_decision_log_volume_and_reviewer_coverage_per_run(three_runs: ThreeRuns) -> None:
    from govgate.locker import EvidenceLocker

    with EvidenceLocker.snapshot(three_runs.repo / ".govgate" / "locker.db") as locker:
        per_run = [
            [e.data for e in locker.run_evidence(seq) if e.kind == "decision_log.summary"]
            for seq in (1, 2, 3)
        ]
    html = three_runs.report.read_text(encoding="utf-8")
    rows = [row.split() for row in _rows(html, "decision-log-trend")]
    assert len(rows) == 3
    for seq, (row, summaries) in enumerate(zip(rows, per_run, strict=True), start=1):
        (data,) = summaries
        high = data["high_risk"]
        share = 100 * high["with_reviewer"] / high["records"]
        assert row == [
            f"#{seq}",
            f"{data['records']:,}",
            f"{high['records']:,}",
            f"{high['with_reviewer']:,}",
            f"{share:.1f}%",
        ]


def test_the_report_reads_the_locker_without_writing_to_it(
    three_runs: ThreeRuns,
    tmp_path: Path,
    run_cli,  # type: ignore[no-untyped-def]
) -> None:
    folder = three_runs.repo / ".govgate"
    before = {p.name: p.read_bytes() for p in folder.glob("locker.db*")}
    done = run_cli("report", three_runs.repo, "--out", tmp_path / "again.html")
    assert done.exit_code == 0, done.stderr
    after = {p.name: p.read_bytes() for p in folder.glob("locker.db*")}
    # SQLite's shared-memory index (-shm) is where every reader takes its read mark.
    assert {n: b for n, b in after.items() if n != "locker.db-shm"} == {
        n: b for n, b in before.items() if n != "locker.db-shm"
    }
