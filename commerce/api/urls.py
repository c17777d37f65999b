"""Commerce routes under /api/v1/."""

from django.urls import path

from . import views

urlpatterns = [
    path("billing/events", views.BillingEventView.as_view(), name="billing-events"),
    path("staff/licenses/import/", views.LicenseImportView.as_view(), name="staff-license-import"),
    path("staff/return-url/", views.ReturnUrlView.as_view(), name="staff-return-url"),
    path("staff/grants/", views.GrantListView.as_view(), name="staff-grant-list"),
    path(
        "staff/grants/<str:grant_id>/license-key/", views.GrantFulfilView.as_view(), name="staff-grant-fulfil"
    ),
    path("staff/grants/<str:grant_id>/revoke/", views.GrantRevokeView.as_view(), name="staff-grant-revoke"),
]
