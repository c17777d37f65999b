"""Template helpers for licensing pages: {% load licensing %}."""

from django import template

register = template.Library()


@register.filter
def coverage_for(license_seats, membership):
    """`license_seats|coverage_for:membership`: one member's MemberCoverage (their seats and the
    trial that covers them) from selectors.entitlement.member_coverage, or None."""
    if not license_seats:
        return None
    return license_seats.get(getattr(membership, "pk", membership))


@register.inclusion_tag("licensing/_status_badge.html")
def license_status(license):
    return {"status": license.effective_status, "label": license.effective_status.title(), "license": license}


@register.inclusion_tag("licensing/_overview_panel.html")
def license_overview(membership):
    """The licensing panel of a workspace's overview: your license, and seat counts for license managers."""
    from accounts.models import Capability

    from ..selectors.entitlement import member_entitlement
    from ..selectors.licenses import license_status_counts, workspace_has_licenses
    from ..services.licenses import trial_policy

    can_manage = membership.has_capability(Capability.MANAGE_LICENSES)
    my_license = member_entitlement(membership=membership).license
    has_licenses = my_license is not None or workspace_has_licenses(workspace=membership.workspace)
    return {
        "membership": membership,
        "my_license": my_license,
        "counts": license_status_counts(workspace=membership.workspace)
        if can_manage and has_licenses
        else None,
        # A workspace without any license is offered the trial rather than told to assign one.
        "trial_policy": None if has_licenses else trial_policy(),
    }


@register.filter
def markdown(text: str):
    """Staff-written Markdown rendered safely: raw HTML is escaped and javascript:-style links are
    refused by markdown-it's own link validation, so the output can be marked safe."""
    from django.utils.safestring import mark_safe
    from markdown_it import MarkdownIt

    return mark_safe(MarkdownIt("commonmark", {"html": False}).render(text or ""))
