"""Parameters: named values per workspace and stage, secret ones encrypted, every change kept as a version.

`stored_value` holds the plaintext of a non-secret value, or the Fernet token
of a secret one (see crypto.py); only services and selectors turn it into a
value, so no door can show a secret by accident.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone

DEFAULT_STAGE = "default"


class Parameter(models.Model):
    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE, related_name="parameters")
    stage = models.CharField(max_length=32)
    name = models.CharField(max_length=128)
    is_secret = models.BooleanField(default=False)
    stored_value = models.TextField(
        blank=True, help_text="Plain for a non-secret value, Fernet for a secret."
    )
    description = models.CharField(max_length=500, blank=True)
    version = models.PositiveIntegerField(default=1, help_text="The number of the current version.")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["name", "stage"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "stage", "name"], name="uniq_parameter_per_stage")
        ]

    def __str__(self):
        return f"{self.name} ({self.stage})"


class ParameterVersion(models.Model):
    """One value a parameter had: kept on every change, so any of them can be restored."""

    parameter = models.ForeignKey(Parameter, on_delete=models.CASCADE, related_name="versions")
    version = models.PositiveIntegerField()
    is_secret = models.BooleanField(default=False)
    stored_value = models.TextField(blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    changed_at = models.DateTimeField(default=timezone.now)
    note = models.CharField(max_length=100, blank=True, help_text="Created, changed, or restored from vN.")

    class Meta:
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(fields=["parameter", "version"], name="uniq_parameter_version")
        ]

    def __str__(self):
        return f"{self.parameter} v{self.version}"
