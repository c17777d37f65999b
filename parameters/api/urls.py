"""REST API routes, mounted under /api/v1/ (URL names in the `parameters_api` namespace).

Names may hold slashes, so they are matched by a pattern; `render/` comes first
and still serves GET for a parameter named `render` (see ParameterRenderView).
"""

from django.urls import path, re_path

from . import views

app_name = "parameters_api"

base = r"^workspaces/(?P<workspace_slug>[-a-zA-Z0-9_]+)/parameters/"
name = r"(?P<name>[A-Za-z0-9_./-]{1,128})"

urlpatterns = [
    path("workspaces/<slug:workspace_slug>/parameters/", views.ParameterListView.as_view(), name="list"),
    re_path(f"{base}render/$", views.ParameterRenderView.as_view(), name="render"),
    re_path(
        rf"{base}{name}/versions/(?P<version>[0-9]{{1,9}})/restore/$",
        views.ParameterRestoreView.as_view(),
        name="restore",
    ),
    re_path(f"{base}{name}/versions/$", views.ParameterVersionListView.as_view(), name="versions"),
    re_path(f"{base}{name}/$", views.ParameterDetailView.as_view(), name="detail"),
]
