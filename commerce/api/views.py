"""Commerce API: the signed billing events endpoint, and the staff grants endpoints."""

from django.conf import settings
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView
from standardwebhooks.webhooks import EmptyWebhookSecretError, Webhook, WebhookVerificationError

from authtokens.api.authentication import IsStaffOrVendorKey, acting_user
from project.api.inputs import validated_input
from project.errors import DomainError, ErrorKind

from .. import imports, selectors, services
from ..models import EventStatus
from .serializers import (
    BillingEventOutputSerializer,
    GrantFulfilInputSerializer,
    GrantOutputSerializer,
    GrantRevokeInputSerializer,
    ImportResultSerializer,
    ReturnUrlInputSerializer,
    ReturnUrlOutputSerializer,
)

TAGS = ["billing"]
MAX_BODY_BYTES = 256 * 1024
MAX_JSON_DEPTH = 32


def _verified_payload(request) -> dict:
    """The event body, once its Standard Webhooks signature checks out; else 400 and nothing written."""
    try:
        webhook = Webhook(settings.BILLING_WEBHOOK_SECRET)
    except (ValueError, RuntimeError, EmptyWebhookSecretError):  # binascii.Error is a ValueError
        raise DomainError(
            "BILLING_NOT_CONFIGURED",
            "Billing events are off: set BILLING_WEBHOOK_SECRET to the webhook's whsec_ secret.",
            kind=ErrorKind.CONFLICT,
        ) from None
    body = request.body
    if len(body) > MAX_BODY_BYTES:
        raise DomainError("EVENT_TOO_LARGE", "Keep an event under 256 KB.")
    headers = {
        name: request.headers.get(name, "")
        for name in ("webhook-id", "webhook-timestamp", "webhook-signature")
    }
    try:
        return webhook.verify(body, headers)  # checks the signature, then parses the JSON
    except (ValueError, RecursionError):  # signed, but not JSON (or absurdly deep)
        raise DomainError("EVENT_INVALID", "The body must be a JSON object.") from None
    except WebhookVerificationError as error:
        raise DomainError(
            "SIGNATURE_INVALID",
            f"The webhook signature does not verify ({error}); "
            "sign with the secret in BILLING_WEBHOOK_SECRET "
            "and send within 5 minutes.",
            field="webhook-signature",
        ) from None


class BillingEventView(APIView):
    """POST /api/v1/billing/events: Keyward's own event JSON or Dodo Payments' webhook payloads."""

    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(
        tags=TAGS,
        operation_id="billing_events_receive",
        summary="Receive a signed billing event (Standard Webhooks)",
        request=None,
        responses={200: BillingEventOutputSerializer},
    )
    def post(self, request):
        payload = _verified_payload(request)
        event = services.billing_event_receive(event_id=request.headers["webhook-id"], payload=payload)
        if event.status == EventStatus.FAILED:
            raise DomainError(event.error_code, event.error_message, kind=ErrorKind.UNPROCESSABLE)
        return Response(BillingEventOutputSerializer(event).data)


class StaffCommerceView(APIView):
    permission_classes = [IsStaffOrVendorKey]
    allow_vendor_key = True


class GrantListView(StaffCommerceView, GenericAPIView):
    filter_backends = ()

    @extend_schema(
        tags=TAGS,
        operation_id="staff_grants_list",
        parameters=[OpenApiParameter("status", str), OpenApiParameter("product", str)],
        responses={200: GrantOutputSerializer(many=True)},
    )
    def get(self, request):
        params = request.query_params
        queryset = selectors.staff_grant_list(
            status=params.get("status") or None, product=params.get("product") or None
        )
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(GrantOutputSerializer(page, many=True).data)


class GrantFulfilView(StaffCommerceView):
    @extend_schema(
        tags=TAGS,
        operation_id="staff_grants_fulfil",
        request=GrantFulfilInputSerializer,
        responses={200: GrantOutputSerializer},
    )
    def post(self, request, grant_id):
        grant = selectors.staff_grant_get(public_id=grant_id)
        data = validated_input(GrantFulfilInputSerializer, request.data)
        services.grant_fulfil(grant=grant, **data)
        return Response(GrantOutputSerializer(selectors.staff_grant_get(public_id=grant_id)).data)


class GrantRevokeView(StaffCommerceView):
    @extend_schema(
        tags=TAGS,
        operation_id="staff_grants_revoke",
        request=GrantRevokeInputSerializer,
        responses={200: GrantOutputSerializer},
    )
    def post(self, request, grant_id):
        grant = selectors.staff_grant_get(public_id=grant_id)
        data = validated_input(GrantRevokeInputSerializer, request.data)
        services.grant_revoke(grant=grant, reason=data["reason"])
        return Response(GrantOutputSerializer(selectors.staff_grant_get(public_id=grant_id)).data)


class LicenseImportView(StaffCommerceView):
    @extend_schema(
        tags=TAGS,
        operation_id="staff_licenses_import",
        summary="Import existing keys, all or nothing (a JSON array of rows)",
        request={"application/json": {"type": "array", "items": {"type": "object"}}},
        responses={201: ImportResultSerializer},
    )
    def post(self, request):
        licenses = imports.license_import(rows=request.data, created_by=acting_user(request))
        return Response(
            {"imported": len(licenses), "licenses": [lic.public_id for lic in licenses]},
            status=status.HTTP_201_CREATED,
        )


class ReturnUrlView(StaffCommerceView):
    """A POST that only reads: the input (a URL) does not belong in a query string of ours."""

    @extend_schema(
        tags=TAGS,
        operation_id="staff_return_url",
        summary="The return URL with license_key= appended for a payment's or subscription's keys",
        request=ReturnUrlInputSerializer,
        responses={200: ReturnUrlOutputSerializer},
    )
    def post(self, request):
        data = validated_input(ReturnUrlInputSerializer, request.data)
        return Response({"url": selectors.return_url_with_keys(**data)})
