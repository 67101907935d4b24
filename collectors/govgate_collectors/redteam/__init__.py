"""The `redteam` collector: what LLM red-team and evaluation tools found, per OWASP LLM risk.

It reads garak report JSONL, promptfoo results JSON and Inspect eval logs (`.eval` or
`.json`), and produces one `genai.redteam` item per scan: the tool, the model and its version,
the date, and attempts, failures and attack success rate per OWASP LLM Top 10 (2025) risk
through the versioned mapping table in `mapping.py`. docs/collectors/redteam.md says how.
"""

from __future__ import annotations

from collections.abc import Sequence

from govgate.api import Collector, hookimpl
from govgate_collectors.redteam.collector import RedteamCollector

__all__ = ["RedteamCollector", "govgate_collectors"]


@hookimpl
def govgate_collectors() -> Sequence[type[Collector]]:
    return [RedteamCollector]
