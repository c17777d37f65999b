"""Encryption of secret parameter values at rest: cryptography's MultiFernet, keys from PARAMETER_KEYS.

The first key encrypts; every key decrypts, so rotation is: put a new key in
front, run `manage.py rotate_parameter_keys` (re-encrypts every row under the
new key), then drop the old one. In development (DEBUG on, no PARAMETER_KEYS)
one key is generated once into PARAMETER_KEYS_FILE (git-ignored); with DEBUG
off and no keys Keyward refuses to start (system check parameters.E001), and
any use raises ImproperlyConfigured rather than encrypting with a throwaway key.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.checks import Error, register
from django.core.exceptions import ImproperlyConfigured

from project.errors import DomainError, ErrorKind

MISSING_MESSAGE = (
    "Set PARAMETER_KEYS in the environment (Fernet keys, newest first; generate one with "
    "python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'); "
    "DEBUG is off."
)


@lru_cache(maxsize=4)
def _multi_fernet(keys: tuple[str, ...]) -> MultiFernet:
    try:
        return MultiFernet([Fernet(key.strip().encode()) for key in keys])
    except (ValueError, TypeError) as exc:
        raise ImproperlyConfigured(
            "PARAMETER_KEYS holds a value that is not a Fernet key (32 url-safe base64-encoded bytes)."
        ) from exc


@lru_cache(maxsize=4)
def _dev_file_keys(path: str) -> tuple[str, ...]:
    file = Path(path)
    if not file.exists():
        # 0600: the development key is readable by its owner only.
        fd = os.open(file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(Fernet.generate_key().decode() + "\n")
    return tuple(line.strip() for line in file.read_text().splitlines() if line.strip())


def _configured_keys() -> tuple[str, ...]:
    keys = tuple(key for key in settings.PARAMETER_KEYS if key.strip())
    if keys:
        return keys
    if settings.DEBUG:
        return _dev_file_keys(str(settings.PARAMETER_KEYS_FILE))
    raise ImproperlyConfigured(MISSING_MESSAGE)


def fernet() -> MultiFernet:
    return _multi_fernet(_configured_keys())


def key_missing_error() -> DomainError:
    return DomainError(
        "PARAMETER_KEY_MISSING",
        "This secret was encrypted with a key that is no longer in PARAMETER_KEYS; "
        "ask the operator to add the old key back after the new one and run manage.py rotate_parameter_keys.",
        kind=ErrorKind.CONFLICT,
    )


def encrypt(plaintext: str) -> str:
    return fernet().encrypt(plaintext.encode()).decode("ascii")


def decrypt(ciphertext: str) -> str:
    """The plaintext, or DomainError PARAMETER_KEY_MISSING when no configured key opens it."""
    try:
        return fernet().decrypt(ciphertext.encode("ascii")).decode()
    except (InvalidToken, UnicodeError):
        raise key_missing_error() from None


def reencrypt(ciphertext: str) -> str:
    """The same plaintext under the newest key (MultiFernet.rotate); DomainError if no key opens it."""
    try:
        return fernet().rotate(ciphertext.encode("ascii")).decode("ascii")
    except (InvalidToken, UnicodeError):
        raise key_missing_error() from None


@register()
def check_parameter_keys(app_configs=None, **kwargs):
    """Not a deploy-only check: `migrate` and `runserver` refuse to run without keys when DEBUG is off."""
    if any(key.strip() for key in settings.PARAMETER_KEYS):
        try:
            fernet()
        except ImproperlyConfigured as error:
            return [Error(str(error), id="parameters.E002")]
        return []
    if settings.DEBUG:
        return []
    return [
        Error(
            "PARAMETER_KEYS is not set, so secret parameters cannot be stored.",
            hint=MISSING_MESSAGE,
            id="parameters.E001",
        )
    ]
