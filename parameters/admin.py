"""Support staff see which parameters exist and when they changed; never a value (secret or not)."""

from django.contrib import admin

from .models import Parameter


@admin.register(Parameter)
class ParameterAdmin(admin.ModelAdmin):
    list_display = ("name", "stage", "workspace", "is_secret", "version", "updated_at", "updated_by")
    list_filter = ("is_secret", "stage")
    search_fields = ("name", "workspace__name", "workspace__slug")
    list_select_related = ("workspace", "updated_by")
    fields = ("workspace", "stage", "name", "is_secret", "description", "version", "updated_at", "updated_by")
    readonly_fields = fields

    def has_add_permission(self, request):
        return False  # writes go through the dashboard or the API, which keep versions and encrypt

    def has_change_permission(self, request, obj=None):
        return False
