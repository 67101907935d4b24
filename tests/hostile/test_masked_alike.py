"""An author who wants a PASS over a refused sign-off keys the sign-offs by e-mail address:
`anna@example.com: refused` beside `alice@example.com: approved`. Masked, both keys read
`a***@e***.com`; merged, the approval would hide the refusal. They stay two entries, so the
rule over every sign-off still sees the refusal; two attestations whose ids mask alike stay
two findings."""

from __future__ import annotations

import json
from collections.abc import Callable

from tests.collectors.test_attestations import SIGN_OFFS, SIGNERS

from conftest import CliResult, RepoBuilder

PACK = """\
pack: p
version: 1.0.0
title: Sign-offs
requirements:
  - {id: T-1, title: Signed off, source: {framework: Test, ref: "1"}}
controls:
  - {id: C-1, title: Nobody refused, satisfies: [T-1]}
rules:
  - id: C-1.none-refused
    control: C-1
    severity: high
    evidence: attestation
    assert:
      all:
        - {path: "contains(values(@), 'refused')", op: eq, value: false}
        - {path: valid, op: eq, value: true}
    message: "{source.path}: a sign-off was refused or the record is not valid"
    remediation: "resolve the refusal"
"""


def test_sign_offs_and_records_that_mask_alike_are_judged_apart(
    make_repo: Callable[..., RepoBuilder], run_cli: Callable[..., CliResult], reliability
) -> None:
    repo = make_repo(
        {
            "govgate.yaml": "system: {name: s, risk: high}\npacks: [./packs/p]\n",
            "packs/p/pack.yaml": PACK,
            "governance/attestations/sign-offs.yaml": SIGN_OFFS,
            "governance/attestations/signers.yaml": SIGNERS,
        }
    )
    done = run_cli("check", repo.path, "--no-locker", "--format", "json")
    findings = json.loads(done.stdout)["findings"]
    statuses = {f["item"]: f["status"] for f in findings}
    signers = "governance/attestations/signers.yaml#a***@e***.com"
    assert statuses == {
        "governance/attestations/sign-offs.yaml": "fail",
        signers: "pass",
        f"{signers} #2": "fail",
    }
    assert done.exit_code == 1
    reliability.record(
        "attestation-masked-alike",
        f"refusal by anna@ beside approval by alice@example.com: exit {done.exit_code}, "
        "the sign-offs fail; two records with ids that mask alike: two findings, the undated "
        "one fails",
    )
