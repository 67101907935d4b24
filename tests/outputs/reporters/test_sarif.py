"""SARIF 2.1.0 output: schema-valid for every scenario, and what code scanning relies on."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from jsonschema import Draft7Validator

from govgate.core.policy import severity_rank
from govgate.outputs.reporters.sarif import FINGERPRINT_KEY, SarifReporter, artifact_uri

from conftest import REPO_ROOT, RepoBuilder

# The OASIS schema, vendored so a clean clone validates against it (tests/data/schemas/).
SCHEMA = REPO_ROOT / "tests/data/schemas/sarif-schema-2.1.0.json"


@cache
def validator() -> Draft7Validator:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    # This copy keeps the log's own schema under definitions/Root and nothing at its top
    # level: validating against the file as it is would accept anything at all.
    assert "properties" not in schema and "Root" in schema["definitions"]
    rooted = {**schema, "$ref": "#/definitions/Root"}
    return Draft7Validator(rooted, format_checker=Draft7Validator.FORMAT_CHECKER)


def blocking_skips(result: dict[str, Any]) -> list[dict[str, Any]]:
    """Skipped rules at or above fail-on: they fail the gate, so the CI outputs list them."""
    limit = severity_rank(result["fail_on"])
    return [
        f
        for f in result["findings"]
        if f["status"] == "skipped" and severity_rank(f["severity"]) >= limit
    ]


def test_the_schema_check_rejects_what_sarif_forbids(
    scenario: Callable[[str], dict[str, Any]],
) -> None:
    document = sarif(scenario("loan"))
    document["runs"][0]["results"][0]["level"] = "severe"
    document["runs"][0]["results"][0]["suppressions"] = [{"status": "accepted"}]
    document["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"][
        "uri"
    ] = "a file with spaces"
    messages = {e.message for e in validator().iter_errors(document)}
    assert "'severe' is not one of ['none', 'note', 'warning', 'error']" in messages
    assert "'kind' is a required property" in messages
    assert "'a file with spaces' is not a 'uri-reference'" in messages


def sarif(result: dict[str, Any]) -> dict[str, Any]:
    text = SarifReporter().render(result)
    document: dict[str, Any] = json.loads(text)
    errors = sorted(validator().iter_errors(document), key=lambda e: list(e.path))
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors[:5]]
    return document


def results_by_label(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["properties"]["label"]: r for r in document["runs"][0]["results"]}


def test_every_scenario_is_valid_sarif(any_result: dict[str, Any]) -> None:
    document = sarif(any_result)
    run = document["runs"][0]
    wanted = [f for f in any_result["findings"] if f["status"] in ("fail", "error", "waived")]
    assert len(run["results"]) == len(wanted) + len(blocking_skips(any_result))
    rules = [r["id"] for r in run["tool"]["driver"]["rules"]]
    assert rules == sorted({f["rule"] for f in any_result["findings"]})
    for result in run["results"]:
        assert rules[result["ruleIndex"]] == result["ruleId"]
        location = result["locations"][0]["physicalLocation"]
        assert location["artifactLocation"]["uriBaseId"] == "%SRCROOT%"
        assert not location["artifactLocation"]["uri"].startswith("/")
    assert run["invocations"][0]["exitCode"] == (0 if any_result["gate"] == "pass" else 1)


def test_rule_descriptors_carry_severity_help_and_sources(
    scenario: Callable[[str], dict[str, Any]],
) -> None:
    rules = {r["id"]: r for r in sarif(scenario("rich"))["runs"][0]["tool"]["driver"]["rules"]}
    assert rules["G-3.dpia"]["defaultConfiguration"]["level"] == "error"  # critical
    assert rules["G-1.enabled"]["defaultConfiguration"]["level"] == "error"  # high
    assert rules["G-1.reviewed"]["defaultConfiguration"]["level"] == "warning"  # medium
    assert rules["G-2.debug-off"]["defaultConfiguration"]["level"] == "note"  # low
    assert rules["G-2.limited-only"]["defaultConfiguration"]["level"] == "note"  # info
    dpia = rules["G-3.dpia"]
    assert dpia["help"]["text"].startswith("How to fix: write docs/dpia.md")
    assert "- T-3 (Other 3): Documents" in dpia["help"]["text"]
    assert "control G-3 (A DPIA exists)" in dpia["fullDescription"]["text"]
    assert dpia["properties"]["security-severity"] == "9.5"
    assert {"t", "G-3", "T-3", "Other"} <= set(dpia["properties"]["tags"])
    assert "security-severity" not in rules["G-2.limited-only"]["properties"]


def test_locations_suppressions_and_levels(scenario: Callable[[str], dict[str, Any]]) -> None:
    results = results_by_label(sarif(scenario("rich")))
    enabled = results["G-1.enabled[<script>alert('x')</script>]"]
    assert enabled["level"] == "error"
    assert enabled["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "gates.yaml", "uriBaseId": "%SRCROOT%"},
        "region": {"startLine": 8},
    }
    assert enabled["message"]["text"] == (
        "gate <script>alert('x')</script> is disabled\n"
        "Fix: set enabled: true for <script>alert('x')</script> in gates.yaml"
    )
    # no location of its own: reported on govgate.yaml, without a region
    dpia = results["G-3.dpia[docs/dpia*.md]"]["locations"][0]["physicalLocation"]
    assert dpia == {"artifactLocation": {"uri": "govgate.yaml", "uriBaseId": "%SRCROOT%"}}
    # an error is an error whatever the rule's severity
    assert results["G-1.owner-list[gates.yaml]"]["level"] == "error"
    assert results["G-2.debug-off[settings.env]"]["level"] == "note"
    # waived: kept, with an accepted external suppression pointing at the waiver
    waived = results["G-1.reviewed[alpha]"]
    assert waived["suppressions"] == [
        {
            "kind": "external",
            "status": "accepted",
            "justification": "Reviewer <b>on leave</b> | back in June & then some",
            "properties": {
                "waiver": "W-ACTIVE",
                "approver": "Jane Q. Officer",
                "approved": "2026-05-01",
                "expires": "2026-08-01",
                "underlyingStatus": "fail",
            },
            "location": {
                "physicalLocation": {
                    "artifactLocation": {
                        "uri": "governance/waivers.yaml",
                        "uriBaseId": "%SRCROOT%",
                    },
                    "region": {"startLine": 2},
                }
            },
        }
    ]
    # an expired waiver suppresses nothing; the result says why it fails again
    expired = results["G-1.reviewed[beta]"]
    assert "suppressions" not in expired
    assert "waiver W-EXPIRED expired on 2026-03-01" in expired["message"]["text"]
    assert expired["properties"]["waiver"]["status"] == "expired"
    # hostile text survives exactly (JSON escapes it), control characters included
    assert "G-1.enabled[ctl \x1b[31mred\x07 and \r\nnew line, 100% :: ::error::x]" in results


def test_run_metadata_notifications_and_provenance(
    scenario: Callable[[str], dict[str, Any]],
) -> None:
    result = scenario("rich")
    run = sarif(result)["runs"][0]
    invocation = run["invocations"][0]
    assert invocation["executionSuccessful"] is False  # one rule could not be evaluated
    notes = [(n["level"], n["message"]["text"]) for n in invocation["toolExecutionNotifications"]]
    assert ("warning", "not a KEY=VALUE line; ignored") in notes
    assert ("warning", "waiver W-EXPIRED expired on 2026-03-01") in notes
    assert ("warning", "waiver W-UNUSED matched no finding; remove it") in notes
    assert any(text.startswith("waiver W-REFUSED refused: runs 730 days") for _, text in notes)
    diag = next(
        n
        for n in invocation["toolExecutionNotifications"]
        if n["message"]["text"].startswith("not a KEY")
    )
    assert diag["locations"][0]["physicalLocation"]["region"] == {"startLine": 2}
    root = run["originalUriBaseIds"]["%SRCROOT%"]["uri"]
    assert root == Path(result["target"]["path"]).as_uri() + "/"
    assert run["versionControlProvenance"][0]["revisionId"] == result["target"]["commit"]
    assert run["versionControlProvenance"][0]["branch"] == "main"
    assert run["properties"]["gate"] == "fail"
    loan = sarif(scenario("loan"))["runs"][0]["invocations"][0]
    assert loan["executionSuccessful"] is True


def test_changes_are_visible_and_baseline_state_follows_new(
    scenario: Callable[[str], dict[str, Any]],
) -> None:
    run = sarif(scenario("changes"))["runs"][0]
    notes = [n["message"]["text"] for n in run["invocations"][0]["toolExecutionNotifications"]]
    assert notes[0].startswith("This change edits policy packs (t) and waivers compared with main")
    assert run["properties"]["changes"]["packs_changed"] == ["t"]
    results = results_by_label({"runs": [run]})
    assert results["G-1.enabled[<script>alert('x')</script>]"]["baselineState"] == "new"
    assert results["G-1.reviewed[beta]"]["baselineState"] == "unchanged"
    plain = sarif(scenario("rich"))["runs"][0]
    assert all("baselineState" not in r for r in plain["results"])


def test_fingerprints_are_stable_across_runs_and_line_moves(
    rich_repo: RepoBuilder, checked: Callable[[Path], dict[str, Any]]
) -> None:
    def prints(result: dict[str, Any]) -> dict[str, tuple[str, int | None]]:
        out = {}
        for label, entry in results_by_label(sarif(result)).items():
            region = entry["locations"][0]["physicalLocation"].get("region", {})
            out[label] = (entry["partialFingerprints"][FINGERPRINT_KEY], region.get("startLine"))
        return out

    first = prints(checked(rich_repo.path))
    again = prints(checked(rich_repo.path))
    assert first == again
    assert len({fp for fp, _ in first.values()}) == len(first)  # one per finding
    gates = rich_repo.path / "gates.yaml"
    gates.write_text("# moved down by a comment\n\n" + gates.read_text(encoding="utf-8"))
    moved = prints(checked(rich_repo.path))
    label = "G-1.enabled[<script>alert('x')</script>]"
    assert moved[label][1] == first[label][1] + 2  # the line moved...
    assert moved[label][0] == first[label][0]  # ...the fingerprint did not
    assert {k: v[0] for k, v in moved.items()} == {k: v[0] for k, v in first.items()}


def test_a_target_in_a_sub_folder_is_located_from_the_repository_root(
    monorepo: RepoBuilder, run_cli: Callable[..., Any], tmp_path: Path
) -> None:
    # Code scanning resolves locations from the repository root: %SRCROOT% is that root and
    # every path has the target's folder in front, whatever directory govgate ran from.
    out = tmp_path / "out"
    done = run_cli(
        "check", monorepo.path / "svc", "--format", "json,sarif", "--output-dir", out, "--no-locker"
    )
    assert done.exit_code == 1
    result = json.loads((out / "govgate.json").read_text(encoding="utf-8"))
    assert result["target"]["prefix"] == "svc/"
    document = json.loads((out / "govgate.sarif").read_text(encoding="utf-8"))
    assert not list(validator().iter_errors(document))
    (run,) = document["runs"]
    top = monorepo.path.resolve()
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == top.as_uri() + "/"
    assert run["versionControlProvenance"][0]["repositoryUri"] == top.as_uri() + "/"
    uris: set[str] = set()

    def collect(node: Any) -> None:  # every artifactLocation: results, suppressions, notes
        if isinstance(node, dict):
            if isinstance(node.get("artifactLocation"), dict):
                uris.add(node["artifactLocation"]["uri"])
            for value in node.values():
                collect(value)
        elif isinstance(node, list):
            for value in node:
                collect(value)

    collect(document)
    assert uris == {
        "svc/gates.yaml",
        "svc/govgate.yaml",
        "svc/settings.env",
        "svc/governance/waivers.yaml",
    }
    assert all((top / unquote(uri)).is_file() for uri in uris)
    results = results_by_label(document)
    enabled = results["G-1.enabled[<script>alert('x')</script>]"]
    assert enabled["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "svc/gates.yaml", "uriBaseId": "%SRCROOT%"},
        "region": {"startLine": 8},
    }
    # the same rule on the same file name at another place in the repository is another alert
    elsewhere = {**result, "target": {**result["target"], "prefix": ""}}
    other = results_by_label(sarif(elsewhere))["G-1.enabled[<script>alert('x')</script>]"]
    assert other["partialFingerprints"] != enabled["partialFingerprints"]
    assert other["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "gates.yaml"


def test_paths_become_relative_uri_references() -> None:
    assert artifact_uri("docs/my file#1 100%.md") == "docs/my%20file%231%20100%25.md"
    assert artifact_uri("données/é.yaml") == "donn%C3%A9es/%C3%A9.yaml"


def test_all_formats_in_one_run_with_fixed_names_and_the_same_exit_code(
    run_cli: Callable[..., Any], example_repo: Callable[[str], Path], tmp_path: Path
) -> None:
    path = example_repo("loan-approval")
    plain = run_cli("check", path, "--no-locker")
    out = tmp_path / "out"
    formats = "json,sarif,junit,markdown,github,oscal"
    every = run_cli("check", path, "--no-locker", "--format", formats, "--output-dir", out)
    assert plain.exit_code == every.exit_code == 1  # the loan example fails its gate
    assert sorted(p.name for p in out.iterdir()) == [
        "govgate.github.txt",
        "govgate.json",
        "govgate.junit.xml",
        "govgate.md",
        "govgate.oscal.json",
        "govgate.sarif",
    ]
    result = json.loads((out / "govgate.json").read_text(encoding="utf-8"))
    document = json.loads((out / "govgate.sarif").read_text(encoding="utf-8"))
    assert not list(validator().iter_errors(document))
    summary = result["summary"]
    assert len(document["runs"][0]["results"]) == (
        summary["fail"] + summary["error"] + summary["waived"]
    )
