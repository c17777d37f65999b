"""Support staff see tokens by kind, owner, workspace and last 4: never a hash, never a chosen value."""

from datetime import timedelta

from django.contrib import admin, messages
from django.db.models import Max
from django.utils import timezone

from project.errors import DomainError

from . import services
from .models import AuthToken, SecurityEvent

LEGACY_NOTICE_DAYS = 90


@admin.register(AuthToken)
class AuthTokenAdmin(admin.ModelAdmin):
    list_display = ("masked", "kind", "owner", "workspace", "name", "status", "last_used", "created_at")
    list_filter = ("kind", "is_legacy", ("revoked_at", admin.EmptyFieldListFilter))
    search_fields = (
        "workspace__name",
        "workspace__slug",
        "membership__user__email",
        "name",
        "label",
        "last4",
    )
    list_select_related = ("workspace", "membership__user")
    # Deliberately no token_hash anywhere: not in fields, list, search or filters.
    fields = (
        "public_id",
        "kind",
        "workspace",
        "membership",
        "name",
        "label",
        "masked",
        "status",
        "revealed",
        "created_by",
        "created_at",
        "rotated_at",
        "expires_at",
        "revoked_at",
        "revoke_reason",
        "is_legacy",
        "sunset_at",
    )
    # Only the sunset date is editable: saving one marks the token legacy through the service.
    readonly_fields = tuple(name for name in fields if name != "sunset_at")
    actions = ("revoke_tokens", "mark_legacy")
    date_hierarchy = "created_at"

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(last_used_at=Max("usage_days__last_used_at"))

    @admin.display(description="Last used", ordering="last_used_at", empty_value="Never")
    def last_used(self, token):
        return token.last_used_at

    @admin.display(description="Token")
    def masked(self, token):
        return token.masked

    @admin.display(description="Owner")
    def owner(self, token):
        return token.owner_label

    def has_add_permission(self, request):
        return False  # tokens are issued by the services only, with a random value

    def save_model(self, request, obj, form, change):
        if "sunset_at" in form.changed_data and obj.sunset_at:
            services.token_mark_legacy(token=obj, sunset_at=obj.sunset_at, staff_user=request.user)
            self.message_user(
                request, f"{obj.masked} is legacy now and stops working on {obj.sunset_at:%Y-%m-%d}."
            )

    def has_delete_permission(self, request, obj=None):
        return False  # revoke instead: the security log keeps pointing at the token

    @admin.action(description="Revoke selected tokens")
    def revoke_tokens(self, request, queryset):
        count = 0
        for token in queryset:
            if not token.is_revoked:
                services.token_revoke_by_staff(token=token, staff_user=request.user)
                count += 1
        self.message_user(request, f"Revoked {count} token(s).", messages.SUCCESS)

    @admin.action(description=f"Mark legacy, sunset in {LEGACY_NOTICE_DAYS} days")
    def mark_legacy(self, request, queryset):
        sunset = timezone.now() + timedelta(days=LEGACY_NOTICE_DAYS)
        try:
            for token in queryset.filter(revoked_at__isnull=True):
                services.token_mark_legacy(token=token, sunset_at=sunset, staff_user=request.user)
        except DomainError as error:
            self.message_user(request, error.message, messages.ERROR)
        else:
            self.message_user(
                request, f"Marked legacy; they stop working on {sunset:%Y-%m-%d}.", messages.SUCCESS
            )


@admin.register(SecurityEvent)
class SecurityEventAdmin(admin.ModelAdmin):
    list_display = ("created_at", "workspace", "action", "token_masked", "token_name", "actor_label", "ip")
    list_filter = ("action", "token_kind")
    search_fields = ("workspace__name", "workspace__slug", "actor_label", "token_last4", "token_name")
    list_select_related = ("workspace",)
    date_hierarchy = "created_at"

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
