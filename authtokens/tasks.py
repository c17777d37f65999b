"""Background tasks of authtokens (run by the task worker; scheduled in project/schedule.py)."""

from django.conf import settings
from django_tasks import task

from authtokens import usage
from authtokens.models import AuthToken


@task()
def flush_token_usage() -> int:
    """Writes auth token uses buffered in the cache to the database (when buffering is on)."""
    if settings.AUTH_TOKEN_USAGE_BUFFER_SECONDS <= 0:
        return 0
    ids = AuthToken.objects.filter(revoked_at__isnull=True).values_list("pk", flat=True).iterator()
    return usage.flush(ids)
