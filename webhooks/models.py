"""Outbound webhooks: endpoints, the event outbox, deliveries and their attempts.

An event is written in the same transaction as the change that caused it, with one delivery per
subscribed endpoint, so a rolled-back change sends nothing and a committed one is never lost.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone


class WebhookEndpoint(models.Model):
    """Where events go. A workspace's endpoint hears its workspace's events; a vendor endpoint
    (no workspace, managed by staff) hears every workspace's."""

    workspace = models.ForeignKey(
        "accounts.Workspace",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="webhook_endpoints",
    )
    url = models.URLField(max_length=2000)
    description = models.CharField(max_length=200, blank=True)
    event_types = models.JSONField(default=list, help_text="The event types this endpoint receives.")
    enabled = models.BooleanField(default=True)
    payload_format = models.CharField(
        max_length=20,
        choices=[("keyward", "Keyward"), ("dodo", "Dodo Payments")],
        default="keyward",
        help_text="The payload shape it receives (webhooks/formats.py); Dodo's keeps Dodo handlers working.",
    )
    disabled_reason = models.CharField(max_length=200, blank=True)
    # The signing secret (whsec_…) must be readable to sign, so it is not hashed but encrypted with
    # PARAMETER_KEYS (parameters/crypto.py), like secret parameters; only webhooks.selectors opens it.
    # It is shown to people once, never again.
    secret_encrypted = models.TextField(editable=False)
    previous_secret_encrypted = models.TextField(blank=True, editable=False)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self):
        return self.url

    @property
    def is_vendor(self) -> bool:
        return self.workspace_id is None


class WebhookEvent(models.Model):
    """The outbox: one row per event, holding the exact payload every endpoint receives."""

    id = models.CharField(primary_key=True, max_length=40, editable=False)  # msg_…, the webhook-id
    workspace = models.ForeignKey(
        "accounts.Workspace", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    type = models.CharField(max_length=64)
    payload = models.JSONField()
    # The same event in the other payload formats its endpoints chose: {"dodo": {...}}.
    alternates = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at"]

    def __str__(self):
        return f"{self.type} {self.id}"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


class WebhookDelivery(models.Model):
    """One event to one endpoint. Deliveries of one endpoint that share an ordering key (the
    license, the token, the member) are sent one after the other, in the order of their events."""

    event = models.ForeignKey(WebhookEvent, on_delete=models.CASCADE, related_name="deliveries")
    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    ordering_key = models.CharField(max_length=100, blank=True)
    status = models.CharField(max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name_plural = "webhook deliveries"
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="webhook_delivery_due_idx"),
            models.Index(
                fields=["endpoint", "ordering_key", "status", "id"], name="webhook_delivery_order_idx"
            ),
        ]

    def __str__(self):
        return f"{self.event.type} → {self.endpoint.url}"


class WebhookAttempt(models.Model):
    """One HTTP request of a delivery, for the delivery log."""

    RESPONSE_BODY_LIMIT = 1024

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log")
    attempted_at = models.DateTimeField(default=timezone.now)
    status_code = models.PositiveIntegerField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    response_body = models.TextField(blank=True, help_text="The first 1 KB of the response.")
    error = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-attempted_at", "-pk"]

    def __str__(self):
        return f"{self.status_code or self.error} at {self.attempted_at:%Y-%m-%d %H:%M:%S}"

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300
