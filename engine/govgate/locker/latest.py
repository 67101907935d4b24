"""The newest `govgate check` run a repository's locker holds, read back for the commands that
report on it (the dossier, the traceability graph) so they show the same recorded document."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from govgate.core.config import locker_path
from govgate.core.evidence import Evidence
from govgate.locker.facade import EvidenceLocker

if TYPE_CHECKING:
    from govgate.core.config import Config


@dataclass(frozen=True)
class LatestCheck:
    """The newest recorded check run: its number, its chain hash, its result document (with
    `run.id` and `run.hash` set, which the locker learns only after storing the result) and,
    when asked for, the evidence it cited."""

    seq: int
    hash: str
    result: dict[str, Any]
    evidence: tuple[Evidence, ...] = ()


def latest_check_run(
    root: Path, config: Config | None, *, with_evidence: bool = False
) -> LatestCheck | None:
    """The locker's newest `govgate check` run of the repository at `root`, or None when there
    is no locker yet, no check run in it, or its record holds no result.

    `with_evidence` also reads the evidence the run cited, each item checked against its
    digest (LockerError if one no longer matches).
    """
    stored = locker_path(root, config)
    if not stored.is_file():
        return None
    with EvidenceLocker.open(stored, create=False) as locker:
        seq = locker.latest_check()
        if seq is None:
            return None
        shown = locker.show(seq)
        result = (shown.get("record") or {}).get("result")
        if not isinstance(result, dict):
            return None
        evidence = tuple(locker.run_evidence(seq)) if with_evidence else ()
    run = {**result.get("run", {}), "id": shown["id"], "hash": shown["hash"]}
    return LatestCheck(seq, shown["hash"], {**result, "run": run}, evidence)
