"""LockerError, and the refusal of a file at the locker path that is not a usable locker."""

from __future__ import annotations

from govgate.support.errors import UsageError


class LockerError(UsageError):
    """The locker cannot be used (damaged, foreign, busy, disk full): one line, exit 2."""


class LockerRefused(LockerError):
    """A file at the locker path that govgate will not use: `why` says what it is, `damaged`
    whether it is a locker (or an SQLite file) that was damaged rather than something else.
    Verification reports a damaged one as failed (exit 1) and words the rest itself."""

    def __init__(
        self, shown: str, why: str, *, damaged: bool = False, advice: str | None = None
    ) -> None:
        self.shown = shown
        self.why = why
        self.damaged = damaged
        super().__init__(
            f"{shown}: {why}; "
            + (
                advice
                or f"govgate never overwrites it. Move it aside (mv {shown} {shown}.broken) "
                "and run again to start a new locker, or set `locker:` in govgate.yaml to "
                "another path"
            )
        )


def refusal(shown: str, why: str, *, damaged: bool = False) -> LockerRefused:
    """The locker at `shown` is refused, with how to recover: govgate never overwrites it."""
    return LockerRefused(shown, why, damaged=damaged)
