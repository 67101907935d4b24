"""Small shared helpers with no knowledge of policies: errors, dates, YAML loading, JSON
Schemas, PII masking."""
