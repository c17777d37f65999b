"""Licensing routes under /api/v1/; the client API's (client_urls.py) come first, in project/api/urls.py."""

from django.urls import include, path

urlpatterns = [
    path("", include("licensing.api.workspace_urls")),  # /api/v1/workspaces/<slug>/licenses/...
    path("staff/", include("licensing.api.staff_urls")),  # /api/v1/staff/...
]
