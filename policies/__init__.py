"""Built-in policy packs (data only): one folder per pack with pack.yaml and tests/."""
