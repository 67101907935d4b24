"""The files collector: presence, sizes and hashes, and an honest zero when nothing matches."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from govgate.core.collector import EvidenceKind
from govgate.run.check import get_registry
from govgate.run.collect import collect_evidence

NOW = datetime(2026, 6, 1, tzinfo=UTC)


def collect(root, *patterns: str):
    kind = EvidenceKind("dpia", "files", paths=patterns)
    collection = collect_evidence(
        get_registry(), {"dpia": kind}, {"dpia"}, root, system={}, settings={}, now=NOW
    )
    return collection.evidence.by_kind["dpia"], collection


def test_matches_with_sizes_and_hashes(make_repo) -> None:
    repo = make_repo(
        {
            "governance/dpia/loan.md": "# DPIA\n",
            "governance/dpia/old.txt": "x",
            "governance/dpia/sub/deep.md": "deep",
            "node_modules/x/dpia.md": "no",
        }
    )
    (item,), _ = collect(repo.path, "governance/dpia/**/*.md")
    assert item.data["count"] == 2
    assert [f["path"] for f in item.data["files"]] == [
        "governance/dpia/loan.md",
        "governance/dpia/sub/deep.md",
    ]
    assert item.data["files"][0]["sha256"] == hashlib.sha256(b"# DPIA\n").hexdigest()
    assert item.data["total_size"] == 7 + 4


def test_nothing_matched_is_count_zero_not_absence(make_repo) -> None:
    repo = make_repo({"README.md": "x"})
    (item,), _ = collect(repo.path, "governance/dpia/*.md")
    assert item.data == {
        "patterns": ["governance/dpia/*.md"],
        "count": 0,
        "total_size": 0,
        "files": [],
    }


def test_symlinked_directory_is_reported_not_followed(make_repo, tmp_path) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "dpia.md").write_text("outside")
    repo = make_repo({"governance/readme.md": "x"})
    (repo.path / "governance" / "ext").symlink_to(outside, target_is_directory=True)
    (item,), collection = collect(repo.path, "governance/**/*.md")
    assert [f["path"] for f in item.data["files"]] == ["governance/readme.md"]
    assert ("governance/ext", "symlinked directory not followed") in [
        (d.path, d.message) for d in collection.diagnostics
    ]
