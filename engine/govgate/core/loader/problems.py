"""Every problem of the packs being loaded, collected so a pack author sees them all at once."""

from __future__ import annotations

from govgate.core.policy import Origin
from govgate.support.errors import InputErrors, PolicyError
from govgate.support.yamlload import LoadedYaml


class Problems:
    """Collects every problem so a pack author sees them all at once."""

    def __init__(self) -> None:
        self.errors: list[PolicyError] = []

    def add(self, loaded: LoadedYaml | Origin, pointer_or_none: str | None, message: str) -> None:
        if isinstance(loaded, Origin):
            self.errors.append(PolicyError(loaded.path, loaded.line, message))
        else:
            line = loaded.line_of(pointer_or_none or "")
            self.errors.append(PolicyError(loaded.path, line, message))

    def raise_if_any(self) -> None:
        if self.errors:
            unique = {str(e): e for e in self.errors}
            ordered = sorted(unique.values(), key=lambda e: (e.path, e.line or 0, e.message))
            raise InputErrors(list(ordered))
