"""`govgate init`: from an empty repository to a precise list of what is missing, and from filled
templates to a passing gate; never overwriting anything."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

SPONSOR = "Maria Garcia"


def _findings(payload: str) -> dict[str, list[dict[str, Any]]]:
    by_rule: dict[str, list[dict[str, Any]]] = {}
    for finding in json.loads(payload)["findings"]:
        by_rule.setdefault(finding["rule"], []).append(finding)
    return by_rule


def _snapshot(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".git" not in p.relative_to(root).parts
    }


def test_init_then_check_lists_precisely_what_is_missing(make_repo, run_cli) -> None:
    repo = make_repo(commit=False)
    name = repo.path.name

    init = run_cli("init", repo.path)

    assert init.exit_code == 0, init.output
    assert f"govgate init: {name} (risk: high)" in init.stderr
    assert "packs: readiness, human-oversight, audit-trail, gdpr, eu-ai-act" in init.stderr
    for created in (
        "govgate.yaml",
        f"governance/dpia/{name}.md",
        "governance/raci.yaml",
        "governance/oversight.yaml",
        "governance/retention.yaml",
        "governance/lifecycle.yaml",
        "governance/budget.yaml",
        "governance/success_metrics.yaml",
        "governance/attestations/executive-sponsor.yaml",
    ):
        assert (repo.path / created).is_file(), created
        assert f"  {created}" in init.stderr
    assert "next steps:" in init.stderr
    assert "logs/decisions/*.jsonl" in init.stderr  # evidence no template can stand in for
    config = yaml.safe_load((repo.path / "govgate.yaml").read_text())
    # What init could see: the tier (none given: the strictest), the packs' jurisdictions. An
    # empty repository shows no code, so system.llm is left for the user (a TODO), not "no".
    assert config["system"] == {
        "name": name,
        "description": "",
        "owner": "",
        "risk": "high",
        "role": "provider_and_deployer",
        "gpai_provider": False,
        "labels": {
            "emotion_recognition": False,
            "biometric_categorisation": False,
            "deep_fakes": False,
            "public_interest_text": False,
        },
        "jurisdictions": ["EU"],
    }

    check = run_cli("check", repo.path, "--no-locker", "--format", "json")

    assert check.exit_code == 1, check.stderr
    result = json.loads(check.stdout)
    findings = _findings(check.stdout)
    assert result["readiness"]["score"] == 0
    assert result["readiness"]["band"] == "a science experiment"
    [oversight] = findings["HO-1.config-present"]
    assert oversight["status"] == "fail"
    assert oversight["message"] == "governance/oversight.yaml lists no decision_types"
    functions = {f["item"]: f for f in findings["RD-07.functions-covered"]}
    assert set(functions) == {
        "engineering",
        "data",
        "legal_privacy",
        "security",
        "business",
        "operations",
    }
    assert functions["legal_privacy"]["status"] == "fail"
    assert functions["legal_privacy"]["message"] == (
        "the RACI governance/raci.yaml names no role for the legal_privacy function"
    )
    [sponsor] = findings["RD-06.sponsor-named"]
    assert sponsor["status"] == "fail"
    assert "missing required field 'who'" in sponsor["message"]
    assert sponsor["location"]["path"] == "governance/attestations/executive-sponsor.yaml"
    [dpia] = findings["RD-09.dpia-documented"]
    assert dpia["status"] == "fail"
    assert dpia["message"] == (
        f"governance/dpia/{name}.md: the DPIA is incomplete (front_matter.owner is not set)"
    )
    [logs] = findings["AT-1.records-present"]
    assert logs["status"] == "fail"
    assert logs["message"].startswith("no usable decision record in the decision logs")
    [guarded] = findings["RD-02.model-call-guarded"]
    assert guarded["message"] == (
        "config/service.yaml: model calls are not guarded (model.timeout_ms is 0)"
    )
    [load] = findings["RD-05.load-tested"]
    assert load["status"] == "fail"
    assert load["message"].startswith("missing evidence:")
    # Placeholders never pass: nothing of the readiness criteria is met by the templates (the
    # repository holds no code calling a language model, which is all RD-00.llm-* say).
    passed = [
        f["rule"]
        for items in findings.values()
        for f in items
        if f["status"] == "pass" and f["pack"] in ("readiness", "human-oversight")
    ]
    assert sorted(passed) == ["RD-00.llm-consistent", "RD-00.llm-declared"]
    # ...and every template is an unfinished file, named with the line of its first TODO.
    unfinished = {f["location"]["path"] for f in findings["RD-00.no-placeholders"]}
    templates = set(_snapshot(repo.path)) - {"govgate.yaml", "governance/requests.yaml"}
    assert templates == unfinished
    assert all(
        f["status"] == "fail" and f["location"]["line"] for f in findings["RD-00.no-placeholders"]
    )
    # Undeclared facts make the rules they decide unverified, never not applicable.
    [notice] = findings["GD-3.notice-automated-decisions"]
    assert notice["status"] == "error"
    assert "govgate.yaml does not declare system.profiling" in notice["message"]


def test_init_twice_changes_nothing(make_repo, run_cli) -> None:
    repo = make_repo(commit=False)
    first = run_cli("init", repo.path, "--risk", "limited", "--pack", "readiness")
    assert first.exit_code == 0, first.output
    before = _snapshot(repo.path)

    second = run_cli("init", repo.path)

    assert second.exit_code == 0, second.output
    assert "created nothing: every file is already there" in second.stderr
    assert "govgate.yaml: exists (its system and packs were used)" in second.stderr
    assert "governance/raci.yaml: exists" in second.stderr
    assert "(risk: limited)" in second.stderr  # read back from govgate.yaml
    assert _snapshot(repo.path) == before


def test_init_takes_an_existing_file_in_another_spelling_as_the_evidence(
    make_repo, run_cli
) -> None:
    own = "decision_types: []\n"
    repo = make_repo({"governance/oversight.yml": own})
    result = run_cli("init", repo.path, "--pack", "human-oversight", "--name", "Loan Desk")
    assert result.exit_code == 0, result.output
    assert not (repo.path / "governance/oversight.yaml").exists()
    assert (
        "governance/oversight.yaml: governance/oversight.yml already provides oversight_config"
        in result.stderr
    )
    assert (repo.path / "governance/oversight.yml").read_text() == own


def test_init_keeps_existing_files_and_evidence(make_repo, run_cli) -> None:
    own_raci = "functions: {engineering: Platform Team}\nactivities: []\n"
    repo = make_repo(
        {
            "governance/raci.yaml": own_raci,
            "governance/dpia/credit-scoring.md": "# DPIA written by hand\n",
        }
    )

    result = run_cli("init", repo.path, "--pack", "readiness", "--name", "Loan Desk")

    assert result.exit_code == 0, result.output
    assert (repo.path / "governance/raci.yaml").read_text() == own_raci
    assert "governance/raci.yaml: exists" in result.stderr
    # An existing DPIA is the evidence: no second, empty one next to it.
    assert not (repo.path / "governance/dpia/loan-desk.md").exists()
    assert (
        "governance/dpia/loan-desk.md: governance/dpia/credit-scoring.md already provides dpia"
        in result.stderr
    )
    assert yaml.safe_load((repo.path / "govgate.yaml").read_text())["system"]["name"] == (
        "Loan Desk"
    )


def test_init_creates_the_folder_and_refuses_an_unknown_pack(tmp_path, run_cli) -> None:
    target = tmp_path / "new-system"

    bad = run_cli("init", target, "--pack", "readines")

    assert bad.exit_code == 2
    assert "--pack readines: no such pack; did you mean 'readiness'?" in bad.stderr
    assert not target.exists()

    good = run_cli("init", target, "--risk", "minimal", "--pack", "audit-trail")

    assert good.exit_code == 0, good.output
    config = yaml.safe_load((target / "govgate.yaml").read_text())
    assert config["system"]["name"] == "new-system"
    assert config["system"]["risk"] == "minimal"
    assert config["packs"] == ["audit-trail"]


def test_every_template_matches_its_kind_schema(tmp_path, run_cli) -> None:
    """Placeholders must fail rules, not schemas: a schema error would hide what is missing."""
    from govgate.core.loader import load_policy_set
    from govgate.run.check import get_registry

    registry = get_registry()
    target = tmp_path / "all"
    result = run_cli("init", target, *[a for p in sorted(registry.packs) for a in ("-P", p)])
    assert result.exit_code == 0, result.output
    policy_set = load_policy_set(registry, None, sorted(registry.packs), now=datetime.now(UTC))
    checked = 0
    for kind in policy_set.kinds.values():
        if kind.collector != "config" or not kind.paths or kind.schema is None:
            continue
        files = [p for p in target.rglob("*") if p.is_file()]
        from govgate.core.collector import glob_to_regex

        regex = glob_to_regex(kind.paths[0])
        matching = [p for p in files if regex.match(p.relative_to(target).as_posix())]
        if not matching:
            continue  # no rule of any pack reads this kind
        [path] = matching
        text = path.read_text()
        data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
        jsonschema.validate(data, kind.schema)
        # A request log is true as written (no request yet): nothing in it is a placeholder.
        assert "TODO" in text or kind.name == "request_log", f"{path} has no TODO marker"
        checked += 1
    assert checked >= 10


def test_document_templates_open_with_their_front_matter(tmp_path, run_cli) -> None:
    """Front matter counts only from a document's first line: a template opening with a blank line
    would have its owner, dates and approvals ignored however well they were filled in."""
    from govgate_collectors.documents.parsed import parse_markdown

    from govgate.core.loader import load_policy_set
    from govgate.core.scaffold import _front_matter_fields, concrete_path
    from govgate.run.check import get_registry

    registry = get_registry()
    target = tmp_path / "all"
    result = run_cli("init", target, *[a for p in sorted(registry.packs) for a in ("-P", p)])
    assert result.exit_code == 0, result.output
    policy_set = load_policy_set(registry, None, sorted(registry.packs), now=datetime.now(UTC))
    checked = 0
    for kind in policy_set.kinds.values():
        fields = _front_matter_fields(kind)
        path = target / concrete_path(kind.paths[0], "all") if kind.paths else None
        if kind.collector != "documents" or not fields or path is None or not path.is_file():
            continue
        text = path.read_text()
        assert text.startswith("---\n"), path
        parsed = parse_markdown(text, str(path))
        assert parsed.front_error is None, (path, parsed.front_error)
        assert set(fields) <= set(parsed.front_matter), path
        checked += 1
    assert checked >= 6


# Filling the templates in, tier by tier: tests/core/test_scaffold_filled.py.


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("governance/dpia/*.md", "governance/dpia/loan-desk.md"),
        ("governance/runbooks/incident*.md", "governance/runbooks/incident.md"),
        ("reports/eval/*.json", "reports/eval/loan-desk.json"),
        ("docs/**/guide.md", "docs/guide.md"),
        ("config/service.yaml", "config/service.yaml"),
    ],
)
def test_concrete_path_of_a_kinds_glob(pattern: str, expected: str) -> None:
    from govgate.core.scaffold import concrete_path

    assert concrete_path(pattern, "Loan Desk") == expected


def test_init_declares_what_it_sees_with_what_it_saw(make_repo, run_cli) -> None:
    repo = make_repo(
        {
            "app/assistant.py": "import os\nfrom anthropic import Anthropic\n",
            "config/llm.yaml": "model: claude-3-5-sonnet-20240620\n",
            ".github/CODEOWNERS": "*  @acme/support-platform\n/governance/  @acme/privacy\n",
        }
    )

    init = run_cli("init", repo.path, "--risk", "limited", "--pack", "gdpr", "--pack", "readiness")

    assert init.exit_code == 0, init.output
    text = (repo.path / "govgate.yaml").read_text()
    system = yaml.safe_load(text)["system"]
    assert system["llm"] is True
    assert "govgate init saw app/assistant.py:2 imports anthropic and 2 more signs" in text
    assert system["owner"] == "@acme/support-platform"
    assert "the owner of govgate.yaml in .github/CODEOWNERS:1" in text
    assert system["jurisdictions"] == ["EU"]
    assert system["risk"] == "limited"
    # ...and says so, for the user to check.
    assert "llm: true (app/assistant.py:2 imports anthropic and 2 more signs)" in init.stderr


def test_init_declares_no_llm_from_code_without_one_and_nothing_from_no_code(
    make_repo, run_cli
) -> None:
    scoring = make_repo({"score.py": "import sklearn\n"})
    assert run_cli("init", scoring.path, "--pack", "readiness").exit_code == 0
    text = (scoring.path / "govgate.yaml").read_text()
    assert yaml.safe_load(text)["system"]["llm"] is False
    assert "no LLM library, prompt file or model name in 1 files" in text
    # An empty folder shows nothing either way: the fact is left for the user, marked TODO.
    empty = make_repo(commit=False)
    assert run_cli("init", empty.path, "--pack", "readiness").exit_code == 0
    text = (empty.path / "govgate.yaml").read_text()
    assert "llm" not in yaml.safe_load(text)["system"]
    assert "# llm: true                     # TODO:" in text
    assert "--risk was not given: high, the strictest tier" in text


@pytest.mark.parametrize(
    ("risk", "written", "not_written"),
    [
        ("high", ["governance/qms.md", "docs/technical_documentation.md"], []),
        (
            "limited",
            ["docs/transparency_notice.md"],
            ["governance/qms.md", "governance/risks.yaml"],
        ),
        ("minimal", [], ["governance/qms.md", "docs/transparency_notice.md"]),
    ],
)
def test_init_scaffolds_only_what_the_packs_and_tier_read(
    tmp_path, run_cli, risk: str, written: list[str], not_written: list[str]
) -> None:
    target = tmp_path / "system"
    target.mkdir()
    (target / "score.py").write_text("import sklearn\n")  # code, and no LLM in it
    done = run_cli("init", target, "--risk", risk, "--pack", "eu-ai-act", "--pack", "gdpr")
    assert done.exit_code == 0, done.output
    for path in written:
        assert (target / path).is_file(), path
    for path in not_written:
        assert not (target / path).exists(), path
    assert (target / "docs/privacy_notice.md").is_file()  # GDPR applies to every tier


def test_an_undeclared_fact_scaffolds_what_it_might_need(tmp_path, run_cli) -> None:
    # Nothing shows whether this system talks to people: the Art. 50 notice may be needed.
    done = run_cli("init", tmp_path / "empty", "--risk", "minimal", "--pack", "eu-ai-act")
    assert done.exit_code == 0, done.output
    assert (tmp_path / "empty/docs/transparency_notice.md").is_file()
