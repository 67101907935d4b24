"""The "gates" test pack (release gates read from gates.yaml by the config collector) and the
files of a repository that uses it; tests/conftest.py's `gates_repo` fixture builds one."""

from __future__ import annotations

_ENABLED_RULE = """\
  - id: G-1.enabled
    control: G-1
    severity: high
    evidence: gate_list
    for_each: gates
    assert: {path: enabled, op: eq, value: true}
    message: "gate {item.name} is disabled"
    remediation: "set enabled: true for {item.name} in {source.path}"
"""
_OWNER_RULE = """\
  - id: G-1.owner
    control: G-1
    severity: medium
    evidence: gate_list
    for_each: gates
    assert: {path: owner, op: exists}
    message: "gate {item.name} has no owner"
    remediation: "name an owner for {item.name}"
"""
_HEAD = """\
pack: gates
version: 1.0.0
title: Release gates
evidence_kinds:
  gate_list:
    collector: config
    paths: [gates.yaml]
requirements:
  - {id: T-1, title: Gates are enabled, source: {framework: Test, ref: "1"}}
controls:
  - {id: G-1, title: Every gate is enabled, satisfies: [T-1]}
rules:
"""

#: One high rule: every gate is enabled (a disabled gate fails the run).
PACK = _HEAD + _ENABLED_RULE
#: The high rule and a medium one: every gate names an owner.
OWNED_PACK = PACK + _OWNER_RULE

CONFIG = "system: {name: gated, risk: high}\npacks: [./packs/gates]\n"
PASSING = "gates:\n  - {name: alpha, enabled: true}\n"
FAILING = "gates:\n  - {name: alpha, enabled: false}\n"


def gates_files(
    gates: str = FAILING, *, owned: bool = False, config: str = CONFIG
) -> dict[str, str | bytes]:
    """govgate.yaml, packs/gates/pack.yaml and gates.yaml (`owned`: the pack with both rules)."""
    return {
        "govgate.yaml": config,
        "packs/gates/pack.yaml": OWNED_PACK if owned else PACK,
        "gates.yaml": gates,
    }
