"""Witnesses: a run number and hash kept outside the locker (printed by every report), which
`govgate verify --witness` holds the locker to. The file alone cannot show that its newest
runs were deleted and its head rewritten to match; a witness of a later run can.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from govgate.locker.verify.report import VerifyProblem, run_list_text, short
from govgate.support.errors import UsageError

_WITNESS = re.compile(r"^(\d+):((?:sha256:)?[0-9a-fA-F]{64})$")


@dataclass(frozen=True)
class Witness:
    """A run the locker must hold with this hash; `origin` names where it was given."""

    seq: int
    hash: str
    origin: str

    def __str__(self) -> str:
        return f"{self.seq}:{self.hash}"


def parse_witness(text: str, origin: str) -> Witness:
    """`SEQ:HASH` (HASH with or without `sha256:`), as reports print it; UsageError else."""
    match = _WITNESS.match(text.strip())
    if match is None:
        raise UsageError(
            f"{origin}: {text.strip()[:80]!r} is not a witness; give RUN:HASH as a report "
            "prints it, e.g. 12:sha256:9f3c… with the full 64-digit hash"
        )
    digest = match[2].lower()
    full = digest if digest.startswith("sha256:") else f"sha256:{digest}"
    return Witness(int(match[1]), full, origin)


def read_witness_file(path: Path) -> list[Witness]:
    """One witness per line (blank lines and `#` comments skipped), each named FILE:LINE."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path}: cannot read the witness file: {exc}") from exc
    witnesses = []
    for number, line in enumerate(text.splitlines(), 1):
        content = line.split("#", 1)[0].strip()
        if content:
            witnesses.append(parse_witness(content, f"{path}:{number}"))
    if not witnesses:
        raise UsageError(f"{path}: holds no witness; write one RUN:HASH per line")
    return witnesses


def witness_problems(chain: dict[int, str], witnesses: list[Witness]) -> list[VerifyProblem]:
    """Each witness the locker (or export) contradicts: its run missing, or another hash."""
    last = max(chain, default=0)
    problems = []
    for witness in witnesses:
        stored = chain.get(witness.seq)
        if stored == witness.hash:
            continue
        seen = f"the witness {short(witness.hash)} ({witness.origin}) saw run {witness.seq}"
        if stored is not None:
            problems.append(
                VerifyProblem(
                    witness.seq,
                    "witness",
                    f"has hash {short(stored)}, but {seen} with another: the chain was "
                    "rewritten from this run or an earlier one",
                )
            )
        elif witness.seq > last:
            gone = list(range(last + 1, witness.seq + 1))
            ends = f"run {last}" if last else "no run at all"
            problems.append(
                VerifyProblem(
                    last + 1,
                    "witness",
                    f"is missing: {seen}, but the locker ends at {ends}: "
                    f"{run_list_text(gone)} deleted (the locker was truncated)",
                )
            )
        else:
            problems.append(
                VerifyProblem(
                    witness.seq, "witness", f"is missing: {seen}, but the locker has no such run"
                )
            )
    return problems
