"""Reads for accounts. Every workspace read takes the workspace (or resolves it
through the caller's membership), so nothing leaks across tenants."""

from django.db.models import Exists, OuterRef, Q, QuerySet

from project.errors import not_found

from . import permissions
from .models import Invitation, InvitationStatus, Membership, Role, User, Workspace


def membership_get(*, user: User, workspace_slug: str) -> Membership:
    """The caller's membership in a workspace. Not a member, or no such workspace: 404 alike."""
    if not user.is_authenticated:
        raise not_found("workspace")
    membership = (
        Membership.objects.select_related("workspace", "user")
        .filter(user=user, workspace__slug=workspace_slug)
        .first()
    )
    if membership is None:
        raise not_found("workspace")
    return membership


def workspace_list_for_user(*, user: User) -> QuerySet[Workspace]:
    return Workspace.objects.filter(memberships__user=user).order_by("name")


def membership_list_for_user(*, user: User, only_workspace: Workspace | None = None) -> QuerySet[Membership]:
    """A user's memberships; `only_workspace` narrows it, e.g. to the one a developer token belongs to."""
    queryset = Membership.objects.filter(user=user).select_related("workspace")
    if only_workspace is not None:
        queryset = queryset.filter(workspace=only_workspace)
    return queryset.order_by("workspace__name")


def membership_list(*, workspace: Workspace, search: str = "", role: str = "") -> QuerySet[Membership]:
    queryset = Membership.objects.filter(workspace=workspace).select_related("user")
    if search:
        queryset = queryset.filter(Q(user__email__icontains=search) | Q(user__full_name__icontains=search))
    if role:
        queryset = queryset.filter(role=role)
    return queryset.order_by("user__email")


def membership_get_in_workspace(*, workspace: Workspace, membership_id) -> Membership:
    membership = (
        Membership.objects.select_related("user", "workspace")
        .filter(workspace=workspace, pk=membership_id)
        .first()
    )
    if membership is None:
        raise not_found("member")
    return membership


def owner_count(*, workspace: Workspace) -> int:
    return Membership.objects.filter(workspace=workspace, role=Role.OWNER).count()


def is_last_owner(*, membership: Membership) -> bool:
    """The one owner a workspace has: not offered "Leave", since the workspace needs an owner."""
    return membership.role == Role.OWNER and owner_count(workspace=membership.workspace) == 1


def invitation_list(*, viewer: Membership, status: str = InvitationStatus.PENDING) -> QuerySet[Invitation]:
    """The viewer's workspace's invitations; FORBIDDEN without manage_members (accounts.permissions)."""
    refusal = permissions.invitations_refusal(viewer)
    if refusal is not None:
        raise refusal
    queryset = Invitation.objects.filter(workspace_id=viewer.workspace_id).select_related("invited_by")
    if status:
        queryset = queryset.filter(status=status)
    return queryset.order_by("-created_at")


def invitation_get_in_workspace(*, workspace: Workspace, invitation_id) -> Invitation:
    invitation = Invitation.objects.filter(workspace=workspace, pk=invitation_id).first()
    if invitation is None:
        raise not_found("invitation")
    return invitation


def invitation_get_by_key(*, key) -> Invitation:
    """The invitation behind a link. The key is a random UUID; a malformed one is simply not found."""
    try:
        invitation = Invitation.objects.select_related("workspace", "invited_by").filter(key=key).first()
    except (ValueError, TypeError, Exception):  # a malformed UUID raises ValidationError from the field
        invitation = None
    if invitation is None:
        raise not_found("invitation")
    return invitation


def invitation_list_for_user(*, user: User) -> QuerySet[Invitation]:
    """Open invitations addressed to a user. None until the user has confirmed the address,
    so typing someone else's address at sign-up shows nothing."""
    from django.utils import timezone

    if not user.email_verified:
        return Invitation.objects.none()
    return (
        Invitation.objects.filter(
            email__iexact=user.email, status=InvitationStatus.PENDING, expires_at__gt=timezone.now()
        )
        .select_related("workspace", "invited_by")
        .order_by("-created_at")
    )


def workspaces_solely_owned_by(*, users) -> QuerySet[Workspace]:
    """Workspaces where one of `users` is the only owner: deleting those users would orphan them."""
    other_owner = Membership.objects.filter(workspace=OuterRef("workspace"), role=Role.OWNER).exclude(
        user__in=users
    )
    return Workspace.objects.filter(
        pk__in=Membership.objects.filter(user__in=users, role=Role.OWNER)
        .annotate(has_other_owner=Exists(other_owner))
        .filter(has_other_owner=False)
        .values("workspace")
    )
