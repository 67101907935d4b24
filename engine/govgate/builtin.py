"""govgate's own contributions, registered as an ordinary plugin (like pytest's built-ins).

Operators, the shipped policy packs, the output formats and the DuckDB aggregation backend.
Built-in collectors live in `govgate_collectors`, one module (and one plugin) each.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from importlib.resources import files
from pathlib import Path
from typing import Any

from govgate import hookimpl
from govgate.core.collector import EvidenceKind
from govgate.core.conditions import BUILTIN_OPERATORS
from govgate.core.reporter import Reporter

KINDS_FILE = "evidence-kinds.yaml"


@hookimpl
def govgate_operators() -> dict[str, Callable[[Any, Any], bool]]:
    return dict(BUILTIN_OPERATORS)


def builtin_pack_folders() -> list[Path]:
    """Every folder under govgate/policies that holds a pack.yaml."""
    root = Path(str(files("govgate.policies")))
    return sorted(p for p in root.iterdir() if (p / "pack.yaml").is_file())


@hookimpl
def govgate_policy_packs() -> Sequence[Path]:
    return builtin_pack_folders()


def builtin_evidence_kinds() -> list[EvidenceKind]:
    """The path-bound kinds of policies/evidence-kinds.yaml (the packs' evidence layout)."""
    from govgate.core.loader.cache import ValidatedPackCache
    from govgate.support.cachekey import user_cache_dir
    from govgate.support.yamlload import load_yaml_file

    file = Path(str(files("govgate.policies"))) / KINDS_FILE
    display = f"govgate/policies/{KINDS_FILE}"
    # Parsing this YAML with its line numbers costs every run ~10 ms: the parsed file is kept,
    # named by an HMAC of its bytes under the user's cache key, and read back while unchanged.
    parsed = ValidatedPackCache(user_cache_dir() / "builtin", {"parsed": KINDS_FILE})
    loaded = parsed.get(file, display)
    if loaded is None:
        loaded = load_yaml_file(file, display=display)
        parsed.put(file, loaded)
    kinds = []
    for name, decl in loaded.data["kinds"].items():
        kinds.append(
            EvidenceKind(
                name=name,
                collector=decl["collector"],
                schema=decl.get("schema"),
                description=" ".join(str(decl.get("description", "")).split()),
                paths=tuple(decl.get("paths", [])),
                options=decl.get("options", {}),
                declared_in=f"{loaded.path}:{loaded.line_of('/kinds/' + name)}",
                install_hint=decl.get("install"),
            )
        )
    return kinds


@hookimpl
def govgate_evidence_kinds() -> Sequence[EvidenceKind]:
    return builtin_evidence_kinds()


#: The built-in output formats: (module, class, name, file name, media type, description).
#: Each is registered by a stand-in that imports its module when it first renders: a run
#: writes one or two formats, and importing all of them cost every commit hook ~20 ms.
#: tests/test_builtin.py checks that each row says what its class says.
BUILTIN_REPORTERS: tuple[tuple[str, str, str, str, str, str], ...] = (
    ("text", "TextReporter", "text", "govgate.txt", "text/plain", "compact human report"),
    (
        "json_report",
        "JsonReporter",
        "json",
        "govgate.json",
        "application/json",
        "the govgate/result/v1 document (govgate schema result)",
    ),
    (
        "sarif",
        "SarifReporter",
        "sarif",
        "govgate.sarif",
        "application/sarif+json",
        "SARIF 2.1.0 for code scanning (GitHub, GitLab, IDEs)",
    ),
    (
        "junit",
        "JunitReporter",
        "junit",
        "govgate.junit.xml",
        "application/xml",
        "JUnit XML test report: one test case per rule evaluation",
    ),
    (
        "markdown",
        "MarkdownReporter",
        "markdown",
        "govgate.md",
        "text/markdown",
        "pull-request summary comment (fits GitHub's 65,536-character limit)",
    ),
    (
        "github",
        "GithubReporter",
        "github",
        "govgate.github.txt",
        "text/plain",
        "GitHub Actions annotations (::error file=…,line=…::)",
    ),
    (
        "oscal",
        "OscalReporter",
        "oscal",
        "govgate.oscal.json",
        "application/json",
        "OSCAL 1.1.3 assessment results (observations, findings, risks)",
    ),
    (
        "cyclonedx",
        "CycloneDxReporter",
        "cyclonedx",
        "govgate.cdx.json",
        "application/vnd.cyclonedx+json",
        "CycloneDX 1.6 attestations: requirements, claims, evidence, conformance",
    ),
    (
        "oscal_poam",
        "OscalPoamReporter",
        "oscal-poam",
        "govgate.poam.json",
        "application/json",
        "OSCAL 1.1.3 plan of action and milestones: open findings and waivers",
    ),
)


def _deferred(module: str, class_name: str) -> type[Reporter]:
    """The class of the built-in format in `govgate.outputs.reporters.<module>`."""
    found: type[Reporter] = getattr(
        importlib.import_module(f"govgate.outputs.reporters.{module}"), class_name
    )
    return found


def deferred_reporter(row: tuple[str, str, str, str, str, str]) -> Reporter:
    """A `Reporter` with the row's name and file name that renders through the real class."""
    module, class_name, name, filename, media_type, description = row

    def render(self: Reporter, result: dict[str, Any]) -> str:
        return _deferred(module, class_name)().render(result)

    stand_in = type(
        class_name,
        (Reporter,),
        {
            "name": name,
            "filename": filename,
            "media_type": media_type,
            "description": description,
            "render": render,
            "__module__": __name__,
        },
    )
    reporter: Reporter = stand_in()
    return reporter


@hookimpl
def govgate_reporters() -> Sequence[Reporter]:
    return [deferred_reporter(row) for row in BUILTIN_REPORTERS]


@hookimpl
def govgate_aggregation_backends() -> dict[str, Callable[..., Any]]:
    # DuckDB is imported when the factory runs, not when the plugin is registered.
    from govgate.analysis.aggregate import duckdb_backend

    return {"duckdb": duckdb_backend}
