"""/api/v1/: each app brings its own routes."""

from django.urls import include, path

urlpatterns = [
    path("", include("accounts.api.urls")),
    path("", include("authtokens.api.urls")),
    path("", include("licensing.api.urls")),
]
