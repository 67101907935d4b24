"""Test packs and repositories shared by the traceability-graph tests (library, exports, CLI):
a pack with deliberate coverage gaps, an unrelated pack, and the loan-approval example with it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import networkx as nx

from govgate.analysis.graph import full_graph
from govgate.run.check import CheckOptions, run_check

HO_RULES = {
    "HO-1.config-present",
    "HO-1.types-covered",
    "HO-1.gate-configured",
    "HO-2.override-allowed",
    "HO-2.stop-control",
}
HO_REQUIREMENTS = {"GDPR-22", "AIA-14", "READY-04"}

#: A pack with one requirement nobody implements, a control without rules, a rule whose
#: collector is not installed, a kind nothing reads, and a control serving two frameworks.
GAPS_PACK = """\
pack: gaps
version: 0.1.0
title: Deliberate coverage gaps
evidence_kinds:
  tracked_runs:
    collector: wandb
    install: pip install govgate-wandb
  gap_notes:
    collector: files
    paths: [notes/*.md]
requirements:
  - id: GAP-1
    title: A requirement no control implements
    source: {framework: Testland, ref: "Art. 1"}
  - id: GAP-2
    title: Experiments are tracked
    source: {framework: Testland, ref: "Art. 2"}
  - id: GAP-3
    title: Experiments are reproducible
    source: {framework: Otherland, ref: "Sec. 3"}
controls:
  - id: GAP-C1
    title: Runs are tracked in an experiment tracker
    satisfies: [GAP-2, GAP-3]
  - id: GAP-C2
    title: A control that no rule tests
    satisfies: [GAP-2]
rules:
  - id: GAP-C1.runs-tracked
    control: GAP-C1
    severity: medium
    evidence: tracked_runs
    assert: {path: runs, op: not_empty}
    message: "no tracked runs"
    remediation: "track runs"
"""

#: A pack unrelated to human oversight: a rule reading a different file.
EXTRA_PACK = """\
pack: extra
version: 0.1.0
title: Unrelated test pack
evidence_kinds:
  extra_card:
    collector: files
    paths: ["docs/**/extra_*.md", "**/EXTRA_CARD.md"]
requirements:
  - id: EX-1
    title: A model card exists
    source: {framework: Testland, ref: "Sec. 9"}
controls:
  - id: EX-C1
    title: The model card is kept in the repository
    satisfies: [EX-1]
rules:
  - id: EX-C1.card-present
    control: EX-C1
    severity: low
    evidence: extra_card
    assert: {path: count, op: ge, value: 1}
    message: "no model card at docs/extra_card.md"
    remediation: "write docs/extra_card.md"
"""


def with_pack(repo: Path, folder: str, text: str) -> None:
    """Add a pack kept in the repository and enable it in govgate.yaml (first in the list)."""
    pack = repo / "packs" / folder
    pack.mkdir(parents=True)
    (pack / "pack.yaml").write_text(text, encoding="utf-8")
    config = repo / "govgate.yaml"
    original = config.read_text(encoding="utf-8")
    assert "\npacks:\n" in original
    config.write_text(
        original.replace("\npacks:\n", f"\npacks:\n  - ./packs/{folder}\n"), encoding="utf-8"
    )


def with_extra_pack(repo: Path) -> Path:
    """The loan-approval example plus an unrelated pack reading docs/extra_card.md."""
    with_pack(repo, "extra", EXTRA_PACK)
    (repo / "docs").mkdir(exist_ok=True)
    (repo / "docs" / "extra_card.md").write_text("# Model card\n", encoding="utf-8")
    return repo


def graph_of(repo: Path) -> tuple[nx.DiGraph, dict[str, Any]]:
    outcome = run_check(CheckOptions(root=repo, use_locker=False))
    graph = full_graph(outcome.policy_set, outcome.registry, outcome.config, outcome.result)
    return graph, outcome.result
