"""Offline certificates: a signed statement that a machine may run until a given time.

Format: `cert/<payload>.<signature>`, both unpadded base64url. The payload is
compact JSON (sorted keys) and the signature is Ed25519 over those exact
payload bytes, so a client needs only the public keys
(`GET /api/v1/client/public-key`) to check a certificate without the network.

Key rotation: the payload's `kid` claim names the signing key by its RFC 7638
JWK thumbprint (SHA-256 over `{"crv":"Ed25519","kty":"OKP","x":"<raw key,
base64url>"}`, base64url), so anyone holding the public key can recompute it.
The public-key endpoint serves a key set: the current key and every key in
`settings.SIGNING_KEYS_PREVIOUS`, so machines offline with a certificate
signed before a rotation keep working until it expires.

The signing key comes from `settings.SIGNING_KEY` (a PEM, or base64 of the raw
32-byte private key). In development (DEBUG on, no SIGNING_KEY) one is
generated once into `settings.SIGNING_KEY_FILE`; with DEBUG off and no key,
the first use raises ImproperlyConfigured (and `manage.py check --deploy`
reports it), rather than signing with a throwaway key clients cannot trust.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import time
from functools import lru_cache
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings
from django.core.checks import Error, register
from django.core.exceptions import ImproperlyConfigured

from project.errors import DomainError, ErrorKind

PREFIX = "cert/"
VERSION = 1


# ---------------------------------------------------------------- encoding


def _b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


# ---------------------------------------------------------------- keys


def _private_key_from_text(text: str) -> Ed25519PrivateKey:
    text = text.strip()
    try:
        if text.startswith("-----BEGIN"):
            key = serialization.load_pem_private_key(text.encode(), password=None)
        else:
            key = Ed25519PrivateKey.from_private_bytes(base64.b64decode(text, validate=True))
    except (ValueError, TypeError, binascii.Error) as exc:
        raise ImproperlyConfigured(
            "SIGNING_KEY is not a valid Ed25519 private key: give a PEM or base64 of the raw 32 bytes."
        ) from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise ImproperlyConfigured("SIGNING_KEY must be an Ed25519 private key.")
    return key


@lru_cache(maxsize=4)
def _load_from_setting(text: str) -> Ed25519PrivateKey:
    return _private_key_from_text(text)


@lru_cache(maxsize=4)
def _load_or_create_dev_file(path: str) -> Ed25519PrivateKey:
    file = Path(path)
    if file.exists():
        return _private_key_from_text(file.read_text())
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    # Written with 0600 so the development key is readable by its owner only.
    fd = os.open(file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
    return key


def signing_key() -> Ed25519PrivateKey:
    if settings.SIGNING_KEY:
        return _load_from_setting(settings.SIGNING_KEY)
    if settings.DEBUG:
        return _load_or_create_dev_file(str(settings.SIGNING_KEY_FILE))
    raise ImproperlyConfigured(
        "Set SIGNING_KEY in the environment (an Ed25519 private key, PEM or base64 of 32 raw bytes) "
        "to issue offline certificates; DEBUG is off."
    )


def signing_public_key() -> Ed25519PublicKey:
    return signing_key().public_key()


def _public_pem(public_key: Ed25519PublicKey) -> str:
    return public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode("ascii")


def _public_raw(public_key: Ed25519PublicKey) -> str:
    """The raw 32-byte public key, base64url without padding."""
    return _b64url_encode(public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw))


def signing_public_key_pem() -> str:
    return _public_pem(signing_public_key())


def public_key_from_text(text: str) -> Ed25519PublicKey:
    """A public key from a PEM or from base64url of its raw 32 bytes."""
    text = text.strip()
    if text.startswith("-----BEGIN"):
        key = serialization.load_pem_public_key(text.encode())
        if not isinstance(key, Ed25519PublicKey):
            raise ValueError("Not an Ed25519 public key.")
        return key
    return Ed25519PublicKey.from_public_bytes(_b64url_decode(text))


def key_id(public_key: Ed25519PublicKey) -> str:
    """The RFC 7638 JWK thumbprint of an Ed25519 public key: SHA-256, base64url without padding."""
    x = _b64url_encode(public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw))
    jwk = json.dumps({"crv": "Ed25519", "kty": "OKP", "x": x}, separators=(",", ":"), sort_keys=True)
    return _b64url_encode(hashlib.sha256(jwk.encode()).digest())


@lru_cache(maxsize=16)
def _previous_public_key(text: str) -> Ed25519PublicKey:
    """A retired SIGNING_KEY value (private, PEM or base64) or just its public PEM."""
    if text.strip().startswith("-----BEGIN PUBLIC KEY"):
        try:
            return public_key_from_text(text)
        except ValueError as exc:
            raise ImproperlyConfigured(
                "An entry of SIGNING_KEYS_PREVIOUS is not an Ed25519 public key PEM."
            ) from exc
    return _private_key_from_text(text).public_key()


def previous_public_keys() -> list[Ed25519PublicKey]:
    return [_previous_public_key(text) for text in settings.SIGNING_KEYS_PREVIOUS if text.strip()]


def public_key_set() -> list[dict]:
    """The current key first, then the previous ones: {kid, public_key_pem, public_key, current}."""
    keys, seen = [], set()
    for index, public_key in enumerate([signing_public_key(), *previous_public_keys()]):
        kid = key_id(public_key)
        if kid in seen:
            continue
        seen.add(kid)
        keys.append(
            {
                "kid": kid,
                "public_key_pem": _public_pem(public_key),
                "public_key": _public_raw(public_key),
                "current": index == 0,
            }
        )
    return keys


@register("security", deploy=True)
def check_signing_key(app_configs=None, **kwargs):
    if settings.SIGNING_KEY or settings.DEBUG:
        return []
    return [
        Error(
            "SIGNING_KEY is not set, so offline certificates cannot be issued.",
            hint="Set SIGNING_KEY to an Ed25519 private key (PEM, or base64 of the raw 32 bytes).",
            id="licensing.E001",
        )
    ]


# ---------------------------------------------------------------- issue and verify


def certificate_payload(*, license, activation, issued_at: int | None = None) -> dict:
    issued_at = int(time.time()) if issued_at is None else issued_at
    lifetime = int(license.policy.offline_lifetime.total_seconds())
    member = activation.membership or license.assignee
    return {
        "v": VERSION,
        "license": license.public_id,
        "activation": activation.public_id,
        "product": license.policy.product.code,
        "plan": license.policy.name,
        "workspace": license.workspace.slug if license.workspace_id else None,
        "member": member.user.email if member else None,
        "fingerprint": activation.fingerprint,
        "issued_at": issued_at,
        "expires_at": issued_at + lifetime,
    }


def certificate_sign(payload: dict) -> str:
    key = signing_key()
    payload = {**payload, "kid": key_id(key.public_key())}
    body = json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()
    signature = key.sign(body)
    return f"{PREFIX}{_b64url_encode(body)}.{_b64url_encode(signature)}"


def certificate_issue(*, license, activation, issued_at: int | None = None) -> str:
    """A certificate for one machine (activation) of a license, valid for the policy's offline lifetime."""
    return certificate_sign(certificate_payload(license=license, activation=activation, issued_at=issued_at))


def _invalid(message: str) -> DomainError:
    return DomainError("CERTIFICATE_INVALID", message, kind=ErrorKind.INVALID, field="certificate")


def _as_public_key(key) -> Ed25519PublicKey:
    if isinstance(key, dict):  # an entry of the endpoint's key set
        key = key["public_key_pem"]
    if isinstance(key, bytes):
        key = key.decode()
    return public_key_from_text(key) if isinstance(key, str) else key


def _key_for(claims: dict, public_keys) -> Ed25519PublicKey:
    """The key a certificate names by its `kid` (one issued before key ids existed: the first key)."""
    keys = public_keys if isinstance(public_keys, list | tuple) else [public_keys]
    by_kid = {key_id(key): key for key in map(_as_public_key, keys)}
    kid = claims.get("kid")
    if kid is None:
        return next(iter(by_kid.values()))
    if kid not in by_kid:
        raise _invalid("The certificate's signature is by a key this server does not know; activate again.")
    return by_kid[kid]


def certificate_verify(*, certificate: str, public_key, now: float | None = None) -> dict:
    """The payload of a genuine, unexpired certificate; DomainError otherwise.

    `public_key` is one key (an Ed25519PublicKey, a PEM, or base64url raw bytes) or a key set: a
    list of them, or the `keys` of `GET /api/v1/client/public-key`. The certificate's `kid` picks the key.
    """
    if not isinstance(certificate, str) or not certificate.startswith(PREFIX) or "." not in certificate:
        raise _invalid("This is not a Keyward certificate; it must look like cert/<payload>.<signature>.")
    encoded_body, _, encoded_signature = certificate[len(PREFIX) :].partition(".")
    mismatch = "The certificate's signature does not match; activate the machine again."
    try:
        body = _b64url_decode(encoded_body)
        claims = json.loads(body)
        if not isinstance(claims, dict):
            raise ValueError("The payload is not a JSON object.")
    except (ValueError, TypeError, binascii.Error) as exc:
        raise _invalid(mismatch) from exc
    key = _key_for(claims, public_key)  # a verifying key that is not Ed25519 is the caller's bug: ValueError
    try:
        key.verify(_b64url_decode(encoded_signature), body)
    except (InvalidSignature, ValueError, TypeError, binascii.Error) as exc:
        raise _invalid(mismatch) from exc
    payload = claims
    if (now if now is not None else time.time()) >= payload["expires_at"]:
        raise DomainError(
            "CERTIFICATE_EXPIRED",
            "The certificate has expired; connect to the network and activate the machine again.",
            kind=ErrorKind.INVALID,
            field="certificate",
        )
    return payload
