"""How govgate imports jsonschema: rfc3987_syntax, whose import alone costs a cold run over a
second, is loaded only when an `iri` format is checked, and then checks it as before."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys

import pytest

PROBE = """\
import json, sys
from govgate.support.schemas import load_schema, validator_class
validator = validator_class()(load_schema("waivers"))
errors = [e.message for e in validator.iter_errors({"waivers": [{"id": 7}]})]
after_import = sys.modules.get("rfc3987_syntax")
from jsonschema import Draft7Validator  # what the CycloneDX validators check formats with
checker = Draft7Validator.FORMAT_CHECKER
print(json.dumps({
    "validator": validator_class().__name__,
    "errors": len(errors),
    "loaded_with_jsonschema": after_import is not None,
    "formats": sorted(f for f in checker.checkers if f.startswith("iri")),
    "good_iri": checker.conforms("https://example.org/d\\u00e9cision?x=1", "iri"),
    "bad_iri": checker.conforms("no scheme, spaces", "iri"),
    "bad_reference": checker.conforms("http://exa mple.org/", "iri-reference"),
    "loaded_by_the_check": type(sys.modules.get("rfc3987_syntax")).__name__,
    "real": hasattr(sys.modules.get("rfc3987_syntax"), "__file__"),
}))
"""


@pytest.mark.slow
@pytest.mark.skipif(
    importlib.util.find_spec("rfc3987_syntax") is None,
    reason="rfc3987_syntax (jsonschema's format-nongpl extra) is not installed",
)
def test_jsonschema_loads_rfc3987_syntax_only_when_an_iri_is_checked() -> None:
    """cyclonedx-python-lib[json-validation] installs jsonschema's format extra, whose
    rfc3987_syntax builds about forty grammars on import. govgate's own validators check no
    format, so it is imported when a CycloneDX validator first checks an `iri`, and those
    checks still refuse a bad IRI."""
    done = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, check=True, timeout=120
    )
    probe = json.loads(done.stdout)
    assert probe == {
        "validator": "Draft202012Validator",
        "errors": probe["errors"],
        "loaded_with_jsonschema": False,
        "formats": ["iri", "iri-reference"],
        "good_iri": True,
        "bad_iri": False,
        "bad_reference": False,
        "loaded_by_the_check": "module",
        "real": True,
    }
    assert probe["errors"] >= 1  # the broken waiver is still refused
