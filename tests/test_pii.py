"""govgate.pii: what it finds, what it must not find, and that raw values never come out."""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from govgate.pii import (
    IBAN_LENGTHS,
    PII_TYPES,
    PREFILTER_PATTERN,
    iban_valid,
    luhn_valid,
    mask,
    might_contain_pii,
    redact_json,
    redact_text,
    scan_text,
)

# (type, value as people write it): all reserved or published test values.
TRUE_POSITIVES = [
    ("email", "jane.doe@example.com"),
    ("email", "a.b-c+tag@mail.example.co.uk"),
    ("phone", "+44 20 7946 0958"),
    ("phone", "(555) 010-4477"),
    ("phone", "555-010-4477"),
    ("phone", "+1-202-555-0173"),
    ("ssn", "123-45-6789"),
    ("card", "4111 1111 1111 1111"),
    ("card", "4111-1111-1111-1111"),
    ("card", "5500005555555559"),
    ("card", "378282246310005"),
    ("iban", "DE89 3704 0044 0532 0130 00"),
    ("iban", "GB82WEST12345698765432"),
    ("iban", "NL91ABNA0417164300"),
    ("ip", "192.0.2.44"),
    ("ip", "203.0.113.7"),
    ("ip", "2001:db8::8a2e:370:7334"),
    ("ip", "fe80::1ff:fe23:4567:890a"),
]

# Things that look like personal data to a careless regex, and are not.
FALSE_POSITIVES = [
    "9a32daea-431b-4bea-a379-f0f126bc3c21",  # UUID
    "34609087-6764-4447-a587-70a0c2bd1f10",  # UUID starting with digit groups
    "4111111111111111ab0c3e" + "0" * 42,  # a sha256 that starts with a Luhn-valid run
    "input_hash 21097197030842ea5a6ab35a0000000000000000000000000000000000000000",
    "2025-09-01T00:00:05.052Z",
    "2026-03-01 12:30:00",
    "at 12:30:00 the job ran",
    "score 0.4111111111111111",  # a float whose digits pass Luhn
    "amount 4,111,111,111,111,111",
    "version v1.2.3.4 and 1.3.6.1.4.1.311",  # semver-ish and an OID
    "logo@2x.png",
    "epoch 1767225600000",
    "order 000-00-0000 and 666-12-3456",  # never-issued SSN ranges
    "DE00 0000 0000 0000 0000 00",  # bad IBAN check digits
    "XX89370400440532013000",  # no such country
    "DE8937040044053201300",  # right check digits, wrong length for DE
    "127.0.0.1 and 0.0.0.0 and ::1",  # loopback and unspecified
    "999.1.1.1",
    "card 4111 1111 1111 1112",  # Luhn fails
]


@pytest.mark.parametrize(("kind", "value"), TRUE_POSITIVES)
def test_each_type_is_found_in_running_text(kind: str, value: str) -> None:
    text = f"Customer note: reach me at {value}, thanks."

    found = list(scan_text(text))

    assert [(m.kind, text[m.start : m.end]) for m in found] == [(kind, value)]
    assert value not in found[0].masked
    assert might_contain_pii(text)


@pytest.mark.parametrize("text", FALSE_POSITIVES)
def test_lookalikes_are_not_personal_data(text: str) -> None:
    assert list(scan_text(text)) == []
    assert redact_text(text) == text


def test_redaction_masks_every_value_and_keeps_the_rest() -> None:
    values = [value for _, value in TRUE_POSITIVES]
    text = " | ".join(values)

    redacted = redact_text(text)

    for value in values:
        assert value not in redacted
    assert redacted.count(" | ") == len(values) - 1
    assert "j***@e***.com" in redacted
    assert "**** **** **** 1111" in redacted


def test_masks_show_the_shape_but_not_the_value() -> None:
    assert mask("email", "jane.doe@example.com") == "j***@e***.com"
    assert mask("ip", "192.0.2.44") == "192.0.*.*"
    assert mask("iban", "DE89 3704 0044 0532 0130 00") == "DE******************00"
    assert mask("card", "4111-1111-1111-1111") == "****-****-****-1111"
    assert mask("ssn", "123-45-6789") == "***-**-**89"
    assert mask("phone", "(555) 010-4477") == "(***) ***-**77"


def test_redact_json_covers_keys_nested_values_and_leaves_other_types() -> None:
    document = {
        "contact": {"jane.doe@example.com": ["call +44 20 7946 0958"]},
        "amount": 4111111111111111,
        "ok": True,
        "none": None,
    }

    redacted = redact_json(document)

    text = json.dumps(redacted)
    assert "jane.doe@example.com" not in text and "7946 0958" not in text
    assert redacted["amount"] == 4111111111111111  # numbers are not strings: left alone
    assert redacted["ok"] is True and redacted["none"] is None


def test_checksums() -> None:
    assert luhn_valid("4111111111111111") and not luhn_valid("4111111111111112")
    assert iban_valid("DE89370400440532013000")
    assert not iban_valid("DE89370400440532013001")
    assert IBAN_LENGTHS["NO"] == 15 and IBAN_LENGTHS["MT"] == 31
    assert PII_TYPES == ("email", "phone", "ssn", "card", "iban", "ip")


def _fragments() -> st.SearchStrategy[str]:
    pieces = [value for _, value in TRUE_POSITIVES] + FALSE_POSITIVES
    return st.lists(
        st.one_of(
            st.sampled_from(pieces),
            st.text(alphabet="0123456789-. :@()+/abcdefXYZ_\"'", max_size=12),
        ),
        max_size=8,
    ).map("".join)


@settings(max_examples=400, deadline=None)
@given(_fragments())
def test_the_prefilter_never_misses_what_the_scanner_finds(text: str) -> None:
    """SQL engines drop the lines PREFILTER_PATTERN misses: it must be a true superset."""
    if list(scan_text(text)):
        assert re.search(PREFILTER_PATTERN, text, re.ASCII), text
    for match in scan_text(text):
        # ... and each finding on its own, as the engine sees a line holding just it.
        assert re.search(PREFILTER_PATTERN, text[match.start : match.end], re.ASCII)


def test_the_prefilter_runs_in_duckdb_and_agrees_with_python() -> None:
    """The same pattern text must mean the same thing to RE2 (DuckDB) as to Python."""
    import duckdb

    lines = [f"note {value} end" for _, value in TRUE_POSITIVES] + FALSE_POSITIVES
    con = duckdb.connect()
    flags = con.execute(
        "SELECT list_transform($lines, lambda l: regexp_matches(l, $p))",
        {"lines": lines, "p": PREFILTER_PATTERN},
    ).fetchone()
    assert flags is not None
    python = [re.search(PREFILTER_PATTERN, line, re.ASCII) is not None for line in lines]
    assert list(flags[0]) == python
    assert all(flags[0][: len(TRUE_POSITIVES)])


def test_values_in_csv_cells_are_found_after_numeric_cells() -> None:
    row = "1,4111111111111111,555-010-4477,123-45-6789,192.0.2.44,0.5"

    assert [m.kind for m in scan_text(row)] == ["card", "phone", "ssn", "ip"]
