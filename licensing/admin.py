"""Django admin for support staff: products, policies, licenses and machines.

Every write goes through licensing.services. Keys are never shown here, not
even the hash: a license appears as its last characters, and a new license's
key is shown once on the page that follows its creation.
"""

from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from project import sealed
from project.errors import DomainError

from .models import Activation, License, Policy, Product, VendorEvent
from .selectors.licenses import status_q
from .services import catalog
from .services import licenses as services

EXTEND_DAYS = 30


class ServiceCheckedForm(forms.ModelForm):
    """A catalogue form whose rules are the service's own: clean() runs the service's checks and
    shows a DomainError next to its field, so admin cannot save what the staff API would refuse."""

    FIELD_NAMES = {}  # the service's field name -> this form's

    def check(self, data: dict) -> None:
        raise NotImplementedError

    def clean(self):
        data = super().clean()
        if not self.errors:
            try:
                self.check(data)
            except DomainError as error:
                field = self.FIELD_NAMES.get(error.field, error.field)
                self.add_error(field if field in self.fields else None, error.message)
        return data


class ProductForm(ServiceCheckedForm):
    class Meta:
        model = Product
        fields = ["name", "code"]

    def check(self, data):
        catalog.product_clean(
            name=data.get("name"), code=data.get("code"), product=self.instance.pk and self.instance
        )


POLICY_FIELDS = [
    "product",
    "name",
    "duration",
    "max_activations",
    "trial_days",
    "offline_lifetime",
    "heartbeat_interval",
    "encrypted",
    "key_prefix",
    "activation_instructions",
    "allow_ci",
    "ci_only",
    "trial_available",
]


class PolicyForm(ServiceCheckedForm):
    FIELD_NAMES = {
        "duration_days": "duration",
        "offline_lifetime_hours": "offline_lifetime",
        "heartbeat_interval_minutes": "heartbeat_interval",
    }

    class Meta:
        model = Policy
        fields = POLICY_FIELDS

    def check(self, data):
        catalog.policy_clean(**{field: data.get(field) for field in POLICY_FIELDS})


class ProductAdmin(admin.ModelAdmin):
    form = ProductForm
    list_display = ["name", "code", "policy_count", "created_at"]
    search_fields = ["name", "code"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(policy_total=Count("policies"))

    @admin.display(description="Policies", ordering="policy_total")
    def policy_count(self, product):
        return product.policy_total

    def save_model(self, request, obj, form, change):
        data = {field: form.cleaned_data[field] for field in ("name", "code")}
        if change:
            catalog.product_update(product=obj, **data)
        else:
            created = catalog.product_create(**data)
            obj.pk, obj.created_at = created.pk, created.created_at
            obj._state.adding = False


class PolicyAdmin(admin.ModelAdmin):
    form = PolicyForm
    list_display = [
        "name",
        "product",
        "duration",
        "max_activations",
        "encrypted",
        "allow_ci",
        "ci_only",
        "trial_available",
        "key_prefix",
    ]
    list_filter = ["product", "encrypted", "allow_ci", "ci_only", "trial_available"]
    list_select_related = ["product"]
    search_fields = ["name", "product__name", "product__code"]
    fieldsets = [
        (None, {"fields": ["product", "name", "key_prefix", "encrypted"]}),
        (
            "Limits",
            {
                "fields": [
                    "duration",
                    "max_activations",
                    "offline_lifetime",
                    "heartbeat_interval",
                    "allow_ci",
                    "ci_only",
                ]
            },
        ),
        ("Trial", {"fields": ["trial_available", "trial_days"]}),
        ("Customers see", {"fields": ["activation_instructions"]}),
    ]

    def save_model(self, request, obj, form, change):
        data = {field: form.cleaned_data[field] for field in POLICY_FIELDS}
        if change:
            catalog.policy_update(policy=obj, **data)
        else:
            created = catalog.policy_create(**data)
            for field in Policy._meta.concrete_fields:
                setattr(obj, field.attname, getattr(created, field.attname))
            obj._state.adding = False


class EffectiveStatusFilter(admin.SimpleListFilter):
    """Status as customers see it: an active license past its expiry is expired."""

    title = "status"
    parameter_name = "effective_status"

    def lookups(self, request, model_admin):
        return [
            ("active", "Active"),
            ("expired", "Expired"),
            ("suspended", "Suspended"),
            ("revoked", "Revoked"),
        ]

    def queryset(self, request, queryset):
        return queryset.filter(status_q(self.value())) if self.value() else queryset


class LicenseAddForm(forms.ModelForm):
    supplied_key = forms.CharField(
        label="Key",
        required=False,
        max_length=128,
        strip=True,
        help_text="Leave empty to generate one from the policy's prefix. Shown once after saving.",
    )

    class Meta:
        model = License
        fields = ["policy", "workspace", "supplied_key", "name", "metadata", "expires_at", "source"]
        help_texts = {
            "workspace": "Empty: a user-less key that carries metadata instead.",
            "expires_at": "Empty: computed from the policy's duration.",
        }

    def clean_supplied_key(self):
        key = self.cleaned_data["supplied_key"]
        if not key:
            return None
        key = _validated(services.clean_key, key)
        _validated(services.ensure_key_available, key)
        return key

    def clean_metadata(self):
        return _validated(services.clean_metadata, self.cleaned_data.get("metadata"))


class LicenseChangeForm(forms.ModelForm):
    class Meta:
        model = License
        fields = ["name", "metadata", "expires_at"]

    def clean_metadata(self):
        return _validated(services.clean_metadata, self.cleaned_data.get("metadata"))


def _validated(check, value):
    try:
        return check(value)
    except DomainError as error:
        raise forms.ValidationError(error.message, code=error.code) from None


class ActivationInline(admin.TabularInline):
    model = Activation
    extra = 0
    fields = ["public_id", "name", "fingerprint", "platform", "membership", "created_at", "last_heartbeat_at"]
    readonly_fields = fields
    can_delete = True
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


NEW_KEY = "licensing_new_key"


class LicenseAdmin(admin.ModelAdmin):
    list_display = [
        "masked_key",
        "policy",
        "workspace",
        "holder",  # the e-mail only: the membership's full label made the list wider than 1280 px
        "status_badge",
        "expires_at",
        "validation_count",
    ]
    list_filter = [EffectiveStatusFilter, "source", "is_trial", "policy__product", "policy"]
    list_select_related = ["policy__product", "workspace", "assignee__user"]
    search_fields = [
        "public_id",
        "key_suffix",
        "name",
        "workspace__slug",
        "workspace__name",
        "assignee__user__email",
    ]
    readonly_fields = [
        "public_id",
        "masked_key",
        "policy",
        "workspace",
        "assignee",
        "assigned_at",
        "status",
        "source",
        "is_trial",
        "created_by",
        "created_at",
        "validation_count",
        "last_validated_at",
    ]
    inlines = [ActivationInline]
    actions = ["suspend", "reinstate", "revoke", "extend", "rekey"]
    date_hierarchy = "created_at"

    def get_form(self, request, obj=None, **kwargs):
        kwargs["form"] = LicenseChangeForm if obj else LicenseAddForm
        return super().get_form(request, obj, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return LicenseAddForm.Meta.fields
        return [
            "public_id",
            "masked_key",
            "policy",
            "workspace",
            "assignee",
            "assigned_at",
            "status",
            "source",
            "is_trial",
            "name",
            "metadata",
            "expires_at",
            "created_by",
            "created_at",
            "validation_count",
            "last_validated_at",
        ]

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj else []

    def get_inlines(self, request, obj):
        return self.inlines if obj else []

    @admin.display(description="Key", ordering="key_suffix")
    def masked_key(self, license):
        return format_html('<span style="white-space: nowrap">{}</span>', license.masked_key)

    @admin.display(description="Assigned to", ordering="assignee__user__email")
    def holder(self, license):
        return license.assignee.user.email if license.assignee_id else "—"

    @admin.display(description="Status")
    def status_badge(self, license):
        return license.get_status_display() if license.effective_status != "expired" else "Expired"

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if change:
            services.license_update(
                license=obj, name=data["name"], metadata=data["metadata"], expires_at=data["expires_at"]
            )
            return
        license, plaintext = services.license_create(
            policy=data["policy"],
            workspace=data["workspace"],
            key=data["supplied_key"],
            name=data["name"],
            metadata=data["metadata"],
            source=data["source"],
            created_by=request.user,
            expires_at=data["expires_at"],
        )
        for field in License._meta.concrete_fields:
            setattr(obj, field.attname, getattr(license, field.attname))
        obj._state.adding = False
        request._new_license_key = plaintext

    def response_add(self, request, obj, post_url_continue=None):
        """Redirects to a page that shows the new key once, so reloading it cannot add a second
        license. The key crosses the redirect encrypted in the session (project/sealed.py), never
        in a message, a URL or a log."""
        sealed.stash(request, NEW_KEY, {"license": obj.pk, "key": request._new_license_key})
        return redirect(reverse("admin:licensing_license_key_created", args=[obj.pk]))

    def get_urls(self):
        custom = [
            path(
                "<int:license_id>/key/",
                self.admin_site.admin_view(self.key_created_view),
                name="licensing_license_key_created",
            )
        ]
        return custom + super().get_urls()

    def has_delete_permission(self, request, obj=None):
        """Licenses are never deleted here: revoke one instead, so its history and machines' records
        stay and the key can never validate again."""
        return False

    @admin.action(description="Re-key the selected license (show the new key once; release its machines)")
    def rekey(self, request, queryset):
        licenses = list(queryset[:2])
        if len(licenses) != 1:
            self.message_user(request, "Select exactly one license to re-key.", messages.ERROR)
            return None
        try:
            license, plaintext = services.license_rekey(license=licenses[0], staff=request.user)
        except DomainError as error:
            self.message_user(request, f"{licenses[0].masked_key}: {error.message}", messages.ERROR)
            return None
        sealed.stash(request, NEW_KEY, {"license": license.pk, "key": plaintext, "title": "License re-keyed"})
        return redirect(reverse("admin:licensing_license_key_created", args=[license.pk]))

    def key_created_view(self, request, license_id):
        if not self.has_change_permission(request):
            raise PermissionDenied
        license = get_object_or_404(License.objects.select_related("policy", "workspace"), pk=license_id)
        shown = sealed.pop(request, NEW_KEY)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "license": license,
            "plaintext_key": shown["key"] if shown and shown.get("license") == license.pk else None,
            "title": (shown or {}).get("title", "License created"),
        }
        response = TemplateResponse(request, "licensing/admin_key_created.html", context)
        response["Cache-Control"] = "no-store"
        return response

    def _apply(self, request, queryset, operation, done: str, **kwargs):
        changed, failed = 0, []
        for license in queryset:
            try:
                operation(license=license, actor=request.user, **kwargs)
                changed += 1
            except DomainError as error:
                failed.append(f"{license.masked_key}: {error.message}")
        if changed:
            self.message_user(request, f"{changed} license(s) {done}.", messages.SUCCESS)
        for failure in failed:
            self.message_user(request, failure, messages.ERROR)

    @admin.action(description="Suspend selected licenses")
    def suspend(self, request, queryset):
        self._apply(request, queryset, services.license_suspend, "suspended")

    @admin.action(description="Reinstate selected licenses")
    def reinstate(self, request, queryset):
        self._apply(request, queryset, services.license_reinstate, "reinstated")

    @admin.action(description="Revoke selected licenses (final)")
    def revoke(self, request, queryset):
        self._apply(request, queryset, services.license_revoke, "revoked")

    @admin.action(description=f"Extend selected licenses by {EXTEND_DAYS} days")
    def extend(self, request, queryset):
        self._apply(request, queryset, services.license_extend, "extended", by=timedelta(days=EXTEND_DAYS))


class ActivationAdmin(admin.ModelAdmin):
    list_display = [
        "public_id",
        "name",
        "platform",
        "license",
        "membership",
        "created_at",
        "last_heartbeat_at",
    ]
    list_select_related = ["license__policy__product", "membership__user"]
    search_fields = ["public_id", "name", "fingerprint", "license__public_id"]
    readonly_fields = [
        "public_id",
        "license",
        "fingerprint",
        "name",
        "platform",
        "membership",
        "created_at",
        "last_heartbeat_at",
    ]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


admin.site.register(Product, ProductAdmin)
admin.site.register(Policy, PolicyAdmin)
admin.site.register(License, LicenseAdmin)
admin.site.register(Activation, ActivationAdmin)


@admin.register(VendorEvent)
class VendorEventAdmin(admin.ModelAdmin):
    """The vendor-level log of staff actions on licenses: readable, never editable or deletable."""

    list_display = ("created_at", "action", "license_label", "workspace_label", "actor_label", "ip", "detail")
    list_filter = ("action",)
    search_fields = ("license_label", "workspace_label", "actor_label", "detail")
    date_hierarchy = "created_at"

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
