"""Support staff manage vendor webhook endpoints (and see every workspace's) through the services.
Signing secrets are shown once, on the response that made them; never in a list, a form or a message."""

from django import forms
from django.contrib import admin, messages
from django.template.response import TemplateResponse

from project.errors import DomainError

from . import services, ssrf
from .events import EVENT_TYPES
from .models import WebhookAttempt, WebhookDelivery, WebhookEndpoint


class EndpointForm(forms.ModelForm):
    url = forms.URLField(max_length=2000, assume_scheme="https")
    event_types = forms.MultipleChoiceField(
        choices=[(name, name) for name in EVENT_TYPES], widget=forms.CheckboxSelectMultiple
    )

    payload_format = forms.ChoiceField(
        choices=WebhookEndpoint._meta.get_field("payload_format").choices,
        required=False,
        help_text="Dodo Payments: Dodo's own payload shapes, so a Dodo webhook handler keeps working.",
    )

    class Meta:
        model = WebhookEndpoint
        fields = ["workspace", "url", "description", "event_types", "payload_format", "enabled"]
        help_texts = {"workspace": "Empty: a vendor endpoint that hears every workspace's events."}

    def clean_url(self):
        try:
            return ssrf.clean_url(self.cleaned_data["url"])  # the services' own check, for a form error
        except DomainError as error:
            raise forms.ValidationError(error.message) from None


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    form = EndpointForm
    list_display = ("url", "owner", "enabled", "disabled_reason", "created_at")
    list_filter = ("enabled", ("workspace", admin.EmptyFieldListFilter))
    search_fields = ("url", "description", "workspace__name", "workspace__slug")
    list_select_related = ("workspace",)
    readonly_fields = ("disabled_reason", "created_by", "created_at")
    actions = ("rotate_secrets", "send_test_events")

    @admin.display(description="Owner")
    def owner(self, endpoint):
        return endpoint.workspace or "Vendor (every workspace)"

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields + (("workspace",) if obj else ())

    def save_model(self, request, obj, form, change):
        data = {name: form.cleaned_data[name] for name in ("url", "description", "event_types")}
        data["payload_format"] = form.cleaned_data.get("payload_format") or "keyward"
        if change:
            services.endpoint_update(
                actor=request.user, endpoint=obj, enabled=form.cleaned_data["enabled"], **data
            )
            return
        endpoint, secret = services.endpoint_create(
            actor=request.user, workspace=form.cleaned_data["workspace"], **data
        )
        obj.pk = endpoint.pk
        obj._state.adding = False
        request._new_secrets = [(endpoint, secret)]

    def response_add(self, request, obj, post_url_continue=None):
        return self._show_secrets(request, request._new_secrets, "Endpoint created", rotated=False)

    def _show_secrets(self, request, secrets, title, rotated):
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "secrets": secrets,
            "title": title,
            "rotated": rotated,
        }
        return TemplateResponse(request, "webhooks/admin_secrets.html", context)

    @admin.action(description="Rotate the signing secret (the old one stays valid for 24 hours)")
    def rotate_secrets(self, request, queryset):
        secrets = [services.endpoint_rotate_secret(actor=request.user, endpoint=e) for e in queryset]
        return self._show_secrets(request, secrets, "Secrets rotated", rotated=True)

    @admin.action(description="Send a test event")
    def send_test_events(self, request, queryset):
        for endpoint in queryset:
            services.endpoint_send_test(actor=request.user, endpoint=endpoint)
        self.message_user(request, f"Test event queued for {queryset.count()} endpoint(s).", messages.SUCCESS)


class AttemptInline(admin.TabularInline):
    model = WebhookAttempt
    fields = ("attempted_at", "status_code", "duration_ms", "error", "response_body")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    """The delivery log: read-only, with redelivery as an action."""

    list_display = ("event_type", "endpoint", "status", "attempts", "created_at", "next_attempt_at")
    list_filter = ("status", "event__type")
    search_fields = ("endpoint__url", "event__id", "ordering_key")
    list_select_related = ("event", "endpoint")
    fields = (
        "event_id",
        "event_type",
        "endpoint",
        "status",
        "attempts",
        "created_at",
        "next_attempt_at",
        "payload",
    )
    readonly_fields = fields
    inlines = [AttemptInline]
    actions = ("redeliver",)

    @admin.display(description="Event type")
    def event_type(self, delivery):
        return delivery.event.type

    @admin.display(description="Payload")
    def payload(self, delivery):
        return delivery.event.payload

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.action(description="Redeliver (same webhook-id)")
    def redeliver(self, request, queryset):
        for delivery in queryset.select_related("endpoint", "event"):
            services.delivery_redeliver(actor=request.user, delivery=delivery)
        self.message_user(request, f"{queryset.count()} delivery(ies) queued again.", messages.SUCCESS)
