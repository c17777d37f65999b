"""E-mail confirmation links, on Django's password-reset token machinery.

A token is an HMAC over the user's id, address, pending address and confirmed
flag plus a timestamp, so it stops working once used (those values change) and
after PASSWORD_RESET_TIMEOUT (3 days by default), and nothing is stored.
"""

from django.conf import settings
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode


class EmailConfirmationTokenGenerator(PasswordResetTokenGenerator):
    key_salt = "keyward.accounts.EmailConfirmationTokenGenerator"

    def _make_hash_value(self, user, timestamp):
        return f"{user.pk}{user.email}{user.pending_email}{user.email_verified}{timestamp}"


confirmation_tokens = EmailConfirmationTokenGenerator()


def confirmation_link(user) -> str:
    """An absolute link that confirms the address the user is waiting to confirm."""
    path = reverse(
        "accounts:email_confirm",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": confirmation_tokens.make_token(user),
        },
    )
    return settings.SITE_URL + path
