"""Reads for outbound webhooks, always scoped: a workspace's endpoints, or (staff) the vendor's."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Count, Max, Min, Prefetch, Q

from accounts.models import Membership, Role, User
from parameters import crypto
from project.errors import not_found

from .models import DeliveryStatus, WebhookAttempt, WebhookDelivery, WebhookEndpoint

DELIVERY_LOG_LIMIT = 100


def endpoint_list(*, workspace) -> list[WebhookEndpoint]:
    return list(
        WebhookEndpoint.objects.filter(workspace=workspace).annotate(
            pending_count=Count("deliveries", filter=Q(deliveries__status="pending"))
        )
    )


def endpoints_listening(*, event_type: str, workspace_id: int | None) -> list[WebhookEndpoint]:
    """Enabled endpoints that want `event_type` about this workspace: its own and the vendor's."""
    scope = Q(workspace__isnull=True)
    if workspace_id is not None:
        scope |= Q(workspace_id=workspace_id)
    # Filtered in Python: JSON containment is not portable to SQLite, and endpoints are few.
    return [e for e in WebhookEndpoint.objects.filter(scope, enabled=True) if event_type in e.event_types]


def vendor_endpoint_list() -> list[WebhookEndpoint]:
    """Staff only: endpoints that hear every workspace's events."""
    return list(WebhookEndpoint.objects.filter(workspace__isnull=True))


def endpoint_get(*, workspace, endpoint_id) -> WebhookEndpoint:
    """A workspace's endpoint by id; NOT_FOUND for another workspace's or the vendor's."""
    try:
        return WebhookEndpoint.objects.get(workspace=workspace, pk=int(endpoint_id))
    except (WebhookEndpoint.DoesNotExist, ValueError, TypeError, OverflowError):
        raise not_found("webhook endpoint") from None


def vendor_endpoint_get(*, endpoint_id) -> WebhookEndpoint:
    try:
        return WebhookEndpoint.objects.get(workspace__isnull=True, pk=int(endpoint_id))
    except (WebhookEndpoint.DoesNotExist, ValueError, TypeError, OverflowError):
        raise not_found("webhook endpoint") from None


def delivery_list(*, endpoint: WebhookEndpoint, limit: int = DELIVERY_LOG_LIMIT) -> list[WebhookDelivery]:
    """The endpoint's latest deliveries, each with its attempts (newest first), in 3 queries."""
    return list(
        WebhookDelivery.objects.filter(endpoint=endpoint)
        .select_related("event")
        .prefetch_related(
            Prefetch("attempt_log", queryset=WebhookAttempt.objects.order_by("-attempted_at", "-pk"))
        )
        .order_by("-created_at", "-pk")[:limit]
    )


def delivery_get(*, endpoint: WebhookEndpoint, delivery_id) -> WebhookDelivery:
    try:
        return WebhookDelivery.objects.select_related("event", "endpoint").get(
            endpoint=endpoint, pk=int(delivery_id)
        )
    except (WebhookDelivery.DoesNotExist, ValueError, TypeError, OverflowError):
        raise not_found("delivery") from None


def endpoints_failing_since(*, since: datetime) -> list[WebhookEndpoint]:
    """Enabled endpoints whose every attempt since before `since` failed (none succeeded after)."""
    failing = []
    candidates = WebhookEndpoint.objects.filter(
        enabled=True, deliveries__attempt_log__attempted_at__lte=since
    )
    for endpoint in candidates.distinct():
        attempts = WebhookAttempt.objects.filter(delivery__endpoint=endpoint)
        succeeded = Q(status_code__gte=200, status_code__lt=300)
        last_success = attempts.filter(succeeded).aggregate(at=Max("attempted_at"))["at"]
        failures = attempts.exclude(succeeded)
        if last_success is not None:
            failures = failures.filter(attempted_at__gt=last_success)
        first_failure = failures.aggregate(at=Min("attempted_at"))["at"]
        if first_failure is not None and first_failure <= since:
            failing.append(endpoint)
    return failing


def endpoint_owner_emails(*, endpoint: WebhookEndpoint) -> list[str]:
    """Who hears that an endpoint was disabled: the workspace's owners, or active staff for the vendor's."""
    if endpoint.workspace_id is None:
        return list(User.objects.filter(is_staff=True, is_active=True).values_list("email", flat=True))
    return list(
        Membership.objects.filter(workspace_id=endpoint.workspace_id, role=Role.OWNER).values_list(
            "user__email", flat=True
        )
    )


FAILED_WINDOW = timedelta(hours=24)


def delivery_backlog(*, now: datetime) -> dict:
    """Staff-level (every workspace), for GET /metrics: the outbox's state in two indexed queries.

    pending: deliveries not finished; due: pending ones whose attempt time has come (a delivery being
    attempted has its time moved forward by the claim, so it is not due); oldest_due: that time of
    the longest-waiting due one (None when none is due); failed: deliveries that gave up in the last
    24 hours (a window, so an alert on it clears itself); disabled_endpoints: endpoints switched off
    by a 410, by failing for days, or by their owner.
    """
    due = Q(status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
    counts = WebhookDelivery.objects.filter(
        status__in=[DeliveryStatus.PENDING, DeliveryStatus.FAILED]
    ).aggregate(
        pending=Count("pk", filter=Q(status=DeliveryStatus.PENDING)),
        due=Count("pk", filter=due),
        oldest_due=Min("next_attempt_at", filter=due),
        failed=Count("pk", filter=Q(status=DeliveryStatus.FAILED, finished_at__gte=now - FAILED_WINDOW)),
    )
    counts["disabled_endpoints"] = WebhookEndpoint.objects.filter(enabled=False).count()
    return counts


def endpoint_signing_secrets(endpoint: WebhookEndpoint, *, now: datetime) -> list[str]:
    """The secrets that sign a delivery at `now`: the current one, and for 24 hours after a rotation
    the previous one too. Raises PARAMETER_KEY_MISSING when no key in PARAMETER_KEYS opens one (the
    delivery is then tried again once its claim lapses, as after any failure of the worker)."""
    secrets = [crypto.decrypt(endpoint.secret_encrypted)]
    expires_at = endpoint.previous_secret_expires_at
    if endpoint.previous_secret_encrypted and expires_at and expires_at > now:
        secrets.append(crypto.decrypt(endpoint.previous_secret_encrypted))
    return secrets
