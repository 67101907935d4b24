"""Analyses over evidence and policies: fairness metrics, the aggregation backends that compute
them on large tables, and the requirement-to-evidence traceability graph."""
