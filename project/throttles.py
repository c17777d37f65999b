"""Rate limits for the public doors, counted in the shared cache (Redis in production), so they hold
across workers and servers. Each limit is a setting (README, *Rate limits*); a throttled call answers
429 with `Retry-After` and the usual {code, message}.

The client API's limits are DRF throttles (fixed rates per IP, per license key, per auth token, and
activations per license per hour), each counted in a fixed window: one atomic increment, rather than
DRF's default list of every request's time, which grows with the rate and is read and written whole
on each request. A client may therefore send up to twice the limit across a window's edge. With the
shared client cache, validate and the token endpoints count their windows in the same round trip as
their snapshot read (WindowThrottling.windows_ride_along).

Sign-up and password reset count with django-ratelimit; log-in lockouts are django-axes'
(accounts/lockout.py), which an admin can lift in Django admin.
"""

import hashlib

from django.conf import settings
from django.http import HttpResponse
from django.template.loader import render_to_string
from django_ratelimit.core import get_usage
from rest_framework import exceptions
from rest_framework.throttling import SimpleRateThrottle

from authtokens.api.authentication import client_ip, parse_bearer
from project.client_cache import PendingWindows, RateLimited, client_cache, from_cache_or_database


def _digest(text: str) -> str:
    # The cache key never holds a secret (a key or a token), only a digest of it.
    return hashlib.sha256(text.encode()).hexdigest()[:40]


class _Throttle(SimpleRateThrottle):
    def get_rate(self):
        return settings.RATE_LIMITS[self.scope]

    def identity(self, request) -> str | None:
        raise NotImplementedError

    def get_cache_key(self, request, view):
        ident = self.identity(request)
        return None if ident is None else self.cache_format % {"scope": self.scope, "ident": ident}

    def window(self, request, view) -> tuple[str, int, int, float] | None:
        """(key of the current window, its length, the limit, seconds left in it), or None: not limited."""
        key = self.get_cache_key(request, view) if self.rate is not None else None
        if key is None:
            return None
        now = self.timer()
        number = int(now // self.duration)
        return f"{key}:{number}", self.duration, self.num_requests, (number + 1) * self.duration - now

    def allow_request(self, request, view):
        waits = windows_count(request_windows([self], request, view))
        self.seconds_left = max(waits) if waits else None
        return not waits

    def wait(self):
        return self.seconds_left


def request_windows(throttles, request, view) -> PendingWindows:
    """The windows of every throttle that limits this request, not counted yet."""
    return PendingWindows([window for throttle in throttles if (window := throttle.window(request, view))])


def windows_count(windows: PendingWindows) -> list[float]:
    """Count the request in each window now (one round trip with Redis); the seconds to wait for each
    limit it exceeds."""
    counts = from_cache_or_database(lambda shared: shared.windows_count(windows), windows.count_locally)
    return windows.waits(counts)


class WindowThrottling:
    """For APIViews whose throttles are all ours: every limit counted in one round trip, not one each.

    With the shared client cache, a view that sets `windows_ride_along` leaves its windows pending
    (`self.rate_windows`) for the request's first snapshot read to count in its own round trip
    (ClientCache.snapshot_read), which raises RateLimited if one is over its limit. A request that
    ends without such a read (a 400, say) has them counted here as it ends, so every request is
    counted once, and one over a limit is answered 429 whatever else went wrong."""

    windows_ride_along = False
    rate_windows = None

    def check_throttles(self, request):
        windows = request_windows(self.get_throttles(), request, self)
        if self.windows_ride_along and client_cache() is not None:
            self.rate_windows = windows
            return
        waits = windows_count(windows)
        if waits:
            self.throttled(request, max(waits))

    def handle_exception(self, exc):
        if isinstance(exc, RateLimited):
            exc = exceptions.Throttled(exc.wait)
        return super().handle_exception(exc)

    def finalize_response(self, request, response, *args, **kwargs):
        """Whatever the answer, windows still pending are counted now, and over a limit it is a 429."""
        wait = self.pending_windows_wait()
        if wait is not None:
            response = self.handle_exception(exceptions.Throttled(wait))
        return super().finalize_response(request, response, *args, **kwargs)

    def pending_windows_wait(self) -> float | None:
        """Counts the windows no snapshot read has counted; the seconds to wait if one is over its limit."""
        if self.rate_windows is None or self.rate_windows.counted:
            return None
        waits = windows_count(self.rate_windows)
        return max(waits) if waits else None


class ClientIPThrottle(_Throttle):
    scope = "client_ip"

    def identity(self, request):
        return client_ip(request) or "unknown"


class LicenseKeyThrottle(_Throttle):
    """Per license key, whichever IPs the calls come from (`key`, or Dodo's `license_key`)."""

    scope = "license_key"

    def identity(self, request):
        data = request.data
        key = (data.get("key") or data.get("license_key")) if isinstance(data, dict) else None
        if not isinstance(key, str) or not key.strip():
            return None  # the serializer answers 400 for a missing key
        from licensing.keys import normalize_key

        return _digest(normalize_key(key))


class LicenseActivationThrottle(LicenseKeyThrottle):
    """New and repeated activations of one license per hour (Keygen users asked for exactly this)."""

    scope = "license_activation"


class AuthTokenThrottle(_Throttle):
    scope = "auth_token"

    def identity(self, request):
        raw = parse_bearer(request.META.get("HTTP_AUTHORIZATION"))
        return _digest(raw) if raw else None


# ---------------------------------------------------------------- dashboard forms (django-ratelimit)


def _ip_key(group, request) -> str:
    return client_ip(request) or "unknown"


def form_rate_limited(request, *, group: str, account: str = "") -> int | None:
    """Counts one POST to `group` per IP and per account (an e-mail address); the seconds to wait when
    either is over its limit (settings.RATE_LIMITS[group]), else None."""
    rate = settings.RATE_LIMITS[group]
    keys = [_ip_key]
    if account:
        keys.append(lambda group, request: _digest(account.strip().lower()))
    waits = []
    for key in keys:
        usage = get_usage(request, group=group, key=key, rate=rate, method="POST", increment=True)
        if usage and usage["should_limit"]:
            waits.append(usage["time_left"])
    return max(waits) if waits else None


def too_many_requests_page(request, wait_seconds: int, what: str) -> HttpResponse:
    body = render_to_string(
        "429.html", {"wait_minutes": max(1, -(-wait_seconds // 60)), "what": what}, request=request
    )
    response = HttpResponse(body, status=429)
    response["Retry-After"] = str(max(1, int(wait_seconds)))
    return response
