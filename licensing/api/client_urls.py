"""Public client routes under /api/v1/: /client/... (auth tokens, heartbeats), /licenses/... (keys)."""

from django.urls import path

from . import views_client as views

urlpatterns = [
    path("licenses/validate", views.LicenseValidateView.as_view(), name="client-license-validate"),
    path("licenses/activate", views.LicenseActivateView.as_view(), name="client-license-activate"),
    path("licenses/deactivate", views.LicenseDeactivateView.as_view(), name="client-license-deactivate"),
    path("client/activate", views.TokenActivateView.as_view(), name="client-activate"),
    path("client/info", views.ClientInfoView.as_view(), name="client-info"),
    path("client/heartbeat", views.HeartbeatView.as_view(), name="client-heartbeat"),
    path("client/public-key", views.PublicKeyView.as_view(), name="client-public-key"),
]
