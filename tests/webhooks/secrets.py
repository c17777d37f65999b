"""What the tests read of an endpoint's signing secrets: the stored ones are encrypted."""

from django.utils import timezone

from webhooks import selectors


def signing_secrets(endpoint) -> list[str]:
    """The secrets that sign now, current first (webhooks.selectors decrypts them)."""
    endpoint.refresh_from_db()
    return selectors.endpoint_signing_secrets(endpoint, now=timezone.now())


def current_secret(endpoint) -> str:
    return signing_secrets(endpoint)[0]
