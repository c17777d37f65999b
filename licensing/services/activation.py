"""The public client side: validate and activate a license by key or by auth token, heartbeats,
deactivation and releasing silent machines.

These run on every start of the vendor's software. Their reads come from
snapshots in the shared cache (licensing/snapshots.py) and their counts go to
the cache too (licensing/counters.py), so a warm validation or a repeat
activation of a known machine reads no row and takes no lock:

- validate: the key's snapshot; the count is one cache round trip;
- activate a machine that is already activated: the snapshot, and a fresh
  certificate; nothing is written;
- activate a new machine: lock the license row, count its machines, insert
  one. The activation limit holds under concurrency because the count happens
  after `SELECT ... FOR UPDATE` on the license row, inside one transaction.

Activation signs the machine's offline certificate before it inserts the
machine: a server that cannot sign (no or a broken SIGNING_KEY) saves nothing,
so a client that got no certificate has used up no seat.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from django.db import transaction
from django.db.models import DateTimeField, ExpressionWrapper, F
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import Capability, Membership
from project.client_cache import client_cache
from project.errors import DomainError, ErrorKind, forbidden, not_found
from webhooks import events

from .. import certificates, snapshots
from ..keys import KEY_MAX_LENGTH, normalize_key, public_id
from ..models import Activation, License, LicenseStatus
from ..selectors import activation as selectors
from ..selectors.entitlement import STATUS_REFUSALS, product_mismatch_message, token_entitlement
from . import licenses

FINGERPRINT_MAX_LENGTH = 255
NAME_MAX_LENGTH = 150
PLATFORM_MAX_LENGTH = 100
PRODUCT_MAX_LENGTH = 50


# ---------------------------------------------------------------- results


@dataclass
class ValidationResult:
    valid: bool
    code: str
    message: str
    license: License | None = None
    activation: Activation | None = None


@dataclass
class IssuedCertificate:
    text: str
    expires_at: int  # Unix seconds


@dataclass
class TokenActivationResult:
    license: License
    activation: Activation
    certificate: str
    certificate_expires_at: datetime
    token: object = None


# ---------------------------------------------------------------- input checks


def _clean_text(value, *, field: str, max_length: int, required: bool = False, label: str = "") -> str:
    label = label or field
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise DomainError("INVALID", f"The {label} must be a string.", field=field)
    value = value.strip()
    if required and not value:
        raise DomainError("INVALID", f"Send the {label}; it cannot be blank.", field=field)
    if len(value) > max_length:
        raise DomainError("INVALID", f"Keep the {label} to {max_length} characters.", field=field)
    return value


def _clean_key(key) -> str:
    return normalize_key(
        _clean_text(key, field="key", max_length=KEY_MAX_LENGTH, required=True, label="license key")
    )


def _clean_fingerprint(fingerprint, *, required: bool = True, field: str = "fingerprint") -> str:
    return _clean_text(
        fingerprint,
        field=field,
        max_length=FINGERPRINT_MAX_LENGTH,
        required=required,
        label="machine fingerprint",
    )


# ---------------------------------------------------------------- refusals


def _refusal(code: str, message: str, kind: str = ErrorKind.UNPROCESSABLE, field: str | None = None):
    return DomainError(code, message, kind=kind, field=field)


def _key_not_found() -> DomainError:
    return _refusal(
        "NOT_FOUND", "No license has this key; check the key for typos.", ErrorKind.NOT_FOUND, "key"
    )


def _product_mismatch(license: License, product: str) -> DomainError:
    return _refusal("PRODUCT_MISMATCH", product_mismatch_message(license, product), field="product")


def _status_refusal(license: License) -> DomainError | None:
    status = license.effective_status
    if status == LicenseStatus.ACTIVE:
        return None
    code, message = STATUS_REFUSALS[status]
    return _refusal(code, message)


def _limit_refusal(license: License) -> DomainError:
    limit = license.max_activations
    return _refusal(
        "ACTIVATION_LIMIT_REACHED",
        f"This license is already activated on {limit} of {limit} machines; deactivate one to free a seat.",
    )


# ---------------------------------------------------------------- validation (license key)


VALIDATION_MESSAGES = {
    "VALID": "The license is valid.",
    "NOT_FOUND": "No license has this key; check the key for typos.",
    "SUSPENDED": "The license is suspended; ask the vendor to reinstate it.",
    "REVOKED": "The license has been revoked; get a new license to continue.",
    "EXPIRED": "The license has expired; renew it to continue.",
    "NOT_ACTIVATED": "This machine is not activated for the license; activate it first.",
}


def _validation_code(license: License, activation, *, product, machine_named: bool) -> tuple[str, str]:
    if product and license.policy.product.code != product:
        return "PRODUCT_MISMATCH", _product_mismatch(license, product).message
    status = license.effective_status
    if status != LicenseStatus.ACTIVE:
        code = status.upper()
        return code, VALIDATION_MESSAGES[code]
    if machine_named and activation is None:
        return "NOT_ACTIVATED", VALIDATION_MESSAGES["NOT_ACTIVATED"]
    return "VALID", VALIDATION_MESSAGES["VALID"]


def license_key_validate(
    *, key, fingerprint=None, activation_id=None, product=None, rate_windows=None
) -> ValidationResult:
    """Whether a key is good (for this product, on this machine). Never raises for a bad license:
    the answer carries `valid` and a code (VALID, NOT_FOUND, EXPIRED, SUSPENDED, REVOKED,
    NOT_ACTIVATED, PRODUCT_MISMATCH). Raises DomainError only for malformed input. The request's
    pending `rate_windows` are counted with the key's read (RateLimited if one is over its limit)."""
    key = _clean_key(key)
    fingerprint = _clean_fingerprint(fingerprint, required=False)
    activation_id = _clean_text(activation_id, field="activation_id", max_length=32, label="activation id")
    product = _clean_text(product, field="product", max_length=PRODUCT_MAX_LENGTH)

    snapshot = snapshots.key_snapshot(
        key=key,
        machines=bool(fingerprint or activation_id),
        count_at=timezone.now(),
        rate_windows=rate_windows,
    )
    if snapshot is None:
        return ValidationResult(False, "NOT_FOUND", VALIDATION_MESSAGES["NOT_FOUND"])
    license = snapshot.license
    activation = snapshot.machine(fingerprint=fingerprint, activation_id=activation_id)
    code, message = _validation_code(
        license, activation, product=product, machine_named=bool(fingerprint or activation_id)
    )
    return ValidationResult(code == "VALID", code, message, license, activation)


# ---------------------------------------------------------------- activation (shared core)


def _certify(license: License, activation: Activation) -> IssuedCertificate:
    payload = certificates.certificate_payload(license=license, activation=activation)
    return IssuedCertificate(certificates.certificate_sign(payload), payload["expires_at"])


def _activate_locked(
    *,
    fingerprint: str,
    name: str,
    platform: str,
    membership: Membership | None,
    product: str | None = None,
    license_id: int | None = None,
    key: str | None = None,
):
    """Lock the license, check it, sign the machine's certificate, then save the machine.
    Returns (license, activation, refusal); `activation.certificate` is an IssuedCertificate.

    Refusals are returned, not raised, inside the transaction: it runs with
    `savepoint=False` (no SAVEPOINT round trips when called inside another
    atomic block), and an exception leaving such a block would doom the
    caller's transaction. Only unexpected database errors escape it.
    """
    with transaction.atomic(savepoint=False):
        license = selectors.license_lock(license_id=license_id, key=key)
        if license is None:
            return None, None, _key_not_found()
        if product and license.policy.product.code != product:
            return license, None, _product_mismatch(license, product)
        refusal = _status_refusal(license)
        if refusal:
            return license, None, refusal
        existing = selectors.license_machine(license=license, fingerprint=fingerprint)
        if existing is not None:
            existing.is_new = False
            existing.certificate = _certify(license, existing)
            return license, existing, None
        limit = license.max_activations
        if limit is not None and selectors.license_machine_count(license_id=license.pk) >= limit:
            return license, None, _limit_refusal(license)
        activation = Activation(
            public_id=public_id("act"),
            license=license,
            fingerprint=fingerprint,
            name=name,
            platform=platform,
            membership=membership,
            last_heartbeat_at=timezone.now(),
        )
        activation.certificate = _certify(license, activation)  # raises before the insert if it cannot sign
        activation.save(force_insert=True)
        activation.is_new = True
        events.emit("license.activated", activation)
        return license, activation, None


def _repeat_key_activation(*, key: str, fingerprint: str, product: str) -> Activation | None:
    """A machine already activated on a usable license: no lock and no write, just a fresh certificate
    from the snapshot. Anything else (a new machine, a refusal) goes the locked way, which decides.
    Without the shared cache this look would only add reads before the lock, so it is skipped."""
    if client_cache() is None:
        return None
    snapshot = snapshots.key_snapshot(key=key, machines=True, full=True)
    if snapshot is None:
        return None
    license = snapshot.license
    if (product and license.policy.product.code != product) or _status_refusal(license) is not None:
        return None
    activation = snapshot.machine(fingerprint=fingerprint)
    if activation is None:
        return None
    activation.is_new = False
    activation.certificate = _certify(license, activation)
    return activation


def license_key_activate(*, key, name, fingerprint, platform="", product=None) -> Activation:
    """Activate a machine with a license key. The same fingerprint again returns the existing activation
    (`activation.is_new` tells which); `activation.license` is the license, loaded with its policy, and
    `activation.certificate` the machine's offline certificate (an IssuedCertificate)."""
    key = _clean_key(key)
    fingerprint = _clean_fingerprint(fingerprint)
    name = _clean_text(name, field="name", max_length=NAME_MAX_LENGTH)
    platform = _clean_text(platform, field="platform", max_length=PLATFORM_MAX_LENGTH)
    product = _clean_text(product, field="product", max_length=PRODUCT_MAX_LENGTH)
    repeat = _repeat_key_activation(key=key, fingerprint=fingerprint, product=product)
    if repeat is not None:
        return repeat
    license, activation, refusal = _activate_locked(
        key=key, fingerprint=fingerprint, name=name, platform=platform, membership=None, product=product
    )
    if refusal:
        raise refusal
    activation.license = license
    return activation


def license_key_deactivate(*, key, activation_id) -> None:
    """Release one machine of a license, freeing its seat."""
    key = _clean_key(key)
    activation_id = _clean_text(
        activation_id, field="activation_id", max_length=32, required=True, label="activation id"
    )
    license = selectors.license_by_key(key=key)
    if license is None:
        raise _key_not_found()
    activation = selectors.license_machine(license=license, activation_id=activation_id)
    if activation is None:
        raise _refusal(
            "NOT_FOUND",
            "This license has no machine with that activation id; it may already be deactivated.",
            ErrorKind.NOT_FOUND,
            "activation_id",
        )
    with transaction.atomic():
        events.emit("license.deactivated", activation)
        Activation.objects.filter(pk=activation.pk).delete()


# ---------------------------------------------------------------- machines


def activation_heartbeat(*, activation_id) -> Activation:
    """Record that a machine is alive, so `release_dead_machines` keeps it."""
    activation_id = _clean_text(
        activation_id, field="activation_id", max_length=32, required=True, label="activation id"
    )
    activation = selectors.activation_by_public_id(activation_id=activation_id)
    if activation is None:
        raise _refusal(
            "NOT_FOUND",
            "No machine has this activation id; it may have been released, so activate it again.",
            ErrorKind.NOT_FOUND,
            "activation_id",
        )
    activation.last_heartbeat_at = timezone.now()
    Activation.objects.filter(pk=activation.pk).update(last_heartbeat_at=activation.last_heartbeat_at)
    snapshots.machines_changed(activation.license)  # validate shows the machine's last heartbeat
    return activation


def _check_may_manage_machine(actor: Membership | None, activation: Activation) -> None:
    if actor is None:
        return  # staff and system callers
    license = activation.license
    if actor.workspace_id != license.workspace_id:
        raise not_found("activation")
    is_own = license.assignee_id == actor.pk or activation.membership_id == actor.pk
    if not is_own and not actor.has_capability(Capability.MANAGE_LICENSES):
        raise forbidden("Only members who manage licenses can change other people's machines.")


@transaction.atomic
def activation_update(*, activation: Activation, name, actor: Membership | None = None) -> Activation:
    _check_may_manage_machine(actor, activation)
    activation.name = _clean_text(name, field="name", max_length=NAME_MAX_LENGTH)
    activation.save(update_fields=["name"])
    return activation


@transaction.atomic
def activation_deactivate(*, activation: Activation, actor: Membership | None = None) -> None:
    """Release a machine (dashboard, staff, Dodo's instances). Pass `actor` for a member's request."""
    _check_may_manage_machine(actor, activation)
    events.emit("license.deactivated", activation)
    licenses.audit(
        activation.license.workspace_id,
        "machine_deactivated",
        actor.user if actor else None,
        licenses._machine(activation),
    )
    Activation.objects.filter(pk=activation.pk).delete()


def machines_release_dead(*, now: datetime | None = None) -> int:
    """Release machines silent for longer than their policy's heartbeat interval. Returns how many."""
    now = now or timezone.now()
    last_seen_plus_window = ExpressionWrapper(
        Coalesce("last_heartbeat_at", "created_at") + F("license__policy__heartbeat_interval"),
        output_field=DateTimeField(),
    )
    dead = (
        Activation.objects.filter(license__policy__heartbeat_interval__isnull=False)
        .annotate(silent_until=last_seen_plus_window)
        .filter(silent_until__lt=now)
    )
    ids = list(dead.values_list("pk", flat=True))
    with transaction.atomic():
        for activation in Activation.objects.filter(pk__in=ids).select_related("license"):
            events.emit("license.deactivated", activation)
        deleted, _ = Activation.objects.filter(pk__in=ids).delete()
    return deleted


# ---------------------------------------------------------------- activation (auth token)


def _developer_token_in_ci() -> DomainError:
    return _refusal(
        "DEVELOPER_TOKEN_IN_CI",
        "Developer auth tokens cannot activate in CI; create a CI auth token in your workspace and use it.",
        ErrorKind.FORBIDDEN,
    )


def _token_result(token, license: License, activation: Activation) -> TokenActivationResult:
    activation.license = license
    return TokenActivationResult(
        license=license,
        activation=activation,
        certificate=activation.certificate.text,
        certificate_expires_at=datetime.fromtimestamp(activation.certificate.expires_at, tz=UTC),
        token=token,
    )


def _repeat_activation(token, candidates, fingerprint: str) -> TokenActivationResult | None:
    """A machine already activated on a usable license: no lock and no write, just a fresh
    certificate (the hot path: every start of the vendor's software)."""
    machines = snapshots.machines_named(list(candidates), fingerprint)
    for license in candidates:
        activation = machines.get(license.pk)
        if activation is None:
            continue
        activation.license = license
        member = token.membership  # already loaded with its user
        if member is not None and activation.membership_id == member.pk:
            activation.membership = member
        if member is not None and license.assignee_id == member.pk:
            license.assignee = member
        activation.is_new = False
        activation.certificate = _certify(license, activation)
        return _token_result(token, license, activation)
    return None


def token_activate(
    *, token, product, fingerprint, name="", platform="", ci=False, licenses=None
) -> TokenActivationResult:
    """Activate a machine with an auth token (already resolved by authtokens).

    The license comes from the one entitlement answer (selectors.entitlement),
    from `licenses` (the token's licenses, best first, as its snapshot holds
    them) or read now: a developer token activates its member's seat (or the
    shared trial); a CI token a license of its workspace whose policy allows CI,
    free ones first. The first usable license with a free machine slot wins.
    """
    product = _clean_text(product, field="product", max_length=PRODUCT_MAX_LENGTH, required=True)
    fingerprint = _clean_fingerprint(fingerprint, field="machine.fingerprint")
    name = _clean_text(name, field="machine.name", max_length=NAME_MAX_LENGTH, label="machine name")
    platform = _clean_text(
        platform, field="machine.platform", max_length=PLATFORM_MAX_LENGTH, label="platform"
    )
    if ci and token.kind != "ci":
        raise _developer_token_in_ci()

    entitlement = token_entitlement(token=token, product=product, licenses=licenses)
    if not entitlement.usable:
        raise entitlement.refusal()
    repeat = _repeat_activation(token, entitlement.candidates, fingerprint)
    if repeat is not None:
        return repeat
    refusal = None
    for candidate in entitlement.candidates:
        license, activation, refusal = _activate_locked(
            license_id=candidate.pk,
            fingerprint=fingerprint,
            name=name,
            platform=platform,
            membership=token.membership if token.kind != "ci" else None,
        )
        if refusal is None:
            return _token_result(token, license, activation)
    raise refusal
