"""The documents collector on real files: outlines, sections, front matter, dates, model cards."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from govgate_collectors.documents.schema import DOCUMENT_SCHEMA
from jsonschema import Draft202012Validator

from govgate.core.collector import EvidenceKind
from govgate.core.evidence import Evidence, canonical_json
from govgate.run.check import get_registry
from govgate.run.collect import Collection, collect_evidence

from conftest import RepoBuilder

NOW = datetime(2026, 6, 1, tzinfo=UTC)


def collect(
    root: Path, paths: list[str], options: dict[str, Any] | None = None
) -> tuple[list[Evidence], Collection]:
    kind = EvidenceKind("doc", "documents", paths=tuple(paths), options=options or {})
    collection = collect_evidence(
        get_registry(), {"doc": kind}, {"doc"}, root, system={}, settings={}, now=NOW
    )
    assert collection.evidence.failed_collectors == {}
    items = collection.evidence.by_kind.get("doc", [])
    for item in items:
        if item.problem is None:
            assert list(Draft202012Validator(DOCUMENT_SCHEMA).iter_errors(item.data)) == []
    return items, collection


def one(root: Path, path: str, options: dict[str, Any] | None = None) -> tuple[Evidence, Any]:
    items, collection = collect(root, [path], options)
    assert len(items) == 1
    return items[0], collection


DPIA = (
    "\ufeff---\r\n"
    "title: DPIA – loan approval\r\n"
    "owner: Jane Doe <jane.doe@corp.example.com>\r\n"
    "last_updated: 1 March 2026\r\n"
    "version: 3\r\n"
    "---\r\n"
    "# Data protection impact assessment\r\n"
    "\r\n"
    "Why this document exists, in a few words.\r\n"
    "\r\n"
    "## 1. Purpose & scope ##\r\n"
    "We score consumer loans.\r\n"
    "#hashtag is not a heading\r\n"
    "\r\n"
    "```python\r\n"
    "# Risks (inside a fence: not a heading)\r\n"
    "x = 1\r\n"
    "```\r\n"
    "Risk-Assessment and mitigations\r\n"
    "-------------------------------\r\n"
    "Bias against thin-file applicants; mitigated by a review.\r\n"
    "\r\n"
    "### Residual risk\r\n"
    "Low.\r\n"
    "\r\n"
    "<!--\r\n"
    "## Draft section (commented out)\r\n"
    "-->\r\n"
    "    # indented code, not a heading\r\n"
    "\r\n"
    "Évaluation de la nécessité\r\n"
    "==========================\r\n"
    "~~~\r\n"
    "## still code\r\n"
    "~~~\r\n"
    "Contact the DPO at dpo@corp.example.com or +44 20 7946 0958.\r\n"
    "## Sign-off"  # truncated last line: no newline at the end
)

SECTIONS = {
    "purpose": ["purpose", "scope"],
    "risks": ["risk assessment", "risks"],
    "necessity": ["evaluation de la necessite", "necessity and proportionality"],
    "consultation": ["consultation of the DPO", "stakeholder consultation"],
    "sign_off": ["sign off", "approval"],
}


def test_markdown_outline_sections_and_word_counts(make_repo: Callable[..., RepoBuilder]) -> None:
    repo = make_repo({"governance/dpia.md": DPIA})
    item, collection = one(
        repo.path,
        "governance/dpia.md",
        {"required_sections": SECTIONS, "required_fields": ["owner", "approver", "version"]},
    )
    data = item.data
    assert data["format"] == "markdown"
    assert data["title"] == "DPIA – loan approval"
    assert [(h["level"], h["text"], h["line"]) for h in data["headings"]] == [
        (1, "Data protection impact assessment", 7),
        (2, "1. Purpose & scope", 11),
        (2, "Risk-Assessment and mitigations", 19),
        (3, "Residual risk", 23),
        (1, "Évaluation de la nécessité", 31),
        (2, "Sign-off", 37),
    ]
    assert data["sections"] == {
        "purpose": {"present": True, "heading": "1. Purpose & scope", "line": 11, "words": 9},
        "risks": {
            "present": True,
            "heading": "Risk-Assessment and mitigations",
            "line": 19,
            "words": 11,  # its own 8 words, plus "Residual risk" and "Low." beneath it
        },
        "necessity": {
            "present": True,
            "heading": "Évaluation de la nécessité",
            "line": 31,
            "words": 11,  # code fences are not words; the "Sign-off" heading is
        },
        "consultation": {"present": False, "heading": None, "line": None, "words": 0},
        "sign_off": {"present": True, "heading": "Sign-off", "line": 37, "words": 0},
    }
    assert data["missing_sections"] == ["consultation"]
    assert data["missing_fields"] == ["approver"]
    assert data["front_matter"]["owner"] == "Jane Doe <j***@c***.com>"
    assert data["front_matter"]["version"] == 3
    assert data["word_count"] == 53
    assert item.locations["/sections/risks"] == 19
    assert item.locations["/front_matter/owner"] == 3
    assert item.dated == "2026-03-01"
    assert collection.diagnostics == []
    text = canonical_json(item.data).decode()
    assert "jane.doe@" not in text and "dpo@corp" not in text and "7946" not in text


def test_dates_in_the_formats_people_write(make_repo: Callable[..., RepoBuilder]) -> None:
    repo = make_repo(
        {
            "docs/plan.md": (
                "---\n"
                "date: 2025-11-30\n"
                "approval_date: March 1, 2026\n"
                "review_date: 03/01/2026\n"
                "effective_date: 13/01/2026\n"
                "next_review: 2027-03-01\n"
                "review_cycle: annual\n"
                "updated_by: Ann\n"
                "signoff:\n"
                "  date: sometime in 2026\n"
                "---\n"
                "# Lifecycle plan\n"
            )
        }
    )
    item, collection = one(repo.path, "docs/plan.md")
    dates = item.data["dates"]
    assert {name: d["value"] for name, d in dates.items()} == {
        "date": "2025-11-30",
        "approval_date": "2026-03-01",
        "review_date": "2026-03-01",
        "effective_date": "2026-01-13",
        "next_review": "2027-03-01",
        "review_cycle": None,
        "updated_by": None,
        "signoff.date": None,
    }
    assert dates["review_date"]["ambiguous"] is True
    assert dates["effective_date"]["ambiguous"] is False
    assert dates["review_date"]["line"] == 4
    assert dates["signoff.date"] == {
        "value": None,
        "raw": "sometime in 2026",
        "ambiguous": False,
        "note": "not a date in a known format; write YYYY-MM-DD",
        "line": 10,
    }
    # approval_date outranks date; next_review (a future date) never stands for currency
    assert item.dated == "2026-03-01"
    assert sorted((d.line, d.message.split(":")[0]) for d in collection.diagnostics) == [
        (4, "review_date"),  # ambiguous 03/01
        (10, "signoff.date"),  # has digits but is no date
    ]
    assert all(d.path == "docs/plan.md" for d in collection.diagnostics)


def test_dated_field_option_and_explicit_date_fields(make_repo: Callable[..., RepoBuilder]) -> None:
    text = "---\nlast_updated: 2026-01-10\nsigned: 2024-05-05\n---\n# Notice\n"
    repo = make_repo({"privacy.md": text})
    item, _ = one(repo.path, "privacy.md", {"date_fields": ["signed"], "dated_field": "signed"})
    assert list(item.data["dates"]) == ["signed"]
    assert item.dated == "2024-05-05"
    item, collection = one(repo.path, "privacy.md", {"dated_field": "approved_on"})
    assert item.dated is None
    assert item.data["dates"]["approved_on"]["note"] == "missing"
    assert any("dated_field approved_on" in d.message for d in collection.diagnostics)


def test_dates_written_in_the_body(make_repo: Callable[..., RepoBuilder]) -> None:
    repo = make_repo(
        {
            "docs/fria.md": (
                "# Fundamental rights impact assessment\n"
                "\n"
                "**Last updated:** 5 April 2026\n"
                "\n"
                "| Field | Value |\n"
                "|---|---|\n"
                "| Approval date | 2026-04-02 |\n"
                "\n"
                "Reviewed: by the board, eventually\n"
                "```\n"
                "Review date: 2020-01-01\n"
                "```\n"
            )
        }
    )
    item, _ = one(repo.path, "docs/fria.md")
    dates = item.data["dates"]
    assert {k: (v["value"], v["line"]) for k, v in dates.items()} == {
        "last_updated": ("2026-04-05", 3),
        "approval_date": ("2026-04-02", 7),
    }
    assert item.dated == "2026-04-05"


def test_front_matter_defects_are_reported_and_the_body_still_read(
    make_repo: Callable[..., RepoBuilder],
) -> None:
    repo = make_repo(
        {
            "dup.md": "---\nowner: A\ntitle: One\nowner: B\n---\n# Body heading\ntext\n",
            "open.md": "---\nowner: A\n# Heading after unclosed front matter\n",
            "list.md": "---\n- a\n- b\n---\n# H\n",
            "broken.md": "---\nowner: [unclosed\n---\n# H\n",
        }
    )
    items, collection = collect(repo.path, ["*.md"], {"required_fields": ["owner"]})
    by_path = {i.subject: i.data for i in items}
    assert by_path["dup.md"]["front_matter_error"] == (
        "line 4: duplicate key 'owner' (first at line 2); keep one of them"
    )
    assert by_path["dup.md"]["headings"] == [{"level": 1, "text": "Body heading", "line": 6}]
    assert by_path["dup.md"]["missing_fields"] == ["owner"]
    assert "never closed" in by_path["open.md"]["front_matter_error"]
    assert by_path["list.md"]["front_matter_error"].startswith("front matter must be a mapping")
    assert by_path["broken.md"]["front_matter_error"].startswith("line 3: invalid YAML")
    assert sorted((d.path, d.line) for d in collection.diagnostics) == [
        ("broken.md", 3),
        ("dup.md", 4),
        ("list.md", 2),
        ("open.md", 1),
    ]


def test_binary_and_mixed_encoding_files_are_problems_not_crashes(
    make_repo: Callable[..., RepoBuilder],
) -> None:
    repo = make_repo(
        {
            "docs/image.md": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
            "docs/latin1.md": "# Notice\nplain line\ncaf\xe9 in Latin-1\n".encode("latin-1"),
            "docs/ok.md": "# Fine\n",
        }
    )
    items, collection = collect(repo.path, ["docs/*.md"])
    problems = {i.subject: i.problem for i in items}
    assert problems == {
        "docs/image.md": "line 3: contains NUL bytes: a binary file, not a text document",
        "docs/latin1.md": (
            "line 3: not valid UTF-8 (mixed or legacy encoding); save the file as UTF-8"
        ),
        "docs/ok.md": None,
    }
    errors = sorted((d.path, d.line, d.level) for d in collection.diagnostics)
    assert errors == [("docs/image.md", 3, "error"), ("docs/latin1.md", 3, "error")]


def test_json_model_card(make_repo: Callable[..., RepoBuilder]) -> None:
    card = {
        "model_details": {
            "name": "credit-scorer",
            "version": {"name": "2.3.0", "date": "2026-02-14"},
            "owners": [{"name": "Risk ML", "contact": "risk-ml@corp.example.com"}],
            "overview": "Gradient-boosted trees scoring consumer credit applications.",
        },
        "model_parameters": {},
        "quantitative_analysis": {
            "performance_metrics": [{"type": "auc", "value": 0.81, "slice": "all"}]
        },
    }
    repo = make_repo({"model_card.json": json.dumps(card, indent=2) + "\n"})
    item, _ = one(repo.path, "model_card.json", {"required_fields": ["owners", "license"]})
    data = item.data
    assert data["format"] == "model_card_json"
    assert data["title"] == "credit-scorer"
    assert data["front_matter"] == {
        "name": "credit-scorer",
        "version": {"name": "2.3.0", "date": "2026-02-14"},
        "owners": [{"name": "Risk ML", "contact": "r***@c***.com"}],
    }
    assert {k: (v["present"], v["line"]) for k, v in data["sections"].items()} == {
        "model_details": (True, 2),
        "model_parameters": (False, 16),  # there, but empty
        "quantitative_analysis": (True, 17),
        "considerations": (False, None),
    }
    assert data["missing_sections"] == ["model_parameters", "considerations"]
    assert data["missing_fields"] == ["license"]
    assert data["dates"]["version.date"]["value"] == "2026-02-14"
    assert item.dated == "2026-02-14"


def test_broken_json_model_card(make_repo: Callable[..., RepoBuilder]) -> None:
    repo = make_repo({"card.json": '{\n  "model_details": {\n    "name": "x",\n  }\n}\n'})
    item, collection = one(repo.path, "card.json")
    assert item.problem is not None and item.problem.startswith("line 4: invalid JSON")
    assert [(d.path, d.line) for d in collection.diagnostics] == [("card.json", 4)]


def test_bad_options_fail_loudly(make_repo: Callable[..., RepoBuilder]) -> None:
    repo = make_repo({"a.md": "# A\n"})
    kind = EvidenceKind(
        "doc",
        "documents",
        paths=("a.md",),
        options={"required_section": {"x": ["y"]}},
        declared_in="packs/p/pack.yaml:7",
    )
    collection = collect_evidence(
        get_registry(), {"doc": kind}, {"doc"}, repo.path, system={}, settings={}, now=NOW
    )
    message = collection.evidence.failed_collectors["documents"]
    assert "evidence kind 'doc' (packs/p/pack.yaml:7)" in message
    assert "unknown option 'required_section'" in message


def test_symlink_leaving_the_repository_is_refused(
    make_repo: Callable[..., RepoBuilder], tmp_path: Path
) -> None:
    secret = tmp_path / "secret.md"
    secret.write_text("# Secret heading\n")
    repo = make_repo({"docs/real.md": "# Real\n"})
    os.symlink(secret, repo.path / "docs" / "leak.md")
    items, collection = collect(repo.path, ["docs/*.md"])
    assert [i.subject for i in items] == ["docs/real.md"]
    assert [(d.path, d.level) for d in collection.diagnostics] == [("docs/leak.md", "error")]
    assert "outside the repository" in collection.diagnostics[0].message


def test_each_matching_file_is_one_item_and_duplicates_of_kinds_are_separate(
    make_repo: Callable[..., RepoBuilder],
) -> None:
    repo = make_repo({"docs/a.md": "# A\n", "docs/b.md": "# B\n", "docs/c.txt": "# C\n"})
    items, _ = collect(repo.path, ["docs/*.md", "docs/a.md"])
    assert [i.subject for i in items] == ["docs/a.md", "docs/b.md"]


PACK = """\
pack: docs-test
version: 0.1.0
title: Governance documents
requirements:
  - {id: D-REQ, title: A current DPIA, source: {framework: Test, ref: "1"}}
controls:
  - {id: D-1, title: The DPIA is complete and current, satisfies: [D-REQ]}
evidence_kinds:
  test_dpia:
    collector: documents
    paths: [governance/dpia.md]
    options:
      required_sections:
        risks: [risk assessment, risks]
        consultation: [consultation of the DPO]
      required_fields: [owner]
rules:
  - id: D-1.sections
    control: D-1
    severity: high
    evidence: test_dpia
    assert: {path: missing_sections, op: empty}
    message: "{source.path} lacks sections: {actual}"
    remediation: add the missing sections
  - id: D-1.owner
    control: D-1
    severity: medium
    evidence: test_dpia
    assert: {path: missing_fields, op: empty}
    message: "{source.path} names no owner"
    remediation: add owner to the front matter
  - id: D-1.fresh
    control: D-1
    severity: medium
    evidence: test_dpia
    max_age: 365d
    assert: {path: dates.last_updated.value, op: exists}
    message: "{source.path} has no last_updated date"
    remediation: add last_updated to the front matter
"""


def test_check_reads_document_evidence_through_rules(
    make_repo: Callable[..., RepoBuilder], run_cli: Callable[..., Any]
) -> None:
    repo = make_repo(
        {
            "govgate.yaml": "system: {name: t, risk: high}\npacks: [./packs/docs-test]\n",
            "packs/docs-test/pack.yaml": PACK,
            "governance/dpia.md": (
                "---\nowner: Privacy Office\nlast_updated: 2019-01-31\n---\n"
                "# DPIA\n\n## Risks\nThin-file bias.\n"
            ),
        }
    )
    result = run_cli("check", repo.path, "--format", "json")
    assert result.exit_code == 1, result.stderr
    document = json.loads(result.stdout)
    findings = {f["rule"]: f for f in document["findings"]}
    assert {rule: f["status"] for rule, f in findings.items()} == {
        "D-1.sections": "fail",
        "D-1.owner": "pass",
        "D-1.fresh": "fail",
    }
    assert "consultation" in findings["D-1.sections"]["message"]
    assert "stale evidence" in findings["D-1.fresh"]["message"]
    assert "dated 2019-01-31" in findings["D-1.fresh"]["message"]
