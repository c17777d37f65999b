"""Small helpers shared by the accounts dashboard views."""

from django.shortcuts import redirect, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme

from ..web import apply_domain_error


def next_url(request) -> str:
    """The ?next= (or posted `next`) URL when it points back into this site, else ""."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return ""


def safe_next(request, default: str = "accounts:home", **kwargs) -> str:
    """Where to go after a form: the safe `next`, else the `default` URL name (with kwargs)."""
    return next_url(request) or resolve_url(default, **kwargs)


def redirect_back(request, default: str, **kwargs):
    """PRG: back to the page the form was on (posted `next`), else to `default`."""
    return redirect(safe_next(request, default, **kwargs))


def show_error(request, error, form) -> None:
    """A service error about a field goes next to it; any other (say, a refusal) becomes a flash,
    which shows even where the viewer was not offered the form."""
    apply_domain_error(request, error, form if error.field else None)
