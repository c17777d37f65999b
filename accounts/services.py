"""Writes for accounts: sign-up, workspaces, memberships and invitations.

Every function is one operation, takes keyword arguments, runs in a
transaction and enforces the membership invariants:

- a workspace always has at least one owner (except one staff just made for a
  customer, until its owner accepts the invitation: workspace_create_for_customer);
- only owners make (or unmake) owners;
- without manage_members nobody changes anyone else's membership;
- nobody grants a capability they do not hold;
- an account sees and answers invitations only once its address is confirmed
  (by a link sent to it, or by signing up through an invitation sent to it).

Permission failures raise DomainError with kind FORBIDDEN.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import get_random_string
from django.utils.text import slugify

from authtokens import services as authtoken_services
from authtokens.models import SecurityAction
from licensing.services import licenses as license_services
from project.errors import DomainError, ErrorKind, forbidden
from project.mail import email_send
from project.text import refuse_control_characters
from webhooks import events

from . import permissions
from .confirmation import confirmation_link, confirmation_tokens
from .models import (
    CAPABILITIES,
    Capability,
    Invitation,
    InvitationStatus,
    Membership,
    Role,
    User,
    Workspace,
)

EMAIL_MAX_LENGTH = 254
RESERVED_SLUGS = {"new", "api", "admin", "static", "invitations", "accounts", "w"}


# ---------------------------------------------------------------- helpers


def _require_capability(actor: Membership, capability: str, action: str) -> None:
    refusal = permissions.capability_refusal(actor, capability, action)
    if refusal is not None:
        raise refusal


def _require_same_workspace(actor: Membership, workspace_id: int) -> None:
    if actor.workspace_id != workspace_id:
        raise DomainError("NOT_FOUND", "No such member in this workspace.", kind=ErrorKind.NOT_FOUND)


def _lock_workspace(workspace_id: int) -> Workspace:
    """Serialises owner changes in one workspace, so two demotions cannot race past the last-owner rule."""
    return Workspace.objects.select_for_update().get(pk=workspace_id)


def _validate_role(role: str, field: str = "role") -> str:
    if role not in Role.values:
        raise DomainError("INVALID_ROLE", f"Role must be one of {', '.join(Role.values)}.", field=field)
    return role


def _check_may_confer_role(actor: Membership, role: str) -> None:
    refusal = permissions.role_grant_refusal(actor, role)
    if refusal is not None:
        raise refusal


def _check_may_manage(actor: Membership, target: Membership, action: str) -> None:
    refusal = permissions.member_manage_refusal(actor, target, action)
    if refusal is not None:
        raise refusal


def _check_not_last_owner(workspace_id: int, target: Membership, what: str) -> None:
    if target.role != Role.OWNER:
        return
    owners = Membership.objects.filter(workspace_id=workspace_id, role=Role.OWNER).count()
    if owners <= 1:
        raise DomainError(
            "LAST_OWNER",
            f"A workspace needs at least one owner; make someone else an owner before you {what}.",
            kind=ErrorKind.CONFLICT,
        )


def _unique_slug(name: str) -> str:
    base = slugify(name)[:50].strip("-") or "workspace"
    if base in RESERVED_SLUGS:
        base = f"{base}-workspace"
    slug = base
    while Workspace.objects.filter(slug=slug).exists():
        slug = f"{base}-{get_random_string(4, 'abcdefghijklmnopqrstuvwxyz0123456789')}"
    return slug


def _membership_create(*, user: User, workspace: Workspace, role: str) -> Membership:
    """Every new membership goes through here, so per-member resources (the developer token) come with it."""
    membership = Membership.objects.create(user=user, workspace=workspace, role=role)
    authtoken_services.developer_token_issue(membership=membership)
    events.emit("member.added", membership)
    return membership


# ---------------------------------------------------------------- users and workspaces


def _clean_email(email: str, field: str = "email") -> str:
    email = (email or "").strip().lower()
    try:
        if len(email) > EMAIL_MAX_LENGTH:  # the column's size; a longer one is not deliverable anyway
            raise ValidationError("too long")
        validate_email(email)
    except ValidationError:
        raise DomainError("INVALID_EMAIL", "Enter a valid e-mail address.", field=field) from None
    return email


def _check_password(password: str, candidate: User) -> None:
    try:
        validate_password(password, user=candidate)
    except ValidationError as exc:
        raise DomainError("WEAK_PASSWORD", " ".join(exc.messages), field="password") from None


def _send_confirmation_email(user: User) -> None:
    address = user.pending_email or user.email
    email_send(
        to=[address],
        subject="Confirm your e-mail address for Keyward",
        body=(
            f"Open this link to confirm {address} for your Keyward account:\n\n"
            f"{confirmation_link(user)}\n\n"
            "If you did not ask for this, ignore this e-mail; nothing changes without the link."
        ),
    )


def _send_account_exists_email(address: str) -> None:
    """Sign-up (or an address change) met an address that already has an account. Saying so on
    the page would tell anyone which addresses have accounts; the owner of the address hears it."""
    login_url = settings.SITE_URL + reverse("accounts:login")
    reset_url = settings.SITE_URL + reverse("accounts:password_reset")
    email_send(
        to=[address],
        subject="You already have a Keyward account",
        body=(
            f"Someone tried to create a Keyward account (or move one) to {address}, "
            "which already has an account.\n\n"
            f"If it was you, log in at {login_url}, or reset your password at {reset_url}.\n"
            "If it was not you, ignore this e-mail; nothing changed."
        ),
    )


@transaction.atomic
def user_signup(*, email: str, password: str, full_name: str = "") -> User | None:
    """A new user with a personal workspace they own, whose address still needs its confirmation link.

    An address that already has an account gets an e-mail instead and None comes back: callers
    say "check your e-mail" either way, so sign-up never tells who has an account.
    """
    if not settings.PUBLIC_SIGNUP:
        raise DomainError(
            "SIGNUP_CLOSED",
            "Sign-up is by invitation only here; ask a workspace admin to invite you.",
            kind=ErrorKind.FORBIDDEN,
        )
    email = _clean_email(email)
    full_name = refuse_control_characters(full_name.strip(), field="full_name", what="Your name")
    _check_password(password, User(email=email, full_name=full_name))
    if User.objects.filter(email__iexact=email).exists():
        transaction.on_commit(lambda: _send_account_exists_email(email))
        return None
    user = User.objects.create_user(email=email, password=password, full_name=full_name)
    workspace_create(owner=user, name=f"{user.get_short_name()}'s workspace")
    transaction.on_commit(lambda: _send_confirmation_email(user))
    return user


@transaction.atomic
def user_signup_from_invitation(*, invitation: Invitation, password: str, full_name: str = "") -> Membership:
    """An account for the invited address that joins the invitation's workspace at once.

    The link went to that address, so arriving through it confirms the address; no personal
    workspace is made. Works when public sign-up is off.
    """
    invitation = _lock_open_invitation(invitation)
    email = invitation.email.lower()
    if User.objects.filter(email__iexact=email).exists():
        raise DomainError(
            "EMAIL_TAKEN",
            f"{email} already has an account; log in to accept the invitation.",
            kind=ErrorKind.CONFLICT,
        )
    full_name = refuse_control_characters(full_name.strip(), field="full_name", what="Your name")
    _check_password(password, User(email=email, full_name=full_name))
    user = User.objects.create_user(email=email, password=password, full_name=full_name, email_verified=True)
    return _invitation_accept_locked(user, invitation)


@transaction.atomic
def email_confirmation_resend(*, user: User) -> None:
    """Sends the confirmation link again, to the address waiting to be confirmed."""
    if user.email_verified and not user.pending_email:
        raise DomainError(
            "EMAIL_ALREADY_CONFIRMED", "Your e-mail address is already confirmed.", kind=ErrorKind.CONFLICT
        )
    transaction.on_commit(lambda: _send_confirmation_email(user))


@transaction.atomic
def email_confirm(*, user_id, token: str) -> User:
    """Follows a confirmation link: confirms the address, or moves the account to the new one."""
    invalid = DomainError(
        "CONFIRMATION_LINK_INVALID",
        "This confirmation link is invalid, used or expired; send a new one from your account page.",
    )
    user = User.objects.select_for_update().filter(pk=user_id).first() if str(user_id).isdigit() else None
    if user is None or not confirmation_tokens.check_token(user, token):
        raise invalid
    if user.pending_email:
        if User.objects.filter(email__iexact=user.pending_email).exclude(pk=user.pk).exists():
            raise DomainError(
                "EMAIL_TAKEN",
                f"{user.pending_email} now belongs to another account; choose another address.",
                kind=ErrorKind.CONFLICT,
            )
        user.email = user.pending_email
        user.pending_email = ""
    user.email_verified = True
    user.save(update_fields=["email", "pending_email", "email_verified"])
    return user


@transaction.atomic
def user_update_profile(*, user: User, full_name: str) -> User:
    full_name = refuse_control_characters((full_name or "").strip(), field="full_name", what="Your name")
    if len(full_name) > 150:
        raise DomainError("NAME_TOO_LONG", "Keep your name to 150 characters.", field="full_name")
    user.full_name = full_name
    user.save(update_fields=["full_name"])
    return user


@transaction.atomic
def user_email_change_request(*, user: User, new_email: str) -> User:
    """The address changes only when the link sent to the new address is opened.

    An address that already has an account gets a notice instead of a link, and the page
    says the same either way.
    """
    new_email = _clean_email(new_email)
    if new_email == user.email.lower():
        raise DomainError("EMAIL_UNCHANGED", "That is already your e-mail address.", field="email")
    user = User.objects.select_for_update().get(pk=user.pk)
    if User.objects.filter(email__iexact=new_email).exists():
        transaction.on_commit(lambda: _send_account_exists_email(new_email))
        return user
    user.pending_email = new_email
    user.save(update_fields=["pending_email"])
    transaction.on_commit(lambda: _send_confirmation_email(user))
    return user


def _clean_workspace_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise DomainError("NAME_REQUIRED", "Give the workspace a name.", field="name")
    if len(name) > 100:
        raise DomainError("NAME_TOO_LONG", "Keep the workspace name to 100 characters.", field="name")
    return refuse_control_characters(name, what="The workspace name")


def workspace_clean_new(*, name: str, slug: str = "") -> tuple[str, str]:
    """The name and slug a new workspace would get, or the DomainError saying what to fix.
    Writes nothing, so a form can show the error before anything is created."""
    name = _clean_workspace_name(name)
    if slug:
        slug = slugify(slug)
        if not slug or slug in RESERVED_SLUGS:
            raise DomainError(
                "INVALID_SLUG", "Choose a different slug: letters, digits and dashes.", field="slug"
            )
        if Workspace.objects.filter(slug=slug).exists():
            raise DomainError("SLUG_TAKEN", "That slug is taken; choose another.", field="slug")
    return name, slug or _unique_slug(name)


@transaction.atomic
def workspace_create(*, owner: User, name: str, slug: str = "") -> Workspace:
    name, slug = workspace_clean_new(name=name, slug=slug)
    workspace = Workspace.objects.create(name=name, slug=slug)
    _membership_create(user=owner, workspace=workspace, role=Role.OWNER)
    return workspace


@transaction.atomic
def workspace_create_for_customer(*, staff: User, name: str, owner_email: str, slug: str = "") -> Invitation:
    """Staff onboard a customer: a workspace with no member yet and an owner invitation to the
    customer's address. The one time a workspace has no owner, until that invitation is accepted
    (signing up through it confirms the address and joins at once)."""
    if not staff.is_staff:
        raise forbidden("Only Keyward staff create workspaces for customers.", code="STAFF_REQUIRED")
    owner_email = _clean_email(owner_email, field="owner_email")
    name, slug = workspace_clean_new(name=name, slug=slug)
    workspace = Workspace.objects.create(name=name, slug=slug)
    invitation = Invitation.objects.create(
        workspace=workspace, email=owner_email, role=Role.OWNER, invited_by=staff, expires_at=_expiry()
    )
    _audit(
        invitation.workspace_id,
        SecurityAction.INVITATION_SENT,
        invitation.invited_by,
        f"{invitation.email} as {invitation.get_role_display()}",
    )
    transaction.on_commit(lambda: _send_invitation_email(invitation))
    return invitation


@transaction.atomic
def workspace_create_for_billing_customer(
    *, name: str, owner_email: str, send_invitation: bool = True
) -> Workspace:
    """A purchase by a new customer (commerce): as workspace_create_for_customer, with no staff
    member behind it; the owner invitation comes from Keyward itself (an import sends none: staff
    resend it from admin when the customer should hear of it)."""
    owner_email = _clean_email(owner_email, field="email")
    workspace = Workspace.objects.create(
        name=name[:100] or owner_email, slug=_unique_slug(name or owner_email)
    )
    invitation = Invitation.objects.create(
        workspace=workspace, email=owner_email, role=Role.OWNER, invited_by=None, expires_at=_expiry()
    )
    if send_invitation:
        transaction.on_commit(lambda: _send_invitation_email(invitation))
    return workspace


@transaction.atomic
def workspace_rename(*, actor: Membership, name: str) -> Workspace:
    if not actor.is_admin_or_owner:
        raise forbidden("Only owners and admins can rename the workspace.")
    name = _clean_workspace_name(name)
    workspace = _lock_workspace(actor.workspace_id)
    old_name, workspace.name = workspace.name, name
    workspace.save(update_fields=["name"])
    _audit(actor.workspace_id, SecurityAction.WORKSPACE_RENAMED, actor.user, f"“{old_name}” → “{name}”")
    return workspace


@transaction.atomic
def workspace_delete(*, actor: Membership, confirm_name: str) -> None:
    """Deletes a workspace and everything in it. Owners only, after typing its name."""
    if actor.role != Role.OWNER:
        raise forbidden("Only an owner can delete the workspace.", code="OWNER_REQUIRED")
    workspace = _lock_workspace(actor.workspace_id)
    if (confirm_name or "").strip() != workspace.name:
        raise DomainError(
            "CONFIRMATION_MISMATCH",
            f"Type the workspace name “{workspace.name}” exactly to confirm.",
            field="confirm_name",
        )
    license_services.vendor_log(
        None, "workspace_deleted", actor.user, f"“{workspace.name}” ({workspace.slug})", workspace=workspace
    )
    workspace.delete()


# ---------------------------------------------------------------- memberships


@transaction.atomic
def membership_change_role(*, actor: Membership, membership: Membership, role: str) -> Membership:
    _validate_role(role)
    _check_may_manage(actor, membership, "change roles")
    _check_may_confer_role(actor, role)
    _lock_workspace(membership.workspace_id)
    membership.refresh_from_db()
    if membership.role == role:
        return membership
    if role != Role.OWNER:
        _check_not_last_owner(membership.workspace_id, membership, "change this role")
    old_role, membership.role = membership.get_role_display(), role
    membership.save(update_fields=["role"])
    _audit(
        membership.workspace_id,
        SecurityAction.ROLE_CHANGED,
        actor.user,
        f"{membership.user.email}: {old_role} → {membership.get_role_display()}",
    )
    return membership


@transaction.atomic
def membership_set_capabilities(
    *, actor: Membership, membership: Membership, capabilities: dict
) -> Membership:
    """Turns advanced permissions on or off. Keys not given stay as they are."""
    unknown = set(capabilities) - set(CAPABILITIES)
    if unknown:
        raise DomainError(
            "UNKNOWN_CAPABILITY",
            f"Unknown permission {sorted(unknown)[0]!r}; use one of {', '.join(CAPABILITIES)}.",
            field=sorted(unknown)[0],
        )
    _check_may_manage(actor, membership, "change permissions")
    if membership.pk == actor.pk and not actor.is_admin_or_owner:
        raise forbidden("You cannot change your own permissions; ask a workspace admin.")
    changed = []
    for capability, enabled in capabilities.items():
        enabled = bool(enabled)
        # Only turning a permission on is granting it; re-sending one that is already on is not.
        if enabled and not getattr(membership, capability) and not actor.has_capability(capability):
            label = Capability(capability).label.lower()
            raise forbidden(
                f"You cannot grant “{label}” because you do not hold it.", code="CAPABILITY_NOT_HELD"
            )
        if getattr(membership, capability) != enabled:
            setattr(membership, capability, enabled)
            changed.append(capability)
    if changed:
        membership.save(update_fields=changed)
        states = ", ".join(f"{name} {'on' if getattr(membership, name) else 'off'}" for name in changed)
        _audit(
            membership.workspace_id,
            SecurityAction.PERMISSIONS_CHANGED,
            actor.user,
            f"{membership.user.email}: {states}",
        )
    return membership


@transaction.atomic
def membership_update(
    *, actor: Membership, membership: Membership, role: str | None = None, capabilities: dict | None = None
) -> Membership:
    """Changes role and permissions together: either both apply or neither does."""
    if role is not None:
        membership = membership_change_role(actor=actor, membership=membership, role=role)
    if capabilities is not None:
        membership = membership_set_capabilities(
            actor=actor, membership=membership, capabilities=capabilities
        )
    return membership


@transaction.atomic
def membership_remove(*, actor: Membership, membership: Membership) -> None:
    """Removes a member (or, when actor is the member, leaves the workspace)."""
    _require_same_workspace(actor, membership.workspace_id)
    leaving = actor.pk == membership.pk
    if not leaving:
        _check_may_manage(actor, membership, "remove members")
    _lock_workspace(membership.workspace_id)
    _check_not_last_owner(membership.workspace_id, membership, "leave" if leaving else "remove this owner")
    _membership_end(membership, actor=actor.user, how="left" if leaving else "removed")


def _membership_end(membership: Membership, *, actor: User | None, how: str) -> None:
    """What ending a membership means, for removal, leaving and user deletion alike: the developer
    token stops working and the member's seats and machines are released, then the row goes.
    `how` (left, removed, account deleted) goes into the security log."""
    authtoken_services.developer_token_end(membership=membership, actor=actor)
    license_services.member_seats_release(membership=membership, actor=actor)
    events.emit("member.removed", membership)
    _audit(membership.workspace_id, SecurityAction.MEMBER_REMOVED, actor, f"{membership.user.email} ({how})")
    membership.delete()


@transaction.atomic
def user_delete(*, user: User, actor: User | None = None) -> None:
    """Deletes an account (staff, in admin). Each of its memberships ends as a removal does, so no
    seat or machine is left behind; refused while the user is some workspace's only owner."""
    from .selectors import workspaces_solely_owned_by

    orphaned = workspaces_solely_owned_by(users=[user]).first()
    if orphaned is not None:
        raise DomainError(
            "LAST_OWNER",
            f"{user.email} is the only owner of “{orphaned.name}”; make someone else an owner first.",
            kind=ErrorKind.CONFLICT,
        )
    for membership in Membership.objects.select_related("user").filter(user=user):
        _membership_end(membership, actor=actor, how="account deleted")
    user.delete()


# ---------------------------------------------------------------- invitations


def _audit(workspace_id: int, action: str, actor: User | None, target: str) -> None:
    authtoken_services.security_event_record(
        workspace_id=workspace_id, action=action, actor=actor, detail=target
    )


def _send_invitation_email(invitation: Invitation) -> None:
    link = settings.SITE_URL + reverse("accounts:invitation", kwargs={"key": invitation.key})
    inviter = invitation.invited_by.get_full_name() if invitation.invited_by else "A Keyward admin"
    role = invitation.get_role_display()
    email_send(
        subject=f"You are invited to {invitation.workspace.name} on Keyward",
        body=(
            f"{inviter} invited you to join {invitation.workspace.name} as {role}.\n\n"
            f"Open {link} to accept or decline. New to Keyward? Create your account from that page; "
            f"you join {invitation.workspace.name} at once.\n"
            f"The invitation expires on {invitation.expires_at:%Y-%m-%d %H:%M} UTC."
        ),
        to=[invitation.email],
    )


def _expiry():
    return timezone.now() + timedelta(days=settings.INVITATION_LIFETIME_DAYS)


@transaction.atomic
def membership_invite(*, actor: Membership, email: str, role: str = Role.MEMBER) -> Invitation:
    _require_capability(actor, Capability.MANAGE_MEMBERS, "invite members")
    _validate_role(role)
    _check_may_confer_role(actor, role)
    email = _clean_email(email)
    workspace = actor.workspace
    if Membership.objects.filter(workspace=workspace, user__email__iexact=email).exists():
        raise DomainError("ALREADY_MEMBER", f"{email} is already a member of this workspace.", field="email")
    pending = Invitation.objects.filter(
        workspace=workspace, email__iexact=email, status=InvitationStatus.PENDING
    )
    # An expired pending invitation is dead weight: retire it so a fresh one can be sent.
    pending.filter(expires_at__lte=timezone.now()).update(status=InvitationStatus.REVOKED)
    if pending.exists():
        raise DomainError(
            "ALREADY_INVITED", f"{email} already has a pending invitation; resend it instead.", field="email"
        )
    try:
        with transaction.atomic():
            invitation = Invitation.objects.create(
                workspace=workspace, email=email, role=role, invited_by=actor.user, expires_at=_expiry()
            )
    except IntegrityError:  # a concurrent invite of the same address won the race
        raise DomainError(
            "ALREADY_INVITED", f"{email} already has a pending invitation; resend it instead.", field="email"
        ) from None
    _audit(
        invitation.workspace_id,
        SecurityAction.INVITATION_SENT,
        invitation.invited_by,
        f"{invitation.email} as {invitation.get_role_display()}",
    )
    transaction.on_commit(lambda: _send_invitation_email(invitation))
    return invitation


def _pending_invitation(actor: Membership, invitation: Invitation) -> Invitation:
    _require_same_workspace(actor, invitation.workspace_id)
    _require_capability(actor, Capability.MANAGE_MEMBERS, "manage invitations")
    if invitation.status != InvitationStatus.PENDING:
        raise DomainError(
            "INVITATION_CLOSED",
            f"This invitation was already {invitation.status}; send a new one instead.",
            kind=ErrorKind.CONFLICT,
        )
    return invitation


@transaction.atomic
def invitation_resend(*, actor: Membership, invitation: Invitation) -> Invitation:
    """Sends the invitation again and restarts its 7 days."""
    _pending_invitation(actor, invitation)
    return _restart_and_send(invitation, actor.user)


@transaction.atomic
def invitation_resend_by_staff(*, staff: User, invitation: Invitation) -> Invitation:
    """Staff resend an invitation, e.g. the owner invitation of a workspace they made for a
    customer, which has no member yet who could."""
    if not staff.is_staff:
        raise forbidden("Only Keyward staff resend invitations from admin.", code="STAFF_REQUIRED")
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.status != InvitationStatus.PENDING:
        raise DomainError(
            "INVITATION_CLOSED",
            f"This invitation was already {invitation.status}; send a new one instead.",
            kind=ErrorKind.CONFLICT,
        )
    return _restart_and_send(invitation, staff)


def _restart_and_send(invitation: Invitation, actor: User) -> Invitation:
    _audit(invitation.workspace_id, SecurityAction.INVITATION_RESENT, actor, invitation.email)
    invitation.sent_at = timezone.now()
    invitation.expires_at = _expiry()
    invitation.save(update_fields=["sent_at", "expires_at"])
    _audit(
        invitation.workspace_id,
        SecurityAction.INVITATION_SENT,
        invitation.invited_by,
        f"{invitation.email} as {invitation.get_role_display()}",
    )
    transaction.on_commit(lambda: _send_invitation_email(invitation))
    return invitation


@transaction.atomic
def invitation_revoke(*, actor: Membership, invitation: Invitation) -> Invitation:
    _pending_invitation(actor, invitation)
    invitation.status = InvitationStatus.REVOKED
    invitation.responded_at = timezone.now()
    invitation.save(update_fields=["status", "responded_at"])
    _audit(invitation.workspace_id, SecurityAction.INVITATION_REVOKED, actor.user, invitation.email)
    return invitation


def _lock_open_invitation(invitation: Invitation) -> Invitation:
    invitation = Invitation.objects.select_for_update().select_related("workspace").get(pk=invitation.pk)
    if invitation.status != InvitationStatus.PENDING:
        raise DomainError(
            "INVITATION_USED",
            f"This invitation was already {invitation.status}; ask for a new one.",
            kind=ErrorKind.CONFLICT,
        )
    if invitation.is_expired:
        raise DomainError(
            "INVITATION_EXPIRED",
            "This invitation has expired; ask a workspace admin to resend it.",
            kind=ErrorKind.CONFLICT,
        )
    return invitation


def _open_invitation_for(user: User, invitation: Invitation) -> Invitation:
    invitation = _lock_open_invitation(invitation)
    if user.email.lower() != invitation.email.lower():
        raise DomainError(
            "INVITATION_EMAIL_MISMATCH",
            f"This invitation is for another e-mail address; you are logged in as {user.email}. "
            "Log out and log in with the invited address to accept it.",
            kind=ErrorKind.FORBIDDEN,
        )
    if not user.email_verified:
        raise DomainError(
            "EMAIL_UNCONFIRMED",
            f"Confirm your e-mail address first: open the link we sent to {user.email}, "
            "or send a new one from your account page.",
            kind=ErrorKind.FORBIDDEN,
        )
    return invitation


def _invitation_accept_locked(user: User, invitation: Invitation) -> Membership:
    if Membership.objects.filter(user=user, workspace_id=invitation.workspace_id).exists():
        raise DomainError(
            "ALREADY_MEMBER", "You are already a member of this workspace.", kind=ErrorKind.CONFLICT
        )
    membership = _membership_create(user=user, workspace=invitation.workspace, role=invitation.role)
    invitation.status = InvitationStatus.ACCEPTED
    invitation.responded_at = timezone.now()
    invitation.save(update_fields=["status", "responded_at"])
    _audit(
        invitation.workspace_id,
        SecurityAction.INVITATION_ACCEPTED,
        user,
        f"{user.email} as {membership.get_role_display()}",
    )
    _audit(
        invitation.workspace_id,
        SecurityAction.MEMBER_ADDED,
        user,
        f"{user.email} as {membership.get_role_display()}",
    )
    return membership


@transaction.atomic
def invitation_accept(*, user: User, invitation: Invitation) -> Membership:
    invitation = _open_invitation_for(user, invitation)
    return _invitation_accept_locked(user, invitation)


@transaction.atomic
def invitation_decline(*, user: User, invitation: Invitation) -> Invitation:
    invitation = _open_invitation_for(user, invitation)
    invitation.status = InvitationStatus.DECLINED
    invitation.responded_at = timezone.now()
    invitation.save(update_fields=["status", "responded_at"])
    return invitation
