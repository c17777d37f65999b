"""Your account: name, e-mail address (changed through a link to the new one), password,
and the workspaces you belong to."""

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from project.errors import DomainError

from .. import selectors, services
from ..forms import AccountPasswordForm, EmailChangeForm, ProfileForm
from ._common import show_error


def _render_account(request, *, profile_form=None, email_form=None, password_form=None, status=200):
    user = request.user
    context = {
        "profile_form": profile_form or ProfileForm(initial={"full_name": user.full_name}),
        "email_form": email_form or EmailChangeForm(),
        "password_form": password_form or AccountPasswordForm(user),
        "memberships": selectors.membership_list_for_user(user=user),
    }
    return render(request, "accounts/account.html", context, status=status)


@login_required
def account(request):
    return _render_account(request)


@login_required
@require_POST
def account_profile(request):
    form = ProfileForm(request.POST)
    if not form.is_valid():
        return _render_account(request, profile_form=form, status=400)
    try:
        services.user_update_profile(user=request.user, **form.cleaned_data)
    except DomainError as error:
        show_error(request, error, form)
        return _render_account(request, profile_form=form, status=error.http_status)
    messages.success(request, "Your name was saved.")
    return redirect("accounts:account")


@login_required
@require_POST
def account_email(request):
    form = EmailChangeForm(request.POST)
    if not form.is_valid():
        return _render_account(request, email_form=form, status=400)
    try:
        services.user_email_change_request(user=request.user, new_email=form.cleaned_data["email"])
    except DomainError as error:
        show_error(request, error, form)
        return _render_account(request, email_form=form, status=error.http_status)
    # The same words whether or not the address has an account elsewhere.
    messages.success(
        request,
        f"We sent a link to {form.cleaned_data['email']}; your address changes when you open it.",
    )
    return redirect("accounts:account")


@login_required
@require_POST
def account_password(request):
    form = AccountPasswordForm(request.user, request.POST)
    if not form.is_valid():
        return _render_account(request, password_form=form, status=400)
    form.save()
    # Keeps this session; every other session of the account ends, since its hash no longer matches.
    update_session_auth_hash(request, form.user)
    messages.success(request, "Your password was changed; other sessions were logged out.")
    return redirect("accounts:account")
