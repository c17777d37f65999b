"""Staff routes under /api/v1/staff/."""

from django.urls import path

from . import views_staff as views
from .workspace_urls import PublicIdConverter  # noqa: F401  (registers the `publicid` converter)

license = "licenses/<publicid:public_id>/"

urlpatterns = [
    path("products/", views.ProductListView.as_view(), name="staff-product-list"),
    path("policies/", views.PolicyListView.as_view(), name="staff-policy-list"),
    path("licenses/", views.LicenseListView.as_view(), name="staff-license-list"),
    path("licenses/issue/", views.LicenseIssueView.as_view(), name="staff-license-issue"),
    path(license, views.LicenseDetailView.as_view(), name="staff-license-detail"),
    *[
        path(
            f"{license}{action}/",
            views.LicenseActionView.as_view(action_name=action),
            name=f"staff-license-{action}",
        )
        for action in ("suspend", "reinstate", "revoke")
    ],
    path(f"{license}extend/", views.LicenseExtendView.as_view(), name="staff-license-extend"),
    path(f"{license}rekey/", views.LicenseRekeyView.as_view(), name="staff-license-rekey"),
]
