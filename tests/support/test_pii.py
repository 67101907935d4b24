"""govgate.support.pii: what it finds, what it must not find, and that raw values never come out."""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from govgate.support.pii import (
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
    ("card", "6200000000000005"),  # UnionPay
    ("card", "8100000000000002"),  # UnionPay 81, RuPay
    ("card", "5000000000000009"),  # Maestro
    ("card", "6440000000000005"),  # Discover
    ("card", "8200 0000 0000 0001"),  # RuPay
    ("iban", "DE89 3704 0044 0532 0130 00"),
    ("iban", "GB82WEST12345698765432"),
    ("iban", "NL91ABNA0417164300"),
    ("ip", "192.0.2.44"),
    ("ip", "203.0.113.7"),
    ("ip", "2001:db8::8a2e:370:7334"),
    ("ip", "fe80::1ff:fe23:4567:890a"),
    # National formats, confirmed by phonenumbers for the regions tried by default.
    ("phone", "020 7946 0958"),  # London
    ("phone", "030 12345678"),  # Berlin
    ("phone", "06 12 34 56 78"),  # a French mobile
    ("phone", "(030) 1234567"),
    ("phone", "06.12.34.56.78"),
    ("phone", "020-7946-0958"),
    # IBANs of every registered country (python-stdnum), Honduras included.
    ("iban", "HN88CABF00000000000250005469"),
    ("iban", "NO9386011117947"),
    ("iban", "MT84MALT011000012345MTLCAST001S"),
    # National identification numbers with a check digit (python-stdnum), counted as `ssn`.
    ("ssn", "12345678Z"),  # Spanish DNI
    ("ssn", "X1234567L"),  # Spanish NIE
    ("ssn", "RCCMNL83S18D969H"),  # Italian codice fiscale
    ("ssn", "2 95 10 99 126 111 93"),  # French NIR
    ("ssn", "811228-9874"),  # Swedish personnummer
    ("ssn", "131052-308T"),  # Finnish HETU
    ("ssn", "85.07.30-033.28"),  # Belgian national number
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
    # Dates, times and decimals that a national phone pattern could take for a number.
    "on 01.02.2024 10:00 and 31 12 2025 and 2026-05-01 08:30:00",
    "log 2026/05/01 12:05 05/11/2026",
    "Nov 05 2026 08:00:01 p=0.0002238 ratio 0.5537",
    "ticket 0000 0000 00",  # zeros fit no numbering plan
    "build 0.12.345.6789",  # a version that starts with 0
    "order 0612345678",  # unseparated digits are identifiers, not numbers as people write them
    # National-id shapes whose check digit fails.
    "12345678A and X1234567A and 811228-9875 and 131052-308A and 85.07.30-033.29",
    "RCCMNL83S18D969X",
]


# Real values in ordinary repositories that are not personal data, so GD-6 must not count them:
# version numbers shaped like IPv4 addresses, an SSH remote shaped like an e-mail address, and
# addresses that identify no one (private, loopback, unspecified, link-local).
NOT_PERSONAL = [
    "numpy==1.26.4.1",
    "tensorflow 2.15.0.0",
    "release 2.0.0.1",
    "versions 1.2.3.4",
    "scikit-learn>=1.2.3.4, torch ~= 2.1.0.0",
    "tensorflow-2.15.0.0-cp311-cp311-manylinux_2_17_x86_64.whl",
    "tensorflow            2.15.0.0",  # `pip list` columns
    '{"tensorflow": "2.15.0.0"}',
    "sdist pkg-1.2.3.4.tar.gz and the OID 1.2.3.4.5",
    "origin\tgit@github.com:org/repo.git (fetch)",
    "url = ssh://git@gitlab.example.com/org/repo.git",
    "10.20.30.40 172.17.0.2 192.168.1.5 127.0.0.1 0.0.0.0",
    "link-local 169.254.10.20, netmask 255.255.255.0, multicast 239.1.2.3",
]

# Public addresses and e-mails next to those look-alikes: still personal data.
PERSONAL_NEAR_LOOKALIKES = [
    ("the request came from 203.0.113.77 and was logged", ["203.0.113.77"]),
    ("ip=203.0.113.77", ["203.0.113.77"]),
    ("mail jane.doe@example.com, origin git@github.com:org/repo.git", ["jane.doe@example.com"]),
    ("origin git@github.com:org/repo.git, author jane.doe@example.com", ["jane.doe@example.com"]),
    ("tensorflow 2.15.0.0 on host 203.0.113.7", ["203.0.113.7"]),
    ("numpy==1.26.4.1; client 24.5.12.9", ["24.5.12.9"]),  # a low public address, too
    ("src_ip: 24.5.12.9, ip.addr == 81.2.69.160", ["24.5.12.9", "81.2.69.160"]),
    ("client 10.0.0.7 behind 198.51.100.23", ["198.51.100.23"]),
    ("a range 10.0.0.1-24.5.12.9", ["24.5.12.9"]),
    ("My address is 203.0.113.7.", ["203.0.113.7"]),  # a full stop is not a fifth part
    ("git@example.com: please reply", ["git@example.com"]),  # a mailbox, not a remote
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


@pytest.mark.parametrize("text", NOT_PERSONAL)
def test_versions_remotes_and_addresses_of_no_one_are_not_counted(text: str) -> None:
    assert list(scan_text(text)) == []


@pytest.mark.parametrize(("text", "values"), PERSONAL_NEAR_LOOKALIKES)
def test_personal_data_next_to_lookalikes_is_still_counted_and_masked(
    text: str, values: list[str]
) -> None:
    found = list(scan_text(text))

    assert [text[m.start : m.end] for m in found] == values
    assert re.search(PREFILTER_PATTERN, text, re.ASCII)
    redacted = redact_text(text)
    for value in values:
        assert value not in redacted


def test_redaction_still_masks_what_it_does_not_count() -> None:
    """A guess about context decides the count, never whether an address reaches evidence."""
    text = "numpy==1.26.4.1 tensorflow 2.15.0.0 host 10.20.30.40 and 192.168.1.5"

    assert redact_text(text) == "numpy==1.26.*.* tensorflow 2.15.*.* host 10.20.*.* and 192.168.*.*"
    remote = "origin git@github.com:org/repo.git"
    assert redact_text(remote) == remote  # a remote is no one's address: left readable
    assert redact_text("v 1.2.3.4, 127.0.0.1, 0.0.0.0") == "v 1.2.3.4, 127.0.0.1, 0.0.0.0"


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
    assert iban_valid("HN88CABF00000000000250005469")  # missing from the old table
    assert not iban_valid("NO9386011117948")
    assert PII_TYPES == ("email", "phone", "ssn", "card", "iban", "ip")


def _fragments() -> st.SearchStrategy[str]:
    pieces = [value for _, value in TRUE_POSITIVES] + FALSE_POSITIVES + NOT_PERSONAL
    pieces += [text for text, _ in PERSONAL_NEAR_LOOKALIKES]
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


def test_epoch_milliseconds_do_not_send_a_log_line_to_the_full_scan() -> None:
    # A third of a real log carried epoch-millisecond timestamps; taken for card numbers, each
    # such line went through the slow exact scan (2 GB of logs took six times as long).
    line = '{"decision_id":"c25d1ec0-3010","timestamp":1756696643426,"score":0.41}'
    assert not re.search(PREFILTER_PATTERN, line, re.ASCII)
    card = '{"note":"paid with 4111 1111 1111 1111"}'
    assert re.search(PREFILTER_PATTERN, card, re.ASCII)


def test_the_prefilter_runs_in_duckdb_and_agrees_with_python() -> None:
    """The same pattern text must mean the same thing to RE2 (DuckDB) as to Python."""
    import duckdb

    lines = [f"note {value} end" for _, value in TRUE_POSITIVES]
    lines += [text for text, _ in PERSONAL_NEAR_LOOKALIKES]
    lines += FALSE_POSITIVES + NOT_PERSONAL
    con = duckdb.connect()
    flags = con.execute(
        "SELECT list_transform($lines, lambda l: regexp_matches(l, $p))",
        {"lines": lines, "p": PREFILTER_PATTERN},
    ).fetchone()
    assert flags is not None
    python = [re.search(PREFILTER_PATTERN, line, re.ASCII) is not None for line in lines]
    assert list(flags[0]) == python
    assert all(flags[0][: len(TRUE_POSITIVES) + len(PERSONAL_NEAR_LOOKALIKES)])


def test_values_in_csv_cells_are_found_after_numeric_cells() -> None:
    row = "1,4111111111111111,555-010-4477,123-45-6789,192.0.2.44,0.5"

    assert [m.kind for m in scan_text(row)] == ["card", "phone", "ssn", "ip"]


@settings(max_examples=400, deadline=None)
@given(_fragments())
def test_masking_never_turns_away_text_it_would_mask(text: str) -> None:
    """redact_text's quick test must let through everything the masking scan would find."""
    from govgate.support.pii import _QUICK, _scan

    found = list(_scan(text, personal_only=False, regions=None))
    if found:
        assert _QUICK.search(text), text
    for match in found:
        assert _QUICK.search(text[match.start : match.end]), text[match.start : match.end]


@pytest.mark.parametrize(
    "number", ["6200000000000005", "8100000000000002", "5000000000000009", "6440000000000005"]
)
def test_cards_of_unionpay_maestro_discover_and_rupay_are_found_and_masked(number: str) -> None:
    text = f"paid with {number} yesterday"

    assert [m.kind for m in scan_text(text)] == ["card"]
    assert redact_text(text) == f"paid with ************{number[-4:]} yesterday"
    assert re.search(PREFILTER_PATTERN, text, re.ASCII)
