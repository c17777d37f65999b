"""License keys and public ids.

Generated keys look like `PREFIX-XXXXX-XXXXX-XXXXX-XXXXX`: 20 characters of
Crockford base32 (100 random bits), easy to read aloud and to type. Keys are
looked up by the SHA-256 of the exact key (after trimming white space), so a
lookup is one indexed query whether or not the plaintext is kept.
"""

import hashlib
import secrets
import string

CROCKFORD_BASE32 = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
BASE62 = string.digits + string.ascii_letters
KEY_GROUPS = 4
KEY_GROUP_LENGTH = 5
KEY_MAX_LENGTH = 128
SUFFIX_LENGTH = 4


def generate_key(prefix: str = "") -> str:
    groups = [
        "".join(secrets.choice(CROCKFORD_BASE32) for _ in range(KEY_GROUP_LENGTH)) for _ in range(KEY_GROUPS)
    ]
    return "-".join(([prefix.upper()] if prefix else []) + groups)


def normalize_key(key: str) -> str:
    return (key or "").strip()


def hash_key(key: str) -> str:
    return hashlib.sha256(normalize_key(key).encode()).hexdigest()


def key_suffix(key: str) -> str:
    return normalize_key(key)[-SUFFIX_LENGTH:]


def public_id(prefix: str) -> str:
    """An unguessable public identifier such as `lic_3kT9...` (24 base62 characters, ~143 bits)."""
    return f"{prefix}_" + "".join(secrets.choice(BASE62) for _ in range(24))
