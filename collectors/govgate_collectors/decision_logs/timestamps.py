"""Decision-log timestamps as services write them: which formats are read, and the portable
SQL that recognises each one and turns it into seconds since the epoch (UTC)."""

from __future__ import annotations

from govgate.api import SqlDialect

#: The formats read, by the code the `ts_format` column holds (0: none of them).
TIMESTAMP_FORMATS: dict[str, int] = {
    "rfc3339": 1,  # 2026-03-01T09:00:00Z, 2026-03-01T10:00:00.123+01:00 (space for T allowed)
    "iso_local": 2,  # 2026-03-01T09:00:00(.123): no offset, read in `timezone`
    "space_local": 3,  # 2026-03-01 09:00:00(.123): no offset, read in `timezone`
    "epoch_s": 4,  # 1772355600 or "1772355600" (fractions allowed)
    "epoch_ms": 5,  # 1772355600000
    "epoch_us": 6,  # 1772355600000000
}
FORMAT_NAMES = {code: name for name, code in TIMESTAMP_FORMATS.items()}
#: Formats without an offset: the moment depends on the zone they are read in (a warning).
OFFSETLESS = ("iso_local", "space_local")
#: `timestamp_format` values: auto (detect each value) or one of the formats.
SETTING_VALUES = ("auto", *TIMESTAMP_FORMATS)

#: Epoch values are told apart by magnitude, within the plausible range of a decision's date:
#: 2000-01-01T00:00:00Z (inclusive) to 2100-01-01T00:00:00Z (exclusive). The ranges of seconds,
#: milliseconds and microseconds do not overlap, so a value is never ambiguous; one outside all
#: three is not a timestamp (malformed), unless `timestamp_format` names the unit.
EPOCH_FIRST = 946_684_800
EPOCH_END = 4_102_444_800

_DATE_TIME = "[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}:[0-9]{2}([.][0-9]+)?"
_PATTERNS = {
    # The offset as RFC 3339 writes it (Z, +01:00) or as ISO 8601 also allows (+01, +0100).
    "rfc3339": f"'{_DATE_TIME}(Z|[+-][0-9]{{2}}(:?[0-9]{{2}})?)'",
    "iso_local": f"'{_DATE_TIME.replace('[T ]', 'T')}'",
    "space_local": f"'{_DATE_TIME.replace('[T ]', ' ')}'",
}
_NUMBER = "'[0-9]+([.][0-9]+)?'"
_UNITS = {"epoch_s": 1, "epoch_ms": 1_000, "epoch_us": 1_000_000}


def format_code_sql(dialect: SqlDialect, column: str, setting: str) -> str:
    """SQL: the TIMESTAMP_FORMATS code of the JSON value in `column` (0 when none fits).

    `setting` is `timestamp_format`: `auto` recognises every format, another value only its
    own. Letters are compared in upper case (RFC 3339 allows `t` and `z`).
    """
    text = f"upper({dialect.unquote(column)})"
    string = f"{column} LIKE '\"%'"
    is_number = dialect.regex_full(dialect.unquote(column), _NUMBER)
    value = f"CAST({dialect.unquote(column)} AS DOUBLE)"
    cases: list[str] = []
    for name, code in TIMESTAMP_FORMATS.items():
        if setting not in ("auto", name):
            continue
        if name in _PATTERNS:
            cases.append(
                f"WHEN {string} AND {dialect.regex_full(text, _PATTERNS[name])} THEN {code}"
            )
        elif setting == name:  # the unit is given: any number
            cases.append(f"WHEN {is_number} THEN {code}")
        else:
            low, high = EPOCH_FIRST * _UNITS[name], EPOCH_END * _UNITS[name]
            cases.append(f"WHEN {is_number} AND {value} >= {low} AND {value} < {high} THEN {code}")
    return f"CASE WHEN {column} IS NULL OR {column} = 'null' THEN NULL {' '.join(cases)} ELSE 0 END"


def epoch_sql(dialect: SqlDialect, column: str, code: str, zone_param: str) -> str:
    """SQL: seconds since the epoch of the value in `column` whose format code is `code`."""
    text = f"upper({dialect.unquote(column)})"
    value = f"CAST({dialect.unquote(column)} AS DOUBLE)"
    local = dialect.local_epoch(f"replace({text}, 'T', ' ')", zone_param)
    return (
        f"CASE {code} WHEN 1 THEN {dialect.epoch(text)} "
        f"WHEN 2 THEN {local} WHEN 3 THEN {local} "
        f"WHEN 4 THEN {value} WHEN 5 THEN {value} / 1e3 WHEN 6 THEN {value} / 1e6 END"
    )
