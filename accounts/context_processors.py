"""The workspace switcher and the workspace navigation, for every dashboard page."""

from django.conf import settings
from django.urls import NoReverseMatch, reverse

from . import selectors

# (label, url name, capability needed or None). An entry whose page does not
# exist yet is left out, so apps can add pages without touching the layout.
WORKSPACE_NAV = [
    ("Overview", "accounts:workspace_home", None),
    ("Users & licenses", "accounts:members", None),
    ("Licenses", "licensing:licenses", "manage_licenses"),
    ("My license", "licensing:my_license", None),
    ("Auth tokens", "authtokens:tokens", None),
    ("Parameters", "parameters:parameters", None),
    ("Security log", "authtokens:security_log", "admin"),
    ("Webhooks", "webhooks:endpoints", "manage_members"),
    ("Settings", "accounts:workspace_settings", None),
]


def _visible(membership, requirement):
    if requirement is None:
        return True
    if requirement == "admin":
        return membership.is_admin_or_owner
    return membership.has_capability(requirement)


def _mark_active(nav: list[dict], path: str) -> None:
    """The entry whose URL is the longest prefix of the path: sub-pages (a license, a token,
    a form shown again after an error) keep their section highlighted."""
    if not nav:
        return
    # The overview is the workspace's root URL, a prefix of every page: it counts only for itself.
    root = min(nav, key=lambda item: len(item["url"]))
    matches = [
        item for item in nav if path.startswith(item["url"]) and (item is not root or path == item["url"])
    ]
    if matches:
        max(matches, key=lambda item: len(item["url"]))["active"] = True


def workspace_navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {
            "public_signup": settings.PUBLIC_SIGNUP
        }  # visitors are offered "Sign up" only when it is open
    context = {"my_memberships": selectors.membership_list_for_user(user=user)}
    membership = getattr(request, "membership", None)
    if membership is None:
        return context
    nav = []
    for label, url_name, requirement in WORKSPACE_NAV:
        if not _visible(membership, requirement):
            continue
        try:
            url = reverse(url_name, kwargs={"workspace_slug": membership.workspace.slug})
        except NoReverseMatch:
            continue
        nav.append({"label": label, "url": url, "active": False})
    _mark_active(nav, request.path)
    context.update(current_membership=membership, current_workspace=membership.workspace, workspace_nav=nav)
    return context
