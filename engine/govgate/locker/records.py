"""The record of a run: the document each run stores, and the citation of each evidence item."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from govgate import __version__
from govgate.core.evidence import Evidence
from govgate.locker.chain import results_digest

if TYPE_CHECKING:
    from govgate.core.config import Config

RECORD_FORMAT = "govgate/run/v1"


def citation(item: Evidence) -> dict[str, Any]:
    """Everything about an evidence item except its data (which is stored once, by digest)."""
    cited = item.to_json()
    cited.pop("data", None)
    return cited


def build_run_record(
    *,
    command: str,
    started_at: str,
    finished_at: str,
    target: dict[str, Any],
    config: Config,
    packs: list[dict[str, Any]],
    parameters: dict[str, Any],
    collectors: list[dict[str, Any]],
    result: dict[str, Any] | None,
) -> dict[str, Any]:
    """The record of one run (its evidence citations are added by `record_run`)."""
    return {
        "format": RECORD_FORMAT,
        "command": command,
        "started_at": started_at,
        "finished_at": finished_at,
        "tool": {"name": "govgate", "version": __version__},
        "target": target,
        "config": {"file": Path(config.file).name, "digest": results_digest(config.raw)},
        "packs": [
            {"name": p["name"], "version": p["version"], "digest": p["digest"]} for p in packs
        ],
        "parameters": parameters,
        "collectors": collectors,
        "result": result,
    }
