"""Reads for commerce. Grants are staff-only here (the staff API, admin and the vendor view)."""

from django.db.models import QuerySet

from project.errors import DomainError, not_found

from .models import Grant, GrantStatus


def staff_grant_list(*, status: str | None = None, product: str | None = None) -> QuerySet[Grant]:
    if status is not None and status not in GrantStatus.values:
        raise DomainError("STATUS_INVALID", f"Status must be one of {', '.join(GrantStatus.values)}.", field="status")
    queryset = Grant.objects.select_related("policy__product", "workspace", "purchase__customer", "license")
    if status:
        queryset = queryset.filter(status=status)
    if product:
        queryset = queryset.filter(policy__product__code=product)
    return queryset.order_by("-created_at", "-id")


def staff_grant_get(*, public_id: str) -> Grant:
    grant = staff_grant_list().filter(public_id=public_id).first()
    if grant is None:
        raise not_found("grant")
    return grant
