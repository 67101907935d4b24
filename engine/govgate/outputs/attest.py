"""A run's signed attestation: an in-toto Statement v1 whose predicate is govgate's verification
summary, in a DSSE envelope (docs/signing.md); and the offline check of one."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from govgate.core.policy import SEVERITIES, severity_rank
from govgate.outputs.reporters.json_report import JsonReporter
from govgate.support.signing import (
    IN_TOTO_PAYLOAD_TYPE,
    SignatureInvalid,
    parse_envelope,
    sign_envelope,
    verify_envelope,
)

if TYPE_CHECKING:
    from govgate.support.signing import PublicKey, SigningKey

STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
#: govgate's predicate: a verification summary shaped like SLSA's VSA v1 (verifier,
#: timeVerified, verificationResult), with what a compliance verdict rests on.
PREDICATE_TYPE = "https://github.com/govgate/govgate/blob/main/docs/signing.md#verdict-v1"
VERIFIER_ID = "https://github.com/govgate/govgate"
#: The subject naming the result document (its bytes are `--format json`'s).
RESULT_SUBJECT = "govgate.json"
#: The default fail_on: a verdict gated more leniently than this is no pass for --require-pass.
DEFAULT_FAIL_ON = "high"


def result_bytes(result: dict[str, Any]) -> bytes:
    """The result document exactly as `--format json` writes it: the bytes the subject hashes."""
    return JsonReporter().render(result).encode("utf-8")


def failures_by_severity(result: dict[str, Any]) -> dict[str, int]:
    """How many findings of the run failed (unwaived), per severity."""
    counts = dict.fromkeys(SEVERITIES, 0)
    for finding in result.get("findings") or []:
        if finding.get("status") == "fail" and finding.get("severity") in counts:
            counts[finding["severity"]] += 1
    return counts


def _leniency_warnings(predicate: dict[str, Any]) -> list[str]:
    """What made a verdict more lenient than the default gate: a failOn above high, or high and
    critical failures inside it (an attestation made before `failures` was signed says only
    how many failed, so those failures count as serious)."""
    warnings = []
    fail_on = predicate.get("failOn")
    if fail_on not in SEVERITIES or severity_rank(str(fail_on)) > severity_rank(DEFAULT_FAIL_ON):
        warnings.append(
            f"gated at fail-on {fail_on}: failures of severity {DEFAULT_FAIL_ON} do not fail it"
        )
    failures = predicate.get("failures")
    if isinstance(failures, dict):
        serious = [
            f"{failures[name]} {name}"
            for name in ("critical", "high")
            if isinstance(failures.get(name), int) and failures[name] > 0
        ]
        if serious:
            warnings.append(f"the verdict holds {' and '.join(serious)} severity failure(s)")
    else:
        failed = (predicate.get("summary") or {}).get("fail")
        if failed:
            warnings.append(f"the verdict holds {failed} failure(s) of unsigned severity")
    return warnings


def build_statement(result: dict[str, Any], scope: dict[str, Any]) -> dict[str, Any]:
    """The in-toto Statement of a finished run. `scope` is how the run was asked for (packs
    selected, --base, --new-only, --policies-from): a verdict of part of the packs, or of new
    findings only, says so in what is signed."""
    target = result.get("target") or {}
    subject: list[dict[str, Any]] = [
        {
            "name": RESULT_SUBJECT,
            "digest": {"sha256": hashlib.sha256(result_bytes(result)).hexdigest()},
        }
    ]
    commit = target.get("commit")
    if commit:
        subject.append({"name": "repository commit", "digest": {"gitCommit": commit}})
    run = result.get("run") or {}
    predicate = {
        "verifier": {"id": VERIFIER_ID, "version": {"govgate": result["tool"]["version"]}},
        "timeVerified": run.get("finished_at"),
        "verificationResult": "PASSED" if result["gate"] == "pass" else "FAILED",
        "verdict": result["gate"],
        "failOn": result["fail_on"],
        "summary": result["summary"],
        # Failing findings per severity, so a verifier can see what a lenient failOn let pass.
        "failures": failures_by_severity(result),
        "readiness": (result.get("readiness") or {}).get("score"),
        "target": {
            "commit": commit,
            "branch": target.get("branch"),
            "dirty": target.get("dirty"),
            "prefix": target.get("prefix"),
        },
        "scope": scope,
        "packs": [
            {"name": p["name"], "version": p["version"], "digest": p["digest"]}
            for p in result["packs"]
        ],
        "evidence": [
            {"kind": e.get("kind"), "subject": e.get("subject"), "digest": e.get("digest")}
            for e in result["evidence"]
        ],
        "waivers": [
            {
                "id": w.get("id"),
                "rule": w.get("rule"),
                "status": w.get("status"),
                "level": (w.get("approval") or {}).get("level"),
                "used": w.get("used"),
            }
            for w in result["waivers"]
        ],
        "locker": {"run": run.get("id"), "head": run.get("hash")} if run.get("hash") else None,
    }
    return {
        "_type": STATEMENT_TYPE,
        "subject": subject,
        "predicateType": PREDICATE_TYPE,
        "predicate": predicate,
    }


def attest(result: dict[str, Any], scope: dict[str, Any], key: SigningKey) -> str:
    """The signed attestation of a run: a DSSE envelope as JSON text."""
    statement = build_statement(result, scope)
    payload = json.dumps(statement, sort_keys=True, separators=(",", ":")).encode("utf-8")
    envelope = sign_envelope(payload, key, IN_TOTO_PAYLOAD_TYPE)
    return json.dumps(envelope, indent=2) + "\n"


@dataclass
class Verified:
    """What a verified attestation says, and what the verifier should still worry about."""

    keyid: str
    statement: dict[str, Any]
    result_matches: bool | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def predicate(self) -> dict[str, Any]:
        predicate: dict[str, Any] = self.statement["predicate"]
        return predicate

    def subject_digest(self, name: str, algorithm: str) -> str | None:
        for entry in self.statement["subject"]:
            if entry.get("name") == name:
                value = entry.get("digest", {}).get(algorithm)
                return value if isinstance(value, str) else None
        return None


def _check_statement(payload: bytes) -> dict[str, Any]:
    try:
        statement = json.loads(payload)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SignatureInvalid(f"the signed payload is not JSON ({exc})") from exc
    if not isinstance(statement, dict) or statement.get("_type") != STATEMENT_TYPE:
        raise SignatureInvalid(
            f"the signed payload is not an in-toto Statement v1 ({STATEMENT_TYPE})"
        )
    if statement.get("predicateType") != PREDICATE_TYPE:
        raise SignatureInvalid(
            f"the statement's predicateType is {statement.get('predicateType')!r}, not "
            "govgate's verdict: this is not a govgate attestation"
        )
    subject = statement.get("subject")
    predicate = statement.get("predicate")
    if not isinstance(subject, list) or not isinstance(predicate, dict):
        raise SignatureInvalid("the statement has no subject list or no predicate")
    if predicate.get("verdict") not in ("pass", "fail"):
        raise SignatureInvalid("the statement's predicate has no verdict")
    return statement


def verify_attestation(
    data: bytes, public: PublicKey, result_file: bytes | None = None
) -> Verified:
    """Check an attestation offline: the DSSE signature by `public`, the statement's shape, and,
    given the result document's bytes, that they are the ones signed. SignatureInvalid on any
    failure; warnings for a verdict that holds only in part."""
    from govgate.support.signing import key_id

    envelope = parse_envelope(data)
    if envelope["payloadType"] != IN_TOTO_PAYLOAD_TYPE:
        raise SignatureInvalid(
            f"payloadType is {envelope['payloadType']!r}, not {IN_TOTO_PAYLOAD_TYPE}"
        )
    statement = _check_statement(verify_envelope(envelope, public))
    verified = Verified(key_id(public), statement)
    if result_file is not None:
        signed = verified.subject_digest(RESULT_SUBJECT, "sha256")
        verified.result_matches = signed == hashlib.sha256(result_file).hexdigest()
    predicate = verified.predicate
    target = predicate.get("target") or {}
    scope = predicate.get("scope") or {}
    if not target.get("commit"):
        verified.warnings.append("names no commit: the checked tree was not a git commit")
    if target.get("dirty") is not False:
        verified.warnings.append(
            "the working tree had uncommitted changes: "
            "the commit does not describe what was checked"
        )
    if scope.get("new_only"):
        verified.warnings.append(
            f"gated on new findings only (since {scope.get('base')}): older failures were left out"
        )
    if scope.get("packs"):
        verified.warnings.append(f"only some packs were run: {', '.join(scope['packs'])}")
    if scope.get("policies_from"):
        verified.warnings.append(f"the packs and waivers were taken from {scope['policies_from']}")
    verified.warnings.extend(_leniency_warnings(predicate))
    return verified


def describe(verified: Verified, path: Path) -> list[str]:
    """The lines `govgate verify` prints for a verified attestation."""
    predicate = verified.predicate
    target = predicate.get("target") or {}
    locker = predicate.get("locker") or {}
    lines = [
        f"{path}: signature OK (key {verified.keyid[:16]})",
        f"  verdict: {str(predicate['verdict']).upper()} (fail-on {predicate.get('failOn')}) "
        f"at {predicate.get('timeVerified')} by govgate "
        f"{(predicate.get('verifier') or {}).get('version', {}).get('govgate')}",
        f"  commit: {target.get('commit') or 'none'}"
        + (f" ({target.get('branch')})" if target.get("branch") else ""),
        "  packs: "
        + ", ".join(f"{p.get('name')} {p.get('version')}" for p in predicate.get("packs", [])),
        f"  evidence: {len(predicate.get('evidence', []))} items; "
        f"locker head: {locker.get('head') or 'not recorded'}",
    ]
    if verified.result_matches is not None:
        lines.append(
            "  result document: matches the signed digest"
            if verified.result_matches
            else "  result document: DOES NOT match the signed digest"
        )
    lines.extend(f"  warning: {w}" for w in verified.warnings)
    return lines
