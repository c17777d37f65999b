r"""The auth token format, with no database in sight.

A token is a type prefix (`kw_dev_`, `kw_ci_` or a vendor API key's `kw_api_`), 30 random base62
characters, then 6 base62 characters of the CRC32 of the random part:

    kw_dev_4fT0...(30)...Qz 0a1B2c
           \___ random ___/ \chk/

The checksum lets a typo or a truncated copy be refused before any query, and
the prefix plus fixed length make a leaked token easy to recognise for secret
scanners (see TOKEN_REGEX). Only the SHA-256 of the whole token and its last
four characters are ever stored.
"""

import hashlib
import re
import secrets
import string
import zlib

BASE62 = string.digits + string.ascii_letters
RANDOM_LENGTH = 30
CHECKSUM_LENGTH = 6
PREFIXES = {"developer": "kw_dev_", "ci": "kw_ci_", "api": "kw_api_"}
KIND_BY_PREFIX = {prefix: kind for kind, prefix in PREFIXES.items()}

# For secret scanners (GitHub partner program, gitleaks, trufflehog...).
TOKEN_REGEX = r"\bkw_(?:dev|ci|api)_[0-9A-Za-z]{36}\b"
_FULL_MATCH = re.compile(r"(kw_(?:dev|ci|api)_)([0-9A-Za-z]{30})([0-9A-Za-z]{6})")


def base62_encode(number: int, length: int) -> str:
    """Exactly `length` base62 digits, zero-padded (62**6 > 2**32, so a CRC32 always fits in 6)."""
    digits = []
    for _ in range(length):
        number, remainder = divmod(number, 62)
        digits.append(BASE62[remainder])
    if number:
        raise ValueError("number does not fit in the requested length")
    return "".join(reversed(digits))


def checksum(random_part: str) -> str:
    return base62_encode(zlib.crc32(random_part.encode("ascii")), CHECKSUM_LENGTH)


def generate(kind: str) -> str:
    random_part = "".join(secrets.choice(BASE62) for _ in range(RANDOM_LENGTH))
    return PREFIXES[kind] + random_part + checksum(random_part)


def parse_kind(raw: str) -> str | None:
    """The token's kind ("developer", "ci", or "api" for a vendor API key) if its format and checksum
    are right, else None."""
    if not isinstance(raw, str):
        return None
    match = _FULL_MATCH.fullmatch(raw)
    if match is None:
        return None
    prefix, random_part, given = match.groups()
    if not secrets.compare_digest(checksum(random_part), given):
        return None
    return KIND_BY_PREFIX[prefix]


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def last4(raw: str) -> str:
    return raw[-4:]


def masked(kind: str, last_four: str) -> str:
    return f"{PREFIXES[kind]}…{last_four}"


def new_public_id() -> str:
    """The token's public id for URLs and the API (`tok_` + 24 base62); unrelated to its secret."""
    return "tok_" + "".join(secrets.choice(BASE62) for _ in range(24))
