"""/compat/dodo/: Dodo Payments' license API paths (see views.py)."""

from django.urls import path

from . import grants, views

app_name = "dodo"
urlpatterns = [
    path("licenses/activate", views.ActivateView.as_view(), name="licenses-activate"),
    path("licenses/validate", views.ValidateView.as_view(), name="licenses-validate"),
    path("licenses/deactivate", views.DeactivateView.as_view(), name="licenses-deactivate"),
    path("license_keys", views.LicenseKeyListView.as_view(), name="license-keys"),
    path("license_keys/<str:public_id>", views.LicenseKeyDetailView.as_view(), name="license-key"),
    path("license_key_instances", views.InstanceListView.as_view(), name="license-key-instances"),
    path("entitlements/<str:entitlement_id>/grants", grants.GrantListView.as_view(), name="grants"),
    path(
        "entitlements/<str:entitlement_id>/grants/<str:grant_id>",
        grants.GrantRevokeView.as_view(),
        name="grant",
    ),
    path("grants/<str:grant_id>/license-key", grants.GrantFulfilView.as_view(), name="grant-license-key"),
    path(
        "license_key_instances/<str:public_id>",
        views.InstanceDetailView.as_view(),
        name="license-key-instance",
    ),
]
