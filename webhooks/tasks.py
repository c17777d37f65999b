"""Background tasks of webhooks (run by the task worker; periodic ones in project/schedule.py)."""

import logging
from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django_tasks import task

from project.background import enqueue_later

from . import delivery as engine
from . import selectors, services
from .models import WebhookAttempt, WebhookDelivery, WebhookEvent

logger = logging.getLogger(__name__)

SWEEP_BATCH = 500


@task()
def webhook_delivery_attempt(*, delivery_id: int) -> str:
    """One attempt of one delivery, then the retry (deferred) or the next delivery of its chain."""
    outcome, follow_up, delay = engine.attempt_delivery(delivery_id)
    if follow_up is not None:
        enqueue_later(webhook_delivery_attempt, delay_seconds=delay or 0, delivery_id=follow_up.pk)
    return outcome


@task()
def webhook_deliveries_retry_due() -> int:
    """Enqueues every due delivery: retries whose task was lost, and events whose enqueue was."""
    ids = list(engine.due(timezone.now()).order_by("pk").values_list("pk", flat=True)[:SWEEP_BATCH])
    for delivery_id in ids:
        webhook_delivery_attempt.enqueue(delivery_id=delivery_id)
    return len(ids)


@task()
def webhook_endpoints_disable_failing() -> int:
    """Disables endpoints whose deliveries all failed for WEBHOOK_DISABLE_AFTER_DAYS; tells their owners."""
    days = settings.WEBHOOK_DISABLE_AFTER_DAYS
    disabled = 0
    for endpoint in selectors.endpoints_failing_since(since=timezone.now() - timedelta(days=days)):
        services.endpoint_disable(endpoint=endpoint, reason=f"Every delivery failed for {days} days.")
        services.endpoint_failing_notify(endpoint=endpoint, days=days)
        disabled += 1
    return disabled


@task()
def webhook_logs_prune() -> int:
    """Deletes finished deliveries and attempts older than WEBHOOK_LOG_RETENTION_DAYS."""
    cutoff = timezone.now() - timedelta(days=settings.WEBHOOK_LOG_RETENTION_DAYS)
    attempts, _ = WebhookAttempt.objects.filter(attempted_at__lt=cutoff).delete()
    deliveries, _ = WebhookDelivery.objects.filter(finished_at__lt=cutoff).delete()
    events, _ = WebhookEvent.objects.filter(created_at__lt=cutoff, deliveries__isnull=True).delete()
    return attempts + deliveries + events
