"""What a dossier shows (`DossierInput`), built from a finished `govgate check` run or from a
run the evidence locker recorded."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from govgate.core.evidence import Evidence, format_timestamp, utc_now

if TYPE_CHECKING:
    from govgate.core.policy import PolicySet
    from govgate.run.check import CheckOutcome


@dataclass(frozen=True)
class DossierInput:
    """Everything a dossier shows. Build it with `dossier_input_from_outcome` (or from the
    evidence locker's recorded run); the renderer reads nothing else, git included: what the
    sign-off page and the exceptions register show from git is the run's own `git.signoffs`
    evidence, collected and recorded with the run.

    `policy_set` may be None when the policies of a recorded run cannot be loaded again; the
    sections that need it (control owners, rule texts) then say so instead of guessing.
    """

    result: Mapping[str, Any]
    policy_set: PolicySet | None
    evidence: tuple[Evidence, ...]
    generated_at: str
    prepared_by: str


def git_user_name(root: Path) -> str | None:
    """`git config user.name` of the target repository, if any (who is preparing the dossier)."""
    from govgate.support.git import Git, GitError

    try:
        done = Git(root, timeout=10).run("config", "user.name", check=False)
    except GitError:
        return None
    return done.text() or None


def dossier_input_from_outcome(
    outcome: CheckOutcome,
    *,
    prepared_by: str | None = None,
    generated_at: datetime | None = None,
) -> DossierInput:
    """The dossier's input from a finished `govgate check` run.

    The sign-off page shows the run's `git.signoffs` evidence: a run recorded in the locker
    has it, and so does one made with `CheckOptions(signoffs=True)`.
    """
    root = outcome.config.root
    who = prepared_by or git_user_name(root) or "not stated (use --prepared-by)"
    return DossierInput(
        result=outcome.result,
        policy_set=outcome.policy_set,
        evidence=tuple(outcome.collection.evidence.all()),
        generated_at=format_timestamp(generated_at or utc_now()),
        prepared_by=who,
    )


def dossier_input_from_run(
    result: Mapping[str, Any],
    evidence: Sequence[Evidence],
    policy_set: PolicySet | None,
    root: Path,
    *,
    prepared_by: str | None = None,
    generated_at: datetime | None = None,
) -> DossierInput:
    """The dossier's input from a run the evidence locker recorded (result and cited evidence).

    `policy_set` is the packs loaded now; pass None when their digests differ from the ones
    the run recorded, so no section presents today's rule texts as the run's.
    """
    who = prepared_by or git_user_name(root) or "not stated (use --prepared-by)"
    return DossierInput(
        result=result,
        policy_set=policy_set,
        evidence=tuple(evidence),
        generated_at=format_timestamp(generated_at or utc_now()),
        prepared_by=who,
    )
