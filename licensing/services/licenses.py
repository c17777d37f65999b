"""Writes for licenses: create and issue keys, change status and expiry, assign seats, workspace trials.

Staff operations (create, issue, suspend, reinstate, revoke, extend, update)
take no actor: their callers (staff API, Django admin, billing, the Dodo
layer) are already staff-only. Seat operations take the acting membership and
check its workspace and its manage_licenses permission.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Capability, Membership, Workspace
from project.errors import DomainError, ErrorKind, forbidden
from project.request_context import current_client_ip, current_vendor_key_label
from webhooks import events

from .. import snapshots
from ..keys import KEY_MAX_LENGTH, generate_key, hash_key, key_suffix, normalize_key, public_id
from ..models import (
    METADATA_MAX_BYTES,
    Activation,
    License,
    LicenseSource,
    LicenseStatus,
    Policy,
    VendorAction,
    VendorEvent,
)

MAX_ISSUE_COUNT = 1000
NAME_MAX_LENGTH = 150
UNSET = object()

# ---------------------------------------------------------------- validation helpers


def clean_key(key: str) -> str:
    if not isinstance(key, str):
        raise DomainError("KEY_INVALID", "The key must be a string.", field="key")
    key = normalize_key(key)
    if not key:
        raise DomainError(
            "KEY_INVALID", "The key cannot be blank; leave it out to generate one.", field="key"
        )
    if len(key) > KEY_MAX_LENGTH:
        raise DomainError("KEY_INVALID", f"Keep the key to {KEY_MAX_LENGTH} characters.", field="key")
    if not key.isprintable() or any(c.isspace() for c in key):
        raise DomainError("KEY_INVALID", "The key may not contain spaces or control characters.", field="key")
    return key


def clean_metadata(metadata) -> dict:
    if metadata is None:
        return {}
    if not isinstance(metadata, dict):
        raise DomainError("METADATA_INVALID", "Metadata must be a JSON object.", field="metadata")
    try:
        size = len(json.dumps(metadata, separators=(",", ":")).encode())
    except (TypeError, ValueError):
        raise DomainError("METADATA_INVALID", "Metadata must be plain JSON.", field="metadata") from None
    if size > METADATA_MAX_BYTES:
        raise DomainError(
            "METADATA_TOO_LARGE",
            f"Metadata is {size} bytes; keep it to {METADATA_MAX_BYTES} bytes of JSON.",
            field="metadata",
        )
    return metadata


def clean_name(name) -> str:
    if not isinstance(name, str):
        raise DomainError("NAME_INVALID", "The name must be a string.", field="name")
    name = name.strip()
    if len(name) > NAME_MAX_LENGTH:
        raise DomainError("NAME_TOO_LONG", f"Keep the name to {NAME_MAX_LENGTH} characters.", field="name")
    return name


def _key_taken() -> DomainError:
    return DomainError(
        "LICENSE_KEY_TAKEN",
        "A license with this key already exists; choose another key or leave it out.",
        field="key",
    )


def ensure_key_available(key: str) -> str:
    """The key's hash, or LICENSE_KEY_TAKEN when a license already has this key."""
    key_hash = hash_key(key)
    if License.objects.filter(key_hash=key_hash).exists():
        raise _key_taken()
    return key_hash


def _locked(license: License) -> License:
    return (
        License.objects.select_for_update(of=("self",))  # workspace is a nullable join: lock the license only
        .select_related("policy__product", "workspace")
        .get(pk=license.pk)
    )


def _refuse_if_revoked(license: License, action: str) -> None:
    if license.status == LicenseStatus.REVOKED:
        raise DomainError(
            "LICENSE_REVOKED",
            f"This license is revoked and cannot be {action}; issue a new license instead.",
            kind=ErrorKind.CONFLICT,
        )


# ---------------------------------------------------------------- create and issue


def _new_key(policy: Policy) -> str:
    """A generated key; 100 random bits make a clash practically impossible, but check anyway."""
    for _ in range(5):
        key = generate_key(policy.key_prefix)
        if not License.objects.filter(key_hash=hash_key(key)).exists():
            return key
    raise DomainError(
        "KEY_GENERATION_FAILED", "Could not generate a unique key; try again.", kind=ErrorKind.CONFLICT
    )


@transaction.atomic
def license_create(
    *,
    policy: Policy,
    workspace: Workspace | None = None,
    key: str | None = None,
    name: str = "",
    metadata: dict | None = None,
    source: str = LicenseSource.MANUAL,
    created_by=None,
    expires_at: datetime | None = None,
    is_trial: bool = False,
    payment_id: str = "",
    subscription_id: str = "",
    activation_limit: int | None = None,
    policy_expiry: bool = True,
) -> tuple[License, str]:
    """A new active license and its plaintext key (show it once: an encrypted policy keeps only the hash).

    Without `expires_at` it expires after the policy's duration, unless `policy_expiry` is off (an
    imported key without an expiry has none)."""
    if source not in LicenseSource.values:
        raise DomainError(
            "SOURCE_INVALID", f"Source must be one of {', '.join(LicenseSource.values)}.", field="source"
        )
    plaintext = clean_key(key) if key is not None else _new_key(policy)
    name = clean_name(name)
    metadata = clean_metadata(metadata)
    key_hash = ensure_key_available(plaintext)
    if activation_limit is not None and (
        isinstance(activation_limit, bool)
        or not isinstance(activation_limit, int)
        or not 1 <= activation_limit <= 2**31 - 1
    ):
        raise DomainError(
            "ACTIVATION_LIMIT_INVALID",
            "The activation limit is a whole number of at least 1, or empty.",
            field="activation_limit",
        )
    if expires_at is None and policy.duration is not None and policy_expiry:
        expires_at = timezone.now() + policy.duration
    license = License(
        public_id=public_id("lic"),
        policy=policy,
        workspace=workspace,
        key_hash=key_hash,
        key=None if policy.encrypted else plaintext,
        key_suffix=key_suffix(plaintext),
        source=source,
        is_trial=is_trial,
        name=name,
        metadata=metadata,
        created_by=created_by,
        expires_at=expires_at,
        payment_id=payment_id,
        subscription_id=subscription_id,
        activation_limit=activation_limit,
    )
    try:
        with transaction.atomic():
            license.save()
    except IntegrityError:  # a concurrent create with the same key won the race
        raise _key_taken() from None
    events.emit("license.created", license)
    vendor_log(license, VendorAction.CREATED, created_by, f"source: {source}")
    return license, plaintext


@transaction.atomic
def license_issue(
    *,
    policy: Policy,
    workspace: Workspace | None,
    count: int,
    created_by=None,
    source: str = LicenseSource.MANUAL,
) -> list[tuple[License, str]]:
    """`count` new licenses with generated keys, for a workspace (or user-less when workspace is None)."""
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_ISSUE_COUNT:
        raise DomainError(
            "COUNT_INVALID", f"Issue between 1 and {MAX_ISSUE_COUNT} licenses at a time.", field="count"
        )
    return [
        license_create(policy=policy, workspace=workspace, source=source, created_by=created_by)
        for _ in range(count)
    ]


# ---------------------------------------------------------------- status and expiry


def _grant_follows(license: License, *, disabled: bool) -> None:
    """A license disabled (or re-enabled) directly takes its commerce grant along."""
    from commerce.services import grant_follow_license  # commerce builds on licensing, not the reverse

    grant_follow_license(license=license, disabled=disabled)


@transaction.atomic
def license_suspend(*, license: License, actor=None, by_billing: bool = False) -> License:
    """`by_billing`: a subscription on hold suspends it; that is no direct disabling of the key."""
    license = _locked(license)
    _refuse_if_revoked(license, "suspended")
    if license.status != LicenseStatus.SUSPENDED:
        license.status = LicenseStatus.SUSPENDED
        license.save(update_fields=["status"])
        events.emit("license.updated", license)
        if not by_billing:
            _grant_follows(license, disabled=True)
        vendor_log(license, VendorAction.SUSPENDED, actor)
    return license


@transaction.atomic
def license_reinstate(*, license: License, actor=None, by_billing: bool = False) -> License:
    license = _locked(license)
    _refuse_if_revoked(license, "reinstated")
    if license.status != LicenseStatus.SUSPENDED:
        raise DomainError(
            "LICENSE_NOT_SUSPENDED",
            "Only a suspended license can be reinstated; this one is active.",
            kind=ErrorKind.CONFLICT,
        )
    license.status = LicenseStatus.ACTIVE
    license.save(update_fields=["status"])
    events.emit("license.updated", license)
    if not by_billing:
        _grant_follows(license, disabled=False)
    vendor_log(license, VendorAction.REINSTATED, actor)
    return license


@transaction.atomic
def license_revoke(*, license: License, actor=None) -> License:
    """Revoking is final: the license stops validating for good. Revoking twice changes nothing."""
    license = _locked(license)
    if license.status != LicenseStatus.REVOKED:
        license.status = LicenseStatus.REVOKED
        license.save(update_fields=["status"])
        events.emit("license.revoked", license)
        vendor_log(license, VendorAction.REVOKED, actor)
    return license


@transaction.atomic
def license_extend(
    *, license: License, until: datetime | None = None, by: timedelta | None = None, actor=None
) -> License:
    """Moves the expiry to `until`, or `by` later (counted from now when the license has already expired)."""
    if (until is None) == (by is None):
        raise DomainError(
            "EXTEND_INVALID", "Give either a new expiry date or a number of days.", field="until"
        )
    license = _locked(license)
    _refuse_if_revoked(license, "extended")
    now = timezone.now()
    if by is not None:
        if by <= timedelta(0):
            raise DomainError("EXTEND_INVALID", "Extend by at least one day.", field="days")
        if license.expires_at is None:
            raise DomainError(
                "LICENSE_NEVER_EXPIRES",
                "This license never expires, so there is nothing to extend.",
                kind=ErrorKind.CONFLICT,
                field="days",
            )
        until = max(license.expires_at, now) + by
    if until <= now:
        raise DomainError("EXPIRY_IN_PAST", "Choose an expiry date in the future.", field="until")
    previous, license.expires_at = license.expires_at, until
    license.save(update_fields=["expires_at"])
    events.emit("license.updated", license)
    vendor_log(
        license,
        VendorAction.EXTENDED,
        actor,
        f"{previous:%Y-%m-%d %H:%M} → {until:%Y-%m-%d %H:%M} UTC"
        if previous
        else f"until {until:%Y-%m-%d %H:%M} UTC",
    )
    return license


@transaction.atomic
def license_rekey(
    *, license: License, keep_machines: bool = False, actor: Membership | None = None, staff=None
) -> tuple[License, str]:
    """Replaces the license's key: the old one stops validating at once, the new one is returned
    to be shown once. Machines stay activated only with `keep_machines` (their activation ids and
    certificates do not carry the key). Members need manage_licenses; staff pass `staff` (a user).

    The answer when someone who knew the key leaves: re-key and release their machines.
    """
    from authtokens.models import SecurityAction
    from authtokens.services import security_event_record  # authtokens builds on licensing

    if actor is not None:
        _require_manage_licenses(actor, "re-key licenses")
        _require_workspace_license(actor, license)
    if not isinstance(keep_machines, bool):
        raise DomainError("INVALID", "keep_machines must be true or false.", field="keep_machines")
    license = _locked(license)
    _refuse_if_revoked(license, "re-keyed")
    plaintext = _new_key(license.policy)
    license.key_hash = hash_key(plaintext)
    license.key = None if license.policy.encrypted else plaintext
    license.key_suffix = key_suffix(plaintext)
    license.save(update_fields=["key_hash", "key", "key_suffix"])
    released = 0
    if not keep_machines:
        machines = _seat_machines([license])
        _machines_release(machines)
        released = len(machines)
    events.emit("license.updated", license)
    if license.workspace_id is not None:
        security_event_record(
            workspace_id=license.workspace_id,
            action=SecurityAction.LICENSE_REKEYED,
            actor=actor.user if actor is not None else staff,
            detail=f"{license.public_id}: new key {license.masked_key}, {released} machine(s) released",
        )
    return license, plaintext


_STATUS_ACTIONS = {
    LicenseStatus.ACTIVE: license_reinstate,
    LicenseStatus.SUSPENDED: license_suspend,
    LicenseStatus.REVOKED: license_revoke,
}


@transaction.atomic
def license_update(
    *, license: License, name=UNSET, metadata=UNSET, status=UNSET, expires_at=UNSET, actor=None
) -> License:
    """Changes the given fields only. `status` goes through suspend / reinstate / revoke and their rules."""
    if status is not UNSET and status not in _STATUS_ACTIONS:
        raise DomainError(
            "STATUS_INVALID", "Status must be one of active, suspended or revoked.", field="status"
        )
    license = _locked(license)
    changed = []
    if name is not UNSET:
        license.name = clean_name(name)
        changed.append("name")
    if metadata is not UNSET:
        license.metadata = clean_metadata(metadata)
        changed.append("metadata")
    if expires_at is not UNSET:
        if expires_at is not None and not isinstance(expires_at, datetime):
            raise DomainError(
                "EXPIRY_INVALID", "The expiry must be a date and time, or empty.", field="expires_at"
            )
        license.expires_at = expires_at
        changed.append("expires_at")
    if changed:
        license.save(update_fields=changed)
        events.emit("license.updated", license)
    if status is not UNSET and status != license.status:
        license = _STATUS_ACTIONS[status](license=license, actor=actor)
    return license


# ---------------------------------------------------------------- seats


def _require_manage_licenses(actor: Membership, action: str) -> None:
    if not actor.has_capability(Capability.MANAGE_LICENSES):
        raise forbidden(f"You need the “manage licenses” permission to {action}; ask a workspace admin.")


def _require_workspace_license(actor: Membership, license: License) -> None:
    if license.workspace_id != actor.workspace_id:
        raise DomainError("NOT_FOUND", "No such license in this workspace.", kind=ErrorKind.NOT_FOUND)


def _holds_product(membership: Membership, license: License) -> License | None:
    """Another usable license of the same product already assigned to this member, if any."""
    now = timezone.now()
    return (
        License.objects.filter(
            assignee=membership,
            policy__product_id=license.policy.product_id,
            status__in=[LicenseStatus.ACTIVE, LicenseStatus.SUSPENDED],
        )
        .exclude(pk=license.pk)
        .exclude(expires_at__lte=now)
        .first()
    )


@transaction.atomic
def license_assign(*, actor: Membership, license: License, membership: Membership) -> License:
    _require_manage_licenses(actor, "assign licenses")
    _require_workspace_license(actor, license)
    if membership.workspace_id != actor.workspace_id:
        raise DomainError(
            "NOT_FOUND", "No such member in this workspace.", kind=ErrorKind.NOT_FOUND, field="member"
        )
    license = _locked(license)
    if license.assignee_id == membership.pk:
        return license
    _refuse_if_revoked(license, "assigned")
    if license.is_trial:
        raise DomainError(
            "TRIAL_NOT_ASSIGNABLE",
            "The workspace trial covers every member already; it cannot be assigned.",
            kind=ErrorKind.CONFLICT,
        )
    if license.policy.ci_only:
        raise DomainError(
            "LICENSE_CI_ONLY",
            "This license's plan is for CI auth tokens only; assign a license of another plan.",
            kind=ErrorKind.CONFLICT,
        )
    if license.assignee_id is not None:
        raise DomainError(
            "LICENSE_ALREADY_ASSIGNED",
            "This license is assigned to someone else; unassign it first.",
            kind=ErrorKind.CONFLICT,
        )
    held = _holds_product(membership, license)
    if held is not None:
        raise DomainError(
            "MEMBER_ALREADY_LICENSED",
            f"{membership.user.email} already holds license {held.masked_key} for "
            f"{license.policy.product.name}; unassign it first.",
            kind=ErrorKind.CONFLICT,
            field="member",
        )
    license.assignee = membership
    license.assigned_at = timezone.now()
    license.save(update_fields=["assignee", "assigned_at"])
    events.emit("license.updated", license)
    audit(
        license.workspace_id, "seat_assigned", actor.user, f"{license.masked_key} to {membership.user.email}"
    )
    return license


def _seat_machines(licenses) -> list[Activation]:
    return list(Activation.objects.filter(license__in=licenses).select_related("license"))


def _machines_release(machines: list[Activation]) -> None:
    for activation in machines:
        events.emit("license.deactivated", activation)
    Activation.objects.filter(pk__in=[activation.pk for activation in machines]).delete()


@transaction.atomic
def license_unassign(*, actor: Membership, license: License) -> License:
    """Frees the seat and releases every machine on it, so the next holder starts clean."""
    _require_manage_licenses(actor, "unassign licenses")
    _require_workspace_license(actor, license)
    license = _locked(license)
    if license.assignee_id is None:
        return license
    _machines_release(_seat_machines([license]))
    holder = license.assignee.user.email if license.assignee else ""
    audit(license.workspace_id, "seat_unassigned", actor.user, f"{license.masked_key} from {holder}")
    license.assignee = None
    license.assigned_at = None
    license.save(update_fields=["assignee", "assigned_at"])
    events.emit("license.updated", license)
    return license


@transaction.atomic
def member_seats_release(*, membership: Membership, actor=None) -> int:
    """A member leaves, is removed or is deleted: their seats end and every machine on those seats and
    every machine they activated elsewhere is released, recorded in the workspace's security log.
    Returns how many machines were released.

    The caller (accounts.services: membership_remove, user_delete) has already checked who may do
    this. License.assignee and Activation.membership are RESTRICT, so deleting a membership without
    coming here fails instead of leaving machines on a license.
    """
    from authtokens.models import SecurityAction
    from authtokens.services import security_event_record  # authtokens builds on accounts and licensing

    seats = list(License.objects.select_for_update(of=("self",)).filter(assignee=membership))
    machines = _seat_machines(seats)
    machines += list(
        Activation.objects.filter(membership=membership).exclude(license__in=seats).select_related("license")
    )
    if not seats and not machines:
        return 0
    _machines_release(machines)
    License.objects.filter(pk__in=[seat.pk for seat in seats]).update(assignee=None, assigned_at=None)
    snapshots.licenses_changed(seats)  # an update() sends no signal
    for seat in seats:
        seat.assignee, seat.assigned_at = None, None
        events.emit("license.updated", seat)
    security_event_record(
        workspace_id=membership.workspace_id,
        action=SecurityAction.SEATS_RELEASED,
        actor=actor,
        detail=f"{membership.user.email}: {len(seats)} seat(s) "
        f"({', '.join(seat.masked_key for seat in seats) or 'none'}) and {len(machines)} machine(s) released",
    )
    return len(machines)


def vendor_log(license: License | None, action: str, actor, detail: str = "", workspace=None) -> None:
    """One line in the vendor-level log (admin: Licensing → Vendor events). With no user as actor, the
    actor is the vendor API key that authenticated the request, if one did, else Keyward itself."""
    workspace = workspace or (license.workspace if license and license.workspace_id else None)
    user = actor if getattr(actor, "pk", None) else None
    VendorEvent.objects.create(
        action=action,
        actor=user,
        actor_label=user.email if user else current_vendor_key_label() or "Keyward",
        ip=current_client_ip(),
        license=license,
        license_label=f"{license.public_id} {license.masked_key}"[:100] if license else "",
        workspace_label=(workspace.slug if workspace else "")[:100],
        detail=detail[:500],
    )


def _machine(activation: Activation) -> str:
    name = activation.name or activation.fingerprint[:12]
    return f"{name} ({activation.public_id}) on {activation.license.masked_key}"


def audit(workspace_id: int | None, action: str, actor, target: str) -> None:
    """One line in the workspace's security log (authtokens owns the log; imported late, as it imports us)."""
    if workspace_id is None:
        return  # a user-less key has no workspace log; staff actions are in the vendor log
    from authtokens.services import security_event_record

    security_event_record(workspace_id=workspace_id, action=action, actor=actor, detail=target)


def may_release_activation(actor: Membership, activation: Activation) -> bool:
    """License managers free any machine; a member frees the ones they activated (a lost laptop)."""
    return actor.has_capability(Capability.MANAGE_LICENSES) or activation.membership_id == actor.pk


@transaction.atomic
def activation_release(*, actor: Membership, activation: Activation) -> None:
    """Frees a machine (deactivates it) so the license can be used elsewhere."""
    if not may_release_activation(actor, activation):
        _require_manage_licenses(actor, "deactivate other people's machines")
    _require_workspace_license(actor, activation.license)
    events.emit("license.deactivated", activation)
    audit(activation.license.workspace_id, "machine_deactivated", actor.user, _machine(activation))
    Activation.objects.filter(pk=activation.pk).delete()


# ---------------------------------------------------------------- trial


def trial_policy() -> Policy | None:
    return (
        Policy.objects.select_related("product").filter(trial_available=True).order_by("created_at").first()
    )


@transaction.atomic
def workspace_trial_start(*, actor: Membership) -> License:
    """Once per workspace, and only while it has no license: a trial license shared by every member."""
    workspace = Workspace.objects.select_for_update().get(pk=actor.workspace_id)
    if License.objects.filter(workspace=workspace, is_trial=True).exists():
        raise DomainError(
            "TRIAL_ALREADY_USED",
            "This workspace has already had its trial; buy a license to continue.",
            kind=ErrorKind.CONFLICT,
        )
    if License.objects.filter(workspace=workspace).exists():
        raise DomainError(
            "WORKSPACE_HAS_LICENSE",
            "This workspace already has licenses; ask an admin to assign you one.",
            kind=ErrorKind.CONFLICT,
        )
    policy = trial_policy()
    if policy is None:
        raise DomainError(
            "TRIAL_UNAVAILABLE",
            "No trial is offered at the moment; contact the vendor for a license.",
            kind=ErrorKind.CONFLICT,
        )
    license, _ = license_create(
        policy=policy,
        workspace=workspace,
        name=f"{workspace.name} trial",
        source=LicenseSource.AUTO,
        created_by=actor.user,
        expires_at=timezone.now() + timedelta(days=policy.trial_days),
        is_trial=True,
    )
    audit(workspace.pk, "trial_started", actor.user, f"{policy.product.name}, {policy.trial_days} days")
    return license
