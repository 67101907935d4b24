"""What govgate knows about a system's models and data, gathered for `govgate bom`.

The model card and datasheets (the `model_card` and `datasheet` kinds, read by the documents
collector) and, when the govgate-mlflow plugin is installed, the MLflow registry
(`mlflow.registered_models`). Collected fresh, without the locker: a bill of materials states
what the repository holds now.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from govgate.core.collector import Diagnostic
from govgate.core.config import load_config
from govgate.core.evidence import Evidence, utc_now
from govgate.core.loader import load_policy_set
from govgate.core.plugins import build_registry, get_plugin_manager
from govgate.run.collect import collect_evidence
from govgate.support.errors import UsageError
from govgate.support.git import GitError, Repository

#: The kinds a BOM is built from, in the order their facts are merged.
BOM_KINDS = ("model_card", "datasheet", "mlflow.registered_models")


@dataclass
class BomFacts:
    """The system as govgate.yaml declares it and the evidence about its models and data."""

    system: dict[str, Any]
    evidence: list[Evidence] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    #: Kinds no installed collector produces (MLflow without its plugin).
    unavailable: list[str] = field(default_factory=list)
    #: Collectors that failed: name and message (the BOM would be missing what they know).
    failed: list[tuple[str, str]] = field(default_factory=list)
    #: When the BOM says it was made (bom_time); None: it carries no timestamp.
    timestamp: datetime | None = None


def gather_bom_facts(root: Path, plugin_options: tuple[str, ...] = ()) -> BomFacts:
    """Collect the kinds in BOM_KINDS that an installed collector produces."""
    root = root.resolve()
    registry = build_registry(get_plugin_manager(plugin_options))
    config = load_config(root)
    now = utc_now()
    policy_set = load_policy_set(registry, config, now=now)
    # The packs' kinds carry govgate.yaml's `evidence:` moves; the registry adds plugin kinds.
    kinds = {**registry.kinds, **policy_set.kinds}
    wanted = {
        name for name in BOM_KINDS if name in kinds and kinds[name].collector in registry.collectors
    }
    collection = collect_evidence(
        registry,
        kinds,
        wanted,
        root,
        system=config.system,
        settings=config.collectors,
        now=now,
    )
    facts = BomFacts(
        system=dict(config.system),
        diagnostics=list(collection.diagnostics),
        timestamp=bom_time(root),
    )
    facts.unavailable = [name for name in BOM_KINDS if name not in wanted]
    facts.failed = [
        (run.name, run.message or run.status) for run in collection.runs if run.status == "error"
    ]
    facts.evidence = sorted(
        (item for item in collection.evidence.all() if item.kind in wanted),
        key=lambda item: (BOM_KINDS.index(item.kind), item.source.path or "", item.subject),
    )
    return facts


def bom_time(root: Path) -> datetime | None:
    """The BOM's timestamp, never the clock, so that two runs over one commit write the same
    bytes: SOURCE_DATE_EPOCH when set (as reproducible builds set it), else the committer date
    of HEAD; None outside a git repository or before its first commit."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch is not None:
        try:
            seconds = int(epoch.strip(), 10)
            return datetime.fromtimestamp(seconds, UTC)
        except (ValueError, OverflowError, OSError):
            raise UsageError(
                f"SOURCE_DATE_EPOCH={epoch!r}: not a whole number of seconds since 1970-01-01 "
                "UTC; set it to one (git log -1 --format=%ct gives the last commit's) or unset it"
            ) from None
    try:
        repository = Repository.find(root)
        return repository.head().committed_at if repository is not None else None
    except GitError:
        return None  # git missing or refusing the repository: no date rather than a guess
