"""Writes for outbound webhooks: endpoints (workspace or vendor), the event outbox, redelivery.

Invariants:
- an event is recorded in the caller's transaction, with one pending delivery per enabled endpoint
  that wants its type, so nothing is sent for a rolled-back change and nothing committed is lost;
- a workspace endpoint is managed only by that workspace's members with "manage members"
  (another workspace's member gets NOT_FOUND), a vendor endpoint only by staff;
- a signing secret is shown once, when made or rotated; after a rotation the old one keeps
  signing beside the new one for 24 hours; it is stored encrypted (parameters/crypto.py), never as
  plaintext.
"""

from __future__ import annotations

import base64
import secrets
import uuid
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from accounts.models import Capability, Membership, User, Workspace
from parameters import crypto
from project.background import enqueue_on_commit
from project.errors import DomainError, forbidden, not_found
from project.mail import email_send

from . import formats, selectors, ssrf
from .events import EVENT_TYPES, TEST_EVENT_TYPE, Rendered, render_test
from .models import WebhookDelivery, WebhookEndpoint, WebhookEvent

SECRET_OVERLAP = timedelta(hours=24)
SECRET_FIELDS = ["secret_encrypted", "previous_secret_encrypted"]
DESCRIPTION_MAX_LENGTH = 200

Actor = Membership | User  # a workspace member, or a staff user (vendor endpoints, admin)


# ---------------------------------------------------------------- helpers


def _new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def check_may_manage(actor: Actor, endpoint: WebhookEndpoint | None = None, workspace_id=None) -> None:
    """The one rule for seeing and changing webhooks, asked by every door (reads included)."""
    workspace_id = endpoint.workspace_id if endpoint is not None else workspace_id
    if isinstance(actor, User):
        if not actor.is_staff:
            raise forbidden("Only support staff can manage vendor webhook endpoints.")
        return
    if workspace_id is None or actor.workspace_id != workspace_id:
        raise not_found("webhook endpoint")
    if not actor.has_capability(Capability.MANAGE_MEMBERS):
        label = Capability.MANAGE_MEMBERS.label.lower()
        raise forbidden(f"You need the “{label}” permission to manage webhooks; ask a workspace admin.")


def _clean_description(description) -> str:
    description = str(description or "").strip()
    if "\x00" in description or len(description) > DESCRIPTION_MAX_LENGTH:
        raise DomainError(
            "INVALID_DESCRIPTION",
            f"Keep the description to {DESCRIPTION_MAX_LENGTH} characters of plain text.",
            field="description",
        )
    return description


def _clean_event_types(event_types) -> list[str]:
    if not isinstance(event_types, list | tuple) or not event_types:
        raise DomainError(
            "EVENT_TYPES_REQUIRED", "Choose at least one event type to receive.", field="event_types"
        )
    unknown = [str(name)[:64] for name in event_types if not isinstance(name, str) or name not in EVENT_TYPES]
    if unknown:
        raise DomainError(
            "UNKNOWN_EVENT_TYPE",
            f"Unknown event type {unknown[0]!r}; use one of {', '.join(EVENT_TYPES)}.",
            field="event_types",
        )
    return sorted(set(event_types), key=list(EVENT_TYPES).index)


def _locked(endpoint: WebhookEndpoint) -> WebhookEndpoint:
    return WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)


# ---------------------------------------------------------------- endpoints


def _clean_payload_format(payload_format) -> str:
    names = [choice[0] for choice in WebhookEndpoint._meta.get_field("payload_format").choices]
    if payload_format not in names:
        raise DomainError(
            "PAYLOAD_FORMAT_INVALID",
            f"The payload format must be one of {', '.join(names)}.",
            field="payload_format",
        )
    return payload_format


@transaction.atomic
def endpoint_create(
    *,
    actor: Actor,
    url,
    event_types,
    description="",
    enabled=True,
    workspace: Workspace | None = None,
    payload_format=formats.KEYWARD,
) -> tuple[WebhookEndpoint, str]:
    """A new endpoint and its signing secret (returned this once). A member's endpoint belongs to
    their workspace; a staff user's to the vendor unless `workspace` is given."""
    if isinstance(actor, Membership):
        workspace = actor.workspace
    check_may_manage(actor, workspace_id=workspace.pk if workspace else None)
    endpoint = WebhookEndpoint.objects.create(
        workspace=workspace,
        url=ssrf.clean_url(url),
        description=_clean_description(description),
        event_types=_clean_event_types(event_types),
        enabled=bool(enabled),
        payload_format=_clean_payload_format(payload_format or formats.KEYWARD),
        secret_encrypted=crypto.encrypt(secret := _new_secret()),
        created_by=actor.user if isinstance(actor, Membership) else actor,
    )
    return endpoint, secret


@transaction.atomic
def endpoint_update(
    *,
    actor: Actor,
    endpoint: WebhookEndpoint,
    url=None,
    description=None,
    event_types=None,
    enabled=None,
    payload_format=None,
) -> WebhookEndpoint:
    """Changes what is given (None: unchanged). Enabling clears the reason it was disabled."""
    check_may_manage(actor, endpoint)
    endpoint = _locked(endpoint)
    if url is not None:
        endpoint.url = ssrf.clean_url(url)
    if description is not None:
        endpoint.description = _clean_description(description)
    if event_types is not None:
        endpoint.event_types = _clean_event_types(event_types)
    if enabled is not None:
        endpoint.enabled = bool(enabled)
        endpoint.disabled_reason = "" if endpoint.enabled else "Disabled by a person."
    if payload_format is not None:
        endpoint.payload_format = _clean_payload_format(payload_format)
    endpoint.save()
    return endpoint


@transaction.atomic
def endpoint_delete(*, actor: Actor, endpoint: WebhookEndpoint) -> None:
    check_may_manage(actor, endpoint)
    endpoint.delete()


@transaction.atomic
def endpoint_rotate_secret(*, actor: Actor, endpoint: WebhookEndpoint) -> tuple[WebhookEndpoint, str]:
    """A new secret (returned this once); the old one keeps signing too for 24 hours."""
    check_may_manage(actor, endpoint)
    endpoint = _locked(endpoint)
    secret = _new_secret()
    endpoint.previous_secret_encrypted = endpoint.secret_encrypted
    endpoint.previous_secret_expires_at = timezone.now() + SECRET_OVERLAP
    endpoint.secret_encrypted = crypto.encrypt(secret)
    endpoint.save(update_fields=[*SECRET_FIELDS, "previous_secret_expires_at"])
    return endpoint, secret


@transaction.atomic
def endpoint_secrets_reencrypt() -> int:
    """Re-encrypts every endpoint's signing secrets under the newest key in PARAMETER_KEYS (part of
    `manage.py rotate_parameter_keys`, inside its transaction); returns the endpoints touched.
    Raises PARAMETER_KEY_MISSING, changing nothing, when no configured key opens one."""
    endpoints = list(WebhookEndpoint.objects.select_for_update().only("pk", *SECRET_FIELDS))
    for endpoint in endpoints:
        endpoint.secret_encrypted = crypto.reencrypt(endpoint.secret_encrypted)
        if endpoint.previous_secret_encrypted:
            endpoint.previous_secret_encrypted = crypto.reencrypt(endpoint.previous_secret_encrypted)
    return WebhookEndpoint.objects.bulk_update(endpoints, SECRET_FIELDS, batch_size=500)


@transaction.atomic
def endpoint_disable(*, endpoint: WebhookEndpoint, reason: str) -> WebhookEndpoint:
    """The engine's own switch (410 Gone, days of failures); people use endpoint_update."""
    endpoint = _locked(endpoint)
    endpoint.enabled = False
    endpoint.disabled_reason = reason[:200]
    endpoint.save(update_fields=["enabled", "disabled_reason"])
    return endpoint


@transaction.atomic
def endpoint_send_test(*, actor: Actor, endpoint: WebhookEndpoint) -> WebhookDelivery:
    """Sends a `webhook.test` event to this endpoint alone, even if it is disabled."""
    check_may_manage(actor, endpoint)
    event = _event_create(TEST_EVENT_TYPE, render_test(endpoint))
    return _deliveries_create(event, [endpoint], "")[0]


@transaction.atomic
def delivery_redeliver(*, actor: Actor, delivery: WebhookDelivery) -> WebhookDelivery:
    """Sends a delivery's event again, as a new delivery with the same webhook-id."""
    check_may_manage(actor, delivery.endpoint)
    return _deliveries_create(delivery.event, [delivery.endpoint], delivery.ordering_key)[0]


# ---------------------------------------------------------------- the outbox


def _event_create(event_type: str, rendered: Rendered, alternates: dict | None = None) -> WebhookEvent:
    now = timezone.now()
    event_id = f"msg_{uuid.uuid4().hex}"
    payload = {"type": event_type, "timestamp": now.isoformat(), "data": rendered.data}
    return WebhookEvent.objects.create(
        id=event_id,
        workspace_id=rendered.workspace_id,
        type=event_type,
        payload=payload,
        alternates=alternates or {},
        created_at=now,
    )


def _deliveries_create(event: WebhookEvent, endpoints, ordering_key: str) -> list[WebhookDelivery]:
    from .tasks import webhook_delivery_attempt  # tasks import services

    deliveries = WebhookDelivery.objects.bulk_create(
        WebhookDelivery(
            event=event, endpoint=endpoint, ordering_key=ordering_key, next_attempt_at=event.created_at
        )
        for endpoint in endpoints
    )
    for delivery in deliveries:
        # A lost enqueue (a crash right after commit) is caught by the periodic retry job.
        enqueue_on_commit(webhook_delivery_attempt, delivery_id=delivery.pk)
    return deliveries


# savepoint=False: it only ever joins the caller's transaction, and the activation hot path should
# not pay two SAVEPOINT round trips for it.
@transaction.atomic(savepoint=False)
def event_record(*, event_type: str, workspace_id: int | None, render, subject=None) -> WebhookEvent | None:
    """Writes the event and its deliveries in the caller's transaction; nothing (and no rendering,
    `render()` builds the payload) when no endpoint listens. `subject`: the changed object, for
    endpoints that chose another payload format (formats.py)."""
    endpoints = selectors.endpoints_listening(event_type=event_type, workspace_id=workspace_id)
    if not endpoints:
        return None
    rendered = render()
    other_formats = {endpoint.payload_format for endpoint in endpoints} - {formats.KEYWARD}
    alternates = formats.render_alternates(other_formats, event_type, subject) if other_formats else {}
    event = _event_create(event_type, rendered, alternates)
    _deliveries_create(event, endpoints, rendered.ordering_key)
    return event


def endpoint_failing_notify(*, endpoint: WebhookEndpoint, days: int) -> None:
    """E-mails the endpoint's owners that it was disabled after failing for `days` days."""
    where = endpoint.workspace.name if endpoint.workspace_id else "the vendor"
    email_send(
        to=selectors.endpoint_owner_emails(endpoint=endpoint),
        subject=f"Webhook endpoint disabled: {endpoint.url}",
        body=(
            f"Every delivery to the webhook endpoint {endpoint.url} ({where}) failed for {days} days, "
            "so Keyward disabled it.\n\nFix the receiver, then enable the endpoint again and redeliver "
            "the failed deliveries from its delivery log."
        ),
    )
