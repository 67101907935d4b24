"""The portable SQL that turns one decision-log line into a row of `DECISION_ROW_COLUMNS`.

Every loader (DuckDB's, a remote backend's) runs `normalise_sql` over its lines, so the type
checks, field bits and hashes are one text for every engine; only the dialect's few
spellings differ.
"""

from __future__ import annotations

from collections.abc import Sequence

from govgate.api import SqlDialect
from govgate_collectors.decision_logs.profiles import CATALOGUE_PROFILE, LogProfile
from govgate_collectors.decision_logs.record import (
    FIELD_BIT,
    RECORD_FIELD_NAMES,
    RECORD_FIELDS,
    REVIEW_ACTIONS,
    RISK_TIERS,
)
from govgate_collectors.decision_logs.timestamps import epoch_sql, format_code_sql

#: The normalised table every loader produces (a Spark loader produces the same columns).
DECISION_ROW_COLUMNS = """
    file_id INTEGER,
    line BIGINT,            -- set when the loader knows it; else mapped from ord afterwards
    problem VARCHAR,        -- NULL for a usable record; else why the line is malformed
    parsed BOOLEAN,         -- the line is valid JSON (a record may still have a problem)
    decision_id VARCHAR,
    ts DOUBLE,              -- decision time, seconds since the epoch (UTC)
    ts_format INTEGER,      -- its format (timestamps.TIMESTAMP_FORMATS); 0 none, NULL absent
    decision_type VARCHAR,
    risk_tier VARCHAR,
    is_high_risk BOOLEAN,
    present INTEGER,        -- FIELD_BIT of every non-empty record field
    review_action VARCHAR,  -- NULL unless one of REVIEW_ACTIONS
    review_ts DOUBLE,
    review_issue VARCHAR,   -- a review field present but blank or of the wrong type
    prev_hash UHUGEINT,     -- first 128 bits of prev_hash; 0 when present but not 64 hex
    record_hash UHUGEINT,   -- first 128 bits of the sha256 of the line as written
    content_hash UHUGEINT,  -- the same of the record's field values, prev_hash aside
    pii_text VARCHAR        -- the line, only when PREFILTER_PATTERN matches it
"""

CHECKED_FIELDS: tuple[tuple[str, str], ...] = (
    *RECORD_FIELDS[:16],
    ("human_review", "object"),
    *RECORD_FIELDS[16:],
)
_VALUE_INDEX = {name: index + 1 for index, (name, _) in enumerate(CHECKED_FIELDS)}
#: The fields of the human review. One that is present but blank or of the wrong type does not
#: make the record malformed: a high-risk record must not leave the reviewed-share denominator
#: because its reviewer is `" "` or `0`. It counts as not reviewed, and as a `review_issue`.
_REVIEW_FIELDS = (
    "human_review",
    "human_review.required",
    "human_review.reviewer_id",
    "human_review.action",
    "human_review.timestamp",
)


def json_paths(dialect: SqlDialect, profile: LogProfile) -> list[str]:
    """The JSON path of each checked field in one log (its `fields:` applied): the `paths`
    parameter of `normalise_sql`, in the order of the `cN` columns."""
    return [dialect.json_path(profile.segments(name)) for name, _ in CHECKED_FIELDS]


def _keyed_objects(dialect: SqlDialect, profile: LogProfile) -> list[tuple[str, str]]:
    """(JSON path, name prefix for messages) of the objects whose keys are checked for repeats:
    the record and every object on the way to a field it reads (the review object; with
    `fields:`, each level of a nested path). A repeated key is read as its first value by some
    JSON readers and as its last by others, so a line with one is malformed."""
    parents: dict[tuple[str, ...], None] = {(): None}
    for name, _ in CHECKED_FIELDS:
        segments = profile.segments(name)
        if name == "human_review":
            segments = [*segments, ""]  # the review object's own keys are checked too
        for depth in range(1, len(segments)):
            parents[tuple(segments[:depth])] = None
    return [
        (dialect.json_path(list(path)) if path else "$", "".join(f"{part}." for part in path))
        for path in parents
    ]


#: The paths of a log written with the catalogue's own names (DuckDB's spelling).
JSON_PATHS = ["$." + name for name, _ in CHECKED_FIELDS]

_TYPE_TEXT = {
    "id": "a string or an integer",
    "string": "a string",
    "number": "a number",
    "boolean": "true or false",
    "array": "a list",
    "object": "an object",
    "datetime": "a date-time (RFC 3339, ISO 8601, YYYY-MM-DD HH:MM:SS, epoch s/ms/µs 2000-2099)",
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
    action = unquoted("human_review.action")
    actions = ", ".join(f"'{name}'" for name in REVIEW_ACTIONS)
    return {
        "decision_id": unquoted("decision_id"),
        "ts": epoch_sql(dialect, _c("timestamp"), "ts_format", dialect.param("timezone")),
        "decision_type": unquoted("decision_type"),
        "risk_tier": f"lower({unquoted('risk_tier')})",
        "review_action": (
            f"CASE WHEN {_c('human_review.action')} LIKE '\"%' AND lower({action}) IN ({actions}) "
            f"THEN lower({action}) END"
        ),
        "review_ts": epoch_sql(
            dialect, _c("human_review.timestamp"), "review_ts_format", dialect.param("timezone")
        ),
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
        "datetime": "ts IS NULL",
        "date": f"{not_string} OR retention_date IS NULL",
        "risk_tier": f"{not_string} OR risk_tier NOT IN {RISK_TIERS!r}",
        "review_action": f"{not_string} OR review_action NOT IN {REVIEW_ACTIONS!r}",
    }.get(kind)
    if wrong is None:
        return None
    return f"{present} AND ({wrong})"


def _usable_review_field(dialect: SqlDialect, name: str) -> str:
    """SQL true when a review field holds a usable value (blank and mistyped ones are not)."""
    column = _c(name)
    return {
        "human_review": f"{column} LIKE '{{%' AND {column} <> '{{}}'",
        "human_review.required": f"{column} IN ('true', 'false')",
        "human_review.reviewer_id": (
            f"{column} LIKE '\"%' AND trim({dialect.unquote(column)}) <> ''"
        ),
        "human_review.action": "review_action IS NOT NULL",
        "human_review.timestamp": "review_ts IS NOT NULL",
    }[name]


def _present(dialect: SqlDialect, name: str) -> str:
    if name in _REVIEW_FIELDS:
        return f"({_usable_review_field(dialect, name)})"
    column = _c(name)
    return f"{column} NOT IN ('null', '\"\"', '[]', '{{}}')"


def _review_issue_sql(dialect: SqlDialect) -> str:
    """The first review field that is there (not null) but unusable, as a cause."""
    cases = []
    for name in _REVIEW_FIELDS:
        column = _c(name)
        usable = _usable_review_field(dialect, name)
        if name == "human_review":
            usable = f"{column} LIKE '{{%'"
        what = {
            "human_review": "is not an object",
            "human_review.required": "is not true or false",
            "human_review.reviewer_id": "is blank or not a string",
            "human_review.action": f"is not one of {', '.join(REVIEW_ACTIONS)}",
            "human_review.timestamp": "is not a date-time",
        }[name]
        cases.append(
            f"WHEN {column} IS NOT NULL AND {column} <> 'null' AND NOT ({usable}) "
            f"THEN '{name} {what} (counted as not reviewed)'"
        )
    return "CASE " + "\n        ".join(cases) + " END"


def _duplicate_key_sql(keyed: Sequence[tuple[str, str]]) -> str:
    """The first repeated key of the record or its human_review object (NULL when none)."""
    found = [
        f"CASE WHEN dup{index} IS NOT NULL THEN concat('{prefix}', dup{index}) END"
        for index, (_, prefix) in enumerate(keyed)
    ]
    return f"coalesce({', '.join(found)})"


def _problem_sql(dialect: SqlDialect, profile: LogProfile) -> str:
    timestamp_format = profile.timestamp_format
    keyed = _keyed_objects(dialect, profile)
    cases = [
        "WHEN pre_problem IS NOT NULL THEN pre_problem",
        "WHEN json IS NULL THEN 'invalid JSON'",
        "WHEN not_object THEN 'not a JSON object'",
        # The key's own text is not quoted: it may be anything (cut to 40 characters).
        f"WHEN {_duplicate_key_sql(keyed)} IS NOT NULL THEN concat('key ', "
        f"substr({_duplicate_key_sql(keyed)}, 1, 40), ' occurs twice; JSON readers "
        "disagree on which value counts')",
    ]
    for name, kind in CHECKED_FIELDS:
        if name in _REVIEW_FIELDS:
            continue
        violation = _type_violation(dialect, name, kind)
        if violation is not None:
            # A renamed field is named both ways: the rule's name and the log's own.
            source = profile.source_of(name)
            shown = name if source == name else f"{name} ({source})"
            message = f"{shown} must be {_TYPE_TEXT[kind]}"
            if kind == "datetime" and timestamp_format != "auto":
                message = (
                    f"{shown} is not {timestamp_format} (collectors.decision_logs.timestamp_format)"
                )
            message = message.replace("'", "''")
            cases.append(f"WHEN {violation} THEN '{message}'")
    return "CASE " + "\n        ".join(cases) + " END"


def _content_sql(dialect: SqlDialect) -> str:
    """The record's field values (prev_hash aside) as one text: two re-emissions of one
    decision give the same text, whatever their place in a hash chain. Each value is compact
    JSON, which delimits itself, and `~` (never JSON) stands for a missing field."""
    values = [
        f"coalesce(CAST({_c(name)} AS {dialect.string_type}), '~')"
        for name, _ in CHECKED_FIELDS
        if name != "prev_hash"
    ]
    return f"concat_ws('|', {', '.join(values)})"


def _present_sql(dialect: SqlDialect) -> str:
    return " + ".join(
        f"(CASE WHEN {_present(dialect, name)} THEN {FIELD_BIT[name]} ELSE 0 END)"
        for name in RECORD_FIELD_NAMES
    )


def _pii_candidate_sql(dialect: SqlDialect) -> str:
    """SQL true when the line may hold personal data (the prefilter; Python scans it exactly).

    An epoch timestamp is a long number, which the prefilter takes for a phone or card number:
    the prefilter looks at the line without its epoch timestamps (the exact scan of a candidate
    line still reads all of it).
    """
    screened = f"CAST(json AS {dialect.string_type})"
    for column, code in (
        (_c("timestamp"), "ts_format"),
        (_c("human_review.timestamp"), "review_ts_format"),
    ):
        text = f"CAST({column} AS {dialect.string_type})"
        screened = f"CASE WHEN {code} >= 4 THEN replace({screened}, {text}, '') ELSE {screened} END"
    return dialect.regex_search(screened, dialect.param("prefilter"))


def _repeated_keys_sql(
    dialect: SqlDialect, keyed: Sequence[tuple[str, str]]
) -> tuple[str, str, str]:
    """(the key lists of the checked objects, each list as a column, each list's first repeated
    key): each object's keys are listed once, in a layer of their own, then searched."""
    key_lists = dialect.object_keys("json", [path for path, _ in keyed])
    items = ", ".join(
        f"{dialect.list_item('key_lists', index + 1)} AS keys{index}" for index in range(len(keyed))
    )
    repeats = ", ".join(
        f"{dialect.first_repeated(f'keys{index}')} AS dup{index}" for index in range(len(keyed))
    )
    return key_lists, items, repeats


def normalise_sql(
    dialect: SqlDialect,
    keys: Sequence[str] = ("file_id", "line"),
    *,
    profile: LogProfile = CATALOGUE_PROFILE,
    content: bool = True,
) -> str:
    """Normalise the relation `src` into DECISION_ROW_COLUMNS (with `keys` in front).

    `src` (a CTE the loader puts in front) has the `keys`, `json` (the line's text when it is
    valid JSON, else NULL), `raw_sha` (the line's sha256 when the loader computed it, for
    invalid lines) and `pre_problem` (a problem the loader found). The document is parsed once
    (the dialect's `json_fields`); each field is then a column `cN` holding its JSON text, and
    every check below is the same text for every engine. Parameters: `paths`,
    `high_risk_types`, `prefilter`, `timezone` (for timestamps without an offset).
    `profile`: the log's field names (`paths` must be `json_paths` of it) and its timestamp
    format. `content=False` leaves `content_hash` NULL: a second sha256 per row is a tenth of
    the load, and only records whose decision id occurs twice need it (the DuckDB loader
    computes it for those afterwards, with this same SQL).
    """
    key_list = ", ".join(keys)
    typed = ", ".join(f"{sql} AS {name}" for name, sql in _typed_values(dialect).items())
    prev = _c("prev_hash")
    high_risk = dialect.contains(dialect.param("high_risk_types"), "decision_type")
    record_sha = "coalesce(raw_sha, CASE WHEN json IS NOT NULL THEN "
    record_sha += f"{dialect.sha256_hex('json')} END)"
    key_select = "".join(f"    {key},\n" for key in keys)
    pii = _pii_candidate_sql(dialect)
    timestamp_format = profile.timestamp_format
    keyed = _keyed_objects(dialect, profile)
    fields = dialect.json_fields(key_list, json_paths(dialect, profile), dialect.param("paths"))
    hex_digest = dialect.regex_full("prev_text", "'[0-9a-fA-F]{64}'")
    key_lists, items, repeats = _repeated_keys_sql(dialect, keyed)
    content_sha = dialect.hash128(dialect.sha256_hex(_content_sql(dialect)))
    content_hash = f"CASE WHEN json IS NOT NULL THEN {content_sha} END" if content else "NULL"
    ts_formats = (
        f"{format_code_sql(dialect, _c('timestamp'), timestamp_format)} AS ts_format, "
        f"{format_code_sql(dialect, _c('human_review.timestamp'), timestamp_format)} "
        "AS review_ts_format"
    )
    return f"""{fields}, listed AS (
    SELECT *, {key_lists} AS key_lists FROM fields
), keyed AS (
    SELECT *, {items}, {ts_formats} FROM listed
), typed AS (
    SELECT *, {typed},
        {repeats}
    FROM keyed
)
SELECT
{key_select}    {_problem_sql(dialect, profile)} AS problem,
    json IS NOT NULL AS parsed,
    decision_id,
    ts,
    ts_format,
    decision_type,
    risk_tier,
    coalesce(risk_tier = 'high' OR {high_risk}, false)
        AS is_high_risk,
    CASE WHEN not_object THEN 0 ELSE {_present_sql(dialect)} END AS present,
    review_action,
    review_ts,
    CASE WHEN NOT not_object THEN {_review_issue_sql(dialect)} END AS review_issue,
    CASE WHEN {prev} IS NULL OR {prev} IN ('null', '""') THEN NULL
        WHEN {hex_digest}
            THEN {dialect.hash128("prev_text")}
        ELSE {dialect.hash128_zero()} END AS prev_hash,
    {dialect.hash128(record_sha)} AS record_hash,
    {content_hash} AS content_hash,
    CASE WHEN json IS NOT NULL AND {pii} THEN json END AS pii_text
FROM typed
"""  # noqa: S608 - every piece is a module constant or the dialect's
