"""Products, policies, licenses (seats) and activations (machines)."""

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class Product(models.Model):
    name = models.CharField(max_length=100)
    code = models.SlugField(
        max_length=50, unique=True, help_text="What the vendor's software sends as `product`."
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Policy(models.Model):
    """How a license behaves: its duration, machine limit, trial, offline lifetime and key format."""

    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="policies")
    name = models.CharField(max_length=100, help_text="The plan or edition, e.g. Pro or Enterprise.")
    duration = models.DurationField(null=True, blank=True, help_text="Empty: licenses never expire.")
    max_activations = models.PositiveIntegerField(
        null=True, blank=True, help_text="Machines per license. Empty: unlimited."
    )
    trial_days = models.PositiveIntegerField(default=14)
    offline_lifetime = models.DurationField(
        default=timedelta(hours=24), help_text="How long an offline certificate stays valid."
    )
    heartbeat_interval = models.DurationField(
        null=True, blank=True, help_text="Machines silent for longer are released. Empty: never."
    )
    encrypted = models.BooleanField(
        default=False, help_text="Show the key once and keep only its hash (it cannot be displayed again)."
    )
    key_prefix = models.CharField(max_length=12, blank=True, help_text="e.g. KW: keys look like KW-XXXXX-…")
    activation_instructions = models.TextField(blank=True, help_text="Shown to customers with their license.")
    allow_ci = models.BooleanField(
        default=False, help_text="CI auth tokens may activate licenses of this policy."
    )
    ci_only = models.BooleanField(
        default=False,
        help_text="Licenses of this policy are for CI auth tokens only: they cannot be assigned to members.",
    )
    trial_available = models.BooleanField(
        default=False,
        help_text="A workspace without any license may start one trial of this policy (lasting trial_days).",
    )
    fulfilment = models.CharField(
        max_length=10,
        choices=[
            ("auto", "Automatic: generate and e-mail the key"),
            ("manual", "Manual: staff supply the key"),
        ],
        default="auto",
        help_text="What a purchase of this policy does (commerce).",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["product__name", "name"]
        verbose_name_plural = "policies"

    def __str__(self):
        return f"{self.product.name} {self.name}"


class LicenseStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    SUSPENDED = "suspended", "Suspended"
    REVOKED = "revoked", "Revoked"
    EXPIRED = "expired", "Expired"  # derived from expires_at, never stored


class LicenseSource(models.TextChoices):
    AUTO = "auto", "Automatic (purchase)"
    MANUAL = "manual", "Manual (staff)"
    IMPORT = "import", "Import"


METADATA_MAX_BYTES = 4096


class License(models.Model):
    """A seat: a key under a policy, owned by a workspace (or user-less), assigned to at most one member."""

    public_id = models.CharField(max_length=32, unique=True, editable=False)
    policy = models.ForeignKey(Policy, on_delete=models.PROTECT, related_name="licenses")
    workspace = models.ForeignKey(
        "accounts.Workspace", null=True, blank=True, on_delete=models.CASCADE, related_name="licenses"
    )
    # RESTRICT: a membership ends through accounts.services, which releases its seats and machines
    # first (licensing.services.licenses.member_seats_release); deleting one any other way fails.
    # Deleting the whole workspace still works: its licenses go in the same cascade.
    assignee = models.ForeignKey(
        "accounts.Membership", null=True, blank=True, on_delete=models.RESTRICT, related_name="licenses"
    )
    assigned_at = models.DateTimeField(null=True, blank=True)
    # The key: an indexed SHA-256 for lookups; the plaintext only when the policy is not encrypted.
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    key = models.CharField(max_length=128, null=True, blank=True, editable=False)
    key_suffix = models.CharField(
        max_length=8, db_index=True, editable=False, help_text="Last characters, for search."
    )
    status = models.CharField(
        max_length=10,
        choices=[c for c in LicenseStatus.choices if c[0] != LicenseStatus.EXPIRED],
        default=LicenseStatus.ACTIVE,
    )
    source = models.CharField(max_length=10, choices=LicenseSource.choices, default=LicenseSource.MANUAL)
    is_trial = models.BooleanField(default=False)
    name = models.CharField(max_length=150, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(null=True, blank=True)
    validation_count = models.PositiveBigIntegerField(default=0)
    last_validated_at = models.DateTimeField(null=True, blank=True)
    # Commerce: the purchase behind the license, and its own limit (wins over the policy's).
    payment_id = models.CharField(max_length=100, blank=True, db_index=True)
    subscription_id = models.CharField(max_length=100, blank=True, db_index=True)
    activation_limit = models.PositiveIntegerField(
        null=True, blank=True, help_text="Machines for this license alone. Empty: the policy's limit."
    )

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["workspace", "status"])]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace"], condition=Q(is_trial=True), name="one_trial_license_per_workspace"
            )
        ]

    def __str__(self):
        return f"{self.policy} …{self.key_suffix}"

    @property
    def is_expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()

    @property
    def effective_status(self) -> str:
        """Stored status, except that an active license past its expiry is expired."""
        if self.status == LicenseStatus.ACTIVE and self.is_expired:
            return LicenseStatus.EXPIRED
        return self.status

    @property
    def masked_key(self) -> str:
        return f"…{self.key_suffix}"

    @property
    def max_activations(self) -> int | None:
        """The machine limit that holds: the license's own, else its policy's (None: unlimited)."""
        return self.activation_limit if self.activation_limit is not None else self.policy.max_activations


class Activation(models.Model):
    """A machine running the vendor's software under a license."""

    public_id = models.CharField(max_length=32, unique=True, editable=False)
    license = models.ForeignKey(License, on_delete=models.CASCADE, related_name="activations")
    fingerprint = models.CharField(max_length=255)
    name = models.CharField(max_length=150, blank=True)
    platform = models.CharField(max_length=100, blank=True)
    membership = models.ForeignKey(
        "accounts.Membership",
        null=True,
        blank=True,
        on_delete=models.RESTRICT,  # see License.assignee
        related_name="activations",
        help_text="Who activated it with an auth token; empty for license-key and CI activations.",
    )
    created_at = models.DateTimeField(default=timezone.now)
    last_heartbeat_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["license", "fingerprint"], name="uniq_activation_license_fingerprint"
            )
        ]

    def __str__(self):
        return f"{self.name or self.fingerprint} on {self.license}"


class LicenseValidationDay(models.Model):
    """Validation counts per license per day, for the dashboard chart."""

    license = models.ForeignKey(License, on_delete=models.CASCADE, related_name="validation_days")
    day = models.DateField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-day"]
        constraints = [models.UniqueConstraint(fields=["license", "day"], name="uniq_validation_day")]

    def __str__(self):
        return f"{self.day}: {self.count}"


class VendorAction(models.TextChoices):
    CREATED = "created", "License created"
    SUSPENDED = "suspended", "License suspended"
    REINSTATED = "reinstated", "License reinstated"
    REVOKED = "revoked", "License revoked"
    EXTENDED = "extended", "License extended"
    WORKSPACE_DELETED = "workspace_deleted", "Workspace deleted"  # its own log goes with it
    API_KEY_CREATED = "api_key_created", "Vendor API key created"
    API_KEY_REVOKED = "api_key_revoked", "Vendor API key revoked"


class VendorEvent(models.Model):
    """The vendor-level log: who changed which license's lifecycle, deleted a workspace, or made or
    revoked a vendor API key, when and from where, across every workspace (workspace logs cannot hold
    user-less keys, and vanish with their workspace). The actor is a staff user, a vendor API key
    (named in actor_label, with no user) or Keyward itself (billing events, tasks). Written only by
    services, through licensing.services.licenses.vendor_log; read-only in Django admin, with no API
    or dashboard door."""

    action = models.CharField(max_length=20, choices=VendorAction.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(max_length=254, help_text="Who, as shown when the actor is gone.")
    ip = models.GenericIPAddressField(null=True, blank=True)
    license = models.ForeignKey(License, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    license_label = models.CharField(max_length=100, blank=True, help_text="Public id and masked key.")
    workspace_label = models.CharField(max_length=100, blank=True)
    detail = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.get_action_display()} {self.license_label} by {self.actor_label}"
