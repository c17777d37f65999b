"""Dashboard pages, mounted under /w/<workspace_slug>/."""

from django.urls import path

from . import views

app_name = "parameters"
urlpatterns = [
    path("parameters/", views.parameters, name="parameters"),
    path("parameters/new/", views.parameter_create, name="create"),
    path("parameters/<int:parameter_id>/edit/", views.parameter_edit, name="edit"),
    path("parameters/<int:parameter_id>/delete/", views.parameter_delete, name="delete"),
    path("parameters/<int:parameter_id>/reveal/", views.parameter_reveal, name="reveal"),
    path("parameters/<int:parameter_id>/history/", views.parameter_history, name="history"),
    path(
        "parameters/<int:parameter_id>/history/<int:version>/restore/",
        views.parameter_restore,
        name="restore",
    ),
]
