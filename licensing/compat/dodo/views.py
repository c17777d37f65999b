"""Dodo Payments' license endpoints, translated onto Keyward's services.

Public (the SDK sends a Bearer header anyway; it is ignored):
    POST licenses/activate, licenses/validate, licenses/deactivate
Staff (Bearer: a staff user's developer auth token):
    POST/GET license_keys, GET/PATCH license_keys/<id>
    GET license_key_instances, GET/PATCH license_key_instances/<id>

The SDK retries 408, 409, 429 and 5xx, so no refusal here may answer 409: a
rule that refuses (activation limit, revoked key) answers 422, as Dodo does.
"""

from django.http import HttpResponse
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from authtokens.api.authentication import acting_user
from licensing.services import activation as client_services
from licensing.services import dodo as dodo_services
from licensing.services.licenses import UNSET
from project.api.errors import exception_handler
from project.metrics import validation_counted
from project.throttles import (
    ClientIPThrottle,
    LicenseActivationThrottle,
    LicenseKeyThrottle,
    WindowThrottling,
)

from . import selectors
from . import serializers as io
from .auth import StaffBearerAuthentication, StaffOrVendorKey

# Dodo's own error codes where Keyward's differ (Keyward's own API keeps its codes).
DODO_CODES = {
    "ACTIVATION_LIMIT_REACHED": "LICENSE_KEY_LIMIT_REACHED",
    "LICENSE_SUSPENDED": "INACTIVE_LICENSE_KEY",
    "LICENSE_REVOKED": "INACTIVE_LICENSE_KEY",
    "LICENSE_EXPIRED": "INACTIVE_LICENSE_KEY",
}


def dodo_exception_handler(exc, context):
    response = exception_handler(exc, context)
    if response is None:
        return None
    view = context.get("view")
    if response.status_code == status.HTTP_409_CONFLICT and not getattr(view, "conflict_is_final", False):
        response.status_code = status.HTTP_422_UNPROCESSABLE_ENTITY  # never a status the SDK retries
    if isinstance(response.data, dict) and "code" in response.data:
        code = response.data["code"]
        if code == "NOT_FOUND" and isinstance(view, PublicView):
            code = "LICENSE_KEY_NOT_FOUND"
        response.data["code"] = DODO_CODES.get(code, code)
    renamed = getattr(context.get("view"), "service_field_names", {})
    fields = response.data.get("fields") if isinstance(response.data, dict) else None
    if fields and renamed:
        response.data["fields"] = {renamed.get(name, name): errors for name, errors in fields.items()}
    return response


class DodoView(APIView):
    schema = None  # Dodo's API, documented by Dodo: kept out of Keyward's OpenAPI schema

    def get_exception_handler(self):
        return dodo_exception_handler

    @staticmethod
    def valid(serializer_class, data) -> dict:
        serializer = serializer_class(data=data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data


class PublicView(WindowThrottling, DodoView):
    authentication_classes = []  # the SDK's Authorization header is not a credential here
    permission_classes = [AllowAny]
    throttle_classes = [ClientIPThrottle, LicenseKeyThrottle]
    # The client services name their inputs key and activation_id; Dodo's clients sent these.
    service_field_names = {"key": "license_key", "activation_id": "license_key_instance_id"}


class StaffView(DodoView):
    authentication_classes = [StaffBearerAuthentication]
    permission_classes = [StaffOrVendorKey]
    allow_vendor_key = True


def page(queryset, params) -> list:
    start = params["page_number"] * params["page_size"]
    return list(queryset[start : start + params["page_size"]])


# ---------------------------------------------------------------- public: licenses/...


class ActivateView(PublicView):
    throttle_classes = [*PublicView.throttle_classes, LicenseActivationThrottle]

    def post(self, request):
        data = self.valid(io.ActivateInput, request.data)
        activation = client_services.license_key_activate(
            key=data["license_key"],
            name=data["name"],
            fingerprint=data.get("fingerprint") or dodo_services.dodo_fingerprint(),
        )
        return Response(io.render_activation(activation), status=status.HTTP_201_CREATED)


class ValidateView(PublicView):
    windows_ride_along = True

    def post(self, request):
        data = self.valid(io.ValidateInput, request.data)
        result = client_services.license_key_validate(
            key=data["license_key"],
            activation_id=data.get("license_key_instance_id"),
            rate_windows=self.rate_windows,
        )
        validation_counted(result.code)
        return Response({"valid": result.valid})


class DeactivateView(PublicView):
    def post(self, request):
        data = self.valid(io.DeactivateInput, request.data)
        client_services.license_key_deactivate(
            key=data["license_key"], activation_id=data["license_key_instance_id"]
        )
        return HttpResponse(status=status.HTTP_200_OK)


# ---------------------------------------------------------------- staff: license_keys


class LicenseKeyListView(StaffView):
    def get(self, request):
        params = self.valid(io.LicenseKeyListInput, request.query_params)
        filters = {name: params.get(name) for name in (
            "created_at_gte", "created_at_lte", "customer_id", "product_id", "source", "status")}  # fmt: skip
        licenses = page(selectors.dodo_license_key_list(**filters), params)
        return Response(
            {"items": [io.render_license_key(lic, instances_count=lic.instances_count) for lic in licenses]}
        )

    def post(self, request):
        data = self.valid(io.LicenseKeyCreateInput, request.data)
        license, plaintext = dodo_services.dodo_license_key_create(
            customer_id=data["customer_id"],
            key=data["key"],
            product_code=data["product_id"],
            activations_limit=data.get("activations_limit", UNSET),
            expires_at=data.get("expires_at", UNSET),
            created_by=acting_user(request),
        )
        return Response(io.render_license_key(license, instances_count=0, plaintext=plaintext))


class LicenseKeyDetailView(StaffView):
    def get(self, request, public_id):
        license = selectors.dodo_license_key_get(public_id=public_id)
        return Response(io.render_license_key(license, instances_count=license.instances_count))

    def patch(self, request, public_id):
        license = selectors.dodo_license_key_get(public_id=public_id)
        data = self.valid(io.LicenseKeyUpdateInput, request.data)
        dodo_services.dodo_license_key_update(
            license=license,
            activations_limit=data.get("activations_limit", UNSET),
            disabled=data.get("disabled", UNSET),
            expires_at=data.get("expires_at", UNSET),
        )
        license = selectors.dodo_license_key_get(public_id=public_id)
        return Response(io.render_license_key(license, instances_count=license.instances_count))


# ---------------------------------------------------------------- staff: license_key_instances


class InstanceListView(StaffView):
    def get(self, request):
        params = self.valid(io.InstanceListInput, request.query_params)
        activations = page(
            selectors.dodo_instance_list(
                license_key_id=params.get("license_key_id"), grant_id=params.get("grant_id")
            ),
            params,
        )
        return Response({"items": [io.render_instance(activation) for activation in activations]})


class InstanceDetailView(StaffView):
    def get(self, request, public_id):
        return Response(io.render_instance(selectors.dodo_instance_get(public_id=public_id)))

    def patch(self, request, public_id):
        activation = selectors.dodo_instance_get(public_id=public_id)
        data = self.valid(io.InstanceUpdateInput, request.data)
        activation = client_services.activation_update(activation=activation, name=data["name"])
        return Response(io.render_instance(activation))
