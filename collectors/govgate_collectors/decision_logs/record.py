"""The decision-log record (docs/decision-records.md): its fields, the JSON type of each, and
how many malformed lines, duplicates and samples evidence lists."""

from __future__ import annotations

#: How many malformed lines, duplicate ids and PII samples evidence lists (the counts are exact).
MAX_MALFORMED_LISTED = 20
MAX_DUPLICATES_LISTED = 10
MAX_PII_SAMPLES = 10
MAX_DECISION_TYPES = 100

RISK_TIERS = ("high", "limited", "minimal")
REVIEW_ACTIONS = ("approve", "override", "reject")

#: The fields of the decision-log record, in the order docs/decision-records.md lists them,
#: with the JSON type each must have. `human_review` itself is only type-checked; its members
#: are the fields.
RECORD_FIELDS: tuple[tuple[str, str], ...] = (
    ("decision_id", "id"),
    ("timestamp", "datetime"),
    ("system_id", "string"),
    ("model_name", "string"),
    ("model_version", "string"),
    ("model_artifact_sha256", "string"),
    ("decision_type", "string"),
    ("risk_tier", "risk_tier"),
    ("input_hash", "string"),
    ("input_ref", "string"),
    ("data_categories", "array"),
    ("output", "any"),
    ("score", "number"),
    ("threshold", "number"),
    ("reasons", "array"),
    ("reason_codes", "array"),
    ("human_review.required", "boolean"),
    ("human_review.reviewer_id", "string"),
    ("human_review.action", "review_action"),
    ("human_review.timestamp", "datetime"),
    ("final_outcome", "string"),
    ("subject_ref", "string"),
    ("legal_basis", "string"),
    ("policy_version", "string"),
    ("prev_hash", "string"),
    ("retention_until", "date"),
)
RECORD_FIELD_NAMES = tuple(name for name, _ in RECORD_FIELDS)
#: Required by the record unconditionally (reasons and the reviewer fields are conditional and
#: are reported through `reasons_share` and `high_risk`).
DEFAULT_REQUIRED_FIELDS = (
    "decision_id",
    "timestamp",
    "system_id",
    "model_name",
    "model_version",
    "decision_type",
    "risk_tier",
    "input_hash",
    "output",
    "human_review.required",
    "final_outcome",
)
#: Bit of each field in the `present` column (non-empty value: not null, "", [] or {}).
FIELD_BIT = {name: 1 << index for index, name in enumerate(RECORD_FIELD_NAMES)}
