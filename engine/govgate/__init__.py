"""govgate: policy-as-code compliance engine for AI systems.

The package's public surface for plugin authors is small on purpose: the `hookimpl` marker,
the `Collector` base class and `Evidence` (see docs/plugins.md).
"""

from __future__ import annotations

import pluggy

__version__ = "0.1.0"

#: Decorate plugin functions with this marker to implement a govgate hook.
hookimpl = pluggy.HookimplMarker("govgate")

__all__ = ["__version__", "hookimpl"]
