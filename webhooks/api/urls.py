"""Webhook routes under /api/v1/ (URL names in the `webhooks_api` namespace)."""

from django.urls import path

from . import views

app_name = "webhooks_api"

ROUTES = [
    ("endpoints/", "EndpointList", "endpoint-list"),
    ("endpoints/<int:endpoint_id>/", "EndpointDetail", "endpoint-detail"),
    ("endpoints/<int:endpoint_id>/rotate-secret/", "RotateSecret", "endpoint-rotate-secret"),
    ("endpoints/<int:endpoint_id>/test/", "SendTest", "endpoint-test"),
    ("endpoints/<int:endpoint_id>/deliveries/", "DeliveryList", "delivery-list"),
    (
        "endpoints/<int:endpoint_id>/deliveries/<int:delivery_id>/redeliver/",
        "Redeliver",
        "delivery-redeliver",
    ),
]

urlpatterns = [
    path("webhooks/event-types/", views.EventTypeListView.as_view(), name="event-types"),
    *[
        path(
            f"workspaces/<slug:workspace_slug>/webhooks/{route}",
            getattr(views, f"Workspace{view}View").as_view(),
            name=f"workspace-{name}",
        )
        for route, view, name in ROUTES
    ],
    *[
        path(f"staff/webhooks/{route}", getattr(views, f"Vendor{view}View").as_view(), name=f"vendor-{name}")
        for route, view, name in ROUTES
    ],
]
