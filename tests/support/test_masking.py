"""govgate.support.masking: the one step every output value passes through, and what it keeps."""

from __future__ import annotations

import json
import subprocess
import sys

from govgate.support.masking import KEPT_FIELDS, mask_document, mask_message

RAW = ("jane.roe@corp-example.org", "536-22-8197", "4111 1111 1111 1111", "020 7946 0958")


def test_every_string_and_key_is_masked_at_any_depth() -> None:
    document = {
        "waivers": [
            {
                "approver": RAW[0],
                "justification": f"agreed with {RAW[0]} by phone on {RAW[3]}",
                "ticket": f"SSN {RAW[1]} card {RAW[2]}",
            }
        ],
        "findings": [{"location": {"path": "governance/dpia/john.doe@example.com.md"}}],
        RAW[0]: {"nested": [[RAW[1]]]},
        "count": 4111111111111111,
        "ok": True,
    }

    masked = mask_document(document)

    text = json.dumps(masked)
    for raw in (*RAW, "john.doe", "example.com"):
        assert raw not in text, raw
    assert masked["waivers"][0]["approver"] == "j***@c***.org"
    assert masked["waivers"][0]["ticket"] == "SSN ***-**-**97 card **** **** **** 1111"
    assert masked["count"] == 4111111111111111 and masked["ok"] is True
    assert document["waivers"][0]["approver"] == RAW[0]  # the input is left as it was


def test_hashes_timestamps_and_versions_are_kept_when_they_have_their_shape() -> None:
    kept = {
        "digest": "sha256:" + "4111111111111111" * 4,
        "commit": "4111111111111111abcdef0123456789abcdef01",
        "started_at": "2026-11-15T10:00:05Z",
        "expires": "2027-11-14",
        "version": "1.2.3.4",  # an IPv4 address by its shape, a version by its field
    }

    assert mask_document(kept) == kept
    assert mask_document({"note": "1.2.3.4"}) == {"note": "1.2.*.*"}


def test_a_kept_field_of_another_shape_is_masked_like_free_text() -> None:
    """A field name alone never lets personal data through."""
    document = {"digest": RAW[0], "version": f"call {RAW[3]}", "approved": f"by {RAW[0]}"}

    masked = json.dumps(mask_document(document))

    assert RAW[0] not in masked and RAW[3] not in masked
    assert set(KEPT_FIELDS) >= {"digest", "version", "approved"}


def test_jurisdictions_add_the_regions_national_numbers_are_tried_in() -> None:
    brazilian = "(011) 91234-5678"  # a São Paulo mobile: no number in the default regions

    assert mask_document({"note": brazilian}) == {"note": brazilian}
    assert brazilian not in json.dumps(mask_document({"note": brazilian}, ["BR"]))


def test_error_messages_are_masked() -> None:
    message = f"govgate.yaml:6: duplicate key '{RAW[0]}' (first at line 5); keep one of them"

    assert mask_message(message) == (
        "govgate.yaml:6: duplicate key 'j***@c***.org' (first at line 5); keep one of them"
    )
    assert RAW[1] not in mask_message(f"$.system.{RAW[1]}: unknown key '{RAW[1]}'")
    assert RAW[0] not in mask_message(f"$.system.{RAW[0]}: unknown key")


def test_masking_text_without_candidates_loads_neither_library() -> None:
    """The commit hook masks every run's result: a result without a candidate pays nothing."""
    code = (
        "import sys, json\n"
        "from govgate.support.masking import mask_document, mask_message\n"
        "mask_document({'message': 'GD-6.logs-read: 1,204 records in 12 files, ratio 0.5537',"
        " 'started_at': '2026-11-15T10:00:05Z', 'version': '1.2.3'})\n"
        "mask_message('govgate.yaml:4: unknown pack gdrp; did you mean gdpr?')\n"
        "print(json.dumps([m for m in ('phonenumbers', 'stdnum') if m in sys.modules]))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(done.stdout) == []
    code = code.replace("1,204 records", "call 020 7946 0958")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(done.stdout) == ["phonenumbers"]  # the check that it can be seen at all
