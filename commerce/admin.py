"""Django admin for commerce: billing products, customers, the event log (replay failed events),
purchases and grants (fulfil pending ones). Every write goes through commerce.services."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from project.errors import DomainError

from . import imports, services
from .models import BillingCustomer, BillingEvent, BillingProduct, EventStatus, Grant, GrantStatus, Purchase


@admin.register(BillingProduct)
class BillingProductAdmin(admin.ModelAdmin):
    list_display = ("product_id", "policy", "created_at")
    search_fields = ("product_id", "policy__name", "policy__product__code")
    list_select_related = ("policy__product",)


@admin.register(BillingCustomer)
class BillingCustomerAdmin(admin.ModelAdmin):
    list_display = ("email", "name", "workspace", "created_at")
    search_fields = ("email", "name", "workspace__slug")
    list_select_related = ("workspace",)
    readonly_fields = ("created_at",)


@admin.register(BillingEvent)
class BillingEventAdmin(admin.ModelAdmin):
    list_display = (
        "event_id",
        "event_type",
        "status",
        "error_code",
        "occurred_at",
        "received_at",
        "attempts",
    )
    list_filter = ("status", "event_type")
    search_fields = ("event_id", "error_code")
    readonly_fields = [f.name for f in BillingEvent._meta.fields]
    actions = ("replay",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.action(description="Replay selected failed events")
    def replay(self, request, queryset):
        for event in queryset.filter(status=EventStatus.FAILED):
            try:
                event = services.billing_event_replay(event=event)
            except DomainError as error:
                self.message_user(request, f"{event.event_id}: {error.message}", messages.ERROR)
                continue
            level = messages.ERROR if event.status == EventStatus.FAILED else messages.SUCCESS
            detail = event.error_message if event.status == EventStatus.FAILED else event.status
            self.message_user(request, f"{event.event_id}: {detail}", level)


@admin.register(Purchase)
class PurchaseAdmin(admin.ModelAdmin):
    list_display = ("external_id", "kind", "status", "state_at", "policy", "quantity", "customer")
    list_filter = ("kind", "status")
    search_fields = ("external_id", "customer__email")
    list_select_related = ("policy__product", "customer")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ImportForm(forms.Form):
    file = forms.FileField(help_text="CSV, UTF-8, with a header line.")


class FulfilForm(forms.Form):
    key = forms.CharField(max_length=128)
    activation_limit = forms.IntegerField(required=False, min_value=1, max_value=2**31 - 1)
    expires_at = forms.DateTimeField(
        required=False, help_text="Empty: the subscription's or the policy's default."
    )


@admin.register(Grant)
class GrantAdmin(admin.ModelAdmin):
    list_display = (
        "public_id",
        "status",
        "fulfil_link",
        "revocation_reason",
        "policy",
        "workspace",
        "payment_id",
        "subscription_id",
        "created_at",
    )
    list_filter = ("status", "revocation_reason", "policy__product")
    search_fields = (
        "public_id",
        "payment_id",
        "subscription_id",
        "workspace__slug",
        "purchase__customer__email",
    )
    list_select_related = ("policy__product", "workspace", "license")
    readonly_fields = [f.name for f in Grant._meta.fields]
    actions = ("revoke",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.action(description="Revoke selected grants (manual)")
    def revoke(self, request, queryset):
        for grant in queryset:
            services.grant_revoke(grant=grant)
        self.message_user(request, f"{queryset.count()} grant(s) revoked.", messages.SUCCESS)

    change_list_template = "commerce/admin_grant_change_list.html"

    def get_urls(self):
        custom = [
            path(
                "<int:grant_id>/fulfil/",
                self.admin_site.admin_view(self.fulfil_view),
                name="commerce_grant_fulfil",
            ),
            path("import/", self.admin_site.admin_view(self.import_view), name="commerce_license_import"),
        ]
        return custom + super().get_urls()

    def import_view(self, request):
        """Existing keys from a CSV file: all or nothing, bad rows listed by line and field."""
        if not request.user.has_perm("licensing.add_license"):
            raise PermissionDenied
        form = ImportForm(request.POST or None, request.FILES or None)
        row_errors = []
        if request.method == "POST" and form.is_valid():
            try:
                rows = imports.rows_from_csv(form.cleaned_data["file"].read())
                licenses = imports.license_import(rows=rows, created_by=request.user, first_line=2)
            except imports.ImportRejected as rejected:
                form.add_error(None, rejected.message)
                row_errors = rejected.errors
            except DomainError as error:
                form.add_error("file" if error.field in ("file", "rows") else None, error.message)
            else:
                self.message_user(request, f"{len(licenses)} license key(s) imported.", messages.SUCCESS)
                return redirect(reverse("admin:licensing_license_changelist") + "?source__exact=import")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "form": form,
            "row_errors": row_errors,
            "columns": imports.COLUMNS,
            "title": "Import license keys",
        }
        return TemplateResponse(request, "commerce/admin_import.html", context)

    def fulfil_view(self, request, grant_id):
        if not self.has_view_permission(request):
            raise PermissionDenied
        grant = get_object_or_404(Grant.objects.select_related("policy__product", "workspace"), pk=grant_id)
        form = FulfilForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                services.grant_fulfil(grant=grant, **form.cleaned_data)
            except DomainError as error:
                form.add_error(error.field if error.field in form.fields else None, error.message)
            else:
                self.message_user(
                    request, f"Grant {grant.public_id} delivered; the customer is e-mailed.", messages.SUCCESS
                )
                return redirect(reverse("admin:commerce_grant_changelist") + "?status__exact=pending")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "grant": grant,
            "form": form,
            "pending": grant.status == GrantStatus.PENDING,
            "title": f"Fulfil grant {grant.public_id}",
        }
        return TemplateResponse(request, "commerce/admin_grant_fulfil.html", context)

    @admin.display(description="Fulfil")
    def fulfil_link(self, grant):
        if grant.status != GrantStatus.PENDING:
            return "—"
        return format_html(
            '<a href="{}">Supply the key</a>', reverse("admin:commerce_grant_fulfil", args=[grant.pk])
        )
