"""Webhook endpoints over REST: a workspace's (members with manage members) at
/api/v1/workspaces/<slug>/webhooks/..., the vendor's (staff) at /api/v1/staff/webhooks/...

Both sets share one view each; they differ only in who acts and which endpoints they may name.
"""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.base import WorkspaceAPIView
from licensing.api.views_staff import IsStaff
from project.api.inputs import validated_input

from .. import selectors, services
from ..events import EVENT_TYPES
from .serializers import (
    DeliveryOutputSerializer,
    EndpointInputSerializer,
    EndpointOutputSerializer,
    EndpointWithSecretSerializer,
    EventTypeSerializer,
)

TAGS = ["webhooks"]


class WorkspaceScope(WorkspaceAPIView):
    """Acts as the caller's membership on its workspace's endpoints (another's: 404)."""

    @property
    def actor(self):
        return self.membership

    def endpoints(self):
        services.check_may_manage(self.actor, workspace_id=self.workspace.pk)
        return selectors.endpoint_list(workspace=self.workspace)

    def endpoint(self):
        endpoint = selectors.endpoint_get(workspace=self.workspace, endpoint_id=self.kwargs["endpoint_id"])
        services.check_may_manage(self.actor, endpoint)
        return endpoint


class VendorScope(APIView):
    """Acts as the staff user on the vendor's endpoints."""

    permission_classes = [IsStaff]

    @property
    def actor(self):
        return self.request.user

    def endpoints(self):
        return selectors.vendor_endpoint_list()

    def endpoint(self):
        return selectors.vendor_endpoint_get(endpoint_id=self.kwargs["endpoint_id"])


class EndpointList:
    @extend_schema(
        tags=TAGS, summary="List webhook endpoints", responses={200: EndpointOutputSerializer(many=True)}
    )
    def get(self, request, **kwargs):
        return Response(EndpointOutputSerializer(self.endpoints(), many=True).data)

    @extend_schema(
        tags=TAGS,
        summary="Add a webhook endpoint; the answer holds its signing secret, once",
        request=EndpointInputSerializer,
        responses={201: EndpointWithSecretSerializer},
    )
    def post(self, request, **kwargs):
        data = validated_input(EndpointInputSerializer, request.data)
        endpoint, secret = services.endpoint_create(actor=self.actor, **data)
        body = {**EndpointOutputSerializer(endpoint).data, "secret": secret}
        return Response(body, status=status.HTTP_201_CREATED)


class EndpointDetail:
    @extend_schema(tags=TAGS, summary="A webhook endpoint", responses={200: EndpointOutputSerializer})
    def get(self, request, **kwargs):
        return Response(EndpointOutputSerializer(self.endpoint()).data)

    @extend_schema(
        tags=TAGS,
        summary="Change a webhook endpoint (enabled: false pauses it)",
        request=EndpointInputSerializer(partial=True),
        responses={200: EndpointOutputSerializer},
    )
    def patch(self, request, **kwargs):
        endpoint = self.endpoint()
        data = validated_input(EndpointInputSerializer, request.data, partial=True)
        endpoint = services.endpoint_update(actor=self.actor, endpoint=endpoint, **data)
        return Response(EndpointOutputSerializer(endpoint).data)

    @extend_schema(tags=TAGS, summary="Delete a webhook endpoint", responses={204: OpenApiResponse()})
    def delete(self, request, **kwargs):
        services.endpoint_delete(actor=self.actor, endpoint=self.endpoint())
        return Response(status=status.HTTP_204_NO_CONTENT)


class EndpointRotateSecret:
    @extend_schema(
        tags=TAGS,
        summary="New signing secret (shown once); the old one keeps signing for 24 hours",
        request=None,
        responses={200: EndpointWithSecretSerializer},
    )
    def post(self, request, **kwargs):
        endpoint, secret = services.endpoint_rotate_secret(actor=self.actor, endpoint=self.endpoint())
        return Response({**EndpointOutputSerializer(endpoint).data, "secret": secret})


class EndpointSendTest:
    @extend_schema(
        tags=TAGS,
        summary="Send a webhook.test event",
        request=None,
        responses={202: DeliveryOutputSerializer},
    )
    def post(self, request, **kwargs):
        delivery = services.endpoint_send_test(actor=self.actor, endpoint=self.endpoint())
        return Response(DeliveryOutputSerializer(delivery).data, status=status.HTTP_202_ACCEPTED)


class DeliveryList:
    @extend_schema(
        tags=TAGS,
        summary="The endpoint's latest 100 deliveries with every attempt",
        responses={200: DeliveryOutputSerializer(many=True)},
    )
    def get(self, request, **kwargs):
        return Response(
            DeliveryOutputSerializer(selectors.delivery_list(endpoint=self.endpoint()), many=True).data
        )


class DeliveryRedeliver:
    @extend_schema(
        tags=TAGS,
        summary="Send a delivery's event again (same webhook-id)",
        request=None,
        responses={202: DeliveryOutputSerializer},
    )
    def post(self, request, **kwargs):
        delivery = selectors.delivery_get(endpoint=self.endpoint(), delivery_id=self.kwargs["delivery_id"])
        delivery = services.delivery_redeliver(actor=self.actor, delivery=delivery)
        return Response(DeliveryOutputSerializer(delivery).data, status=status.HTTP_202_ACCEPTED)


class EventTypeListView(APIView):
    @extend_schema(
        tags=TAGS,
        summary="The event types an endpoint can ask for",
        responses={200: EventTypeSerializer(many=True)},
    )
    def get(self, request):
        return Response([{"type": name} for name in EVENT_TYPES])


def _pair(behaviour, name):
    workspace_view = type(f"Workspace{name}View", (behaviour, WorkspaceScope), {})
    vendor_view = type(f"Vendor{name}View", (behaviour, VendorScope), {})
    return workspace_view, vendor_view


WorkspaceEndpointListView, VendorEndpointListView = _pair(EndpointList, "EndpointList")
WorkspaceEndpointDetailView, VendorEndpointDetailView = _pair(EndpointDetail, "EndpointDetail")
WorkspaceRotateSecretView, VendorRotateSecretView = _pair(EndpointRotateSecret, "RotateSecret")
WorkspaceSendTestView, VendorSendTestView = _pair(EndpointSendTest, "SendTest")
WorkspaceDeliveryListView, VendorDeliveryListView = _pair(DeliveryList, "DeliveryList")
WorkspaceRedeliverView, VendorRedeliverView = _pair(DeliveryRedeliver, "Redeliver")
