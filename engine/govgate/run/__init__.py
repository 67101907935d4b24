"""A run end to end: collect the evidence, record it in the locker, evaluate, review a change
against its base; the orchestration that `check`, `collect`, `policy test` and the hooks share."""
