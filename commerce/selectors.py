"""Reads for commerce. Grants are staff-only here (the staff API, admin and the vendor view)."""

from urllib.parse import SplitResult, parse_qsl, urlencode, urlsplit, urlunsplit

from django.db.models import QuerySet

from licensing.models import License, LicenseStatus
from project.errors import DomainError, ErrorKind, not_found

from .models import Grant, GrantStatus


def staff_grant_list(*, status: str | None = None, product: str | None = None) -> QuerySet[Grant]:
    if status is not None and status not in GrantStatus.values:
        raise DomainError(
            "STATUS_INVALID", f"Status must be one of {', '.join(GrantStatus.values)}.", field="status"
        )
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


RETURN_URL_MAX = 2000


def _clean_return_url(url) -> SplitResult:
    if (
        not isinstance(url, str)
        or not url
        or len(url) > RETURN_URL_MAX
        or not url.isprintable()
        or " " in url
    ):
        raise DomainError(
            "RETURN_URL_INVALID",
            f"Send an http(s) URL of up to {RETURN_URL_MAX} characters.",
            field="return_url",
        )
    try:
        parts = urlsplit(url)
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
        raise DomainError(
            "RETURN_URL_INVALID", "The return URL must be an absolute http or https URL.", field="return_url"
        )
    return parts


def purchase_license_keys(*, payment_id: str = "", subscription_id: str = "") -> list[str]:
    """The usable keys a payment or subscription produced, oldest first (staff-only)."""
    if bool(payment_id) == bool(subscription_id):
        raise DomainError(
            "PURCHASE_ID_REQUIRED", "Send either a payment_id or a subscription_id.", field="payment_id"
        )
    filters = {"payment_id": payment_id} if payment_id else {"subscription_id": subscription_id}
    licenses = list(
        License.objects.filter(**filters).exclude(status=LicenseStatus.REVOKED).order_by("created_at", "pk")
    )
    if not licenses:
        raise not_found("license for this purchase")
    if any(license.key is None for license in licenses):
        raise DomainError(
            "KEY_NOT_AVAILABLE",
            "The policy keeps only a hash of these keys, so they cannot go into a URL; e-mail them instead.",
            kind=ErrorKind.CONFLICT,
        )
    return [license.key for license in licenses]


def return_url_with_keys(*, return_url: str, payment_id: str = "", subscription_id: str = "") -> str:
    """The return URL with `license_key=` appended (comma-separated keys), keeping its query and fragment."""
    parts = _clean_return_url(return_url)
    keys = purchase_license_keys(payment_id=payment_id, subscription_id=subscription_id)
    query = parse_qsl(parts.query, keep_blank_values=True)
    query.append(("license_key", ",".join(keys)))
    return urlunsplit(parts._replace(query=urlencode(query)))
