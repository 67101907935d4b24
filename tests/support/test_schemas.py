"""How govgate imports jsonschema: without the format libraries it never uses (cold-run cost)."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys

import pytest

PROBE = """\
import json, sys, time
started = time.perf_counter()
from govgate.support.schemas import load_schema, validator_class
validator = validator_class()(load_schema("waivers"))
errors = [e.message for e in validator.iter_errors({"waivers": [{"id": 7}]})]
print(json.dumps({
    "validator": validator_class().__name__,
    "errors": len(errors),
    "loaded": sorted(m for m in ("rfc3987_syntax", "lark") if sys.modules.get(m) is not None),
    "left_blocked": "rfc3987_syntax" in sys.modules,
    "seconds": time.perf_counter() - started,
}))
"""


@pytest.mark.skipif(
    importlib.util.find_spec("rfc3987_syntax") is None,
    reason="rfc3987_syntax (jsonschema's format-nongpl extra) is not installed",
)
def test_jsonschema_loads_without_the_grammar_library_no_govgate_validator_uses() -> None:
    """cyclonedx-python-lib[json-validation] installs jsonschema's format extra, whose
    rfc3987_syntax builds about forty grammars when jsonschema is imported (over a second of
    every cold run). govgate validates without a format checker, so it is kept out; it is not
    left blocked for code that imports it later, and validation still finds every error."""
    done = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, check=True, timeout=120
    )
    probe = json.loads(done.stdout)
    assert probe["validator"] == "Draft202012Validator"
    assert probe["errors"] >= 1  # the broken waiver is still refused
    assert probe["loaded"] == []
    assert probe["left_blocked"] is False
