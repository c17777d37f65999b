"""The landing page, creating a workspace, and answering an invitation."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from project.errors import DomainError

from .. import selectors, services
from ..forms import WorkspaceCreateForm
from ..web import apply_domain_error
from ._common import show_error


def home(request):
    """Logged out: log in. Logged in: the last-used workspace, else the first, else a page to create one."""
    if not request.user.is_authenticated:
        return redirect("accounts:login")
    memberships = list(selectors.membership_list_for_user(user=request.user))
    if memberships:
        last = request.session.get("last_workspace")
        slugs = [m.workspace.slug for m in memberships]
        return redirect("accounts:workspace_home", workspace_slug=last if last in slugs else slugs[0])
    invitations = selectors.invitation_list_for_user(user=request.user)
    return render(request, "accounts/home.html", {"invitations": invitations, "form": WorkspaceCreateForm()})


@login_required
@require_http_methods(["GET", "POST"])
def workspace_create(request):
    form = WorkspaceCreateForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                workspace = services.workspace_create(owner=request.user, **form.cleaned_data)
            except DomainError as error:
                show_error(request, error, form)
            else:
                messages.success(request, f"Workspace “{workspace.name}” created. Invite your team next.")
                return redirect("accounts:workspace_home", workspace_slug=workspace.slug)
        status = 400
    return render(request, "accounts/workspace_create.html", {"form": form}, status=status)


def _invitation_or_404(key):
    try:
        return selectors.invitation_get_by_key(key=key)
    except DomainError:
        raise Http404("No such invitation.") from None


def invitation(request, key):
    """Anyone with the link sees what it offers; only the invited address can answer it."""
    invitation = _invitation_or_404(key)
    user = request.user
    context = {
        "invitation": invitation,
        "for_someone_else": user.is_authenticated and user.email.lower() != invitation.email.lower(),
        "already_member": user.is_authenticated
        and user.memberships.filter(workspace_id=invitation.workspace_id).exists(),
    }
    return render(request, "accounts/invitation.html", context)


@require_http_methods(["GET", "POST"])
def invitation_accept(request, key):
    if request.method == "GET" or not request.user.is_authenticated:
        return redirect("accounts:invitation", key=key)
    invitation = _invitation_or_404(key)
    try:
        services.invitation_accept(user=request.user, invitation=invitation)
    except DomainError as error:
        apply_domain_error(request, error)
        return redirect("accounts:invitation", key=key)
    messages.success(request, f"You joined {invitation.workspace.name} as {invitation.get_role_display()}.")
    return redirect("accounts:workspace_home", workspace_slug=invitation.workspace.slug)


@require_http_methods(["GET", "POST"])
def invitation_decline(request, key):
    if request.method == "GET" or not request.user.is_authenticated:
        return redirect("accounts:invitation", key=key)
    invitation = _invitation_or_404(key)
    try:
        services.invitation_decline(user=request.user, invitation=invitation)
    except DomainError as error:
        apply_domain_error(request, error)
        return redirect("accounts:invitation", key=key)
    messages.success(request, f"You declined the invitation to {invitation.workspace.name}.")
    return redirect("accounts:home")
