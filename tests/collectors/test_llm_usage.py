"""The llm_usage collector: LLM use found in a repository's code, dependencies, configuration
and prompts, with file and line; and, through `govgate check`, an LLM app that does not declare
`system.llm` is no pass and never production-ready."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from govgate_collectors.llm_usage import LlmUsageCollector, is_prompt_file, signals_in_text
from jsonschema import Draft202012Validator

from govgate.core.collector import CollectContext, RepoFiles

from conftest import EXAMPLES, CliResult, RepoBuilder


def collect(root: Path, settings: dict[str, Any] | None = None) -> dict[str, Any]:
    collector = LlmUsageCollector()
    ctx = CollectContext(
        root=root,
        collector=collector.name,
        collector_version=collector.version,
        kinds=list(collector.kinds),
        settings=settings or {},
        system={},
        files=RepoFiles(root),
    )
    [item] = list(collector.collect(ctx))
    Draft202012Validator(collector.kinds[0].schema).validate(item.data)
    return {"data": item.data, "source": item.source}


@pytest.mark.parametrize(
    ("path", "text", "what"),
    [
        ("app/bot.py", "import os\nfrom openai import OpenAI\n", "app/bot.py:2 imports openai"),
        ("app/a.py", "import anthropic\n", "app/a.py:1 imports anthropic"),
        ("app/g.py", "import google.generativeai as genai\n", "imports google.generativeai"),
        ("app/g2.py", "from google import genai\n", "imports google.genai"),
        ("app/g4.py", "from google.cloud import storage\n", None),
        ("app/g3.py", "from google.genai import types\n", "imports google.genai"),
        ("app/c.py", "from langchain_openai import ChatOpenAI\n", "imports langchain_openai"),
        ("app/l.py", "from llama_index.core import VectorStoreIndex\n", "imports llama_index"),
        ("app/m.py", "import litellm\n", "imports litellm"),
        ("app/v.py", "from vllm import LLM\n", "imports vllm"),
        ("app/o.py", "import ollama\n", "imports ollama"),
        ("app/t.py", 'pipe = pipeline("text-generation", model=m)\n', "for text generation"),
        ("app/e.py", "from transformers import AutoModel\n", None),  # embeddings are no LLM use
        (
            "web/chat.ts",
            'import Anthropic from "@anthropic-ai/sdk";\n',
            "imports @anthropic-ai/sdk",
        ),
        ("web/x.js", 'const { OpenAI } = require("openai");\n', "imports openai"),
        ("requirements.txt", "numpy==2.0\nopenai>=1.30\n", "requirements.txt:2 depends on openai"),
        ("pyproject.toml", 'dependencies = ["mistralai>=1"]\n', "depends on mistralai"),
        ("config/llm.yaml", "model: claude-3-5-sonnet-20240620\n", "names the model claude-3-5"),
        ("config/m.json", '{"model": "gpt-4o-mini"}\n', "names the model gpt-4o-mini"),
        ("config/g.toml", 'model = "gemini-1.5-pro"\n', "names the model gemini-1.5-pro"),
        ("app/note.py", "# we thought about openai once\nmy_openai = 1\n", None),
        ("docs/intro.md", "Answers are drafted by gpt-4o.\n", None),  # prose is no configuration
    ],
)
def test_signs_of_llm_use_in_one_file(path: str, text: str, what: str | None) -> None:
    found = signals_in_text(path, text)
    if what is None:
        assert found == []
    else:
        assert found, (path, text)
        assert what in f"{found[0]['where']} {found[0]['what']}"


def test_prompt_files_are_signs_by_where_they_are() -> None:
    assert is_prompt_file("prompts/system.txt")
    assert is_prompt_file("app/prompts/answer.md")
    assert is_prompt_file("agent/answer.prompt")
    assert is_prompt_file("templates/answer_prompt.j2")
    assert not is_prompt_file("templates/email.html.j2")
    assert not is_prompt_file("docs/prompts.md")


def test_one_item_names_the_first_sign_and_counts_them_all(tmp_path: Path) -> None:
    (tmp_path / "app").mkdir()
    (tmp_path / "app/bot.py").write_text("from openai import OpenAI\nx = 'gpt-4o'\n")
    (tmp_path / "prompts").mkdir()
    (tmp_path / "prompts/system.txt").write_text("You are a helpful assistant.\n")
    # The declaration is not the system; a vendored file can be left out.
    (tmp_path / "govgate.yaml").write_text("# the assistant runs on gpt-4o\n")
    (tmp_path / "vendor").mkdir()
    (tmp_path / "vendor/demo.py").write_text("import anthropic\n")
    (tmp_path / "big.json").write_text('{"model": "gpt-4o"}' + " " * 2_000_000)
    got = collect(tmp_path, {"ignore": ["vendor/**"]})
    data = got["data"]
    assert data["count"] == 3
    assert data["by_type"] == {
        "import": 1,
        "dependency": 0,
        "model_name": 1,
        "prompt_file": 1,
        "llm_config": 0,
        "ml_bom": 0,
        "redteam_output": 0,
    }
    assert data["first"]["where"] == "app/bot.py:1"
    assert data["first"]["what"] == "imports openai"
    assert data["files_skipped"] == 1  # the file over max_file_bytes
    assert (got["source"].path, got["source"].line) == ("app/bot.py", 1)
    assert {s["path"] for s in data["signals"]} == {"app/bot.py", "prompts/system.txt"}


def test_a_repository_without_llm_use_says_so(tmp_path: Path) -> None:
    (tmp_path / "score.py").write_text("import sklearn\n")
    data = collect(tmp_path)["data"]
    assert (data["count"], data["first"], data["files_scanned"]) == (0, None, 1)


def _app(make_repo: Callable[..., RepoBuilder], system: str) -> RepoBuilder:
    return make_repo(
        {
            "govgate.yaml": f"system: {{name: helpdesk, risk: limited{system}}}\n"
            "packs: [readiness]\n",
            "app/bot.py": "import os\nfrom openai import OpenAI\n\nclient = OpenAI()\n",
        }
    )


def _check(run_cli: Callable[..., CliResult], repo: RepoBuilder, *options: str) -> dict[str, Any]:
    done = run_cli("check", repo.path, *(options or ("--no-locker",)), "--format", "json")
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def test_an_llm_app_without_system_llm_fails_and_is_never_production_ready(
    make_repo: Callable[..., RepoBuilder], run_cli: Callable[..., CliResult]
) -> None:
    result = _check(run_cli, _app(make_repo, ""))
    findings = {f["rule"]: f for f in result["findings"]}
    declared = findings["RD-00.llm-declared"]
    assert declared["status"] == "fail"
    assert declared["message"].startswith(
        "LLM use detected in app/bot.py:2 (imports openai) but system.llm is not declared"
    )
    assert declared["location"] == {"path": "app/bot.py", "line": 2}
    # The prompt-injection rule is not "not applicable": it cannot tell, so it is not a pass.
    injection = findings["RD-12.prompt-injection-tested"]
    assert injection["status"] == "error"
    assert "govgate.yaml does not declare system.llm" in injection["message"]
    assert injection["remediation"].startswith("declare system.llm in govgate.yaml (true or false)")
    statuses = {r["id"]: r["status"] for r in result["requirements"]}
    assert statuses["READY-00"] == "not_met"
    assert statuses["READY-12"] != "not_applicable"
    assert result["readiness"]["band"] != "production-ready"
    assert result["readiness"]["held_back_by"] == "READY-00"


def test_declaring_llm_false_against_the_code_fails_too(
    make_repo: Callable[..., RepoBuilder], run_cli: Callable[..., CliResult]
) -> None:
    findings = {f["rule"]: f for f in _check(run_cli, _app(make_repo, ", llm: false"))["findings"]}
    assert findings["RD-00.llm-declared"]["status"] == "pass"
    assert findings["RD-00.llm-consistent"]["status"] == "fail"
    assert "govgate.yaml declares system.llm: false" in findings["RD-00.llm-consistent"]["message"]
    declared = {f["rule"]: f for f in _check(run_cli, _app(make_repo, ", llm: true"))["findings"]}
    assert declared["RD-00.llm-declared"]["status"] == "pass"
    assert declared["RD-00.llm-consistent"]["status"] == "pass"
    assert declared["RD-12.prompt-injection-tested"]["status"] == "fail"  # no tests: applies


def test_the_cache_sees_a_new_import_without_hashing_every_file(
    make_repo: Callable[..., RepoBuilder], run_cli: Callable[..., CliResult]
) -> None:
    repo = make_repo(
        {
            "govgate.yaml": "system: {name: t, risk: limited}\npacks: [readiness]\n",
            "app/score.py": "import sklearn\n",
        }
    )
    first = _check(run_cli, repo, "--fail-on", "critical")
    assert {f["rule"]: f["status"] for f in first["findings"]}["RD-00.llm-declared"] == "pass"
    again = _check(run_cli, repo, "--fail-on", "critical")
    assert {c["name"]: c["status"] for c in again["collectors"]}["llm_usage"] == "cached"
    (repo.path / "app/score.py").write_text("import sklearn\nimport anthropic\n")
    later = _check(run_cli, repo, "--fail-on", "critical")
    assert {c["name"]: c["status"] for c in later["collectors"]}["llm_usage"] == "ok"
    assert {f["rule"]: f["status"] for f in later["findings"]}["RD-00.llm-declared"] == "fail"


@pytest.mark.parametrize("pack", ["owasp-llm", "nist-ai-600-1"])
def test_declaring_llm_false_cannot_switch_an_llm_pack_off(
    make_repo: Callable[..., RepoBuilder], run_cli: Callable[..., CliResult], pack: str
) -> None:
    repo = make_repo(
        {
            "govgate.yaml": "system: {name: helpdesk, risk: limited, llm: false}\n"
            f"packs: [{pack}]\n",
            "app/bot.py": "from openai import OpenAI\n",
        }
    )
    done = run_cli("check", repo.path, "--no-locker", "--format", "json")
    result = json.loads(done.stdout)
    rule = {"owasp-llm": "OL-00.llm-consistent", "nist-ai-600-1": "GP-0.llm-consistent"}[pack]
    [finding] = [f for f in result["findings"] if f["rule"] == rule]
    assert (finding["status"], finding["severity"]) == ("fail", "high")
    assert finding["message"].startswith("LLM use detected in app/bot.py:1 (imports openai)")
    assert (result["gate"], done.exit_code) == ("fail", 1)


def test_leaving_files_out_of_the_search_is_said_on_every_run(
    make_repo: Callable[..., RepoBuilder], run_cli: Callable[..., CliResult]
) -> None:
    repo = make_repo(
        {
            "govgate.yaml": "system: {name: helpdesk, risk: limited, llm: false}\n"
            "packs: [readiness]\ncollectors: {llm_usage: {ignore: ['**']}}\n",
            "app/bot.py": "from openai import OpenAI\n",
        }
    )
    said = (
        "govgate.yaml collectors.llm_usage.ignore (**) leaves 1 file(s) unread: LLM use in "
        "them is not looked for"
    )
    for _ in range(2):  # the second run reads the collector's cache: still said
        result = _check(run_cli, repo, "--format", "json")
        messages = [(d["collector"], d["message"]) for d in result["diagnostics"]]
        assert ("llm_usage", said) in messages


# -- signs in the evidence other collectors read -------------------------------------------------

BOM = {
    "bomFormat": "CycloneDX",
    "specVersion": "1.6",
    "version": 1,
    "components": [
        {
            "type": "machine-learning-model",
            "name": "MODEL",
            "modelCard": {"modelParameters": {"task": "TASK"}},
        }
    ],
}


def _bom(name: str, task: str | None) -> str:
    document = json.loads(json.dumps(BOM).replace("MODEL", name).replace("TASK", task or ""))
    if task is None:
        del document["components"][0]["modelCard"]
    return json.dumps(document, indent=2)


def _spdx(name: str, kinds: list[str] | None) -> dict[str, Any]:
    package: dict[str, Any] = {"type": "ai_AIPackage", "spdxId": "urn:x:m", "name": name}
    if kinds is not None:
        package["ai_typeOfModel"] = kinds
    return {"@context": "https://spdx.org/rdf/3.0.1/spdx-context.jsonld", "@graph": [package]}


@pytest.mark.parametrize(
    ("files", "where", "what"),
    [
        (
            {"config/llm.yaml": "# settings\nmodel:\n  provider: acme\n  name: house-llm\n"},
            "config/llm.yaml:4",
            "declares the model house-llm",
        ),
        (
            {"config/llm.yaml": "model: house-llm\n"},
            "config/llm.yaml:1",
            "declares the model house-llm",
        ),
        (
            {"config/llm.yaml": "model: {name: a\n"},
            "config/llm.yaml:2",
            "is the LLM configuration, unreadable",
        ),
        (
            {"bom/app.cdx.json": _bom("house-llm", "text-generation")},
            "bom/app.cdx.json:8",
            "lists the language model house-llm",
        ),
        (
            {"bom/app.cdx.json": _bom("house-llm", None)},
            "bom/app.cdx.json:8",
            "lists the language model house-llm",
        ),
        ({"bom/app.cdx.json": _bom("scorer", "tabular-classification")}, None, None),
        (
            {"bom/app.cdx.json": _bom("house-llm", "text-generation")[:40]},
            "bom/app.cdx.json",
            "is an AI bill of materials that cannot be read",
        ),
        ({"bom.json": '{"bomFormat": "CycloneDX", "components": []}'}, None, None),
        (
            {"bom.json": '{"bomFormat": "CycloneDX", "components": 5}'},
            "bom.json",
            "is an AI bill of materials that cannot be read (components is not a list)",
        ),
        (
            {"ai.spdx.json": json.dumps(_spdx("house-llm", ["large language model"]), indent=2)},
            "ai.spdx.json:7",
            "lists the language model house-llm",
        ),
        ({"ai.spdx.json": json.dumps(_spdx("house-llm", None), indent=2)}, "ai.spdx.json:7", ""),
        (
            {"ai.spdx.json": json.dumps(_spdx("scorer", ["gradient boosting"]), indent=2)},
            None,
            None,
        ),
        ({"bom.json": '{"name": "app", "dependencies": {}}'}, None, None),
        (
            {
                "bom/app.cdx.json": _bom("scorer", "classification").replace(
                    '"task"', '"architectureFamily": "llama", "task"'
                )
            },
            "bom/app.cdx.json:8",
            "lists the language model scorer",
        ),
        (
            {"bom/app.cdx.json": _bom("gpt-4o-2024-08-06", "classification")},
            "bom/app.cdx.json:8",
            "lists the language model gpt-4o-2024-08-06",
        ),
        (
            {"reports/redteam/garak/app.report.jsonl": '{"entry_type": "start_run setup"}\n'},
            "reports/redteam/garak/app.report.jsonl",
            "is LLM red-team output (garak)",
        ),
        (
            {"redteam/results.json": "{}"},
            "redteam/results.json",
            "is LLM red-team output (garak, promptfoo or Inspect)",
        ),
        # a system without a language model names none
        ({"config/llm.yaml": "model: {provider: none, name: none, version: n/a}\n"}, None, None),
        ({"config/llm.yaml": "model: N/A\n"}, None, None),
        # govgate init's template names no model yet: no sign
        ({"config/llm.yaml": 'model:\n  provider: ""\n  name: ""\n  version: ""\n'}, None, None),
    ],
)
def test_the_llm_configuration_an_ml_bom_and_red_team_output_are_signs(
    tmp_path: Path, files: dict[str, str], where: str | None, what: str | None
) -> None:
    for rel, text in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    # Narrowing `paths` to the code does not hide them.
    data = collect(tmp_path, {"paths": ["src/**/*.py"]})["data"]
    if where is None:
        assert data["count"] == 0, data["signals"]
        return
    assert data["first"]["where"] == where
    assert data["first"]["what"].startswith(what or "")
    # Left out by `ignore`, they are no sign, and the leaving out is counted.
    ignored = collect(tmp_path, {"ignore": ["**"]})["data"]
    assert ignored["count"] == 0


def test_ignoring_the_llm_configuration_is_counted_in_the_warning(
    make_repo: Callable[..., RepoBuilder], run_cli: Callable[..., CliResult]
) -> None:
    repo = make_repo(
        {
            "govgate.yaml": "system: {name: helpdesk, risk: limited, llm: false}\n"
            "packs: [readiness]\ncollectors: {llm_usage: {paths: [src/**], ignore: [config/**]}}\n",
            "config/llm.yaml": "model: {name: house-llm}\n",
        }
    )
    result = _check(run_cli, repo, "--no-locker", "--format", "json")
    messages = [d["message"] for d in result["diagnostics"] if d["collector"] == "llm_usage"]
    assert (
        "govgate.yaml collectors.llm_usage.ignore (config/**) leaves 1 file(s) unread"
        in (messages[0])
    )


@pytest.mark.slow
def test_llm_false_on_the_support_assistant_fails_naming_each_sign(
    tmp_path: Path, run_cli: Callable[..., CliResult]
) -> None:
    """The example keeps no LLM import in its code: its LLM settings, its ML-BOM and its
    red-team scans are what show the language model. Each alone fails system.llm: false."""
    copy = tmp_path / "support-assistant"
    shutil.copytree(EXAMPLES / "support-assistant", copy, ignore=shutil.ignore_patterns(".govgate"))
    config = (copy / "govgate.yaml").read_text()
    assert "  llm: true\n" in config
    config = config.replace("  llm: true\n", "  llm: false\n")
    config = re.sub(
        r"(?m)^packs:\n(?:  - .*\n)+", "packs: [owasp-llm, nist-ai-600-1, readiness]\n", config
    )
    (copy / "govgate.yaml").write_text(config)
    rules = ("OL-00.llm-consistent", "GP-0.llm-consistent", "RD-00.llm-consistent")
    expected = [
        ("config/llm.yaml:5", "declares the model acme-support-llm", copy / "config/llm.yaml"),
        (
            "bom/support-assistant.cdx.json:",
            "lists the language model acme-support-llm",
            copy / "bom",
        ),
        ("reports/redteam/garak/", "is LLM red-team output (garak)", copy / "reports/redteam"),
    ]
    for where, what, remove in expected:
        result = _check(run_cli, _Folder(copy), "--no-locker", "--no-cache")
        findings = {f["rule"]: f for f in result["findings"]}
        for rule in rules:
            assert findings[rule]["status"] == "fail", (rule, findings[rule]["message"])
            assert findings[rule]["message"].startswith(f"LLM use detected in {where}")
            assert f"({what})" in findings[rule]["message"]
        assert result["gate"] == "fail"
        shutil.rmtree(remove) if remove.is_dir() else remove.unlink()
    # With none of them left, nothing contradicts the declaration.
    result = _check(run_cli, _Folder(copy), "--no-locker", "--no-cache")
    assert {f["rule"]: f["status"] for f in result["findings"]}["OL-00.llm-consistent"] == "pass"


class _Folder:
    """A folder that is not a git repository, where `_check` wants a RepoBuilder."""

    def __init__(self, path: Path) -> None:
        self.path = path
