"""Users, workspaces, memberships with roles and capabilities, invitations."""

import uuid

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra):
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email, password=None, **extra):
        extra.update(is_staff=True, is_superuser=True)
        return self._create_user(email, password, **extra)

    def get_by_natural_key(self, email):
        return self.get(email__iexact=email)


class User(AbstractBaseUser, PermissionsMixin):
    """A person. Logs in with an e-mail address, which is stored lower-cased."""

    email = models.EmailField(unique=True)
    full_name = models.CharField(max_length=150, blank=True)
    is_staff = models.BooleanField(default=False, help_text="Can log into Django admin and the staff API.")
    is_active = models.BooleanField(default=True)
    # Proven by a link sent to the address (or by arriving through an invitation sent there);
    # until then the account sees no invitations, so nobody claims one by typing another's address.
    email_verified = models.BooleanField(default=False)
    # A new address waiting for its confirmation link; `email` changes only once it is clicked.
    pending_email = models.EmailField(blank=True)
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = []

    class Meta:
        ordering = ["email"]

    def __str__(self):
        return self.email

    def get_full_name(self):
        return self.full_name or self.email

    def get_short_name(self):
        return (self.full_name.split() or [self.email])[0]


class Workspace(models.Model):
    """A customer of the vendor: the unit that owns licenses and CI tokens."""

    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=60, unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Role(models.TextChoices):
    OWNER = "owner", "Owner"
    ADMIN = "admin", "Admin"
    MEMBER = "member", "Member"


ROLE_RANK = {Role.MEMBER: 1, Role.ADMIN: 2, Role.OWNER: 3}


class Capability(models.TextChoices):
    """Advanced permissions. Owners and admins hold all; members hold the ones toggled on."""

    MANAGE_MEMBERS = "manage_members", "Manage members"
    MANAGE_LICENSES = "manage_licenses", "Manage licenses"
    MANAGE_CI_TOKENS = "manage_ci_tokens", "Manage CI tokens"
    MANAGE_PARAMETERS = "manage_parameters", "Manage parameters"
    VIEW_USAGE = "view_usage", "View usage"


CAPABILITIES = tuple(Capability.values)


class Membership(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)
    # One column per capability: cheap to filter on, and the set is small and fixed.
    manage_members = models.BooleanField(default=False)
    manage_licenses = models.BooleanField(default=False)
    manage_ci_tokens = models.BooleanField(default=False)
    manage_parameters = models.BooleanField(default=False)
    view_usage = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["workspace", "user__email"]
        constraints = [
            models.UniqueConstraint(fields=["user", "workspace"], name="uniq_membership_user_workspace")
        ]
        indexes = [models.Index(fields=["workspace", "role"])]

    def __str__(self):
        return f"{self.user} in {self.workspace} ({self.role})"

    @property
    def rank(self) -> int:
        return ROLE_RANK[self.role]

    @property
    def is_admin_or_owner(self) -> bool:
        return self.role in (Role.OWNER, Role.ADMIN)

    def has_capability(self, capability: str) -> bool:
        if capability not in CAPABILITIES:
            raise ValueError(f"Unknown capability {capability!r}")
        return self.is_admin_or_owner or getattr(self, capability)

    def capabilities(self) -> dict[str, bool]:
        """The effective capabilities, role included."""
        return {cap: self.has_capability(cap) for cap in CAPABILITIES}


class InvitationStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined"
    REVOKED = "revoked", "Revoked"


class Invitation(models.Model):
    """A single-use offer of membership, sent to an e-mail address.

    The public `key` (a random UUID) identifies it in the link; accepting also
    requires being logged in with the invited address, so the link alone grants
    nothing.
    """

    key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(
        max_length=10, choices=InvitationStatus.choices, default=InvitationStatus.PENDING
    )
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    responded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                Lower("email"),
                "workspace",
                condition=models.Q(status="pending"),
                name="uniq_pending_invitation_per_email",
            )
        ]

    def __str__(self):
        return f"{self.email} to {self.workspace} ({self.status})"

    @property
    def is_expired(self) -> bool:
        return timezone.now() >= self.expires_at

    @property
    def is_open(self) -> bool:
        return self.status == InvitationStatus.PENDING and not self.is_expired
