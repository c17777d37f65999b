"""Signature checks for secret scanning leak reports (GitHub's partner program format).

The partner signs the raw request body with ECDSA P-256 / SHA-256 and sends
the key id and the base64 DER signature in headers. The public keys come from
settings.SECRET_SCANNING_PUBLIC_KEYS: JSON {"key id": "PEM"} or the path of a
file holding that JSON. Keys are fetched from nowhere: self-hosted installs are
often offline, so the operator pastes GitHub's published keys in.
"""

import base64
import binascii
import json
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from django.conf import settings

from project.errors import DomainError

KEY_ID_HEADER = "Github-Public-Key-Identifier"
SIGNATURE_HEADER = "Github-Public-Key-Signature"
MAX_REPORT_ITEMS = 1000


def _bad_signature(message: str) -> DomainError:
    return DomainError("INVALID_SIGNATURE", message, field="signature")


def load_public_keys() -> dict[str, ec.EllipticCurvePublicKey]:
    raw = (settings.SECRET_SCANNING_PUBLIC_KEYS or "").strip()
    if not raw:
        return {}
    if not raw.startswith("{"):
        raw = Path(raw).read_text()
    keys = {}
    for key_id, pem in json.loads(raw).items():
        key = load_pem_public_key(pem.encode())
        if isinstance(key, ec.EllipticCurvePublicKey) and isinstance(key.curve, ec.SECP256R1):
            keys[str(key_id)] = key
    return keys


def verify_signature(*, body: bytes, key_id: str | None, signature_b64: str | None) -> None:
    """Raises DomainError INVALID_SIGNATURE unless `body` is signed by the configured key `key_id`."""
    if not key_id or not signature_b64:
        raise _bad_signature(f"Send the {KEY_ID_HEADER} and {SIGNATURE_HEADER} headers with the report.")
    key = load_public_keys().get(key_id)
    if key is None:
        raise _bad_signature(
            "The signing key is not one this server trusts; check SECRET_SCANNING_PUBLIC_KEYS."
        )
    try:
        signature = base64.b64decode(signature_b64, validate=True)
        key.verify(signature, body, ec.ECDSA(hashes.SHA256()))
    except (InvalidSignature, binascii.Error, ValueError):
        raise _bad_signature(
            "The signature does not match the report body; sign the exact raw body."
        ) from None


def parse_report(body: bytes) -> list[dict]:
    """The report's items: a JSON array of {token, type, url, source} objects."""
    try:
        items = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: nested too deeply
        raise DomainError(
            "INVALID_REPORT", "Send a JSON array of {token, type, url, source} objects."
        ) from None
    if not isinstance(items, list) or not all(
        isinstance(i, dict) and isinstance(i.get("token"), str) for i in items
    ):
        raise DomainError("INVALID_REPORT", "Send a JSON array of objects, each with a string “token”.")
    if len(items) > MAX_REPORT_ITEMS:
        raise DomainError("REPORT_TOO_LARGE", f"Send at most {MAX_REPORT_ITEMS} tokens per report.")
    return items
