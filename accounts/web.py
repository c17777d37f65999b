"""Dashboard helpers shared by every app's workspace pages."""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme

from project.errors import DomainError, ErrorKind

from . import selectors


def workspace_view(view):
    """Resolves /w/<workspace_slug>/ to the caller's membership, or 404.

    The view receives `request.membership` and `request.workspace`; a
    non-member sees exactly what a visitor of a missing workspace sees.
    """

    @login_required
    @wraps(view)
    def wrapper(request, workspace_slug, *args, **kwargs):
        try:
            membership = selectors.membership_get(user=request.user, workspace_slug=workspace_slug)
        except DomainError:
            raise Http404("No such workspace.") from None
        request.membership = membership
        request.workspace = membership.workspace
        request.session["last_workspace"] = workspace_slug
        return view(request, *args, **kwargs)

    return wrapper


def apply_domain_error(request, error: DomainError, form=None) -> None:
    """Shows a service error next to its field when the form has it, else as a flash message.

    A NOT_FOUND error becomes a 404, like any other missing object.
    """
    if error.kind == ErrorKind.NOT_FOUND:
        raise Http404(error.message)
    if form is not None and error.field and error.field in form.fields:
        form.add_error(error.field, error.message)
    elif form is not None:
        form.add_error(None, error.message)
    else:
        messages.error(request, error.message)


def read(selector, **kwargs):
    """Runs a viewer-taking read selector: its NOT_FOUND becomes the dashboard's 404 page and its
    FORBIDDEN the 403 page, with the selector's own message."""
    try:
        return selector(**kwargs)
    except DomainError as error:
        if error.kind == ErrorKind.NOT_FOUND:
            raise Http404(error.message) from None
        if error.kind == ErrorKind.FORBIDDEN:
            raise PermissionDenied(error.message) from None
        raise


def confirmation_page(request, *, title: str, message: str, button: str, cancel_url: str, fields=None):
    """A destructive POST without `confirmed=yes` gets a page asking first (None once confirmed).

    The page posts the same form again with `confirmed=yes`, so it works without JavaScript;
    keyward.js skips it after a browser dialog (forms with data-confirm).
    """
    if request.POST.get("confirmed") == "yes":
        return None
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = ""
    context = {
        "title": title,
        "message": message,
        "button": button,
        "cancel_url": back or cancel_url,
        "fields": {"next": back, **(fields or {})},
    }
    return render(request, "confirm.html", context)
