"""Numbers checked by the libraries people know: phone numbers by `phonenumbers` (Google's
libphonenumber metadata), IBANs and national identification numbers by `python-stdnum`.

`govgate.support.pii` finds candidates with its own cheap patterns; this module decides whether
a candidate is real. Both libraries are imported on first use, never at import time: the
commit hook scans and masks text that almost never holds a candidate, and a run that meets none
does not pay for loading them.

Phone numbers are judged by region. A number written with its country code (`+44 …`) needs no
region; a national one (`020 7946 0958`) is valid only in the regions whose numbering plan it
fits, so it is tried in the regions of the configuration's `jurisdictions` and in
`DEFAULT_PHONE_REGIONS`: data about people in one country is often kept by a company declared
in another, so the declared ones extend the list rather than replace it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache
from typing import Any

#: Regions a national phone number is tried in, whatever the configuration declares: the
#: member states of the EU and EEA, the United Kingdom, Switzerland and North America.
EU_REGIONS = (
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE",
    "IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK",
)  # fmt: skip
DEFAULT_PHONE_REGIONS = (*EU_REGIONS, "IS", "LI", "NO", "GB", "CH", "US", "CA")

#: `jurisdictions` values that name a group of regions rather than one.
_JURISDICTION_GROUPS = {
    "EU": EU_REGIONS,
    "EEA": (*EU_REGIONS, "IS", "LI", "NO"),
    "UK": ("GB",),
}


def phone_regions(jurisdictions: Iterable[Any] | None = None) -> tuple[str, ...]:
    """The regions national phone numbers are tried in: those `jurisdictions` names (`EU`,
    `EEA`, `UK`, an ISO 3166 code such as `DE`, or a subdivision such as `US-CA`) followed by
    `DEFAULT_PHONE_REGIONS`. Values that name no region are ignored."""
    regions: list[str] = []
    for raw in jurisdictions or ():
        if not isinstance(raw, str):
            continue
        name = raw.strip().upper()
        group = _JURISDICTION_GROUPS.get(name)
        if group is not None:
            regions.extend(group)
            continue
        code = name.split("-", 1)[0]
        if re.fullmatch(r"[A-Z]{2}", code):
            regions.append(code)
    return tuple(dict.fromkeys([*regions, *DEFAULT_PHONE_REGIONS]))


@cache
def _phonenumbers() -> Any:
    import phonenumbers

    return phonenumbers


def phone_valid(candidate: str, regions: tuple[str, ...], *, shape: str) -> bool:
    """True when `candidate` is a phone number.

    `shape` says how it was written, and so how much the library must confirm: `international`
    (`+44 20 7946 0958`) and `nanp` (`(555) 010-4477`, `555-010-4477`) are phone numbers by
    their shape and need only a possible length for their country; `national`
    (`020 7946 0958`, `06 12 34 56 78`) could be other grouped digits, so it must be a valid
    number in one of `regions`.
    """
    library = _phonenumbers()
    try:
        if shape == "international":
            return bool(library.is_possible_number(library.parse(candidate, None)))
        if shape == "nanp":
            return bool(library.is_possible_number(library.parse(candidate, "US")))
    except library.NumberParseException:
        return False
    for region in regions:
        try:
            number = library.parse(candidate, region)
        except library.NumberParseException:
            continue
        if library.is_valid_number_for_region(number, region):
            return True
    return False


@cache
def _stdnum(module: str) -> Any:
    import importlib

    return importlib.import_module(f"stdnum.{module}")


def iban_valid(candidate: str) -> bool:
    """True for an IBAN of any country in the IBAN registry: its length, its national account
    format and its mod-97 check digits (python-stdnum)."""
    return bool(_stdnum("iban").is_valid(candidate))


#: National identification numbers with a check digit, in the forms people write them, and
#: the python-stdnum module that validates each. Numbers that are bare digit runs (the Dutch
#: BSN, the Polish PESEL, the German tax id) are left out: without a shape of their own, any
#: order number or timestamp would pass their check one time in ten or eleven.
NATIONAL_IDS: tuple[tuple[str, str, str], ...] = (
    # (name, pattern, stdnum module)
    ("Spanish DNI", r"\d{8}-?[A-Z]", "es.dni"),
    ("Spanish NIE", r"[XYZ]-?\d{7}-?[A-Z]", "es.nie"),
    ("Italian codice fiscale", r"[A-Z]{6}\d\d[A-EHLMPR-T]\d\d[A-Z]\d{3}[A-Z]", "it.codicefiscale"),
    ("French NIR", r"[12] ?\d{2} ?\d{2} ?(?:\d{2}|2[AB]) ?\d{3} ?\d{3} ?\d{2}", "fr.nir"),
    ("Swedish personnummer", r"(?:\d{2})?\d{6}[-+]\d{4}", "se.personnummer"),
    ("Finnish HETU", r"\d{6}[-+A-FU-Y]\d{3}[0-9A-FHJ-NPR-Y]", "fi.hetu"),
    ("Belgian national number", r"\d{2}\.\d{2}\.\d{2}-\d{3}\.\d{2}", "be.nn"),
)


def national_id_valid(candidate: str, module: str) -> bool:
    """True when python-stdnum's `module` accepts `candidate` (format, date and check digit)."""
    return bool(_stdnum(module).is_valid(candidate))


def ssn_valid(candidate: str) -> bool:
    """True for a US Social Security number that can have been issued (python-stdnum: no 000,
    666 or 9xx area, no 00 group or 0000 serial, none of the numbers known to be invalid)."""
    return bool(_stdnum("us.ssn").is_valid(candidate))
