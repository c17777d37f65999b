"""Refuse to start wrong: system checks for settings that would lose data or mislead an operator.

The production checks (tagged `deploy`) run with `manage.py check --deploy`, and
at start-up of the WSGI/ASGI application whenever DEBUG is off
(`refuse_to_start_wrong`), so gunicorn exits with the fix instead of serving
500s. Each message says how to fix it. The SIGNING_KEY check lives beside the
signing code (licensing/certificates.py, licensing.E001).
"""

from __future__ import annotations

from importlib.util import find_spec

from django.conf import settings
from django.core.checks import Error, Warning, register, run_checks
from django.core.exceptions import ImproperlyConfigured

# Mail backends that never deliver: fine in development, a silent loss in production.
UNDELIVERED_MAIL_BACKENDS = {
    "django.core.mail.backends.console.EmailBackend": "prints mail to the worker's output",
    "django.core.mail.backends.locmem.EmailBackend": "keeps mail in memory",
    "django.core.mail.backends.dummy.EmailBackend": "discards mail",
}


@register("keyward")
def check_templates_present(app_configs=None, **kwargs):
    """A non-editable `pip install .` copies the code into site-packages without templates/ and static/."""
    if (settings.BASE_DIR / "templates").is_dir():
        return []
    return [
        Error(
            f"Keyward's templates are not at {settings.BASE_DIR / 'templates'}, so every dashboard page "
            "would answer 500.",
            hint="Run Keyward from its checkout: `pip install -e .` there (README, Running in production).",
            id="keyward.E001",
        )
    ]


@register("keyward", deploy=True)
def check_cache_library(app_configs=None, **kwargs):
    backends = {cache["BACKEND"] for cache in settings.CACHES.values()}
    uses_redis = any("redis" in backend.lower() for backend in backends)
    if not uses_redis or find_spec("redis") is not None:
        return []
    return [
        Error(
            "CACHE_URL names Redis, but the `redis` library is not installed.",
            hint="Reinstall Keyward (`pip install -e .` in the checkout installs `redis`), "
            "or set CACHE_URL=locmemcache:// for a single process.",
            id="keyward.E002",
        )
    ]


@register("keyward", deploy=True)
def check_cache_shared(app_configs=None, **kwargs):
    """A production server runs several processes (web workers, the task worker): a local-memory
    cache is one per process, so it can hold no client-API snapshot and no shared rate limit."""
    if settings.DEBUG or "locmem" not in settings.CACHES["default"]["BACKEND"]:
        return []
    return [
        Warning(
            "CACHE_URL is local memory: every client-API request reads the database, and rate limits "
            "count per process, so N web workers allow N times each limit.",
            hint="Set CACHE_URL=redis://127.0.0.1:6379/1 (README, The client API's shared cache).",
            id="keyward.W001",
        )
    ]


@register("keyward", deploy=True)
def check_mail_delivered(app_configs=None, **kwargs):
    if settings.DEBUG:
        return []
    what = UNDELIVERED_MAIL_BACKENDS.get(settings.EMAIL_BACKEND)
    if what is None:
        return []
    return [
        Error(
            f"With DEBUG off, the mail backend {what}: invitations and password resets never arrive.",
            hint="Set EMAIL_URL, e.g. smtp+tls://user:password@smtp.example.com:587.",
            id="keyward.E003",
        )
    ]


METRICS_TOKEN_MIN_LENGTH = 32


@register("keyward", deploy=True)
def check_metrics_token_long(app_configs=None, **kwargs):
    """GET /metrics is not rate-limited (a scraper must never be throttled), so only the token's length
    stops someone guessing it."""
    token = settings.METRICS_TOKEN
    if not token or len(token) >= METRICS_TOKEN_MIN_LENGTH:
        return []
    return [
        Error(
            f"METRICS_TOKEN has {len(token)} characters; /metrics is not rate-limited, so a short token "
            "can be guessed.",
            hint=f"Use at least {METRICS_TOKEN_MIN_LENGTH} random characters: "
            "python3 -c 'import secrets; print(secrets.token_urlsafe(32))'; or leave it empty (no /metrics).",
            id="keyward.E004",
        )
    ]


def refuse_to_start_wrong() -> None:
    """Called by wsgi.py/asgi.py: with DEBUG off, any error-level check stops the server from starting."""
    if settings.DEBUG:
        return
    errors = [message for message in run_checks(include_deployment_checks=True) if message.is_serious()]
    if errors:
        lines = "\n".join(f"  {message}" for message in errors)
        raise ImproperlyConfigured(f"Keyward refuses to start; fix these settings first:\n{lines}")
