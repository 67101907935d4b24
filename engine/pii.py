"""Find and mask personal data: e-mail, phone, US SSN, payment card, IBAN, IP address.

Evidence is PII-safe (DESIGN §5): every collector passes free text through `redact_text` (or a
whole JSON value through `redact_json`) before building evidence, and the `pii` collector uses
`scan_text` to count what it finds. Checksums (Luhn for cards, mod-97 for IBANs, `ipaddress`
for IPs) keep false positives down; only masked samples ever leave this module.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

PII_TYPES = ("email", "phone", "ssn", "card", "iban", "ip")

_EMAIL = re.compile(
    r"(?<![\w.+-])[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}"
    r"[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?)*\.[A-Za-z]{2,24}"
    r"(?![\w-])"
)
_SSN = re.compile(r"(?<![\d-])(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}(?![\d-])")
_CARD = re.compile(r"(?<![\d-])(?:\d[ -]?){12,18}\d(?![\d-])")
_IBAN = re.compile(r"(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}(?![A-Za-z0-9])")
_PHONE = re.compile(
    r"(?<![\w+])(?:"
    r"\+\d{1,3}[ .-]?(?:\(\d{1,4}\)[ .-]?)?\d{1,4}(?:[ .-]?\d{2,4}){1,4}"  # +44 20 7946 0958
    r"|\(\d{3}\)[ .-]?\d{3}[ .-]\d{4}"  # (555) 123-4567
    r"|\d{3}[.-]\d{3}[.-]\d{4}"  # 555-123-4567
    r")(?![\w-])"
)
_IPV4 = re.compile(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w.])")
_IPV6 = re.compile(r"(?<![\w:])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![\w:])")

# Card number prefixes of the major schemes (IIN ranges); other digit runs are not cards.
_CARD_PREFIX = re.compile(r"^(?:4|5[1-5]|2[2-7]|3[47]|6(?:011|5)|3(?:0[0-5]|[68])|35)")


def luhn_valid(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def iban_valid(candidate: str) -> bool:
    compact = candidate.replace(" ", "")
    if not 15 <= len(compact) <= 34:
        return False
    rearranged = compact[4:] + compact[:4]
    try:
        number = int("".join(str(int(ch, 36)) for ch in rearranged))
    except ValueError:
        return False
    return number % 97 == 1


def _mask_keep(value: str, keep_last: int) -> str:
    out = []
    kept = 0
    for char in reversed(value):
        if char.isalnum():
            if kept < keep_last:
                out.append(char)
                kept += 1
            else:
                out.append("*")
        else:
            out.append(char)
    return "".join(reversed(out))


def mask(kind: str, value: str) -> str:
    """A masked sample that shows the shape, never enough to re-identify."""
    if kind == "email":
        local, _, domain = value.partition("@")
        host, _, tld = domain.rpartition(".")
        return f"{local[:1]}***@{host[:1]}***.{tld}"
    if kind == "ip":
        if ":" in value:
            return value.split(":")[0] + ":****:****"
        parts = value.split(".")
        return f"{parts[0]}.{parts[1]}.*.*"
    if kind == "iban":
        compact = value.replace(" ", "")
        return compact[:2] + "**" + "*" * (len(compact) - 6) + compact[-2:]
    if kind == "card":
        return _mask_keep(value, 4)
    return _mask_keep(value, 2)


@dataclass(frozen=True)
class Match:
    kind: str
    start: int
    end: int
    masked: str


def scan_text(text: str) -> Iterator[Match]:
    """Every PII match in text, validated, without overlaps (earlier, longer wins)."""
    candidates: list[Match] = []
    for found in _EMAIL.finditer(text):
        candidates.append(Match("email", found.start(), found.end(), mask("email", found.group())))
    for found in _IBAN.finditer(text):
        if iban_valid(found.group()):
            candidates.append(
                Match("iban", found.start(), found.end(), mask("iban", found.group()))
            )
    for found in _CARD.finditer(text):
        digits = re.sub(r"[ -]", "", found.group())
        if 13 <= len(digits) <= 19 and _CARD_PREFIX.match(digits) and luhn_valid(digits):
            candidates.append(
                Match("card", found.start(), found.end(), mask("card", found.group()))
            )
    for found in _SSN.finditer(text):
        candidates.append(Match("ssn", found.start(), found.end(), mask("ssn", found.group())))
    for found in _IPV4.finditer(text):
        try:
            address = ipaddress.IPv4Address(found.group())
        except ValueError:
            continue
        if not (address.is_unspecified or address.is_loopback):
            candidates.append(Match("ip", found.start(), found.end(), mask("ip", found.group())))
    for found in _IPV6.finditer(text):
        candidate = found.group()
        if candidate.count(":") < 2 or not re.search(r"[0-9A-Fa-f]", candidate):
            continue
        try:
            address6 = ipaddress.IPv6Address(candidate)
        except ValueError:
            continue
        if not (address6.is_unspecified or address6.is_loopback):
            candidates.append(Match("ip", found.start(), found.end(), mask("ip", candidate)))
    for found in _PHONE.finditer(text):
        digits = re.sub(r"\D", "", found.group())
        if 8 <= len(digits) <= 15:
            candidates.append(
                Match("phone", found.start(), found.end(), mask("phone", found.group()))
            )
    candidates.sort(key=lambda m: (m.start, -(m.end - m.start)))
    last_end = -1
    for chosen in candidates:
        if chosen.start >= last_end:
            yield chosen
            last_end = chosen.end


def redact_text(text: str) -> str:
    """The text with every PII match replaced by its masked form."""
    if not text or not any(ch.isdigit() or ch == "@" for ch in text):
        return text
    out = []
    position = 0
    for found in scan_text(text):
        out.append(text[position : found.start])
        out.append(found.masked)
        position = found.end
    if not out:
        return text
    out.append(text[position:])
    return "".join(out)


def redact_json(value: Any) -> Any:
    """A JSON value with every string (keys included) redacted."""
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, list):
        return [redact_json(v) for v in value]
    if isinstance(value, dict):
        return {redact_text(str(k)): redact_json(v) for k, v in value.items()}
    return value


def contains_pii(text: str) -> bool:
    return next(scan_text(text), None) is not None
