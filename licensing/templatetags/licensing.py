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


@register.inclusion_tag("licensing/_overview_panel.html")
def license_overview(membership):
    """The licensing panel of a workspace's overview: your license, and seat counts for license managers."""
    from accounts.models import Capability

    from ..selectors.licenses import license_for_member, license_status_counts

    can_manage = membership.has_capability(Capability.MANAGE_LICENSES)
    return {
        "membership": membership,
        "my_license": license_for_member(membership=membership),
        "counts": license_status_counts(workspace=membership.workspace) if can_manage else None,
    }
