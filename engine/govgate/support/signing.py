"""Keys and DSSE envelopes: load an Ed25519 or ECDSA P-256 key (PEM or OpenSSH), sign a payload
into a DSSE envelope, and check one offline. Knows nothing of what the payload says.

`cryptography` is imported inside the functions that need it: the commit hook never signs.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from govgate.support.errors import UsageError

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ec import (
        EllipticCurvePrivateKey,
        EllipticCurvePublicKey,
    )
    from cryptography.hazmat.primitives.asymmetric.ed25519 import (
        Ed25519PrivateKey,
        Ed25519PublicKey,
    )

    PrivateKey = Ed25519PrivateKey | EllipticCurvePrivateKey
    PublicKey = Ed25519PublicKey | EllipticCurvePublicKey

#: The environment variable holding the passphrase of an encrypted private key.
PASSPHRASE_ENV = "GOVGATE_KEY_PASSPHRASE"  # noqa: S105 - a variable's name, not a secret

#: The DSSE payload type of an in-toto Statement.
IN_TOTO_PAYLOAD_TYPE = "application/vnd.in-toto+json"

_KEY_HELP = (
    "make one with `openssl genpkey -algorithm ed25519 -out key.pem` or "
    "`ssh-keygen -t ed25519 -f key`"
)


class SignatureInvalid(Exception):
    """An envelope that does not verify: its reason is the message."""


@dataclass(frozen=True)
class SigningKey:
    """A private key, with what a verifier needs to know of it."""

    key: PrivateKey
    path: Path

    @property
    def public(self) -> PublicKey:
        return self.key.public_key()

    @property
    def keyid(self) -> str:
        return key_id(self.public)

    @property
    def scheme(self) -> str:
        return key_scheme(self.public)

    def sign(self, data: bytes) -> bytes:
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import ec

        if isinstance(self.key, ec.EllipticCurvePrivateKey):
            # DER-encoded (r, s), as DSSE's ECDSA verifiers (securesystemslib, sigstore) expect.
            return self.key.sign(data, ec.ECDSA(hashes.SHA256()))
        return self.key.sign(data)


def key_id(public: PublicKey) -> str:
    """The key's id: the SHA-256 of its DER SubjectPublicKeyInfo, so any tool can recompute it."""
    from cryptography.hazmat.primitives import serialization

    der = public.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return hashlib.sha256(der).hexdigest()


def key_scheme(public: PublicKey) -> str:
    """The signature scheme's name as securesystemslib spells it."""
    from cryptography.hazmat.primitives.asymmetric import ec

    return "ecdsa-sha2-nistp256" if isinstance(public, ec.EllipticCurvePublicKey) else "ed25519"


def _read(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise UsageError(
            f"{what} {path}: cannot read it ({exc.strerror or exc}); {_KEY_HELP}"
        ) from exc


def _check_type(key: Any, path: Path, what: str) -> None:
    """Only Ed25519 and ECDSA on P-256: what DSSE verifiers everywhere accept."""
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519

    if isinstance(key, ed25519.Ed25519PrivateKey | ed25519.Ed25519PublicKey):
        return
    if isinstance(key, ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey):
        if isinstance(key.curve, ec.SECP256R1):
            return
        raise UsageError(
            f"{what} {path}: an ECDSA key on {key.curve.name}; govgate signs with Ed25519 or "
            f"ECDSA P-256 (prime256v1) only; {_KEY_HELP}"
        )
    raise UsageError(
        f"{what} {path}: a {type(key).__name__.removeprefix('_')} key; govgate signs with "
        f"Ed25519 or ECDSA P-256 only; {_KEY_HELP}"
    )


def load_signing_key(path: Path) -> SigningKey:
    """The private key in `path` (PEM: PKCS#8 or traditional; or an OpenSSH private key), its
    passphrase, if any, from GOVGATE_KEY_PASSPHRASE. Any problem is a usage error naming it."""
    from cryptography.hazmat.primitives import serialization

    data = _read(path, "--key")
    passphrase = os.environ.get(PASSPHRASE_ENV)
    password = passphrase.encode() if passphrase else None
    try:
        if b"BEGIN OPENSSH PRIVATE KEY" in data:
            key: Any = serialization.load_ssh_private_key(data, password)
        else:
            key = serialization.load_pem_private_key(data, password)
    except TypeError as exc:  # encrypted without a passphrase, or a passphrase not needed
        raise UsageError(
            f"--key {path}: {exc}; give an encrypted key's passphrase in {PASSPHRASE_ENV}"
        ) from exc
    except (ValueError, binascii.Error) as exc:
        if b"PUBLIC KEY" in data or data.startswith((b"ssh-", b"ecdsa-")):
            raise UsageError(
                f"--key {path}: is a public key; signing needs the private key "
                "(verify with the public one: `govgate verify FILE --key PUB`)"
            ) from exc
        raise UsageError(
            f"--key {path}: not a PEM or OpenSSH private key, or a wrong passphrase ({exc}); "
            f"{_KEY_HELP}"
        ) from exc
    _check_type(key, path, "--key")
    return SigningKey(key, path)


def load_public_key(path: Path) -> PublicKey:
    """The public key in `path`: PEM SubjectPublicKeyInfo or an OpenSSH `.pub` line."""
    from cryptography.hazmat.primitives import serialization

    data = _read(path, "--key")
    try:
        if data.lstrip().startswith((b"ssh-", b"ecdsa-")):
            key: Any = serialization.load_ssh_public_key(data.strip())
        else:
            key = serialization.load_pem_public_key(data)
    except (ValueError, binascii.Error, TypeError) as exc:
        if b"PRIVATE KEY" in data:
            raise UsageError(
                f"--key {path}: is a private key; verify with the public one "
                "(`openssl pkey -in key.pem -pubout -out key.pub`)"
            ) from exc
        raise UsageError(
            f"--key {path}: not a PEM public key or an OpenSSH .pub line ({exc})"
        ) from exc
    _check_type(key, path, "--key")
    public: PublicKey = key
    return public


def pae(payload_type: str, payload: bytes) -> bytes:
    """DSSE's pre-authentication encoding: what is actually signed."""
    kind = payload_type.encode("utf-8")
    return b"DSSEv1 %d %s %d %s" % (len(kind), kind, len(payload), payload)


def sign_envelope(payload: bytes, key: SigningKey, payload_type: str) -> dict[str, Any]:
    """A DSSE envelope of `payload` with one signature by `key`."""
    signature = key.sign(pae(payload_type, payload))
    return {
        "payloadType": payload_type,
        "payload": base64.b64encode(payload).decode("ascii"),
        "signatures": [{"keyid": key.keyid, "sig": base64.b64encode(signature).decode("ascii")}],
    }


def _b64(value: Any, what: str) -> bytes:
    if not isinstance(value, str):
        raise SignatureInvalid(f"{what} is not a base64 string")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise SignatureInvalid(f"{what} is not valid base64 ({exc})") from exc


def parse_envelope(data: bytes) -> dict[str, Any]:
    """The envelope in `data` (JSON), its fields checked; SignatureInvalid names what is wrong."""
    try:
        envelope = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SignatureInvalid(f"not a DSSE envelope: not JSON ({exc})") from exc
    if not isinstance(envelope, dict):
        raise SignatureInvalid("not a DSSE envelope: not a JSON object")
    for field in ("payloadType", "payload", "signatures"):
        if field not in envelope:
            raise SignatureInvalid(f"not a DSSE envelope: no {field}")
    signatures = envelope["signatures"]
    if not isinstance(signatures, list) or not signatures:
        raise SignatureInvalid("the envelope carries no signature")
    return envelope


def verify_envelope(envelope: dict[str, Any], public: PublicKey) -> bytes:
    """The envelope's payload, once one of its signatures verifies with `public`; else
    SignatureInvalid. Every signature is tried: key ids are hints, never trusted."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec

    payload_type = envelope["payloadType"]
    if not isinstance(payload_type, str):
        raise SignatureInvalid("the envelope's payloadType is not a string")
    payload = _b64(envelope["payload"], "the envelope's payload")
    signed = pae(payload_type, payload)
    for index, entry in enumerate(envelope["signatures"]):
        if not isinstance(entry, dict):
            raise SignatureInvalid(f"signature {index + 1} is not an object")
        signature = _b64(entry.get("sig"), f"signature {index + 1}")
        try:
            if isinstance(public, ec.EllipticCurvePublicKey):
                public.verify(signature, signed, ec.ECDSA(hashes.SHA256()))
            else:
                public.verify(signature, signed)
        except InvalidSignature:
            continue
        return payload
    raise SignatureInvalid(
        f"no signature verifies with key {key_id(public)[:16]}: the payload was changed "
        "after signing, or it was signed by another key"
    )
