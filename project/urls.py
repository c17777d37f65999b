from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

admin.site.site_header = "Keyward support"
admin.site.site_title = "Keyward admin"
# The app sidebar took 300 of 1280 px, so the license and token lists (with their filters) did not fit.
admin.site.enable_nav_sidebar = False

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's initialiser as a file: no inline script for the CSP to block.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
    path("api/v1/", include("project.api.urls")),
    path("compat/dodo/", include("licensing.compat.dodo.urls")),
    path("w/<slug:workspace_slug>/", include("authtokens.urls")),
    path("w/<slug:workspace_slug>/", include("licensing.urls")),
    path("w/<slug:workspace_slug>/", include("parameters.urls")),
    path("w/<slug:workspace_slug>/", include("webhooks.urls")),
    path("staff/", include("commerce.urls")),
    path("", include("accounts.urls")),
]

handler500 = "project.api.errors.server_error"
handler404 = "project.api.errors.page_not_found"
