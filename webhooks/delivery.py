"""Sending one delivery: claim it, sign it, post it, log the attempt, decide what comes next.

Runs in the task worker, outside any long transaction: the HTTP request (up to 10 s) never holds
a lock. A delivery is claimed by moving its next_attempt_at forward in one conditional UPDATE, so
two workers (or a retry task and the periodic sweep) never send it at the same time, and only
while no earlier delivery of the same endpoint and ordering key is still pending (order per
license). Retries back off with jitter along WEBHOOK_RETRY_DELAYS.
"""

from __future__ import annotations

import json
import logging
import random
import ssl
import time
from datetime import UTC, datetime, timedelta

import httpx
from django.conf import settings
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from project.errors import DomainError

from . import selectors, ssrf
from .formats import payload_for
from .models import DeliveryStatus, WebhookAttempt, WebhookDelivery, WebhookEndpoint

logger = logging.getLogger(__name__)

CLAIM_LEASE = timedelta(seconds=60)  # longer than the request timeout: a crashed worker's claim expires


def unblocked(queryset):
    """Deliveries with no earlier pending delivery in their (endpoint, ordering key) chain."""
    earlier = WebhookDelivery.objects.filter(
        endpoint_id=OuterRef("endpoint_id"),
        ordering_key=OuterRef("ordering_key"),
        status=DeliveryStatus.PENDING,
        pk__lt=OuterRef("pk"),
    )
    return queryset.filter(Q(ordering_key="") | ~Exists(earlier))


def due(now: datetime):
    return unblocked(WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now))


def _claim(delivery_id: int, now: datetime) -> WebhookDelivery | None:
    # The subquery is materialised first: some databases refuse an UPDATE reading its own table.
    ids = list(due(now).filter(pk=delivery_id).values_list("pk", flat=True))
    if not ids or not WebhookDelivery.objects.filter(
        pk=delivery_id, status=DeliveryStatus.PENDING, next_attempt_at__lte=now
    ).update(next_attempt_at=now + CLAIM_LEASE):
        return None
    return WebhookDelivery.objects.select_related("event", "endpoint").get(pk=delivery_id)


def signature_headers(endpoint: WebhookEndpoint, msg_id: str, body: str, now: datetime) -> dict:
    secrets = selectors.endpoint_signing_secrets(endpoint, now=now)
    timestamp = now.astimezone(UTC)
    signatures = " ".join(Webhook(secret).sign(msg_id, timestamp, body) for secret in secrets)
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(timestamp.timestamp())),
        "webhook-signature": signatures,
        "content-type": "application/json",
        "user-agent": "Keyward-Webhooks/1",
    }


def _tls() -> ssl.SSLContext | bool:
    """Certificates are always verified; WEBHOOK_TLS_CA_FILE adds a private CA (internal receivers)."""
    if settings.WEBHOOK_TLS_CA_FILE:
        return ssl.create_default_context(cafile=settings.WEBHOOK_TLS_CA_FILE)
    return True


def _first_kilobyte(response: httpx.Response) -> str:
    """The start of the answer, for the log, without reading a huge body into memory."""
    limit = WebhookAttempt.RESPONSE_BODY_LIMIT
    received = b""
    for chunk in response.iter_bytes():
        received += chunk
        if len(received) >= limit:
            break
    # PostgreSQL text cannot hold NUL; a receiver's bytes must never break the log.
    return received[:limit].decode("utf-8", errors="replace").replace("\x00", "\ufffd")[:limit]


def _post(endpoint: WebhookEndpoint, headers: dict, body: str) -> WebhookAttempt:
    attempt = WebhookAttempt(attempted_at=timezone.now())
    started = time.monotonic()
    try:
        target = ssrf.pin(endpoint.url)
        with (
            httpx.Client(
                timeout=settings.WEBHOOK_TIMEOUT_SECONDS, follow_redirects=False, verify=_tls()
            ) as client,
            client.stream(
                "POST",
                target.url,
                content=body.encode(),
                headers={**headers, "host": target.host_header},
                extensions={"sni_hostname": target.server_name},
            ) as response,
        ):
            attempt.status_code = response.status_code
            attempt.response_body = _first_kilobyte(response)
    except DomainError as error:
        attempt.error = error.message
    except httpx.TimeoutException:
        attempt.error = f"No answer within {settings.WEBHOOK_TIMEOUT_SECONDS} s."
    except httpx.HTTPError as error:
        attempt.error = f"{type(error).__name__}: {error}"
    except (
        Exception
    ) as error:  # whatever a receiver does must end as a logged attempt, never a stuck delivery
        logger.exception("Webhook delivery to %s failed unexpectedly", endpoint.url)
        attempt.error = f"{type(error).__name__}: {error}"
    attempt.error = attempt.error.replace("\x00", "")[:300]
    attempt.duration_ms = int((time.monotonic() - started) * 1000)
    return attempt


def retry_delay(attempts: int) -> float | None:
    """Seconds before the next attempt after `attempts` failed ones; None when it was the last."""
    delays = settings.WEBHOOK_RETRY_DELAYS
    if attempts > len(delays):
        return None
    jitter = settings.WEBHOOK_RETRY_JITTER
    return delays[attempts - 1] * random.uniform(1 - jitter, 1 + jitter)


def _next_in_chain(delivery: WebhookDelivery) -> WebhookDelivery | None:
    if not delivery.ordering_key:
        return None
    return (
        WebhookDelivery.objects.filter(
            endpoint_id=delivery.endpoint_id,
            ordering_key=delivery.ordering_key,
            status=DeliveryStatus.PENDING,
        )
        .order_by("pk")
        .first()
    )


def attempt_delivery(delivery_id: int) -> tuple[str, WebhookDelivery | None, float | None]:
    """Makes one attempt if the delivery is due; returns (outcome, delivery to send next, retry delay)."""
    from .services import endpoint_disable

    now = timezone.now()
    delivery = _claim(delivery_id, now)
    if delivery is None:
        return "not-due", None, None
    endpoint, event = delivery.endpoint, delivery.event
    if not endpoint.enabled and event.type != "webhook.test":
        _finish(delivery, DeliveryStatus.FAILED)
        return "endpoint-disabled", _next_in_chain(delivery), None
    body = json.dumps(payload_for(event, endpoint), separators=(",", ":"))
    attempt = _post(endpoint, signature_headers(endpoint, event.id, body, now), body)
    attempt.delivery = delivery
    attempt.save()
    delivery.attempts += 1
    if attempt.succeeded:
        _finish(delivery, DeliveryStatus.SUCCEEDED)
        return "succeeded", _next_in_chain(delivery), None
    if attempt.status_code == 410:
        endpoint_disable(endpoint=endpoint, reason="The receiver answered 410 Gone.")
        _finish(delivery, DeliveryStatus.FAILED)
        return "gone", None, None
    delay = retry_delay(delivery.attempts)
    if delay is None:
        _finish(delivery, DeliveryStatus.FAILED)
        logger.warning(
            "Webhook delivery %s to %s failed after %d attempts", delivery.pk, endpoint.url, delivery.attempts
        )
        return "failed", _next_in_chain(delivery), None
    delivery.next_attempt_at = timezone.now() + timedelta(seconds=delay)
    delivery.save(update_fields=["attempts", "next_attempt_at"])
    return "retrying", delivery, delay


def _finish(delivery: WebhookDelivery, status: str) -> None:
    delivery.status = status
    delivery.finished_at = timezone.now()
    delivery.next_attempt_at = None
    delivery.save(update_fields=["status", "attempts", "finished_at", "next_attempt_at"])
