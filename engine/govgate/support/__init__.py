"""Small shared helpers with no knowledge of policies: errors, dates, YAML loading, JSON
Schemas, PII masking, and the one way to git (`git` and its `git_*` companions, CODEOWNERS)."""
