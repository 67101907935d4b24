"""govgate's own contributions, registered as an ordinary plugin (like pytest's built-ins).

Operators, the shipped policy packs, the output formats and the DuckDB aggregation backend.
Built-in collectors live in `govgate_collectors`, one module (and one plugin) each.
"""

from __future__ import annotations

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
    from govgate.support.yamlload import load_yaml_file

    file = Path(str(files("govgate.policies"))) / KINDS_FILE
    loaded = load_yaml_file(file, display=f"govgate/policies/{KINDS_FILE}")
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


@hookimpl
def govgate_reporters() -> Sequence[Reporter]:
    from govgate.outputs.reporters.cyclonedx import CycloneDxReporter
    from govgate.outputs.reporters.github import GithubReporter
    from govgate.outputs.reporters.json_report import JsonReporter
    from govgate.outputs.reporters.junit import JunitReporter
    from govgate.outputs.reporters.markdown import MarkdownReporter
    from govgate.outputs.reporters.oscal import OscalReporter
    from govgate.outputs.reporters.oscal_poam import OscalPoamReporter
    from govgate.outputs.reporters.sarif import SarifReporter
    from govgate.outputs.reporters.text import TextReporter

    return [
        TextReporter(),
        JsonReporter(),
        SarifReporter(),
        JunitReporter(),
        MarkdownReporter(),
        GithubReporter(),
        OscalReporter(),
        CycloneDxReporter(),
        OscalPoamReporter(),
    ]


@hookimpl
def govgate_aggregation_backends() -> dict[str, Callable[..., Any]]:
    # DuckDB is imported when the factory runs, not when the plugin is registered.
    from govgate.analysis.aggregate import duckdb_backend

    return {"duckdb": duckdb_backend}
