"""A secret carried across one redirect in the session, encrypted (Fernet, key derived from
SECRET_KEY and a purpose) and short-lived, so a database dump never holds it readable and the
first page that shows it takes it away (a reload shows nothing)."""

import base64
import hashlib
import json

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings


def _fernet(purpose: str) -> Fernet:
    digest = hashlib.sha256(f"keyward.sealed.{purpose}:".encode() + settings.SECRET_KEY.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def stash(request, purpose: str, data: dict) -> None:
    request.session[f"sealed_{purpose}"] = _fernet(purpose).encrypt(json.dumps(data).encode()).decode()


def pop(request, purpose: str, max_age_seconds: int = 600) -> dict | None:
    sealed = request.session.pop(f"sealed_{purpose}", None)
    if not sealed:
        return None
    try:
        return json.loads(_fernet(purpose).decrypt(sealed.encode(), ttl=max_age_seconds))
    except (InvalidToken, ValueError):
        return None
