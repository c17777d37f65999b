"""Commerce: billing events from the vendor's billing system, the purchases they describe, and the
grants (one customer's right to one license from one purchase) that follow from them."""

from django.db import models
from django.utils import timezone


class BillingProduct(models.Model):
    """Maps the billing system's product id (e.g. Dodo's `pdt_…`) to the policy a purchase grants."""

    product_id = models.CharField(max_length=100, unique=True)
    policy = models.ForeignKey("licensing.Policy", on_delete=models.PROTECT, related_name="billing_products")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["product_id"]

    def __str__(self):
        return f"{self.product_id} → {self.policy}"


class BillingCustomer(models.Model):
    """A paying customer by e-mail, and the workspace their licenses go to."""

    email = models.EmailField(unique=True)
    name = models.CharField(max_length=150, blank=True)
    workspace = models.ForeignKey(
        "accounts.Workspace", on_delete=models.CASCADE, related_name="billing_customers"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["email"]

    def __str__(self):
        return self.email


class EventStatus(models.TextChoices):
    PROCESSED = "processed", "Processed"
    IGNORED = "ignored", "Ignored (type not handled)"
    FAILED = "failed", "Failed"


class BillingEvent(models.Model):
    """One inbound event, kept by its id: a replay finds the row and changes nothing."""

    event_id = models.CharField(max_length=255, unique=True)
    event_type = models.CharField(max_length=64)
    occurred_at = models.DateTimeField()
    payload = models.JSONField()
    status = models.CharField(max_length=10, choices=EventStatus.choices)
    error_code = models.CharField(max_length=64, blank=True)
    error_message = models.CharField(max_length=500, blank=True)
    received_at = models.DateTimeField(default=timezone.now)
    processed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-received_at"]
        indexes = [models.Index(fields=["status", "-received_at"])]

    def __str__(self):
        return f"{self.event_type} {self.event_id}"


class PurchaseKind(models.TextChoices):
    PAYMENT = "payment", "One-time payment"
    SUBSCRIPTION = "subscription", "Subscription"


class Purchase(models.Model):
    """The latest known state of one payment or subscription, as of `state_at` (the newest applied
    event's own timestamp): an older event arriving late is recognised and changes nothing."""

    kind = models.CharField(max_length=12, choices=PurchaseKind.choices)
    external_id = models.CharField(max_length=100)
    status = models.CharField(max_length=20)
    state_at = models.DateTimeField()
    policy = models.ForeignKey(
        "licensing.Policy", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    quantity = models.PositiveIntegerField(default=1)
    customer = models.ForeignKey(
        BillingCustomer, null=True, blank=True, on_delete=models.PROTECT, related_name="purchases"
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "external_id"], name="uniq_purchase")]

    def __str__(self):
        return f"{self.kind} {self.external_id} ({self.status})"


class GrantStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed"
    REVOKED = "revoked", "Revoked"


class RevocationReason(models.TextChoices):
    MANUAL = "manual", "Revoked by staff"
    REFUND = "refund", "Refunded"
    SUBSCRIPTION_CANCELLED = "subscription_cancelled", "Subscription cancelled"
    SUBSCRIPTION_EXPIRED = "subscription_expired", "Subscription expired"
    SUBSCRIPTION_ON_HOLD = "subscription_on_hold", "Subscription on hold"
    PLAN_CHANGED = "plan_changed", "Plan changed"
    LICENSE_KEY_DISABLED = "license_key_disabled", "License key disabled"


class Grant(models.Model):
    """One customer's right to one license from one purchase (seat number `quantity_index`)."""

    public_id = models.CharField(max_length=32, unique=True, editable=False)
    purchase = models.ForeignKey(Purchase, on_delete=models.PROTECT, related_name="grants")
    policy = models.ForeignKey("licensing.Policy", on_delete=models.PROTECT, related_name="grants")
    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE, related_name="grants")
    payment_id = models.CharField(max_length=100, blank=True)
    subscription_id = models.CharField(max_length=100, blank=True)
    quantity_index = models.PositiveIntegerField()
    status = models.CharField(max_length=10, choices=GrantStatus.choices, default=GrantStatus.PENDING)
    revocation_reason = models.CharField(max_length=30, choices=RevocationReason.choices, blank=True)
    on_hold = models.BooleanField(
        default=False, help_text="Its license is suspended while the subscription is on hold."
    )
    license = models.OneToOneField(
        "licensing.License", null=True, blank=True, on_delete=models.SET_NULL, related_name="grant"
    )
    created_at = models.DateTimeField(default=timezone.now)
    delivered_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "-created_at"])]
        constraints = [models.UniqueConstraint(fields=["purchase", "quantity_index"], name="uniq_grant_seat")]

    def __str__(self):
        return f"Grant {self.public_id} ({self.status})"
