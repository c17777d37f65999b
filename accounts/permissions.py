"""Who may do what in a workspace, declared once.

Pure predicates over memberships (no queries): services call the `*_refusal`
functions and raise what they return; views and templates call the boolean
ones to hide controls the viewer could not use. So a rule and its message live
here and nowhere else, and every door agrees with the services.

Rules:
- a member holds a capability when their role is admin or owner, or it is turned on for them;
- managing another member needs manage_members, the same workspace, a role not
  above one's own, and being an owner to touch an owner;
- a role can be given only up to one's own, and owner only by an owner;
- a workspace's invitations (pending e-mail addresses included) are seen by
  members with manage_members only, on the dashboard and the API alike;
- the security log is read by admins and owners;
- token usage (use counts, last use, daily chart) of CI tokens needs view_usage;
  a member always sees their own developer token's usage.
"""

from __future__ import annotations

from project.errors import DomainError, ErrorKind, forbidden

from .models import ROLE_RANK, Capability, Membership, Role


def holds(member: Membership, capability: str) -> bool:
    return member.has_capability(capability)


def capability_refusal(member: Membership, capability: str, action: str) -> DomainError | None:
    if holds(member, capability):
        return None
    label = Capability(capability).label.lower()
    return forbidden(f"You need the “{label}” permission to {action}; ask a workspace admin.")


def grantable_roles(actor: Membership) -> list[str]:
    """Roles the actor may give: never above their own, and owner only by an owner."""
    return [role for role in Role.values if role_grant_refusal(actor, role) is None]


def role_grant_refusal(actor: Membership, role: str) -> DomainError | None:
    if role == Role.OWNER and actor.role != Role.OWNER:
        return forbidden("Only an owner can make someone an owner.", code="OWNER_REQUIRED")
    if ROLE_RANK[role] > actor.rank:
        return forbidden("You cannot give someone a role above your own.", code="ROLE_TOO_HIGH")
    return None


def member_manage_refusal(actor: Membership, target: Membership, action: str) -> DomainError | None:
    """Why the actor may not change or remove the target member (None: they may)."""
    if actor.workspace_id != target.workspace_id:
        return DomainError("NOT_FOUND", "No such member in this workspace.", kind=ErrorKind.NOT_FOUND)
    refusal = capability_refusal(actor, Capability.MANAGE_MEMBERS, action)
    if refusal is not None:
        return refusal
    if target.role == Role.OWNER and actor.role != Role.OWNER:
        return forbidden("Only an owner can change or remove another owner.", code="OWNER_REQUIRED")
    if target.rank > actor.rank:
        return forbidden("You cannot change a member whose role is above your own.", code="ROLE_TOO_HIGH")
    return None


def may_manage_member(actor: Membership, target: Membership) -> bool:
    return member_manage_refusal(actor, target, "manage members") is None


def invitations_refusal(viewer: Membership) -> DomainError | None:
    return capability_refusal(viewer, Capability.MANAGE_MEMBERS, "see invitations")


def may_see_invitations(viewer: Membership) -> bool:
    return invitations_refusal(viewer) is None


def security_log_refusal(viewer: Membership) -> DomainError | None:
    if viewer.is_admin_or_owner:
        return None
    return forbidden("Only workspace admins and owners can read the security log.")


def usage_refusal(viewer: Membership, token) -> DomainError | None:
    if token.membership_id is not None and token.membership_id == viewer.pk:
        return None  # your own developer token
    return capability_refusal(viewer, Capability.VIEW_USAGE, "see token usage")


def may_view_usage(viewer: Membership, token=None) -> bool:
    """With a token: may the viewer see its usage. Without: may they see CI tokens' usage."""
    if token is None:
        return holds(viewer, Capability.VIEW_USAGE)
    return usage_refusal(viewer, token) is None
