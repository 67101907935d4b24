"""LockerError, and the refusal of a file at the locker path that is not a usable locker."""

from __future__ import annotations

from govgate.support.errors import UsageError


class LockerError(UsageError):
    """The locker cannot be used (damaged, foreign, busy, disk full): one line, exit 2."""


def refusal(shown: str, why: str) -> LockerError:
    """The locker at `shown` is refused, with how to recover: govgate never overwrites it."""
    return LockerError(
        f"{shown}: {why}; govgate never overwrites it. Move it aside "
        f"(mv {shown} {shown}.broken) and run again to start a new locker, "
        "or set `locker:` in govgate.yaml to another path"
    )
