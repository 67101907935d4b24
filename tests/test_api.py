"""govgate.api, the public plugin API: docs/plugins.md documents exactly its `__all__`, every
name resolves, and importing it loads no engine (every run and the commit hook import it)."""

from __future__ import annotations

import re
import subprocess
import sys

import govgate.api

from conftest import REPO_ROOT

PLUGIN_DOCS = REPO_ROOT / "docs" / "plugins.md"
#: Libraries that cost tens to hundreds of milliseconds to import, and the analysis that
#: `FairnessSpec` brings: none may be loaded by `import govgate.api`.
HEAVY = ("duckdb", "networkx", "jinja2", "weasyprint", "git", "pyarrow", "pandas", "jsonschema")


def documented_names() -> list[str]:
    """The names in the first column of the public-API table of docs/plugins.md."""
    text = PLUGIN_DOCS.read_text(encoding="utf-8")
    section = text[text.index("**The public API**") : text.index("\n## govgate_collectors")]
    names: list[str] = []
    for row in section.splitlines():
        if row.startswith("| `"):
            names += re.findall(r"`(\w+)`", row.split("|")[1])
    return names


def imported_modules(code: str) -> set[str]:
    """The modules loaded after running `code` in a fresh interpreter."""
    probe = f"import sys\n{code}\nprint('\\n'.join(sys.modules))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return set(done.stdout.split())


def test_the_docs_table_lists_exactly_the_public_api() -> None:
    documented = documented_names()
    assert len(documented) == len(set(documented)), "a name is documented twice"
    assert sorted(documented) == sorted(govgate.api.__all__)


def test_every_public_name_resolves() -> None:
    missing = [name for name in govgate.api.__all__ if getattr(govgate.api, name, None) is None]
    assert not missing


def test_importing_the_api_loads_no_engine_and_no_analysis() -> None:
    loaded = imported_modules("import govgate.api")
    assert not {name for name in loaded if name.split(".")[0] in HEAVY}
    assert "govgate.analysis.fairness" not in loaded


def test_fairness_spec_and_analysis_load_on_first_use() -> None:
    loaded = imported_modules(
        "from govgate.api import FairnessSpec\n"
        "import govgate.analysis.fairness as analysis\n"
        "assert FairnessSpec is analysis.FairnessSpec"
    )
    assert "govgate.analysis.fairness" in loaded
    assert "duckdb" not in loaded  # the engine waits for the first analysis
