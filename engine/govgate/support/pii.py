"""Find and mask personal data: e-mail, phone, US SSN, payment card, IBAN, IP address.

Evidence is PII-safe (docs/plugins.md): every collector passes free text through `redact_text` (or a
whole JSON value through `redact_json`) before building evidence, and the `pii` collector uses
`scan_text` to count what it finds. Checksums (Luhn for cards, mod-97 and the per-country
length for IBANs, `ipaddress` for IPs) and word boundaries that treat hex digests, UUIDs,
decimals and version numbers as words keep false positives down; only masked samples ever
leave this module.

`scan_text` finds personal data; `redact_text` masks a little more. An IPv4 address that
identifies no one (private, loopback, link-local, multicast and reserved ranges) or that is a
version number by its context (`numpy==1.26.4.1`, `tensorflow 2.15.0.0`) is not counted, but
evidence text still has every address-shaped value masked except loopback, unspecified and
`version 1.2.3.4`, as it always had: a wrong guess about context must never leak an address.
`git@host:org/repo.git` (an SSH remote) is neither counted nor masked.

`PREFILTER_PATTERN` is a cheap superset of everything `scan_text` can find, written in the
regex syntax RE2 (DuckDB), Java (Spark) and Python share, so a SQL engine can select the few
lines worth a full scan without shipping every line back to Python.

Candidates are found here; `govgate.support.pii_numbers` has the libraries people know confirm
them (phone numbers by `phonenumbers`, IBANs and national identification numbers by
`python-stdnum`), loaded only when a candidate turns up.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Container, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from govgate.support.pii_numbers import (
    NATIONAL_IDS,
    iban_valid,
    national_id_valid,
    phone_regions,
    phone_valid,
    ssn_valid,
)

__all__ = [
    "PII_TYPES",
    "PREFILTER_PATTERN",
    "Match",
    "distinct_key",
    "iban_valid",
    "luhn_valid",
    "mask",
    "might_contain_pii",
    "phone_regions",
    "redact_json",
    "redact_locations",
    "redact_pointer",
    "redact_text",
    "scan_text",
]

#: `ssn` covers national identification numbers: the US SSN and the checksummed national
#: numbers of `pii_numbers.NATIONAL_IDS`.
PII_TYPES = ("email", "phone", "ssn", "card", "iban", "ip")

# ASCII classes throughout: a digit is 0-9 and a word character is [A-Za-z0-9_], exactly as in
# RE2 and Java, so PREFILTER_PATTERN below stays a true superset of these patterns.
_EMAIL = re.compile(
    r"[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}"
    r"[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?)*\.[A-Za-z]{2,24}"
    r"(?![\w-])",
    re.ASCII,
)
# `logo@2x.png` is an image name, not an address.
_NOT_EMAIL_TLDS = frozenset({"png", "jpg", "jpeg", "gif", "svg", "webp", "ico", "bmp", "tif"})
# A digit run glued to a word character, or to a digit and a dot, is part of a hex digest, a
# UUID or a decimal fraction (`0.4111…`), never a free-standing identifier. A dot after a name
# is a separator (`$.system.536-22-8197`, a JSON path in an error), as is a comma (CSV cells).
_SSN = re.compile(
    r"(?<![\w-])(?<!\d\.)(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}(?![\w-]|\.\d)", re.ASCII
)
_CARD = re.compile(r"(?<![\w-])(?<!\d\.)(?:\d[ -]?){12,18}\d(?![\w-]|\.\d)", re.ASCII)
_IBAN = re.compile(r"(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}(?![A-Za-z0-9])", re.ASCII)
_PHONE = re.compile(
    r"(?<![\w+])(?<!\d\.)(?:"
    r"(?P<international>\+\d{1,3}[ .-]?(?:\(\d{1,4}\)[ .-]?)?\d{1,4}(?:[ .-]?\d{2,4}){1,4})"
    r"|(?P<nanp>\(\d{3}\)[ .-]?\d{3}[ .-]\d{4}|\d{3}[.-]\d{3}[.-]\d{4})"  # (555) 123-4567
    r")(?![\w-]|\.\d)",
    re.ASCII,
)
# A national number: a trunk prefix 0 and an area code (in parentheses or followed by a
# separator), then groups: 020 7946 0958, 030 12345678, 06 12 34 56 78, (030) 1234567. Never
# right after a digit, a dot, a dash, a slash or a colon, so the month and day of `2026-05-01`,
# `05/01` or the minutes of `10:05` cannot start one; unseparated digit runs are identifiers.
_NATIONAL_PHONE = re.compile(
    r"(?<![\w+/:-])(?<!\d\.)(?:\(0\d{1,4}\)[ .-]?|0\d{1,4}[ ./-])\d{2,8}(?:[ .-]\d{2,8}){0,4}"
    r"(?![\w-]|\.\d)",
    re.ASCII,
)
# 01.02.2024 or 31 12 2025 (a date, perhaps with its hour) is not a phone number.
_DATE_LIKE = re.compile(
    r"\(?(?:0[1-9]|[12]\d|3[01])\)?[ ./-](?:0[1-9]|1[0-2])[ ./-](?:19|20)\d\d\b", re.ASCII
)
_NATIONAL_ID = re.compile(
    r"(?<![\w-])(?<!\d\.)(?:"
    + "|".join(f"(?P<id{n}>{p})" for n, (_, p, _) in enumerate(NATIONAL_IDS))
    + r")(?![\w-]|\.\d)",
    re.ASCII,
)
# A sentence-ending dot may follow an address; `.5` (five parts, an OID) or `.tar` may not.
_IPV4 = re.compile(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?!\.?\w)", re.ASCII)
_IPV6 = re.compile(r"(?<![\w:])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![\w:])", re.ASCII)

# "model_version": "1.2.3.4" or "v 1.2.3.4" is a version number, not an address (neither
# counted nor masked, as ever).
_VERSION_BEFORE = re.compile(r"(?i)(?:\b|_)(?:version|ver|v)\W{0,4}\Z")
# For counting only: a name right before the value, and how it is joined to it. `numpy==`,
# `scikit-learn>=`, `tensorflow-` (strong: a version whatever the value), `tensorflow `,
# `"torch": "` (weak: a version only if the value looks like one, see `_looks_like_version`).
# Matched against the text before the value *reversed*, so it is anchored at the value and
# costs the length of one name, not a search over the window ("==" reversed is "==", ">=" is
# "=>").
_NAME_BEFORE_REVERSED = re.compile(
    r"(?:[ \t]*(?P<strong>=[=<>!~])[ \t]*|(?P<dash>-)|[\"']?[ \t]*[:=][ \t]*[\"']?|[ \t]+)"
    r"(?P<name>[\w.-]+)",
    re.ASCII,
)
_NAME_PARTS = re.compile(r"[._-]")
# The name's last part says "version" ...
_VERSION_WORDS = frozenset(
    {"v", "ver", "version", "versions", "release", "releases", "rel", "rev", "revision", "build"}
)
# ... or any part says "address": then the value is counted, whatever it looks like.
_ADDRESS_WORDS = frozenset(
    {
        "ip", "ips", "ipv4", "ipaddr", "addr", "address", "addresses", "inet", "host", "hosts",
        "hostname", "server", "client", "peer", "remote", "src", "source", "dst", "dest",
        "destination", "origin", "gateway", "gw", "proxy", "nat", "route", "router", "dns",
        "nameserver", "resolver", "listen", "bind", "endpoint", "node", "forwarded", "xff",
        "user", "customer", "visitor", "login", "logon", "connect", "connected", "connection",
        "conn", "request", "session", "device", "from", "to", "at", "by", "via", "for", "is",
        "was", "me", "my", "our", "your", "their", "his", "her", "and", "or", "of", "on", "in",
        "with", "the", "a", "an",
    }
)  # fmt: skip
# Card number prefixes of the major schemes (IIN ranges); other digit runs are not cards. Visa
# 4; Mastercard 51-55 and 22-27 (Mir 2200-2204); Amex 34, 37; Diners 300-305, 36, 38; JCB 35;
# Maestro 50, 56-69; Discover 6011, 622126-622925, 644-649, 65; UnionPay 62, 81; RuPay 60, 65,
# 81, 82, 508. Maestro alone takes every 5x and 6x.
_CARD_PREFIX = re.compile(r"^(?:[456]|2[2-7]|3[4-8]|30[0-5]|8[12])")

#: A superset of every `scan_text` match, in the regex dialect shared by RE2, Java and Python
#: (no look-around: boundaries are consumed instead). A line it does not match holds no PII.
PREFILTER_PATTERN = "|".join(
    (
        r"[A-Za-z0-9._%+-]@[A-Za-z0-9]",  # e-mail
        r"(?:^|[^\w-])\d{3}-\d{2}-\d{4}(?:$|[^\w-])",  # SSN
        # Trailing boundaries matter here: UUIDs and hex digests are full of digit runs. Every
        # card number starts with 2 to 8 (_CARD_PREFIX), epoch milliseconds (17...) never do.
        r"(?:^|[^\w-])[2-8](?:[ -]?\d){12,18}(?:$|[^\w-])",  # card
        r"(?:^|[^A-Za-z0-9])[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}(?:$|[^A-Za-z0-9])",  # IBAN
        r"(?:^|[^\w.])\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}(?:$|[^\w.]|\.$|\.[^\w])",  # IPv4
        # A valid IPv6 address has "::" or eight groups; clock times ("12:30:00") have neither.
        r"(?:^|[^\w:])[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{1,4})*::",
        r"(?:^|[^\w:])(?:[0-9A-Fa-f]{1,4}:){7}[0-9A-Fa-f]",
        r"(?:^|[^\w+])\+\d{1,3}[ .-]?(?:\(\d{1,4}\)[ .-]?)?\d{1,4}[ .-]?\d{2,4}",  # +44 …
        r"(?:^|[^\w+])\(\d{3}\)[ .-]?\d{3}[ .-]\d{4}(?:$|[^\w-])",  # (555) 123-4567
        r"(?:^|[^\w+])\d{3}[.-]\d{3}[.-]\d{4}(?:$|[^\w-])",  # 555-123-4567
        r"(?:^|[^\w+/:-])(?:\(0\d{1,4}\)[ .-]?|0\d{1,4}[ ./-])\d{2}",  # 020 7946 0958
        *(rf"(?:^|[^\w-]){pattern}(?:$|[^\w-])" for _, pattern, _ in NATIONAL_IDS),
    )
)
_PREFILTER = re.compile(PREFILTER_PATTERN, re.ASCII)


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


#: A cheaper test than the pre-filter, for masking: every type but the e-mail address (`@`),
#: the IPv6 address (`:`) and the IBAN (`DE89…`, whose account part may be letters) has four
#: digits at least, none more than three characters from the next. Python's regex engine tries
#: each of the pre-filter's alternatives at every position (tens of microseconds a string);
#: masking a result document turns most of its strings away here instead.
_QUICK = re.compile(r"[@:]|[A-Z]{2}\d\d|\d\D{0,3}\d\D{0,3}\d\D{0,3}\d", re.ASCII)


def might_contain_pii(text: str) -> bool:
    """Cheap test: False means `scan_text` finds nothing in `text`."""
    return _QUICK.search(text) is not None and _PREFILTER.search(text) is not None


def _ipv4_octets(candidate: str) -> tuple[int, ...] | None:
    """The four octets, or None when `ipaddress` would reject it (over 255, a leading zero)."""
    octets = []
    for part in candidate.split("."):
        if len(part) > 1 and part[0] == "0":
            return None
        value = int(part)
        if value > 255:
            return None
        octets.append(value)
    return tuple(octets)


def _identifies_no_one(octets: tuple[int, ...]) -> bool:
    """Private (RFC 1918), loopback, 0/8, link-local, multicast, reserved and broadcast: ranges
    shared by every network or no host, so an address in them points at no one. The documentation
    ranges (RFC 5737) are public addresses to this check: they stand in for real ones."""
    first, second = octets[0], octets[1]
    return (
        first in (0, 10, 127)
        or first >= 224  # 224/4 multicast, 240/4 reserved, 255.255.255.255, netmasks
        or (first == 172 and 16 <= second <= 31)
        or (first == 192 and second == 168)
        or (first == 169 and second == 254)
    )


def _looks_like_version(octets: tuple[int, ...]) -> bool:
    """2.15.0.0 or 1.26.4.1: a small major number and small parts, as release numbers go."""
    return octets[0] <= 30 and max(octets[1:]) <= 99


def _version_context(text: str, start: int, octets: tuple[int, ...]) -> bool:
    """True when the name before the value makes it a version: `numpy==1.26.4.1`,
    `tensorflow-2.15.0.0`, `release 2.0.0.1`, `tensorflow 2.15.0.0`; never after an address
    word (`ip=`, `client `, `from `, `src_ip: `)."""
    found = _NAME_BEFORE_REVERSED.match(text[max(0, start - 48) : start][::-1])
    if found is None:
        return False
    name = found.group("name")[::-1]
    if not name[0].isalpha():
        return False  # `10.0.0.1-10.0.0.9` is a range of addresses, `2x 1.2.3.4` no name
    parts = _NAME_PARTS.split(name.lower())
    if parts[-1] in _VERSION_WORDS:
        return True
    if any(part in _ADDRESS_WORDS for part in parts):
        return False
    if found.group("strong") or found.group("dash"):
        return True
    return _looks_like_version(octets)


def _is_ssh_remote(text: str, start: int, end: int) -> bool:
    """`git@github.com:org/repo.git` or `ssh://git@host/org/repo.git`: a repository, no one's
    address."""
    if text[start:end].partition("@")[0] != "git":
        return False
    if text[max(0, start - 3) : start] == "://":
        return True
    after = text[end : end + 2]
    return len(after) == 2 and after[0] == ":" and not after[1].isspace()


def scan_text(text: str, regions: tuple[str, ...] | None = None) -> Iterator[Match]:
    """Every PII match in text, validated, without overlaps (earlier, longer wins).

    `regions` are where a national phone number is tried (`phone_regions`; by default
    `pii_numbers.DEFAULT_PHONE_REGIONS`)."""
    return _scan(text, personal_only=True, regions=regions)


def _scan(text: str, *, personal_only: bool, regions: tuple[str, ...] | None) -> Iterator[Match]:
    """`personal_only=False` (for masking) keeps IPv4 addresses that identify no one or look
    like versions by their context: masking one too many is harmless, one too few is a leak."""
    candidates: list[Match] = []
    if "@" in text:
        candidates.extend(_emails(text))
    candidates.extend(_numbers(text))
    candidates.extend(_ipv4s(text, personal_only=personal_only))
    if ":" in text:
        candidates.extend(_ipv6s(text))
    candidates.extend(_phones(text, regions or phone_regions()))
    candidates.sort(key=lambda m: (m.start, -(m.end - m.start)))
    last_end = -1
    for chosen in candidates:
        if chosen.start >= last_end:
            yield chosen
            last_end = chosen.end


def _found(kind: str, found: re.Match[str]) -> Match:
    return Match(kind, found.start(), found.end(), mask(kind, found.group()))


def _emails(text: str) -> Iterator[Match]:
    for found in _EMAIL.finditer(text):
        if found.group().rpartition(".")[2].lower() in _NOT_EMAIL_TLDS:
            continue
        if _is_ssh_remote(text, found.start(), found.end()):
            continue
        yield _found("email", found)


def _numbers(text: str) -> Iterator[Match]:
    """IBANs, card numbers and national identification numbers (`ssn`), each checked."""
    for found in _IBAN.finditer(text):
        if iban_valid(found.group()):
            yield _found("iban", found)
    for found in _CARD.finditer(text):
        digits = re.sub(r"[ -]", "", found.group())
        if 13 <= len(digits) <= 19 and _CARD_PREFIX.match(digits) and luhn_valid(digits):
            yield _found("card", found)
    for found in _SSN.finditer(text):
        if ssn_valid(found.group()):
            yield _found("ssn", found)
    for found in _NATIONAL_ID.finditer(text):
        module = NATIONAL_IDS[int(str(found.lastgroup)[2:])][2]
        if national_id_valid(found.group(), module):
            yield _found("ssn", found)


def _ipv4s(text: str, *, personal_only: bool) -> Iterator[Match]:
    for found in _IPV4.finditer(text):
        octets = _ipv4_octets(found.group())
        if octets is None or octets[0] == 127 or octets == (0, 0, 0, 0):
            continue  # not an address, loopback or unspecified
        if _VERSION_BEFORE.search(text, max(0, found.start() - 24), found.start()):
            continue  # "model_version": "1.2.3.4" is a version, not an address
        if personal_only and (
            _identifies_no_one(octets) or _version_context(text, found.start(), octets)
        ):
            continue
        yield _found("ip", found)


def _ipv6s(text: str) -> Iterator[Match]:
    for found in _IPV6.finditer(text):
        candidate = found.group()
        if candidate.count(":") < 2 or not re.search(r"[0-9A-Fa-f]", candidate):
            continue
        try:
            address6 = ipaddress.IPv6Address(candidate)
        except ValueError:
            continue
        if not (address6.is_unspecified or address6.is_loopback):
            yield _found("ip", found)


def _phones(text: str, regions: tuple[str, ...]) -> Iterator[Match]:
    """Phone numbers as people write them, confirmed by `phonenumbers` (8 to 15 digits)."""
    for found in _PHONE.finditer(text):
        shape = "international" if found.group("international") else "nanp"
        if _digit_count(found.group(), 8) and phone_valid(found.group(), regions, shape=shape):
            yield _found("phone", found)
    for found in _NATIONAL_PHONE.finditer(text):
        candidate = found.group()
        if _DATE_LIKE.match(candidate) or not _digit_count(candidate, 9):
            continue
        if phone_valid(candidate, regions, shape="national"):
            yield _found("phone", found)


def _digit_count(candidate: str, least: int) -> bool:
    return least <= sum(ch.isdigit() for ch in candidate) <= 15


def redact_text(text: str, regions: tuple[str, ...] | None = None) -> str:
    """The text with every PII match replaced by its masked form.

    A quick pattern turns away text that cannot hold a match, so masking text without personal
    data costs one short regex search and loads no library."""
    if not text or _QUICK.search(text) is None:
        return text
    out = []
    position = 0
    for found in _scan(text, personal_only=False, regions=regions):
        out.append(text[position : found.start])
        out.append(found.masked)
        position = found.end
    if not out:
        return text
    out.append(text[position:])
    return "".join(out)


def redact_json(value: Any, regions: tuple[str, ...] | None = None) -> Any:
    """A JSON value with every string (keys included) redacted."""
    if isinstance(value, str):
        return redact_text(value, regions)
    if isinstance(value, list):
        return [redact_json(v, regions) for v in value]
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            out[distinct_key(redact_text(str(key), regions), out)] = redact_json(item, regions)
        return out
    return value


def distinct_key(masked: str, taken: Container[Any]) -> str:
    """MASKED, or `MASKED #2`, `#3`... when a key already in TAKEN has that name.

    Two keys can mask to the same text (`alice@example.com` and `anna@example.com` both
    become `a***@e***.com`); merging them would drop an entry before evaluation, so a rule
    over every entry would never see the other one. The numbering follows the document's
    order, so the same input always gives the same keys."""
    if masked not in taken:
        return masked
    number = 2
    while f"{masked} #{number}" in taken:
        number += 1
    return f"{masked} #{number}"


def redact_pointer(pointer: str) -> str:
    """A JSON pointer with each reference token redacted: keys of user data can be personal."""
    if not pointer or _QUICK.search(pointer) is None:
        return pointer
    return "/".join(redact_text(token) for token in pointer.split("/"))


def redact_locations(locations: Mapping[str, int]) -> dict[str, int]:
    """Line numbers by JSON pointer, with each pointer's tokens redacted and numbered as
    `redact_json` numbers the keys of the data they point into (`distinct_key`, in the order the
    pointers come, which is the document's), so two keys that mask alike keep their own lines."""
    names: dict[tuple[str, str], str] = {}  # (masked parent, raw token) -> masked token
    taken: dict[str, set[str]] = {}  # masked parent -> masked tokens given out
    out: dict[str, int] = {}
    for pointer, line in locations.items():
        parts = pointer.split("/")
        masked = redact_text(parts[0])
        for token in parts[1:]:
            name = names.get((masked, token))
            if name is None:
                used = taken.setdefault(masked, set())
                name = names[(masked, token)] = distinct_key(redact_text(token), used)
                used.add(name)
            masked = f"{masked}/{name}"
        out[masked] = line
    return out
