"""Support staff see tokens by kind, owner, workspace and last 4: never a hash, never a chosen value."""

from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Max
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone

from project import sealed
from project.errors import DomainError

from . import services, vendor_keys
from .models import AuthToken, SecurityEvent, VendorApiKey

NEW_VENDOR_KEY = "authtokens.new_vendor_key"

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


class VendorApiKeyAddForm(forms.ModelForm):
    class Meta:
        model = VendorApiKey
        fields = ("name", "access", "expires_at")

    def clean_expires_at(self):
        expires_at = self.cleaned_data["expires_at"]
        if expires_at is not None and expires_at <= timezone.now():
            raise forms.ValidationError("Choose an expiry in the future, or none.")
        return expires_at


@admin.register(VendorApiKey)
class VendorApiKeyAdmin(admin.ModelAdmin):
    """Staff add a key here; it is shown once, on the page the save redirects to, then never again."""

    list_display = (
        "name",
        "masked",
        "access",
        "status",
        "use_count",
        "last_used_at",
        "expires_at",
        "created_at",
    )
    list_filter = ("access", ("revoked_at", admin.EmptyFieldListFilter))
    search_fields = ("name", "last4", "public_id")
    actions = ("revoke_keys",)

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = VendorApiKeyAddForm
        return super().get_form(request, obj, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("name", "access", "expires_at")
        return (
            "public_id",
            "name",
            "masked",
            "access",
            "status",
            "created_by",
            "created_at",
            "expires_at",
            "revoked_at",
            "use_count",
            "last_used_at",
            "last_used_ip",
        )

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else self.get_fields(request, obj)

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        try:
            issued = vendor_keys.vendor_api_key_create(
                created_by=request.user,
                name=data["name"],
                access=data["access"],
                expires_at=data["expires_at"],
            )
        except DomainError as error:
            raise PermissionDenied(error.message) from None
        for field in VendorApiKey._meta.concrete_fields:
            setattr(obj, field.attname, getattr(issued.key, field.attname))
        obj._state.adding = False
        request._new_vendor_key = issued.plaintext

    def response_add(self, request, obj, post_url_continue=None):
        sealed.stash(request, NEW_VENDOR_KEY, {"key_id": obj.pk, "key": request._new_vendor_key})
        return redirect(reverse("admin:authtokens_vendorapikey_created", args=[obj.pk]))

    def get_urls(self):
        custom = [
            path(
                "<int:key_id>/created/",
                self.admin_site.admin_view(self.created_view),
                name="authtokens_vendorapikey_created",
            )
        ]
        return custom + super().get_urls()

    def created_view(self, request, key_id):
        if not self.has_add_permission(request):
            raise PermissionDenied
        key = get_object_or_404(VendorApiKey, pk=key_id)
        shown = sealed.pop(request, NEW_VENDOR_KEY)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "key": key,
            "plaintext_key": shown["key"] if shown and shown.get("key_id") == key.pk else None,
            "title": "Vendor API key created",
        }
        response = TemplateResponse(request, "authtokens/admin_vendor_key_created.html", context)
        response["Cache-Control"] = "no-store"
        return response

    @admin.action(description="Revoke selected vendor API keys")
    def revoke_keys(self, request, queryset):
        for key in queryset:
            vendor_keys.vendor_api_key_revoke(revoked_by=request.user, key=key)
        self.message_user(request, f"{queryset.count()} key(s) revoked.", messages.SUCCESS)
