"""The DuckDB loader of decision logs."""

from __future__ import annotations

from govgate_collectors.decision_logs.loader import DuckDBDecisionLogLoader
from govgate_collectors.decision_logs.settings import DecisionLogSettings


def test_duckdb_never_draws_its_progress_bar_on_stdout() -> None:
    """stdout carries govgate's payload; DuckDB draws a bar there for queries over 2 s."""
    settings = DecisionLogSettings(
        paths=("*.jsonl",),
        high_risk_types=(),
        retention_max_days=1,
        gap_hours=1.0,
        required_fields=(),
        memory_limit="64MB",
        threads=1,
    )
    loader = DuckDBDecisionLogLoader(settings)
    try:
        printed = loader.con.execute("SELECT current_setting('enable_progress_bar_print')")
        assert printed.fetchone() == (False,)
    finally:
        loader.close()
