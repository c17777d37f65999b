"""Shows a new plaintext token exactly once on the dashboard, across the redirect after the POST.

The plaintext rides in the session only encrypted (Fernet, key derived from
SECRET_KEY) and for at most REVEAL_SECONDS; the first page that renders it
removes it. A database dump therefore never holds a readable token, and a
reload shows nothing.
"""

import base64
import hashlib
import json

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings

from .services import IssuedToken

SESSION_KEY = "authtokens_reveal"
REVEAL_SECONDS = 600


def _fernet() -> Fernet:
    digest = hashlib.sha256(b"keyward.authtokens.reveal:" + settings.SECRET_KEY.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def stash(request, issued: IssuedToken) -> None:
    token = issued.token
    what = f"CI token “{token.name}”" if token.is_ci else "developer token"
    payload = json.dumps({"token_id": token.public_id, "what": what, "plaintext": issued.plaintext})
    request.session[SESSION_KEY] = _fernet().encrypt(payload.encode()).decode()


def pop(request) -> dict | None:
    """{"token_id", "what", "plaintext"} of the token to show now, or None. Gone afterwards either way."""
    sealed = request.session.pop(SESSION_KEY, None)
    if not sealed:
        return None
    try:
        return json.loads(_fernet().decrypt(sealed.encode(), ttl=REVEAL_SECONDS))
    except (InvalidToken, ValueError):
        return None
