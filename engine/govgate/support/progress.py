"""Progress of long work as `(done, total, label)` calls, and a one-line terminal printer for them.

Collectors report through `ctx.progress` when the caller gave one, else through
`terminal_progress()`, which is silent in CI and when stderr is not a terminal.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from typing import Any

#: Called with the work done so far, the total (same unit, e.g. bytes) and what is being done.
ProgressCallback = Callable[[int, int, str], None]


def terminal_progress(stream: Any = None) -> ProgressCallback | None:
    """A `(done, total, label)` printer for an interactive terminal; None in CI or when piped.

    Used when the caller gave no `ctx.progress`. It redraws one line at most five times a
    second and clears it when done, so nothing is left in logs.
    """
    out = stream or sys.stderr
    if os.environ.get("CI") or not getattr(out, "isatty", lambda: False)():
        return None
    last = [0.0]

    def show(done: int, total: int, label: str) -> None:
        now = time.monotonic()
        finished = total > 0 and done >= total
        if not finished and now - last[0] < 0.2:
            return
        last[0] = now
        percent = 100.0 * done / total if total else 100.0
        text = f"{label[:60]:<60} {percent:5.1f}%"
        out.write("\r" + (" " * len(text) + "\r" if finished else text))
        out.flush()

    return show
