"""`govgate trace`, `coverage`, `impact` and `graph` as a user runs them: output, exit codes,
and JSON that other tools (networkx) read back."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from typing import Any

import networkx as nx
import pytest
from graph_packs import EXTRA_PACK, GAPS_PACK, HO_REQUIREMENTS, HO_RULES, with_pack


@pytest.fixture
def loan(example_repo: Any) -> Path:
    repo: Path = example_repo("loan-approval")
    with_pack(repo, "extra", EXTRA_PACK)
    (repo / "docs").mkdir(exist_ok=True)
    (repo / "docs" / "extra_card.md").write_text("# Model card\n", encoding="utf-8")
    return repo


def check_json(run_cli: Any, repo: Path) -> dict[str, Any]:
    result = run_cli("check", repo, "--format", "json", "--no-locker")
    assert result.exit_code in (0, 1), result.stderr
    document: dict[str, Any] = json.loads(result.stdout)
    return document


def rule_statuses(document: dict[str, Any]) -> dict[str, str]:
    """Each rule's status over its findings, as the trace shows it."""
    from govgate.analysis.graph import rule_status

    counts: dict[str, dict[str, int]] = {}
    for finding in document["findings"]:
        per = counts.setdefault(finding["rule"], {})
        per[finding["status"]] = per.get(finding["status"], 0) + 1
    return {rule: rule_status(c) for rule, c in counts.items()}


def test_trace_gdpr_22_lists_controls_rules_evidence_and_files_with_statuses(
    run_cli: Any, loan: Path
) -> None:
    document = check_json(run_cli, loan)
    result = run_cli("trace", "GDPR-22", loan)
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    lines = out.splitlines()
    gdpr = next(r for r in document["requirements"] if r["id"] == "GDPR-22")
    assert lines[0].startswith(f"requirement GDPR-22  [{gdpr['status']}]  GDPR Art. 22(3)")
    for control in document["controls"]:
        if control["id"] in ("HO-1", "HO-2"):
            assert f"control {control['id']}  [{control['status']}]" in out
    statuses = rule_statuses(document)
    for rule in HO_RULES:
        assert f"rule {rule}  [{statuses[rule]}]" in out
    assert re.search(r"evidence kind oversight_config  \[(ok|cached)\]  from collector config", out)
    assert "collector config  [ok]" in out or "collector config  [cached]" in out
    digest = next(e["digest"] for e in document["evidence"] if e["kind"] == "oversight_config")
    assert f"evidence {digest[:19]}…  oversight_config governance/oversight.yaml" in out
    assert "file governance/oversight.yaml" in out
    # Failing findings are shown with where and why.
    for finding in document["findings"]:
        if finding["status"] == "fail" and finding["rule"] in HO_RULES:
            assert finding["message"] in out
    assert "needed by: nothing" in out
    assert "EX-" not in out and "extra_card" not in out


def test_trace_gdpr_22_lists_the_decision_logs_its_summary_was_read_from(
    run_cli: Any, loan: Path
) -> None:
    """GD-12 and HO-3 rest on a summary of every decision log: the trace names each log file,
    not only governance/oversight.yaml."""
    logs = sorted(p.name for p in (loan / "logs" / "decisions").glob("*.jsonl"))
    assert "2026-10.jsonl" in logs  # the example's logs, as generate.py writes them
    result = run_cli("trace", "GDPR-22", loan)
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert re.search(r"evidence sha256:[0-9a-f]{12}…  decision_log\.summary ", out)
    assert "file logs/decisions/2026-10.jsonl\n" in out
    for name in logs:
        assert f"file logs/decisions/{name}\n" in out
    # The test reports behind HO-2.override-tested too.
    assert "file reports/tests/junit.xml\n" in out

    data = json.loads(run_cli("trace", "GDPR-22", loan, "--format", "json").stdout)
    traced = nx.node_link_graph(data)
    assert "file:logs/decisions/2026-10.jsonl" in traced


def test_graph_json_links_the_decision_log_summary_to_each_log_file(
    run_cli: Any, loan: Path
) -> None:
    result = run_cli("graph", loan, "--format", "json")
    assert result.exit_code == 0, result.stderr
    graph = nx.node_link_graph(json.loads(result.stdout))
    (summary,) = [
        n
        for n, a in graph.nodes(data=True)
        if a.get("type") == "evidence" and a.get("kind") == "decision_log.summary"
    ]
    edge = graph.edges.get((summary, "file:logs/decisions/2026-10.jsonl"))
    assert edge == {"relation": "collected_from"}
    files = {t for _, t, r in graph.out_edges(summary, data="relation") if r == "collected_from"}
    assert files == {
        f"file:logs/decisions/{p.name}" for p in (loan / "logs" / "decisions").glob("*.jsonl")
    }
    # No evidence item summarised from files is left without a file edge.
    for kind in ("decision_log.summary", "test_results.summary", "pii.scan"):
        for node, attrs in graph.nodes(data=True):
            if attrs.get("type") == "evidence" and attrs.get("kind") == kind:
                assert any(graph.nodes[t]["type"] == "file" for t in graph.successors(node)), kind
    # A change to one log touches the rules that read the summary.
    impact = json.loads(
        run_cli("impact", "--repo", loan, "logs/decisions/2026-10.jsonl", "--format", "json").stdout
    )
    assert {"GD-12.reasons-logged", "HO-3.reviewed-share"} <= {r["name"] for r in impact["rules"]}


def test_trace_json_is_node_link_data_that_networkx_reads_back(run_cli: Any, loan: Path) -> None:
    result = run_cli("trace", "GDPR-22", loan, "--format", "json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["graph"]["traced"] == "requirement:GDPR-22"
    graph = nx.node_link_graph(data)
    assert isinstance(graph, nx.DiGraph) and graph.is_directed()
    assert {f"control:{c}" for c in ("HO-1", "HO-2")} <= set(graph)
    assert {f"rule:{r}" for r in HO_RULES} <= set(graph)
    assert "file:governance/oversight.yaml" in graph
    assert graph.edges["requirement:GDPR-22", "control:HO-1"]["relation"] == "satisfied_by"
    assert graph.nodes["requirement:GDPR-22"]["framework"] == "GDPR"
    assert json.loads(json.dumps(nx.node_link_data(graph, edges="edges"))) == data


def test_trace_a_file_from_outside_the_repository_finds_the_repository(
    run_cli: Any, loan: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(loan.parent)
    result = run_cli("trace", f"{loan.name}/governance/oversight.yaml")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("file governance/oversight.yaml")
    assert "depends on: nothing" in result.stdout
    for req in HO_REQUIREMENTS:
        assert f"requirement {req}  [" in result.stdout
    assert "EX-1" not in result.stdout


def test_trace_of_a_file_that_nothing_reads_says_so(run_cli: Any, loan: Path) -> None:
    (loan / "README.md").write_text("# loan approval\n", encoding="utf-8")
    result = run_cli("trace", "README.md", loan)
    assert result.exit_code == 0, result.stderr
    assert "nothing in the loaded packs is linked to README.md" in result.stdout


def test_trace_of_an_unknown_id_is_a_usage_error_with_a_suggestion(
    run_cli: Any, loan: Path
) -> None:
    result = run_cli("trace", "HO-1.gate-configure", loan)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "govgate: error: 'HO-1.gate-configure' is not a requirement" in result.stderr
    assert "did you mean 'HO-1.gate-configured'" in result.stderr


def test_coverage_reports_the_gaps_a_test_pack_leaves(run_cli: Any, make_repo: Any) -> None:
    config = "version: 1\nsystem: {name: gaps, risk: high}\npacks:\n  - human-oversight\n"
    repo = make_repo({"govgate.yaml": config}).path
    with_pack(repo, "gaps", GAPS_PACK)
    result = run_cli("coverage", repo)
    assert result.exit_code == 0, result.stderr
    out = result.stdout

    def section(title: str) -> str:
        """The lines of one section of the report."""
        match = re.search(rf"^{title} \(\d+\)\n((?:  .*\n)*)", out, re.MULTILINE)
        assert match, f"no section {title!r} in:\n{out}"
        return match.group(1)

    assert "  GAP-1  Testland Art. 1: A requirement no control implements  (pack gaps)\n" in (
        section("requirements without controls")
    )
    assert "  GAP-C2  A control that no rule tests  (serves GAP-2)\n" in section(
        "controls without rules"
    )
    assert (
        "  GAP-C1.runs-tracked  reads tracked_runs; "
        "collector 'wandb' is not installed (pip install govgate-wandb)\n"
    ) in section("rules no installed collector can feed")
    assert re.search(
        r"^  gap_notes  \(collector files, declared at \S*packs/gaps/pack\.yaml:\d+\)$",
        section("evidence kinds nothing reads"),
        re.MULTILINE,
    )
    assert "GAP-2" not in section("requirements without controls")
    # GAP-1 has nothing behind it; GAP-2's only tested control fails (its collector is missing).
    assert re.search(r"\nTestland\s+0\s+1\s+0\s+1\s+0\n", out), out
    assert re.search(r"\n  HO-1  EU AI Act, GDPR, Readiness  \(AIA-14, GDPR-22, READY-04\)", out)
    assert "\n  GAP-C1  Otherland, Testland  (GAP-2, GAP-3)" in out

    as_json = run_cli("coverage", repo, "--format", "json")
    report = json.loads(as_json.stdout)
    assert [r["name"] for r in report["requirements_without_controls"]] == ["GAP-1"]
    assert report["rules_without_collector"][0]["collector"] == "wandb"
    assert report["frameworks"]["Testland"] == {
        "met": 0,
        "not_met": 1,
        "partial": 0,
        "unverified": 1,
        "not_applicable": 0,
    }


def test_coverage_of_the_example_has_no_gaps_in_human_oversight(run_cli: Any, loan: Path) -> None:
    report = json.loads(run_cli("coverage", loan, "--format", "json").stdout)
    gaps = [
        *report["requirements_without_controls"],
        *report["controls_without_rules"],
        *report["rules_without_collector"],
    ]
    assert not [g for g in gaps if g["name"] in HO_REQUIREMENTS | HO_RULES | {"HO-1", "HO-2"}]


def test_impact_of_the_oversight_file_names_human_oversight_and_nothing_unrelated(
    run_cli: Any, loan: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(loan.parent.parent)  # like `govgate impact examples/loan-approval/...`
    path = loan.relative_to(loan.parent.parent) / "governance" / "oversight.yaml"
    result = run_cli("impact", path)
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert out.startswith("governance/oversight.yaml\n")
    # Also read for LLM use and for leftover templates, as every YAML file of governance/ is.
    kinds = re.findall(r"^  read as evidence kind (\S+)", out, re.MULTILINE)
    assert "oversight_config" in kinds and "llm.usage" in kinds, kinds
    assert re.search(r"\naffects \d+ rules, \d+ controls, \d+ requirements\n", out)
    for name in HO_RULES | HO_REQUIREMENTS | {"HO-1", "HO-2"}:
        assert re.search(rf"^  {re.escape(name)}  \[", out, re.MULTILINE), name
    assert "EX-" not in out

    data = json.loads(run_cli("impact", path, "--format", "json").stdout)
    assert {r["name"] for r in data["rules"]} >= HO_RULES
    assert {r["name"] for r in data["requirements"]} >= HO_REQUIREMENTS
    assert "EX-C1.card-present" not in {r["name"] for r in data["rules"]}
    assert data["paths"][0]["path"] == "governance/oversight.yaml"


def test_impact_with_repo_reads_repository_paths_and_deleted_files(
    run_cli: Any, loan: Path
) -> None:
    (loan / "docs" / "extra_card.md").unlink()  # a change that deletes the model card
    result = run_cli("impact", "--repo", loan, "docs/extra_card.md", "--format", "json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert "EX-C1.card-present" in {r["name"] for r in data["rules"]}
    assert "EX-1" in {r["name"] for r in data["requirements"]}
    assert not HO_RULES & {r["name"] for r in data["rules"]}


def test_impact_of_a_folder_covers_its_files(run_cli: Any, loan: Path) -> None:
    data = json.loads(run_cli("impact", "--repo", loan, "governance", "--format", "json").stdout)
    assert {r["name"] for r in data["rules"]} >= HO_RULES
    assert "EX-C1.card-present" not in {r["name"] for r in data["rules"]}


def test_impact_of_unrelated_files_says_nothing_depends_on_them(run_cli: Any, loan: Path) -> None:
    result = run_cli("impact", "--repo", loan, "scratch/unrelated.txt")
    assert result.exit_code == 0
    assert result.stdout == (
        "scratch/unrelated.txt\n  nothing in the loaded packs reads it\n\n"
        "nothing in the loaded packs depends on these files\n"
    )


def test_impact_refuses_paths_outside_the_repository(run_cli: Any, loan: Path) -> None:
    result = run_cli("impact", "--repo", loan, "../elsewhere/file.yaml")
    assert result.exit_code == 2
    assert "points outside the repository" in result.stderr
    lonely = loan.parent / "lonely.yaml"
    lonely.write_text("x: 1\n", encoding="utf-8")
    result = run_cli("impact", lonely)
    assert result.exit_code == 2
    assert "no govgate.yaml in any folder above it; pass --repo DIR" in result.stderr


@pytest.mark.parametrize("fmt", ["json", "graphml", "dot", "mermaid"])
def test_graph_exports(run_cli: Any, loan: Path, tmp_path: Path, fmt: str) -> None:
    result = run_cli("graph", loan, "--format", fmt)
    assert result.exit_code == 0, result.stderr
    text = result.stdout
    if fmt == "json":
        graph = nx.node_link_graph(json.loads(text))
        assert {f"rule:{r}" for r in HO_RULES} | {"rule:EX-C1.card-present"} <= set(graph)
        assert graph.graph["schema"] == "govgate/graph/v1"
    elif fmt == "graphml":
        graph = nx.read_graphml(io.BytesIO(text.encode("utf-8")))
        assert graph.nodes["requirement:GDPR-22"]["framework"] == "GDPR"
    elif fmt == "dot":
        assert text.startswith('digraph "govgate" {')
        assert '"control:HO-1" -> "rule:HO-1.gate-configured"' in text
    else:
        assert text.startswith("flowchart LR\n")
        assert '-->|"satisfied_by"|' in text
    target = tmp_path / "out" / f"graph.{fmt}"
    written = run_cli("graph", loan, "--format", fmt, "--output", target)
    assert written.exit_code == 0 and written.stdout == ""
    # Same graph, written to a file (the run's timestamps may differ by a second).
    stamp = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
    assert stamp.sub("T", target.read_text(encoding="utf-8")) == stamp.sub("T", text)


def test_graph_of_a_repository_with_a_broken_pack_fails_with_file_and_line(
    run_cli: Any, make_repo: Any
) -> None:
    repo = make_repo(
        {"govgate.yaml": "version: 1\nsystem: {name: x, risk: high}\npacks:\n  - human-oversight\n"}
    ).path
    with_pack(repo, "bad", GAPS_PACK.replace("control: GAP-C1\n", "control: GAP-C9\n"))
    result = run_cli("graph", repo)
    assert result.exit_code == 2
    assert re.search(r"pack\.yaml:\d+: .*unknown control 'GAP-C9'", result.stderr), result.stderr
