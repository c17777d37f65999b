"""Staff-only reads for the Dodo layer: licenses with their machine count, and machines.

Dodo's API belongs to one business, so these reads span every workspace;
only staff reach them (see views.StaffView).
"""

from __future__ import annotations

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from licensing.models import Activation, License, LicenseStatus
from licensing.selectors.licenses import staff_license_list, status_q
from project.errors import not_found


def _with_instances_count(queryset: QuerySet[License]) -> QuerySet[License]:
    counts = (
        Activation.objects.filter(license=OuterRef("pk")).order_by().values("license").annotate(n=Count("id"))
    )
    return queryset.annotate(instances_count=Coalesce(Subquery(counts.values("n")), Value(0)))


def _dodo_status_q(status: str) -> Q:
    if status == "disabled":
        return Q(status__in=[LicenseStatus.SUSPENDED, LicenseStatus.REVOKED])
    return status_q(status)  # "active" and "expired" mean the same in both worlds


def _customer_q(customer_id: str) -> Q:
    return Q(workspace__slug=customer_id) | Q(workspace__isnull=True, metadata__dodo_customer_id=customer_id)


def dodo_license_key_list(
    *,
    created_at_gte=None,
    created_at_lte=None,
    customer_id: str | None = None,
    product_id: str | None = None,
    source: str | None = None,
    status: str | None = None,
) -> QuerySet[License]:
    queryset = staff_license_list(source=source)
    if created_at_gte:
        queryset = queryset.filter(created_at__gte=created_at_gte)
    if created_at_lte:
        queryset = queryset.filter(created_at__lte=created_at_lte)
    if customer_id:
        queryset = queryset.filter(_customer_q(customer_id))
    if product_id:
        queryset = queryset.filter(policy__product__code=product_id)
    if status:
        queryset = queryset.filter(_dodo_status_q(status))
    return _with_instances_count(queryset)


def dodo_license_key_get(*, public_id: str) -> License:
    license = _with_instances_count(staff_license_list()).filter(public_id=public_id).first()
    if license is None:
        raise not_found("license key")
    return license


def dodo_instance_list(
    *, license_key_id: str | None = None, grant_id: str | None = None
) -> QuerySet[Activation]:
    queryset = Activation.objects.select_related("license").order_by("-created_at", "-pk")
    if grant_id:
        return queryset.none()  # Keyward has no entitlement grants: nothing matches one
    if license_key_id:
        queryset = queryset.filter(license__public_id=license_key_id)
    return queryset


def dodo_instance_get(*, public_id: str) -> Activation:
    activation = Activation.objects.select_related("license").filter(public_id=public_id).first()
    if activation is None:
        raise not_found("license key instance")
    return activation
