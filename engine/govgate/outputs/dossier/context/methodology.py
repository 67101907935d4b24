"""The methodology section: the tools, packs, parameters, collectors and diagnostics of the run."""

from __future__ import annotations

from typing import Any

from govgate import __version__
from govgate.outputs.dossier.context.values import data_tree
from govgate.outputs.dossier.inputs import DossierInput


def methodology_context(inp: DossierInput) -> dict[str, Any]:
    from importlib.metadata import version

    result = inp.result
    return {
        "tool": result.get("tool") or {},
        "dossier_tool": {"name": "govgate", "version": __version__},
        "renderer": f"WeasyPrint {version('weasyprint')}",
        "packs": list(result.get("packs") or []),
        "params": [
            {"pack": pack, "params": data_tree(values)}
            for pack, values in sorted((result.get("params") or {}).items())
        ],
        "fail_on": result.get("fail_on"),
        "run": result.get("run") or {},
        "collectors": list(result.get("collectors") or []),
        "diagnostics": list(result.get("diagnostics") or []),
        "schema": result.get("schema"),
    }
