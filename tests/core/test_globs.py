"""Repository globs match as wcmatch matches them, and find files in the spellings people use."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from wcmatch import glob as wcglob

from govgate.core.collector import IGNORED_DIRS, RepoFiles
from govgate.core.globs import glob_to_regex, spelled_regex, spelling_key, wcmatch_flags

#: (pattern, path): pairs where hand-written glob matchers commonly part from wcmatch.
PAIRS = [
    ("governance/{qms,quality}.md", "governance/qms.md"),
    ("governance/{qms,quality}.md", "governance/quality.md"),
    ("governance/{qms,quality}.md", "governance/other.md"),
    ("a**b", "axb"),
    ("a**b", "a/x/b"),
    ("docs/**", "docs/a/b/c.md"),
    ("docs/**", "docs"),
    ("**/junit*.xml", "junit.xml"),
    ("**/junit*.xml", "reports/deep/junit-unit.xml"),
    ("reports/**/*.xml", "reports/x.xml"),
    ("reports/**/*.xml", "reports/a/b/x.xml"),
    ("*/workflows/*.yml", ".github/workflows/ci.yml"),
    ("*.cdx.json", "sbom.cdx.json"),
    ("*.cdx.json", "nested/sbom.cdx.json"),
    ("[!a]b.md", "cb.md"),
    ("[!a]b.md", "ab.md"),
    ("[ab]*.md", "b-file.md"),
    ("file?.md", "file1.md"),
    ("file?.md", "file/.md"),
    ("{a,b}/{c,d}.md", "b/c.md"),
    ("{a,b}/{c,d}.md", "b/e.md"),
    ("x[ab", "x[ab"),
    ("{draft}.md", "{draft}.md"),
    ("a\\*b", "a*b"),
    ("a\\*b", "axb"),
    ("***/x", "a/b/x"),
    ("logs/decisions/**/*.jsonl.gz", "logs/decisions/2026/05.jsonl.gz"),
    ("!notes.md", "!notes.md"),
]


@pytest.mark.parametrize(("pattern", "path"), PAIRS)
def test_glob_to_regex_matches_as_wcmatch_does(pattern: str, path: str) -> None:
    expected = wcglob.globmatch(path, pattern, flags=wcmatch_flags())
    assert bool(glob_to_regex(pattern).match(path)) is expected


def test_the_differences_from_the_old_matcher_are_wcmatch_answers() -> None:
    assert glob_to_regex("governance/{qms,quality}.md").match("governance/qms.md")
    assert not glob_to_regex("a**b").match("a/x/b")  # `**` spans folders only as a segment
    assert glob_to_regex("a**b").match("axxb")


_PATTERN_PARTS = st.sampled_from(["a", "b", ".", "-", "*", "**", "?", "/", "!", "(", "+", " "])
_PATH_PARTS = st.sampled_from(["a", "b", ".", "-", "/", "!", "(", "+", " ", ".x"])


@pytest.mark.slow
@settings(max_examples=3000, deadline=None)
@given(
    pattern=st.lists(_PATTERN_PARTS, min_size=1, max_size=8).map("".join),
    path=st.lists(_PATH_PARTS, min_size=1, max_size=8).map("".join),
)
def test_plain_patterns_translated_without_wcmatch_match_as_it_does(
    pattern: str, path: str
) -> None:
    # Repository paths have no empty, `.` or `..` segment.
    if any(part in ("", ".", "..") for part in path.split("/")):
        return
    expected = wcglob.globmatch(path, pattern, flags=wcmatch_flags())
    assert bool(glob_to_regex(pattern).match(path)) is expected, (pattern, path)


_STEMS = st.sampled_from(["a", "b", "*", "?", "**", "a*", "{a,b}", "[ab]"])
_EXTENSIONS = st.sampled_from(["yaml", "yml", "YAML", "Yml", "md", "MD", "json", "Json", "x1"])


@pytest.mark.slow
@settings(max_examples=1500, deadline=None)
@given(
    folders=st.lists(st.sampled_from(["a", "b", "**", "*"]), max_size=2),
    stem=_STEMS,
    extension=_EXTENSIONS,
    path=st.lists(st.sampled_from(["a", "b"]), min_size=1, max_size=3).map("/".join),
    name=st.sampled_from(["a", "b", "ab", "a.b"]),
    spelled=_EXTENSIONS,
)
def test_a_pattern_matches_a_file_in_any_spelling_of_its_extension(
    folders: list[str], stem: str, extension: str, path: str, name: str, spelled: str
) -> None:
    pattern = "/".join([*folders, f"{stem}.{extension}"])
    file = f"{path}/{name}.{spelled}"
    # The same name as people spell it: equal once both are written the one way.
    same = bool(glob_to_regex(pattern).match(file)) or bool(
        glob_to_regex(spelling_key(pattern)).match(spelling_key(file))
    )
    assert bool(spelled_regex(pattern).match(file)) is same, (pattern, file)


def test_braces_that_expand_without_end_are_refused_not_run(tmp_path: Path) -> None:
    explosive = "{a,b}" * 12  # 4096 patterns
    with pytest.raises(ValueError, match="cannot be used"):
        glob_to_regex(explosive)
    files = RepoFiles(tmp_path)
    assert files.glob([explosive]) == []
    assert "cannot be used" in files.refused[explosive]


TREE = [
    "governance/qms.md",
    "governance/oversight.yml",
    "governance/dpia/loan.md",
    "governance/dpia/archive/2024.md",
    ".github/workflows/ci.yml",
    ".github/CODEOWNERS",
    "reports/eval/run.json",
    "reports/junit.xml",
    "reports/unit/junit-fast.xml",
    "axb",
    "a/x/b",
    ".env",
    "docs/model_card.md",
    "node_modules/pkg/index.md",
    ".git/config",
]


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    for rel in TREE:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("x\n")
    return tmp_path


@pytest.mark.parametrize(
    "pattern",
    [
        "governance/{qms,quality}.md",
        "governance/**/*.md",
        "governance/dpia/*.md",
        "**/*.yml",
        "*/workflows/*.yml",
        "**/junit*.xml",
        "reports/**",
        "a**b",
        "*",
        "**/*.md",
        "{docs,governance}/*.md",
        "[.]env",
    ],
)
def test_repository_globs_find_what_wcmatch_finds_on_disk(tree: Path, pattern: str) -> None:
    on_disk = wcglob.glob(pattern, root_dir=tree, flags=wcmatch_flags() | wcglob.NODIR)
    expected = sorted(
        p for p in on_disk if not set(p.split("/")[:-1]) & IGNORED_DIRS
    )  # govgate never looks inside .git, node_modules, ...
    assert RepoFiles(tree).glob([pattern]) == expected


def test_a_leading_dot_slash_keeps_the_dot_of_dot_github(tree: Path) -> None:
    files = RepoFiles(tree)
    assert files.glob(["./.github/workflows/*.yml"]) == [".github/workflows/ci.yml"]
    assert files.glob(["./.github/CODEOWNERS"]) == [".github/CODEOWNERS"]
    assert files.glob(["././governance/qms.md"]) == ["governance/qms.md"]


def test_a_file_name_matches_in_the_spellings_people_use(tree: Path) -> None:
    (tree / "reports/eval/other.JSON").write_text("{}\n")
    (tree / "governance/risks.YAML").write_text("x: 1\n")
    files = RepoFiles(tree)
    assert files.glob(["governance/oversight.yaml"]) == ["governance/oversight.yml"]
    assert files.glob(["governance/risks.yaml", "governance/risks.yml"]) == [
        "governance/risks.YAML"
    ]
    assert files.glob(["reports/eval/*.json"]) == [
        "reports/eval/other.JSON",
        "reports/eval/run.json",
    ]
    assert files.glob(["governance/*.yaml"]) == [
        "governance/oversight.yml",
        "governance/risks.YAML",
    ]
    assert files.glob(["governance/*.YML"]) == ["governance/oversight.yml", "governance/risks.YAML"]
    # Only the extension: another name, or a name in another case, is not the same file.
    assert files.glob(["governance/QMS.md", "governance/oversight.json"]) == []


def test_a_plain_path_that_exists_is_taken_as_it_is(tree: Path) -> None:
    (tree / "governance/oversight.yaml").write_text("x: 1\n")
    assert RepoFiles(tree).glob(["governance/oversight.yaml"]) == ["governance/oversight.yaml"]


@pytest.mark.parametrize(
    ("path", "key"),
    [
        ("governance/oversight.YML", "governance/oversight.yaml"),
        ("governance/oversight.Yaml", "governance/oversight.yaml"),
        ("reports/x.JSON", "reports/x.json"),
        (".env", ".env"),
        ("Makefile", "Makefile"),
        ("a.b/c", "a.b/c"),
        ("x.tar.GZ", "x.tar.gz"),
        ("*.{yaml,yml}", "*.{yaml,yml}"),
    ],
)
def test_spelling_key(path: str, key: str) -> None:
    assert spelling_key(path) == key


def test_near_names_point_at_a_file_spelled_another_way(tree: Path) -> None:
    (tree / "governance/QMS.md").write_text("x\n")
    (tree / "Datasheets").mkdir()
    (tree / "Datasheets/credit.md").write_text("x\n")
    files = RepoFiles(tree)
    assert files.near_names(["governance/qms-manual.md"]) == []
    assert files.near_names(["governance/Qms.md"]) == ["governance/QMS.md", "governance/qms.md"]
    assert files.near_names(["governance/oversigth.yaml"]) == ["governance/oversight.yml"]
    assert files.near_names(["datasheets/*.md"]) == ["Datasheets/credit.md"]
