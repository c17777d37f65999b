"""Log-in lockouts with django-axes: after LOGIN_FAILURE_LIMIT failed log-ins from one IP, or for one
account, log-ins from there (or to it) answer 429 until LOGIN_LOCKOUT_MINUTES pass or an admin deletes
the lock under Axes → Access attempts in Django admin. Attempts are kept in the database, which every
worker and server shares."""

from axes.backends import AxesStandaloneBackend
from axes.helpers import get_cool_off
from django.http import HttpResponse
from django.template.loader import render_to_string


def lockout_response(request, original_response=None, credentials=None) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE: the dashboard's 429 page with `Retry-After`."""
    cool_off = get_cool_off(request)
    seconds = int(cool_off.total_seconds()) if cool_off else 3600
    body = render_to_string(
        "429.html",
        {"wait_minutes": max(1, -(-seconds // 60)), "what": "log-in", "lockout": True},
        request=request,
    )
    response = HttpResponse(body, status=429)
    response["Retry-After"] = str(seconds)
    return response


def lockout_username(request, credentials=None) -> str:
    """AXES_USERNAME_CALLABLE: the e-mail typed into the log-in form (the `username` field of both the
    dashboard's and admin's form), case-folded, so `Owner@Acme.test` counts against the same account."""
    source = credentials if credentials else getattr(request, "POST", {})
    return str(source.get("username") or source.get("email") or "").strip().lower()


class LockoutBackend(AxesStandaloneBackend):
    """Axes' backend, except for authentication without a request (the test client's `login()`,
    a management command): no request means no web log-in to count or refuse; every door passes one."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)
