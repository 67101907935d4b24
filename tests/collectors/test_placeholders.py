"""The placeholders collector: init's TODO markers left in any evidence file, with file and line;
and, through `govgate check`, a file left unfinished fails whatever rules currently read it."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from govgate_collectors.placeholders import PlaceholdersCollector, markers_in
from jsonschema import Draft202012Validator

from govgate.core.collector import CollectContext, EvidenceKind, RepoFiles

from conftest import CliResult, RepoBuilder


def collect(root: Path, kinds: list[EvidenceKind]) -> list[Any]:
    collector = PlaceholdersCollector()
    ctx = CollectContext(
        root=root,
        collector=collector.name,
        collector_version=collector.version,
        kinds=list(collector.kinds),
        settings={},
        system={},
        files=RepoFiles(root),
        run_kinds=kinds,
    )
    items = list(collector.collect(ctx))
    for item in items:
        Draft202012Validator(collector.kinds[0].schema).validate(item.data)
    return items


def test_markers_are_the_word_todo_with_their_lines() -> None:
    text = "owner: ''   # TODO: who\nname: TODOS\n# todo later\n<!--\nTODO: write it\n-->\n"
    assert markers_in(text) == [
        {"line": 1, "text": "owner: '' # TODO: who"},
        {"line": 5, "text": "TODO: write it"},
    ]


def test_each_unfinished_evidence_file_is_an_item_located_at_its_first_marker(
    tmp_path: Path,
) -> None:
    (tmp_path / "governance/dpia").mkdir(parents=True)
    (tmp_path / "governance/dpia/a.md").write_text("---\nowner: x\n---\n# DPIA\n\nTODO: risks\n")
    (tmp_path / "governance/raci.yaml").write_text("functions: {}\n")
    (tmp_path / "sbom.json").write_text('{"description": "TODO"}\n')  # presence-only evidence
    (tmp_path / "governance/model.bin").write_bytes(b"\x00TODO")
    kinds = [
        EvidenceKind("dpia", "documents", paths=("governance/dpia/*.md",)),
        EvidenceKind("raci", "config", paths=("governance/raci.yaml",)),
        EvidenceKind("sbom", "files", paths=("sbom.json",)),
    ]
    [item] = collect(tmp_path, kinds)
    assert (item.source.path, item.source.line) == ("governance/dpia/a.md", 6)
    assert item.data["kinds"] == ["dpia"]
    assert item.data["markers"] == [{"line": 6, "text": "TODO: risks"}]
    (tmp_path / "governance/dpia/a.md").write_text("# DPIA\n\nThe risks are...\n")
    [clean] = collect(tmp_path, kinds)
    assert clean.data == {"file": None, "count": 0, "files_scanned": 2, "markers": []}


def test_a_tier_change_leaves_the_templates_it_no_longer_reads_failing(
    make_repo: Callable[..., RepoBuilder], run_cli: Callable[..., CliResult]
) -> None:
    repo = make_repo(commit=False)
    init = run_cli("init", repo.path, "--risk", "high")
    assert init.exit_code == 0, init.output
    assert (repo.path / "governance/qms.md").is_file()  # a high-risk provider's QMS
    config = yaml.safe_load((repo.path / "govgate.yaml").read_text())
    config["system"]["risk"] = "limited"
    (repo.path / "govgate.yaml").write_text(yaml.safe_dump(config))
    repo.commit("limited risk after all")

    done = run_cli("check", repo.path, "--no-locker", "--format", "json")

    result = json.loads(done.stdout)
    left = {
        f["location"]["path"]: f
        for f in result["findings"]
        if f["rule"] == "RD-00.no-placeholders" and f["status"] == "fail"
    }
    # No rule of a limited-risk system reads the QMS or the FRIA, yet they fail as unfinished.
    qms_rules = {f["status"] for f in result["findings"] if f["rule"].startswith("EU-10.")}
    assert qms_rules == {"not_applicable"}
    qms = left["governance/qms.md"]
    assert qms["location"]["line"] == 2  # the front matter's first placeholder
    assert qms["message"].startswith("governance/qms.md:2 is an unfinished template: owner:")
    assert any(path.startswith("governance/fria/") for path in left)
    assert "governance/attestations/executive-sponsor.yaml" in left
    assert result["readiness"]["band"] != "production-ready"
    assert result["gate"] == "fail" and done.exit_code == 1


def test_after_a_pack_is_removed_only_governance_files_are_still_scanned(tmp_path: Path) -> None:
    # README: a leftover template fails wherever no rule reads it only under governance/
    # (collectors.placeholders.paths); outside it, no kind of a removed pack reads it any more
    (tmp_path / "governance").mkdir()
    (tmp_path / "docs").mkdir()
    (tmp_path / "governance/qms.md").write_text("# QMS\n\nTODO: owner\n")
    (tmp_path / "docs/technical_documentation.md").write_text("# Docs\n\nTODO: write\n")
    doc_kind = EvidenceKind("tech_docs", "documents", paths=("docs/*.md",))
    with_pack = {i.source.path for i in collect(tmp_path, [doc_kind])}
    assert with_pack == {"governance/qms.md", "docs/technical_documentation.md"}
    [left] = collect(tmp_path, [])
    assert left.source.path == "governance/qms.md"
