"""Auth tokens (developer and CI), their daily usage, and the workspace security log."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from . import tokens


class TokenKind(models.TextChoices):
    DEVELOPER = "developer", "Developer"
    CI = "ci", "CI"


class RevokeReason(models.TextChoices):
    MANUAL = "manual", "Revoked by a member"
    LEAKED = "leaked", "Leaked (secret scanning)"
    MEMBER_REMOVED = "member_removed", "Member removed"
    STAFF = "staff", "Revoked by support staff"


class AuthToken(models.Model):
    """One credential slot: a member's developer token, or one of a workspace's CI tokens.

    Rotation replaces the secret in place (new hash, new last 4), so the old
    value is gone for good while the slot keeps its name and its usage history.
    Neither the plaintext nor anything derived from it but the SHA-256 and the
    last four characters is stored.
    """

    public_id = models.CharField(max_length=32, unique=True, editable=False)
    kind = models.CharField(max_length=10, choices=TokenKind.choices)
    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE, related_name="auth_tokens")
    membership = models.ForeignKey(
        "accounts.Membership",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="auth_tokens",
        help_text="The member a developer token belongs to; empty for CI tokens (and for removed members).",
    )
    name = models.CharField(max_length=100, blank=True)
    label = models.CharField(
        max_length=100, blank=True, help_text="Optional grouping: a company, team, app or developer."
    )
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    last4 = models.CharField(max_length=4, editable=False)
    revealed = models.BooleanField(
        default=False, help_text="Whether its current value was ever shown (a new member's token is not)."
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    rotated_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True, help_text="Empty: never expires.")
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoke_reason = models.CharField(max_length=20, choices=RevokeReason.choices, blank=True)
    is_legacy = models.BooleanField(default=False)
    sunset_at = models.DateTimeField(null=True, blank=True, help_text="When a legacy token stops working.")
    parameter_stages = models.JSONField(
        default=list, blank=True, help_text="CI tokens: the parameter stages it may read. Empty: every stage."
    )

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["membership"],
                condition=models.Q(kind="developer", revoked_at__isnull=True),
                name="uniq_live_developer_token_per_membership",
            ),
            models.CheckConstraint(
                condition=models.Q(kind="developer") | models.Q(membership__isnull=True),
                name="ci_token_has_no_membership",
            ),
        ]
        indexes = [models.Index(fields=["workspace", "kind", "revoked_at"])]

    def __str__(self):
        return f"{self.get_kind_display()} token {self.masked}"

    @property
    def masked(self) -> str:
        return tokens.masked(self.kind, self.last4)

    @property
    def is_ci(self) -> bool:
        return self.kind == TokenKind.CI

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    @property
    def is_expired(self) -> bool:
        return self.expires_at is not None and timezone.now() >= self.expires_at

    @property
    def is_sunset(self) -> bool:
        return self.is_legacy and self.sunset_at is not None and timezone.now() >= self.sunset_at

    @property
    def status(self) -> str:
        if self.is_revoked:
            return "revoked"
        if self.is_expired or self.is_sunset:
            return "expired"
        return "legacy" if self.is_legacy else "active"

    @property
    def owner_label(self) -> str:
        if self.is_ci:
            return self.workspace.name
        return self.membership.user.email if self.membership_id else "(removed member)"


class TokenUsageDay(models.Model):
    """Uses of a token on one day (UTC), with the last use of that day.

    The token's totals (use count, last used at / IP) are read from these rows,
    so recording a use is a single upsert: one write per request.
    """

    token = models.ForeignKey(AuthToken, on_delete=models.CASCADE, related_name="usage_days")
    day = models.DateField()
    uses = models.PositiveBigIntegerField(default=0)
    last_used_at = models.DateTimeField()
    last_used_ip = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-day"]
        constraints = [models.UniqueConstraint(fields=["token", "day"], name="uniq_token_usage_day")]

    def __str__(self):
        return f"{self.token_id} on {self.day}: {self.uses}"


class SecurityAction(models.TextChoices):
    TOKEN_CREATED = "token_created", "Token created"
    TOKEN_ROTATED = "token_rotated", "Token reset"
    TOKEN_RENAMED = "token_renamed", "Token renamed"
    TOKEN_REVOKED = "token_revoked", "Token revoked"
    TOKEN_LEAKED = "token_leaked", "Token revoked after a leak report"
    TOKEN_ENDED = "token_ended", "Token ended (member removed)"
    TOKEN_MARKED_LEGACY = "token_marked_legacy", "Token marked legacy"
    PARAMETER_REVEALED = "parameter_revealed", "Secret parameter revealed"
    MEMBER_ADDED = "member_added", "Member added"
    MEMBER_REMOVED = "member_removed", "Member removed"
    ROLE_CHANGED = "role_changed", "Role changed"
    PERMISSIONS_CHANGED = "permissions_changed", "Permissions changed"
    INVITATION_SENT = "invitation_sent", "Invitation sent"
    INVITATION_RESENT = "invitation_resent", "Invitation resent"
    INVITATION_REVOKED = "invitation_revoked", "Invitation revoked"
    INVITATION_ACCEPTED = "invitation_accepted", "Invitation accepted"
    SEAT_ASSIGNED = "seat_assigned", "Seat assigned"
    SEAT_UNASSIGNED = "seat_unassigned", "Seat unassigned"
    TRIAL_STARTED = "trial_started", "Trial started"
    WORKSPACE_RENAMED = "workspace_renamed", "Workspace renamed"
    MACHINE_DEACTIVATED = "machine_deactivated", "Machine deactivated"
    SEATS_RELEASED = "seats_released", "Seats released (member left)"
    LICENSE_REKEYED = "license_rekeyed", "License re-keyed"


class SecurityEvent(models.Model):
    """Who did what to which token, when and from where. Tokens are named by kind and last 4 only.

    Events about something other than a token (a secret parameter revealed) leave the token fields empty."""

    workspace = models.ForeignKey(
        "accounts.Workspace", on_delete=models.CASCADE, related_name="security_events"
    )
    action = models.CharField(max_length=30, choices=SecurityAction.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(
        max_length=254, help_text="Who, as shown when the actor is gone or not a user."
    )
    ip = models.GenericIPAddressField(null=True, blank=True)
    token = models.ForeignKey(
        AuthToken, null=True, blank=True, on_delete=models.SET_NULL, related_name="events"
    )
    token_kind = models.CharField(max_length=10, choices=TokenKind.choices, blank=True)
    token_last4 = models.CharField(max_length=4, blank=True)
    token_name = models.CharField(max_length=254, blank=True)
    detail = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["workspace", "-created_at"])]

    def __str__(self):
        return f"{self.get_action_display()} {self.token_masked} by {self.actor_label}"

    @property
    def token_masked(self) -> str:
        return tokens.masked(self.token_kind, self.token_last4) if self.token_kind else ""


class VendorApiKeyAccess(models.TextChoices):
    READ = "read", "Read-only"
    READ_WRITE = "read_write", "Read and write"


class VendorApiKey(models.Model):
    """A vendor's machine credential (`kw_api_…`) for the staff API, billing and the Dodo management
    endpoints: it belongs to no workspace, so nobody joins one just to hold a credential.

    Stored like every token: the SHA-256 and the last four characters, shown once."""

    public_id = models.CharField(max_length=32, unique=True, editable=False)
    name = models.CharField(max_length=100)
    access = models.CharField(
        max_length=10, choices=VendorApiKeyAccess.choices, default=VendorApiKeyAccess.READ
    )
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    last4 = models.CharField(max_length=4, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(null=True, blank=True, help_text="Empty: never expires.")
    revoked_at = models.DateTimeField(null=True, blank=True)
    use_count = models.PositiveBigIntegerField(default=0, editable=False)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_used_ip = models.GenericIPAddressField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "vendor API key"

    def __str__(self):
        return f"{self.name} ({self.masked})"

    @property
    def masked(self) -> str:
        return tokens.masked("api", self.last4)

    @property
    def log_label(self) -> str:
        """How the vendor log names the key, as actor or target: still clear once the key is revoked."""
        return f"vendor API key {self.name} ({self.public_id})"

    @property
    def is_read_only(self) -> bool:
        return self.access == VendorApiKeyAccess.READ

    @property
    def is_live(self) -> bool:
        return self.revoked_at is None and (self.expires_at is None or timezone.now() < self.expires_at)

    @property
    def status(self) -> str:
        if self.revoked_at is not None:
            return "revoked"
        return "active" if self.is_live else "expired"
