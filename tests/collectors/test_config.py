"""The config collector on real files: five formats, lines, BOM/CRLF, broken input, secrets."""

from __future__ import annotations

import json
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


#: .env files as people write them: (text, the key to locate, its line).
ENV_FILES = [
    ('MODE="strict" # the reviewed setting\nLEVEL=2 # inline comment\n', "MODE", 1),
    ("BANNER='no # comment here'\n", "BANNER", 1),
    ('NOTICE="first line\nsecond line"\nAFTER=1\n', "AFTER", 3),
    ('ESCAPED="tab\\there \\"quoted\\" and a\\nnewline"\n', "ESCAPED", 1),
    ("RAW='kept \\n as written'\n", "RAW", 1),
    ("# header\n\n\n  export SPACED = padded  \n", "SPACED", 4),
    ("FLAG\nEMPTY=\n", "EMPTY", 2),
    ("HOME_DIR=${HOME}/x\n", "HOME_DIR", 1),
    ("WINDOWS=1\r\nLINES=2\r\n", "LINES", 2),
]


@pytest.mark.parametrize(("text", "key", "line"), ENV_FILES)
def test_env_files_read_as_python_dotenv_reads_them(
    make_repo: Callable[..., RepoBuilder], text: str, key: str, line: int
) -> None:
    import io

    from dotenv import dotenv_values

    repo = make_repo({"app.env": text.encode()})
    items, collection = collect(repo.path, ["app.env"])
    expected = dict(dotenv_values(stream=io.StringIO(text), interpolate=False))
    assert items[0].data == expected
    assert items[0].locations[f"/{key}"] == line
    assert collection.diagnostics == []


def test_env_values_are_not_read_from_the_environment(
    make_repo: Callable[..., RepoBuilder], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CI_TOKEN_VALUE", "s3cret-from-ci")
    repo = make_repo({".env": "COPY=${CI_TOKEN_VALUE}\n"})
    items, _ = collect(repo.path, [".env"])
    assert items[0].data == {"COPY": "${CI_TOKEN_VALUE}"}


def test_env_unclosed_quotes_name_the_lines_they_swallow(make_repo) -> None:
    # As dotenv reads it, the open quote of B runs to the quote on line 4, then stops at text.
    text = 'A=1\nB="never closed\nC=3\nD="x" trailing words\nE=5\nF="x" words\n'
    repo = make_repo({".env": text})
    items, collection = collect(repo.path, [".env"])
    assert items[0].data == {"A": "1", "E": "5"}
    assert [(d.line, d.message) for d in collection.diagnostics] == [
        (2, "a quoted value without its closing quote (or text after it); lines 2-4 ignored"),
        (6, "a quoted value without its closing quote (or text after it); ignored"),
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


LLM_SETTINGS = """\
model:
  max_output_tokens: 512
  maxTokens: 4096
  token_limit: 8000
  tokens_per_minute: 90000
  password_min_length: 12
  token_rate_limit: true
  api_token: "123456"
  github_token: 123456
  secret_key: s3cr3t-v4lue
  password: true
  use_api_key: false
  credentials: {user: svc-bot, region: eu-west-1, max_age: 90}
  max_tokens: sk-live-9f8e7d
"""
LLM_ENV = "MAX_OUTPUT_TOKENS=512\nAPI_TOKENS=123456\nOPENAI_API_KEY=sk-live-abc\n"


def test_limits_named_by_token_keys_are_read_and_secrets_stay_hidden(make_repo) -> None:
    repo = make_repo({"llm.yaml": LLM_SETTINGS, "llm.env": LLM_ENV})
    items, _ = collect(repo.path, ["llm.yaml", "llm.env"])
    data = {item.subject: item.data for item in items}
    assert data["llm.yaml"]["model"] == {
        # numbers and booleans under a key naming a count or a limit are settings
        "max_output_tokens": 512,
        "maxTokens": 4096,
        "token_limit": 8000,
        "tokens_per_minute": 90000,
        "password_min_length": 12,
        "token_rate_limit": True,
        # a secret stays hidden, however numeric it looks, and so does all under credentials
        "api_token": "<redacted>",
        "github_token": "<redacted>",
        "secret_key": "<redacted>",
        "password": "<redacted>",
        "use_api_key": "<redacted>",
        "credentials": {"user": "<redacted>", "region": "<redacted>", "max_age": "<redacted>"},
        "max_tokens": "<redacted>",  # text that is no number is never a limit
    }
    # .env writes every value as text: a number under a limit key is still read as written
    assert data["llm.env"] == {
        "MAX_OUTPUT_TOKENS": "512",
        "API_TOKENS": "<redacted>",
        "OPENAI_API_KEY": "<redacted>",
    }
    blob = canonical_json([item.data for item in items]).decode()
    for raw in ("123456", "s3cr3t-v4lue", "svc-bot", "sk-live"):
        assert raw not in blob


def test_a_rule_on_a_token_limit_sees_the_number(make_repo, run_cli) -> None:
    pack = (
        "pack: llm\nversion: 1.0.0\ntitle: LLM limits\n"
        "evidence_kinds:\n  llm_settings: {collector: config, paths: [llm.yaml]}\n"
        "requirements:\n  - {id: L-1, title: Bounded output, source: {framework: T, ref: '1'}}\n"
        "controls:\n  - {id: LC-1, title: Output is bounded, satisfies: [L-1]}\n"
        "rules:\n  - id: LC-1.max\n    control: LC-1\n    severity: high\n"
        "    evidence: llm_settings\n"
        "    assert: {path: model.max_output_tokens, op: le, value: 1024}\n"
        "    message: 'max_output_tokens is {actual}'\n    remediation: lower it\n"
    )
    repo = make_repo(
        {
            "govgate.yaml": "system: {name: bot, risk: limited}\npacks: [./packs/llm]\n",
            "packs/llm/pack.yaml": pack,
            "llm.yaml": LLM_SETTINGS,
        }
    )
    assert run_cli("check", repo.path, "--no-locker").exit_code == 0
    repo.write({"llm.yaml": LLM_SETTINGS.replace("512", "4096")})
    failed = run_cli("check", repo.path, "--no-locker")
    assert failed.exit_code == 1
    assert "max_output_tokens is 4096" in failed.stderr


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


REVIEWER_PACK = """\
pack: p
version: 1.0.0
title: Reviewers
evidence_kinds:
  reviewers:
    collector: config
    paths: [oversight.yaml]
requirements:
  - {id: T-1, title: Reviewers trained, source: {framework: Test, ref: "1"}}
controls:
  - {id: C-1, title: Every reviewer is trained, satisfies: [T-1]}
rules:
  - id: C-1.trained
    control: C-1
    severity: high
    evidence: reviewers
    for_each: "values(reviewers)"
    assert: {path: trained, op: eq, value: true}
    message: "a reviewer is not trained"
    remediation: "train them"
"""


def test_keys_that_mask_alike_stay_separate_entries(make_repo, run_cli) -> None:
    """alice@ and anna@example.com both mask to a***@e***.com: merging them let the trained
    one hide the untrained one, and the gate passed."""
    repo = make_repo(
        {
            "govgate.yaml": "system: {name: s, risk: high}\npacks: [./packs/p]\n",
            "packs/p/pack.yaml": REVIEWER_PACK,
            "oversight.yaml": (
                "reviewers:\n"
                "  anna@example.com: {trained: false}\n"
                "  alice@example.com: {trained: true}\n"
            ),
        }
    ).path

    result = run_cli("check", repo, "--format", "json")

    assert result.exit_code == 1, result.output
    document = json.loads(result.stdout)
    findings = [f for f in document["findings"] if f["rule"] == "C-1.trained"]
    assert sorted(f["status"] for f in findings) == ["fail", "pass"]
    failed = next(f for f in findings if f["status"] == "fail")
    assert failed["location"] == {"path": "oversight.yaml", "line": 2}  # anna's own line
    assert "alice@" not in result.stdout and "anna@" not in result.stdout


def test_redact_json_and_mask_document_number_colliding_keys() -> None:
    from govgate.support.masking import mask_document
    from govgate.support.pii import redact_json

    document = {"alice@example.com": 1, "anna@example.com": 2, "a***@e***.com #2": 3}

    for masked in (redact_json(document), mask_document(document)):
        assert masked == {"a***@e***.com": 1, "a***@e***.com #2": 2, "a***@e***.com #2 #2": 3}
