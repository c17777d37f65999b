"""Sign-up (plain, or through an invitation), e-mail confirmation, log-in, log-out and
password reset, on Django's auth views with our templates."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.encoding import force_str
from django.utils.http import urlsafe_base64_decode
from django.views.decorators.http import require_http_methods

from project.errors import DomainError
from project.throttles import form_rate_limited, too_many_requests_page

from .. import services
from ..forms import InvitedSignupForm, LoginForm, QueuedPasswordResetForm, SignupForm
from ..web import apply_domain_error
from ._common import next_url, safe_next, show_error
from .home import _invitation_or_404

MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


@require_http_methods(["GET", "POST"])
def signup(request):
    if request.user.is_authenticated:
        return redirect(safe_next(request))
    if not settings.PUBLIC_SIGNUP:
        return render(request, "accounts/signup_closed.html", status=403)
    form = SignupForm(request.POST or None, initial={"email": request.GET.get("email", "")})
    status = 200
    if request.method == "POST":
        wait = form_rate_limited(request, group="signup", account=request.POST.get("email", ""))
        if wait:
            return too_many_requests_page(request, wait, "sign-up")
        if form.is_valid():
            try:
                services.user_signup(**form.cleaned_data)
            except DomainError as error:
                show_error(request, error, form)
                status = error.http_status
            else:
                # The same answer whether or not the address already had an account.
                return render(request, "accounts/signup_sent.html", {"email": form.cleaned_data["email"]})
        else:
            status = 400
    return render(request, "accounts/signup.html", {"form": form, "next": next_url(request)}, status=status)


@require_http_methods(["GET", "POST"])
def signup_from_invitation(request, key):
    """The invitation link reached this address, so the account starts confirmed and joins at once."""
    invitation = _invitation_or_404(key)
    if request.user.is_authenticated or not invitation.is_open:
        return redirect("accounts:invitation", key=key)
    form = InvitedSignupForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                membership = services.user_signup_from_invitation(invitation=invitation, **form.cleaned_data)
            except DomainError as error:
                show_error(request, error, form)
                status = error.http_status
            else:
                login(request, membership.user, backend=MODEL_BACKEND)
                messages.success(
                    request,
                    f"Welcome to Keyward! You joined {membership.workspace.name} "
                    f"as {membership.get_role_display()}.",
                )
                return redirect("accounts:workspace_home", workspace_slug=membership.workspace.slug)
        else:
            status = 400
    context = {"form": form, "invitation": invitation}
    return render(request, "accounts/signup_invited.html", context, status=status)


def email_confirm(request, uidb64, token):
    """Opening the link is the proof; a link prefetched by a mail scanner was in that mailbox too."""
    try:
        user_id = force_str(urlsafe_base64_decode(uidb64))
    except (ValueError, TypeError):
        user_id = ""
    try:
        user = services.email_confirm(user_id=user_id, token=token)
    except DomainError as error:
        return render(request, "accounts/email_confirm_failed.html", {"error": error}, status=400)
    messages.success(request, f"{user.email} is confirmed.")
    if request.user.is_authenticated and request.user.pk == user.pk:
        return redirect("accounts:account")
    return redirect(reverse("accounts:login") + "?email=" + user.email)


@require_http_methods(["POST"])
def email_confirm_resend(request):
    if not request.user.is_authenticated:
        return redirect("accounts:login")
    try:
        services.email_confirmation_resend(user=request.user)
    except DomainError as error:
        apply_domain_error(request, error)
    else:
        address = request.user.pending_email or request.user.email
        messages.success(request, f"We sent a new confirmation link to {address}.")
    return redirect(safe_next(request, "accounts:account"))


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def get_initial(self):
        return {"username": self.request.GET.get("email", "")}


class LogoutView(auth_views.LogoutView):
    pass


class PasswordResetView(auth_views.PasswordResetView):
    template_name = "registration/password_reset_form.html"
    form_class = QueuedPasswordResetForm
    email_template_name = "registration/password_reset_email.txt"
    subject_template_name = "registration/password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password_reset_done")

    def post(self, request, *args, **kwargs):
        wait = form_rate_limited(request, group="password_reset", account=request.POST.get("email", ""))
        if wait:
            return too_many_requests_page(request, wait, "password reset")
        return super().post(request, *args, **kwargs)


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "registration/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "registration/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "registration/password_reset_complete.html"
