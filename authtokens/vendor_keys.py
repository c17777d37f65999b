"""Vendor API keys (`kw_api_…`): the services and the one selector, kept apart from the workspace
tokens so the two never share a code path by accident.

A key is staff-made (Django admin or the staff API), shown once, hashed at rest,
read-only or read-write, optionally expiring, and revocable. Its use is counted on
the key row itself (uses, last use and IP): vendor keys are few and used by machines.
Making and revoking a key go to the vendor log (admin: Licensing → Vendor events), which also
names the key as the actor of every license action taken with it.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from licensing.models import VendorAction
from project.errors import DomainError, ErrorKind, forbidden, not_found

from . import tokens
from .models import VendorApiKey, VendorApiKeyAccess

NAME_MAX = 100

INVALID_MESSAGE = "The vendor API key is not valid; create a new one in Django admin or ask Keyward staff."


@dataclass(frozen=True)
class IssuedVendorKey:
    key: VendorApiKey
    plaintext: str = field(repr=False)


def _require_staff(user) -> None:
    if not (user and user.is_authenticated and user.is_staff and user.is_active):
        raise forbidden("Only Keyward staff manage vendor API keys.", code="STAFF_REQUIRED")


@transaction.atomic
def vendor_api_key_create(
    *, created_by, name: str, access: str = VendorApiKeyAccess.READ, expires_at: datetime | None = None
) -> IssuedVendorKey:
    _require_staff(created_by)
    name = (name or "").strip() if isinstance(name, str) else None
    if not name or len(name) > NAME_MAX or not name.isprintable():
        raise DomainError(
            "NAME_INVALID", f"Give the key a printable name of up to {NAME_MAX} characters.", field="name"
        )
    if access not in VendorApiKeyAccess.values:
        raise DomainError("ACCESS_INVALID", "Access must be read or read_write.", field="access")
    if expires_at is not None and expires_at <= timezone.now():
        raise DomainError("EXPIRY_IN_PAST", "Choose an expiry in the future, or none.", field="expires_at")
    plaintext = tokens.generate("api")
    key = VendorApiKey.objects.create(
        public_id="vak_" + tokens.new_public_id().removeprefix("tok_"),
        name=name,
        access=access,
        token_hash=tokens.hash_token(plaintext),
        last4=tokens.last4(plaintext),
        created_by=created_by,
        expires_at=expires_at,
    )
    expiry = f"until {expires_at.astimezone(UTC):%Y-%m-%d %H:%M} UTC" if expires_at else "no expiry"
    _vendor_log(
        VendorAction.API_KEY_CREATED, created_by, f"{key.log_label}, {key.get_access_display()}, {expiry}"
    )
    return IssuedVendorKey(key, plaintext)


@transaction.atomic
def vendor_api_key_revoke(*, revoked_by, key: VendorApiKey) -> VendorApiKey:
    """Revoking is final; revoking twice changes nothing."""
    _require_staff(revoked_by)
    key = VendorApiKey.objects.select_for_update().get(pk=key.pk)
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])
        _vendor_log(VendorAction.API_KEY_REVOKED, revoked_by, key.log_label)
    return key


def _vendor_log(action: str, actor, detail: str) -> None:
    # Imported here: licensing's services import authtokens' modules when they load.
    from licensing.services.licenses import vendor_log

    vendor_log(None, action, actor, detail)


def vendor_api_key_record_use(*, key: VendorApiKey, ip: str | None) -> None:
    """One UPDATE, no read-modify-write: concurrent uses all count."""
    VendorApiKey.objects.filter(pk=key.pk).update(
        use_count=F("use_count") + 1, last_used_at=timezone.now(), last_used_ip=ip
    )


def vendor_api_key_resolve(*, raw_key: str) -> VendorApiKey:
    """The live key behind a presented value: format and checksum first, then one indexed lookup."""
    invalid = DomainError("TOKEN_INVALID", INVALID_MESSAGE, kind=ErrorKind.UNAUTHENTICATED)
    if tokens.parse_kind(raw_key) != "api":
        raise invalid
    digest = tokens.hash_token(raw_key)
    key = VendorApiKey.objects.filter(token_hash=digest).first()
    if key is None or not hmac.compare_digest(key.token_hash, digest) or not key.is_live:
        raise invalid
    return key


def vendor_api_key_get(*, public_id: str) -> VendorApiKey:
    key = VendorApiKey.objects.filter(public_id=public_id).first()
    if key is None:
        raise not_found("vendor API key")
    return key
