"""The backend govgate.yaml selects (`select_backend`), behind a handle that starts it on first
use and closes it when the collection ends (`BackendHandle`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from govgate.analysis.aggregate.backend import AggregationBackend, AggregationError, condense
from govgate.analysis.aggregate.embedded import duckdb_backend
from govgate.support.errors import CollectorError

if TYPE_CHECKING:
    from govgate.core.config import Config
    from govgate.core.plugins import Registry

DEFAULT_BACKEND = "duckdb"


class BackendHandle:
    """The backend govgate.yaml selected, started on first use and closed after collecting.

    Collectors call `open()` only when they have something to aggregate, so a run that needs
    no tabular evidence never starts an engine (Spark takes seconds to start).
    """

    def __init__(
        self,
        name: str = DEFAULT_BACKEND,
        settings: Mapping[str, Any] | None = None,
        factory: Callable[[Mapping[str, Any]], Any] | None = None,
    ) -> None:
        self.name = name
        self.settings: dict[str, Any] = dict(settings or {})
        self._factory = factory or duckdb_backend
        self._backend: AggregationBackend | None = None
        #: How many times a collector asked for the backend (whose output used it).
        self.uses = 0

    @property
    def is_default(self) -> bool:
        return self.name == DEFAULT_BACKEND

    @property
    def opened(self) -> bool:
        return self._backend is not None

    def open(self) -> AggregationBackend:
        """The backend instance (created on the first call)."""
        self.uses += 1
        if self._backend is None:
            try:
                backend = self._factory(self.settings)
            except AggregationError:
                raise
            except CollectorError:
                raise
            except Exception as exc:  # an engine that cannot start: one line, no fallback
                raise AggregationError(
                    f"backend {self.name!r} could not start: {type(exc).__name__}: {condense(exc)}"
                ) from None
            if not isinstance(backend, AggregationBackend):
                raise AggregationError(
                    f"backend {self.name!r} returned {type(backend).__name__}, "
                    "not a govgate.analysis.aggregate.AggregationBackend"
                )
            self._backend = backend
        return self._backend

    def close(self) -> None:
        backend, self._backend = self._backend, None
        if backend is not None:
            backend.close()

    def fingerprint(self) -> list[Any] | None:
        """What the cache key must include: None for the default, else name and settings."""
        if self.is_default and not self.settings:
            return None
        return [self.name, repr(sorted(self.settings.items()))]


def select_backend(registry: Registry, config: Config) -> BackendHandle:
    """The handle of the backend govgate.yaml names; an unknown name is a config error (exit 2)."""
    from govgate.core.config import config_error

    name = config.raw.get("backend", DEFAULT_BACKEND)
    settings = config.raw.get("backend_settings") or {}
    factory = registry.backends.get(name)
    if factory is None:
        installed = ", ".join(sorted(registry.backends)) or "none"
        hint = " (pip install govgate-spark)" if name == "spark" else ""
        raise config_error(
            config, ("backend",), f"unknown backend {name!r}; installed: {installed}{hint}"
        )
    return BackendHandle(name, settings, factory)
