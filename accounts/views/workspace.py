"""A workspace's overview and settings: rename, leave, delete."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from authtokens import selectors as authtoken_selectors
from licensing.selectors import licenses as license_selectors
from project.errors import DomainError

from .. import permissions, selectors, services
from ..forms import WorkspaceDeleteForm, WorkspaceRenameForm
from ..models import Capability, Role
from ..web import apply_domain_error, workspace_view
from ._common import show_error


def _getting_started(request, *, member_count: int, pending_invitation_count: int) -> list[dict]:
    """Three first steps, each ticked once done."""
    slug = request.workspace.slug
    token = authtoken_selectors.developer_token_get(membership=request.membership)
    steps = [
        {
            "label": "Get your developer token",
            "hint": "Generate it on Auth tokens; it is shown once.",
            "url": reverse("authtokens:tokens", kwargs={"workspace_slug": slug}),
            "done": bool(token and token.revealed),
        },
        {
            "label": "Invite a teammate",
            "hint": "Invite them on Users & licenses.",
            "url": reverse("accounts:members", kwargs={"workspace_slug": slug}),
            "done": member_count > 1 or pending_invitation_count > 0,
        },
        {
            "label": "Activate the software",
            "hint": "Start it with your token; it activates this machine.",
            "url": reverse("licensing:my_license", kwargs={"workspace_slug": slug}),
            "done": license_selectors.member_has_activated(membership=request.membership),
        },
    ]
    return steps


@workspace_view
def workspace_home(request):
    workspace = request.workspace
    member_count = selectors.membership_list(workspace=workspace).count()
    pending_invitation_count = (
        selectors.invitation_list(viewer=request.membership).count()
        if permissions.may_see_invitations(request.membership)
        else 0
    )
    steps = _getting_started(
        request, member_count=member_count, pending_invitation_count=pending_invitation_count
    )
    context = {
        "getting_started": steps,
        "getting_started_done": all(step["done"] for step in steps),
        "member_count": member_count,
        "pending_invitation_count": pending_invitation_count,
        "my_invitations": selectors.invitation_list_for_user(user=request.user),
        "capabilities": [(c.label, request.membership.has_capability(c)) for c in Capability],
    }
    return render(request, "accounts/workspace_home.html", context)


def _render_settings(request, *, rename_form=None, delete_form=None, status=200):
    membership = request.membership
    context = {
        "rename_form": rename_form or WorkspaceRenameForm(initial={"name": request.workspace.name}),
        "delete_form": delete_form or WorkspaceDeleteForm(workspace_name=request.workspace.name),
        "can_rename": membership.is_admin_or_owner,
        "can_delete": membership.role == Role.OWNER,
        "is_last_owner": selectors.is_last_owner(membership=membership),
    }
    return render(request, "accounts/workspace_settings.html", context, status=status)


@workspace_view
def workspace_settings(request):
    return _render_settings(request)


@workspace_view
@require_POST
def workspace_rename(request):
    form = WorkspaceRenameForm(request.POST)
    if form.is_valid():
        try:
            workspace = services.workspace_rename(actor=request.membership, name=form.cleaned_data["name"])
        except DomainError as error:
            show_error(request, error, form)
            return _render_settings(request, rename_form=form, status=error.http_status)
        messages.success(request, f"Workspace renamed to “{workspace.name}”.")
        return redirect("accounts:workspace_settings", workspace_slug=workspace.slug)
    return _render_settings(request, rename_form=form, status=400)


@workspace_view
@require_POST
def workspace_delete(request):
    form = WorkspaceDeleteForm(request.POST, workspace_name=request.workspace.name)
    if form.is_valid():
        name = request.workspace.name
        try:
            services.workspace_delete(
                actor=request.membership, confirm_name=form.cleaned_data["confirm_name"]
            )
        except DomainError as error:
            show_error(request, error, form)
            return _render_settings(request, delete_form=form, status=error.http_status)
        request.session.pop("last_workspace", None)
        messages.success(request, f"Workspace “{name}” and everything in it was deleted.")
        return redirect("accounts:home")
    return _render_settings(request, delete_form=form, status=400)


@workspace_view
@require_http_methods(["GET", "POST"])
def workspace_leave(request):
    """GET asks for confirmation; POST leaves."""
    if request.method == "POST":
        try:
            services.membership_remove(actor=request.membership, membership=request.membership)
        except DomainError as error:
            apply_domain_error(request, error)
            return redirect("accounts:workspace_settings", workspace_slug=request.workspace.slug)
        request.session.pop("last_workspace", None)
        messages.success(request, f"You left {request.workspace.name}.")
        return redirect("accounts:home")
    context = {"is_last_owner": selectors.is_last_owner(membership=request.membership)}
    return render(request, "accounts/workspace_leave.html", context)
