"""The portable SQL that turns one decision-log line into a row of `DECISION_ROW_COLUMNS`.

Every loader (DuckDB's, a remote backend's) runs `normalise_sql` over its lines, so the type
checks, field bits and hashes are one text for every engine; only the dialect's few
spellings differ.
"""

from __future__ import annotations

from collections.abc import Sequence

from govgate.api import SqlDialect
from govgate_collectors.decision_logs.record import (
    FIELD_BIT,
    RECORD_FIELD_NAMES,
    RECORD_FIELDS,
    REVIEW_ACTIONS,
    RISK_TIERS,
)

#: The normalised table every loader produces (a Spark loader produces the same columns).
DECISION_ROW_COLUMNS = """
    file_id INTEGER,
    line BIGINT,            -- set when the loader knows it; else mapped from ord afterwards
    problem VARCHAR,        -- NULL for a usable record; else why the line is malformed
    parsed BOOLEAN,         -- the line is valid JSON (a record may still have a problem)
    decision_id VARCHAR,
    ts DOUBLE,              -- decision time, seconds since the epoch (UTC)
    decision_type VARCHAR,
    risk_tier VARCHAR,
    is_high_risk BOOLEAN,
    present INTEGER,        -- FIELD_BIT of every non-empty record field
    review_action VARCHAR,
    review_ts DOUBLE,
    prev_hash UHUGEINT,     -- first 128 bits of prev_hash; 0 when present but not 64 hex
    record_hash UHUGEINT,   -- first 128 bits of the sha256 of the line as written
    pii_text VARCHAR        -- the line, only when PREFILTER_PATTERN matches it
"""

_CHECKED_FIELDS: tuple[tuple[str, str], ...] = (
    *RECORD_FIELDS[:16],
    ("human_review", "object"),
    *RECORD_FIELDS[16:],
)
_VALUE_INDEX = {name: index + 1 for index, (name, _) in enumerate(_CHECKED_FIELDS)}
JSON_PATHS = ["$." + name for name, _ in _CHECKED_FIELDS]

_TYPE_TEXT = {
    "id": "a string or an integer",
    "string": "a string",
    "number": "a number",
    "boolean": "true or false",
    "array": "a list",
    "object": "an object",
    "datetime": "an RFC 3339 date-time",
    "date": "a date",
    "risk_tier": "one of " + ", ".join(RISK_TIERS),
    "review_action": "one of " + ", ".join(REVIEW_ACTIONS),
}


def _c(name: str) -> str:
    """The column holding a field's JSON text (NULL when the key is missing)."""
    return f"c{_VALUE_INDEX[name]}"


# Typed values, computed once per row in the `typed` layer of the normalisation. A JSON
# string's value is its text without the quotes: exact unless the value contains escapes,
# which ids, types, enums, timestamps and hex digests do not; parsing each value again (`->>`)
# cost a third of the load time.
def _typed_values(dialect: SqlDialect) -> dict[str, str]:
    def unquoted(name: str) -> str:
        return dialect.unquote(_c(name))

    timestamptz = dialect.timestamp_type
    return {
        "decision_id": unquoted("decision_id"),
        "ts": dialect.epoch(unquoted("timestamp")),
        "decision_type": unquoted("decision_type"),
        "risk_tier": f"lower({unquoted('risk_tier')})",
        "review_action": f"lower({unquoted('human_review.action')})",
        "review_ts": dialect.epoch(unquoted("human_review.timestamp")),
        "retention_date": (
            f"coalesce(TRY_CAST({unquoted('retention_until')} AS DATE), "
            f"CAST(TRY_CAST({unquoted('retention_until')} AS {timestamptz}) AS DATE))"
        ),
        "prev_text": unquoted("prev_hash"),
    }


def _type_violation(dialect: SqlDialect, name: str, kind: str) -> str | None:
    """SQL true when the field is present with the wrong JSON type (None: any type is fine).

    Types are read from the JSON text's first character (LIKE prefixes are cheap); a missing
    key is NULL and a JSON null is 'null', neither of which is a violation.
    """
    column = _c(name)
    present = f"{column} <> 'null'"
    not_string = f"{column} NOT LIKE '\"%'"
    integer = dialect.regex_full(column, "'-?[0-9]+'")
    number = dialect.regex_search(column, "'^-?[0-9]'")
    wrong = {
        "id": f"{not_string} AND NOT {integer}",
        "string": not_string,
        "number": f"NOT {number}",
        "boolean": f"{column} NOT IN ('true', 'false')",
        "array": f"{column} NOT LIKE '[%'",
        "object": f"{column} NOT LIKE '{{%'",
        "datetime": f"{not_string} OR {'ts' if name == 'timestamp' else 'review_ts'} IS NULL",
        "date": f"{not_string} OR retention_date IS NULL",
        "risk_tier": f"{not_string} OR risk_tier NOT IN {RISK_TIERS!r}",
        "review_action": f"{not_string} OR review_action NOT IN {REVIEW_ACTIONS!r}",
    }.get(kind)
    if wrong is None:
        return None
    return f"{present} AND ({wrong})"


def _present(name: str) -> str:
    column = _c(name)
    condition = f"{column} NOT IN ('null', '\"\"', '[]', '{{}}')"
    if name == "human_review.reviewer_id":  # a blank reviewer is no reviewer
        condition += f" AND NOT ({column} LIKE '\" %' AND trim({column}, '\" ') = '')"
    return condition


def _problem_sql(dialect: SqlDialect) -> str:
    cases = [
        "WHEN pre_problem IS NOT NULL THEN pre_problem",
        "WHEN json IS NULL THEN 'invalid JSON'",
        "WHEN not_object THEN 'not a JSON object'",
    ]
    for name, kind in _CHECKED_FIELDS:
        violation = _type_violation(dialect, name, kind)
        if violation is not None:
            message = f"{name} must be {_TYPE_TEXT[kind]}".replace("'", "''")
            cases.append(f"WHEN {violation} THEN '{message}'")
    return "CASE " + "\n        ".join(cases) + " END"


_PRESENT_SQL = " + ".join(
    f"(CASE WHEN {_present(name)} THEN {FIELD_BIT[name]} ELSE 0 END)" for name in RECORD_FIELD_NAMES
)


def normalise_sql(dialect: SqlDialect, keys: Sequence[str] = ("file_id", "line")) -> str:
    """Normalise the relation `src` into DECISION_ROW_COLUMNS (with `keys` in front).

    `src` (a CTE the loader puts in front) has the `keys`, `json` (the line's text when it is
    valid JSON, else NULL), `raw_sha` (the line's sha256 when the loader computed it, for
    invalid lines) and `pre_problem` (a problem the loader found). The document is parsed once
    (the dialect's `json_fields`); each field is then a column `cN` holding its JSON text, and
    every check below is the same text for every engine. Parameters: `paths`,
    `high_risk_types`, `prefilter`.
    """
    key_list = ", ".join(keys)
    typed = ", ".join(f"{sql} AS {name}" for name, sql in _typed_values(dialect).items())
    prev = _c("prev_hash")
    high_risk = dialect.contains(dialect.param("high_risk_types"), "decision_type")
    record_sha = "coalesce(raw_sha, CASE WHEN json IS NOT NULL THEN "
    record_sha += f"{dialect.sha256_hex('json')} END)"
    key_select = "".join(f"    {key},\n" for key in keys)
    pii = dialect.regex_search("json", dialect.param("prefilter"))
    fields = dialect.json_fields(key_list, JSON_PATHS, dialect.param("paths"))
    hex_digest = dialect.regex_full("prev_text", "'[0-9a-fA-F]{64}'")
    return f"""{fields}, typed AS (
    SELECT *, {typed} FROM fields
)
SELECT
{key_select}    {_problem_sql(dialect)} AS problem,
    json IS NOT NULL AS parsed,
    decision_id,
    ts,
    decision_type,
    risk_tier,
    coalesce(risk_tier = 'high' OR {high_risk}, false)
        AS is_high_risk,
    CASE WHEN not_object THEN 0 ELSE {_PRESENT_SQL} END AS present,
    review_action,
    review_ts,
    CASE WHEN {prev} IS NULL OR {prev} IN ('null', '""') THEN NULL
        WHEN {hex_digest}
            THEN {dialect.hash128("prev_text")}
        ELSE {dialect.hash128_zero()} END AS prev_hash,
    {dialect.hash128(record_sha)} AS record_hash,
    CASE WHEN json IS NOT NULL AND {pii} THEN json END AS pii_text
FROM typed
"""  # noqa: S608 - every piece is a module constant or the dialect's
