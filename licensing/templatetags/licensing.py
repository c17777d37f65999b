"""Template helpers for licensing pages: {% load licensing %}."""

from django import template

register = template.Library()


@register.filter
def seats_for(license_seats, membership):
    """`license_seats|seats_for:membership`: one member's licenses from a {membership id: [...]} dict."""
    if not license_seats:
        return []
    return license_seats.get(getattr(membership, "pk", membership), [])


@register.inclusion_tag("licensing/_status_badge.html")
def license_status(license):
    return {"status": license.effective_status, "label": license.effective_status.title(), "license": license}
