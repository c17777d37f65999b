"""Users & licenses: the member list, invitations, roles, permissions and removal.

Which controls a row shows is worked out here from the viewer's membership, so
people are not offered buttons that would only fail; the services still judge
every action and their DomainError is shown as a flash or next to the field.
"""

from dataclasses import dataclass

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from licensing.views import member_seat_context
from project.errors import DomainError

from .. import permissions, selectors, services
from ..forms import CapabilitiesForm, InviteForm, RoleForm
from ..models import Capability, Membership, Role
from ..web import apply_domain_error, confirmation_page, workspace_view
from ._common import redirect_back, show_error

MEMBERS_PER_PAGE = 25


@dataclass
class MemberRow:
    membership: Membership
    is_me: bool
    can_change_role: bool
    can_edit_permissions: bool
    can_remove: bool
    permission_boxes: list  # (permission, on, editable): the viewer can only grant what they hold

    @property
    def granted(self) -> list[str]:
        """Labels of the advanced permissions a plain member holds."""
        return [c.label for c in Capability if getattr(self.membership, c.value)]


def _offered_roles(viewer: Membership) -> list[str]:
    return permissions.grantable_roles(viewer)


def _editable_capabilities(viewer: Membership) -> list[Capability]:
    return [c for c in Capability if viewer.has_capability(c)]


def _row(viewer: Membership, target: Membership, editable: list[Capability]) -> MemberRow:
    is_me = target.pk == viewer.pk
    manageable = permissions.may_manage_member(viewer, target)
    return MemberRow(
        membership=target,
        is_me=is_me,
        can_change_role=manageable,
        can_edit_permissions=manageable and target.role == Role.MEMBER and not is_me,
        can_remove=manageable and not is_me,
        permission_boxes=[(c, getattr(target, c.value), c in editable) for c in Capability],
    )


def _render_members(request, *, invite_form=None, status=200):
    viewer = request.membership
    search = request.GET.get("q", "").strip()
    members = selectors.membership_list(workspace=request.workspace, search=search)
    page = Paginator(members, MEMBERS_PER_PAGE).get_page(request.GET.get("page"))
    can_manage = permissions.holds(viewer, Capability.MANAGE_MEMBERS)
    offered_roles = _offered_roles(viewer)
    editable = _editable_capabilities(viewer)
    context = {
        "page_obj": page,
        "rows": [_row(viewer, m, editable) for m in page.object_list],
        "search": search,
        "can_manage": can_manage,
        "invite_form": invite_form or InviteForm(offered_roles=offered_roles),
        "offered_roles": [(r, Role(r).label) for r in offered_roles],
        "can_see_invitations": permissions.may_see_invitations(viewer),
        "invitations": selectors.invitation_list(viewer=viewer)
        if permissions.may_see_invitations(viewer)
        else [],
        "is_last_owner": selectors.is_last_owner(membership=viewer),
    }
    # Users & licenses: each row shows the member's seat, with assign/unassign for license managers.
    context.update(
        member_seat_context(workspace=request.workspace, actor=viewer, memberships=list(page.object_list))
    )
    return render(request, "accounts/members.html", context, status=status)


@workspace_view
def members(request):
    return _render_members(request)


@workspace_view
@require_POST
def member_invite(request):
    form = InviteForm(request.POST, offered_roles=_offered_roles(request.membership))
    if not form.is_valid():
        return _render_members(request, invite_form=form, status=400)
    try:
        invitation = services.membership_invite(actor=request.membership, **form.cleaned_data)
    except DomainError as error:
        show_error(request, error, form)
        return _render_members(request, invite_form=form, status=error.http_status)
    messages.success(request, f"Invitation sent to {invitation.email}.")
    return redirect_back(request, "accounts:members", workspace_slug=request.workspace.slug)


def _members_url(request) -> str:
    return reverse("accounts:members", kwargs={"workspace_slug": request.workspace.slug})


def _with_article(role_label: str) -> str:
    return f"{'an' if role_label[0] in 'AEIOU' else 'a'} {role_label.lower()}"


def _target(request, membership_id) -> Membership:
    try:
        return selectors.membership_get_in_workspace(workspace=request.workspace, membership_id=membership_id)
    except DomainError as error:
        apply_domain_error(request, error)  # NOT_FOUND: raises Http404


@workspace_view
@require_POST
def member_change_role(request, membership_id):
    target = _target(request, membership_id)
    form = RoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose one of the roles: owner, admin or member.")
        return redirect_back(request, "accounts:members", workspace_slug=request.workspace.slug)
    making_owner = form.cleaned_data["role"] == Role.OWNER and target.role != Role.OWNER
    # Asked only of someone offered the owner role; anyone else hears the service's refusal at once.
    if making_owner and Role.OWNER in _offered_roles(request.membership):
        asked = confirmation_page(
            request,
            title=f"Make {target.user.email} an owner?",
            message="Owners can do everything, including deleting the workspace and removing other owners.",
            button="Make owner",
            cancel_url=_members_url(request),
            fields={"role": Role.OWNER},
        )
        if asked:
            return asked
    try:
        services.membership_change_role(
            actor=request.membership, membership=target, role=form.cleaned_data["role"]
        )
    except DomainError as error:
        apply_domain_error(request, error)
    else:
        messages.success(request, f"{target.user.email} is now {_with_article(target.get_role_display())}.")
    return redirect_back(request, "accounts:members", workspace_slug=request.workspace.slug)


@workspace_view
@require_POST
def member_set_permissions(request, membership_id):
    target = _target(request, membership_id)
    form = CapabilitiesForm(request.POST)
    form.is_valid()  # checkboxes: every value is valid, unchecked means off
    editable = [c.value for c in _editable_capabilities(request.membership)]
    try:
        services.membership_set_capabilities(
            actor=request.membership, membership=target, capabilities=form.capabilities(editable)
        )
    except DomainError as error:
        apply_domain_error(request, error)
    else:
        messages.success(request, f"Permissions of {target.user.email} saved.")
    return redirect_back(request, "accounts:members", workspace_slug=request.workspace.slug)


@workspace_view
@require_http_methods(["GET", "POST"])
def member_remove(request, membership_id):
    """GET asks for confirmation; POST removes."""
    target = _target(request, membership_id)
    if request.method == "GET":
        return render(request, "accounts/member_remove.html", {"target": target})
    try:
        services.membership_remove(actor=request.membership, membership=target)
    except DomainError as error:
        apply_domain_error(request, error)
    else:
        if target.pk == request.membership.pk:
            messages.success(request, f"You left {request.workspace.name}.")
            return redirect("accounts:home")
        messages.success(request, f"{target.user.email} was removed from {request.workspace.name}.")
    return redirect_back(request, "accounts:members", workspace_slug=request.workspace.slug)


def _invitation(request, invitation_id):
    try:
        return selectors.invitation_get_in_workspace(workspace=request.workspace, invitation_id=invitation_id)
    except DomainError as error:
        apply_domain_error(request, error)


@workspace_view
@require_POST
def invitation_resend(request, invitation_id):
    invitation = _invitation(request, invitation_id)
    try:
        services.invitation_resend(actor=request.membership, invitation=invitation)
    except DomainError as error:
        apply_domain_error(request, error)
    else:
        messages.success(
            request,
            f"Invitation to {invitation.email} sent again; it is valid for "
            f"{settings.INVITATION_LIFETIME_DAYS} more days.",
        )
    return redirect_back(request, "accounts:members", workspace_slug=request.workspace.slug)


@workspace_view
@require_POST
def invitation_revoke(request, invitation_id):
    invitation = _invitation(request, invitation_id)
    can_manage = request.membership.has_capability(Capability.MANAGE_MEMBERS)
    asked = can_manage and confirmation_page(
        request,
        title=f"Revoke the invitation to {invitation.email}?",
        message="The link in their e-mail stops working. You can invite them again later.",
        button="Revoke invitation",
        cancel_url=_members_url(request),
    )
    if asked:
        return asked
    try:
        services.invitation_revoke(actor=request.membership, invitation=invitation)
    except DomainError as error:
        apply_domain_error(request, error)
    else:
        messages.success(request, f"Invitation to {invitation.email} revoked; the link no longer works.")
    return redirect_back(request, "accounts:members", workspace_slug=request.workspace.slug)
