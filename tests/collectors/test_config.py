"""The config collector on real files: five formats, lines, BOM/CRLF, broken input, secrets."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from govgate.core.collector import EvidenceKind
from govgate.core.evidence import canonical_json
from govgate.run.check import get_registry
from govgate.run.collect import collect_evidence

from conftest import RepoBuilder

NOW = datetime(2026, 6, 1, tzinfo=UTC)


def collect(root: Path, paths: list[str], options: dict | None = None):
    registry = get_registry()
    kind = EvidenceKind("settings", "config", paths=tuple(paths), options=options or {})
    collection = collect_evidence(
        registry, {"settings": kind}, {"settings"}, root, system={}, settings={}, now=NOW
    )
    return collection.evidence.by_kind.get("settings", []), collection


@pytest.mark.parametrize(
    ("name", "text", "data", "line_pointer", "line"),
    [
        (
            "a.yaml",
            "retention:\n  logs_days: 400\n  pii_days: 30\n",
            {"retention": {"logs_days": 400, "pii_days": 30}},
            "/retention/pii_days",
            3,
        ),
        (
            "a.json",
            '{\n  "retention": {\n    "logs_days": 400\n  }\n}\n',
            {"retention": {"logs_days": 400}},
            "/retention/logs_days",
            3,
        ),
        (
            "a.toml",
            "title = 'x'\n\n[retention]\nlogs_days = 400\n\n"
            "[[model]]\nname = 'a'\n\n[[model]]\nname = 'b'\n",
            {
                "title": "x",
                "retention": {"logs_days": 400},
                "model": [{"name": "a"}, {"name": "b"}],
            },
            "/model/1/name",
            10,
        ),
        (
            "a.ini",
            "[retention]\nlogs_days = 400\n\n[owner]\nrole: dpo\n",
            {"retention": {"logs_days": "400"}, "owner": {"role": "dpo"}},
            "/owner/role",
            5,
        ),
        (
            ".env",
            '# settings\nLOG_RETENTION_DAYS=400\nexport AI_ENABLED="true"\n',
            {"LOG_RETENTION_DAYS": "400", "AI_ENABLED": "true"},
            "/AI_ENABLED",
            3,
        ),
    ],
)
def test_formats_parse_with_key_lines(
    make_repo: Callable[..., RepoBuilder], name, text, data, line_pointer, line
) -> None:
    repo = make_repo({name: text})
    items, collection = collect(repo.path, [name])
    assert [i.problem for i in items] == [None]
    assert items[0].data == data
    assert items[0].locations[line_pointer] == line
    assert items[0].subject == name
    assert collection.diagnostics == []


def test_bom_and_crlf_are_read_transparently(make_repo) -> None:
    repo = make_repo({"a.yaml": b"\xef\xbb\xbfkill_switch:\r\n  enabled: true\r\n"})
    items, _ = collect(repo.path, ["a.yaml"])
    assert items[0].data == {"kill_switch": {"enabled": True}}
    assert items[0].locations["/kill_switch/enabled"] == 2


@pytest.mark.parametrize(
    ("name", "content", "problem"),
    [
        ("bad.yaml", "a: 1\nb: [1,\n", "invalid YAML"),
        ("bad.json", '{"a": 1,}\n', "line 1: invalid JSON"),
        ("bad.toml", "a = \n", "invalid TOML"),
        ("latin.yaml", b"a: caf\xe9\n", "line 1: not valid UTF-8"),
        ("nul.json", b'{"a": "\x00"}', "contains a NUL byte"),
        ("nan.json", '{"a": NaN}', "NaN is not valid JSON"),
        ("huge.json", '{"a": 1E400}', "the number 1E400 is too large for a 64-bit float"),
    ],
)
def test_unparseable_file_is_evidence_with_a_problem(make_repo, name, content, problem) -> None:
    repo = make_repo({name: content})
    items, collection = collect(repo.path, [name])
    assert len(items) == 1, "a broken file must still be reported, never skipped"
    assert problem in (items[0].problem or "")
    assert collection.diagnostics[0].path == name
    assert collection.diagnostics[0].level == "error"


def test_env_malformed_and_duplicate_lines_are_reported(make_repo) -> None:
    repo = make_repo({".env": "A=1\nthis is not a pair\nA=2\n"})
    items, collection = collect(repo.path, [".env"])
    assert items[0].data == {"A": "2"}
    messages = [(d.line, d.message) for d in collection.diagnostics]
    assert messages == [
        (2, "not a KEY=VALUE line; ignored"),
        (3, "duplicate key A (first at line 1); last one wins"),
    ]


def test_secrets_and_personal_data_never_leave_the_collector(make_repo) -> None:
    repo = make_repo(
        {
            "app.yaml": (
                "db_password: hunter2\napi_key: sk-live-123456\n"
                "contact: jane.doe@example.com\noncall_phone: +44 20 7946 0958\n"
            )
        }
    )
    items, _ = collect(repo.path, ["app.yaml"])
    blob = canonical_json(items[0].data).decode()
    for raw in ("hunter2", "sk-live-123456", "jane.doe@example.com", "7946 0958"):
        assert raw not in blob
    assert items[0].data["db_password"] == "<redacted>"
    assert items[0].data["contact"] == "j***@e***.com"


def test_symlink_leaving_the_repository_is_refused(make_repo, tmp_path) -> None:
    outside = tmp_path / "outside.yaml"
    outside.write_text("secret: 1\n")
    repo = make_repo({"other.yaml": "a: 1\n"})
    (repo.path / "link.yaml").symlink_to(outside)
    items, collection = collect(repo.path, ["*.yaml"])
    assert [i.subject for i in items] == ["other.yaml"]
    assert ("link.yaml", "symlink points outside the repository; refused") in [
        (d.path, d.message) for d in collection.diagnostics
    ]


def test_fifo_is_refused_not_read(make_repo) -> None:
    import os

    repo = make_repo({"a.yaml": "a: 1\n"})
    os.mkfifo(repo.path / "pipe.yaml")
    items, collection = collect(repo.path, ["*.yaml"])
    assert [i.subject for i in items] == ["a.yaml"]
    assert any(
        d.path == "pipe.yaml" and "not a regular file" in d.message for d in collection.diagnostics
    )
