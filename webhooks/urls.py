"""Dashboard pages, mounted under /w/<workspace_slug>/."""

from django.urls import path

from . import views

app_name = "webhooks"
urlpatterns = [
    path("webhooks/", views.endpoints, name="endpoints"),
    path("webhooks/<int:endpoint_id>/", views.endpoint_detail, name="endpoint"),
    path("webhooks/<int:endpoint_id>/rotate-secret/", views.endpoint_rotate_secret, name="rotate_secret"),
    path("webhooks/<int:endpoint_id>/test/", views.endpoint_send_test, name="send_test"),
    path("webhooks/<int:endpoint_id>/delete/", views.endpoint_delete, name="delete"),
    path(
        "webhooks/<int:endpoint_id>/deliveries/<int:delivery_id>/redeliver/",
        views.delivery_redeliver,
        name="redeliver",
    ),
]
