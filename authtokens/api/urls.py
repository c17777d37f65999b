"""REST API routes, mounted under /api/v1/ (URL names in the `authtokens_api` namespace)."""

from django.urls import path

from . import vendor_keys, views

app_name = "authtokens_api"

workspace = "workspaces/<slug:workspace_slug>/"
ci_token = f"{workspace}auth-tokens/ci/<str:token_id>/"

urlpatterns = [
    path(f"{workspace}auth-tokens/developer/", views.DeveloperTokenView.as_view(), name="developer-token"),
    path(
        f"{workspace}auth-tokens/developer/rotate/",
        views.DeveloperTokenRotateView.as_view(),
        name="developer-token-rotate",
    ),
    path(f"{workspace}auth-tokens/ci/", views.CITokenListView.as_view(), name="ci-token-list"),
    path(ci_token, views.CITokenDetailView.as_view(), name="ci-token-detail"),
    path(f"{ci_token}rotate/", views.CITokenRotateView.as_view(), name="ci-token-rotate"),
    path(f"{ci_token}revoke/", views.CITokenRevokeView.as_view(), name="ci-token-revoke"),
    path(f"{workspace}security-log/", views.SecurityLogView.as_view(), name="security-log"),
    path("staff/api-keys/", vendor_keys.VendorKeyListView.as_view(), name="vendor-key-list"),
    path(
        "staff/api-keys/<str:key_id>/revoke/",
        vendor_keys.VendorKeyRevokeView.as_view(),
        name="vendor-key-revoke",
    ),
    path("secret-scanning/report", views.LeakReportView.as_view(), name="secret-scanning-report"),
]
